/**
 * The swarm lab itself (test/swarm/lab.ts), on real daemons: a 3-node Swarm made of dockerd
 * instances in network namespaces, the Swarm features the stack's swarm engine relies on (dnsrr
 * services on an attachable overlay, cross-node `tasks.<service>` DNS, host-mode published ports,
 * drain), and a teardown that leaves nothing — also after a crash. Needs root.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createSwarmLab,
  destroySwarmLab,
  labNames,
  leftoversOf,
  localImages,
  run,
  type LabNode,
  type ProcessMemory,
  type SwarmLab,
} from "./lab";

const REPO = path.resolve(__dirname, "..", "..");
const TOOLS_DIR = process.env.TOOLS_DIR ?? path.join(REPO, ".tools");
const NAME = "selftest";
const NET = "labnet";
const PORT = 18080;
const log = (line: string) => console.log(`swarm-lab: ${line}`);

let lab: SwarmLab;
let busybox: string;
let memory: ProcessMemory[];
let mainBefore: { pid: string; answers: boolean };

/**
 * The main daemon's pid (from its pid file) and whether it answers: the lab must neither stop nor
 * restart it. (Its networks and containers are not compared: other suites deploy on it meanwhile.)
 */
async function mainDaemon(): Promise<{ pid: string; answers: boolean }> {
  const pid = fs.readFileSync("/var/run/docker.pid", "utf8").trim();
  const r = await run("docker", ["-H", "unix:///var/run/docker.sock", "version", "--format", "{{.Server.Version}}"], {
    allowFailure: true,
  });
  return { pid, answers: r.code === 0 && r.stdout.trim().length > 0 };
}

/** The local image with a shell, nslookup, wget, nc and httpd (busybox): role `init` of images.json. */
async function ensureBusyboxImage(): Promise<string> {
  let tag = localImages(TOOLS_DIR).init;
  const present = tag ? (await run("docker", ["image", "inspect", tag], { allowFailure: true })).code === 0 : false;
  if (!present) {
    await run("bash", [path.join(REPO, "scripts", "build-images.sh"), "init"], { timeoutMs: 300_000 });
    tag = localImages(TOOLS_DIR).init;
  }
  if (!tag) throw new Error(`no "init" image in ${TOOLS_DIR}/images.json after scripts/build-images.sh init`);
  return tag;
}

/** Hostnames of the nodes running a service's tasks (desired and current state running). */
async function runningOn(service: string): Promise<string[]> {
  const out = await lab.docker(lab.manager, [
    "service",
    "ps",
    service,
    "--filter",
    "desired-state=running",
    "--format",
    "{{.Node}}\t{{.CurrentState}}",
  ]);
  return out.stdout
    .trim()
    .split("\n")
    .filter((l) => l.includes("\tRunning"))
    .map((l) => l.split("\t")[0])
    .sort();
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms (${String(last ?? "no match")})`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** The container id of a service's task on one node (via that node's own daemon). */
async function taskContainer(node: LabNode, service: string): Promise<string> {
  const out = await lab.docker(node, ["ps", "-q", "--filter", `label=com.docker.swarm.service.name=${service}`]);
  const ids = out.stdout.trim().split("\n").filter(Boolean);
  if (ids.length !== 1) throw new Error(`${service} on ${node.name}: ${ids.length} containers`);
  return ids[0];
}

async function httpGet(url: string): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  return (await res.text()).trim();
}

/** A busybox httpd answering "<service> on <node hostname>" on :8080. */
const SERVE = ["sh", "-c", 'mkdir -p /www && echo "$SVC on $NODE" > /www/index.html && exec httpd -f -p 8080 -h /www'];

beforeAll(async () => {
  await run("bash", [path.join(REPO, "scripts", "docker-engine.sh"), "start"], { timeoutMs: 120_000 });
  busybox = await ensureBusyboxImage();
  mainBefore = await mainDaemon();
  expect(mainBefore.answers).toBe(true);
  lab = await createSwarmLab({ name: NAME, nodes: 3, images: [busybox], log });
  memory = lab.memory();
  const t = lab.timings;
  log(
    `MEASURED up ${t.upMs} ms (network ${t.networkMs}, daemons ${t.daemonsMs}, swarm ${t.swarmMs}); ` +
      `images ${((t.images?.bytes ?? 0) / 1e6).toFixed(1)} MB per node in ${t.images?.totalMs} ms ` +
      `${JSON.stringify(t.images?.perNodeMs)}; RSS ${JSON.stringify(memory)}`,
  );
});

afterAll(async () => {
  await lab?.destroy(); // idempotent: the last test already tore it down unless an earlier one failed
});

describe("swarm lab: a real 3-node Docker Swarm in network namespaces", () => {
  it("GIVEN the lab WHEN the manager lists its nodes THEN 3 are Ready: 1 leader manager, 2 workers, the data label on the data node only", async () => {
    const ids = lab.nodes.map((n) => n.swarmNodeId);
    const nodes = JSON.parse((await lab.docker(lab.manager, ["node", "inspect", ...ids])).stdout) as Array<{
      ID: string;
      Description: { Hostname: string };
      Spec: { Role: string; Availability: string; Labels: Record<string, string> };
      Status: { State: string; Addr: string };
      ManagerStatus?: { Leader?: boolean };
    }>;
    expect(nodes.map((n) => n.Status.State)).toEqual(["ready", "ready", "ready"]);
    const summary = nodes.map((n) => ({
      hostname: n.Description.Hostname,
      role: n.Spec.Role,
      leader: n.ManagerStatus?.Leader === true,
      addr: n.Status.Addr,
      data: n.Spec.Labels[lab.dataNodeLabel.key] === lab.dataNodeLabel.value,
    }));
    expect(summary).toEqual([
      { hostname: `${NAME}-node1`, role: "manager", leader: true, addr: lab.nodes[0].ip, data: true },
      { hostname: `${NAME}-node2`, role: "worker", leader: false, addr: lab.nodes[1].ip, data: false },
      { hostname: `${NAME}-node3`, role: "worker", leader: false, addr: lab.nodes[2].ip, data: false },
    ]);
    expect(lab.dataNodeLabel).toEqual({ key: "obs.data", value: "true" });
    expect(lab.dataNode.name).toBe("node1");
    expect(lab.workers.map((w) => w.role)).toEqual(["worker", "worker"]);
  });

  it("GIVEN the lab THEN its subnet is a free /24 of 198.18.0.0/15, the nodes have no default route and no ingress network exists", async () => {
    expect(lab.subnet).toMatch(/^198\.1[89]\.\d{1,3}\.0\/24$/);
    for (const n of lab.nodes) {
      const routes = (await lab.inNetns(n, ["ip", "-4", "route", "show"])).stdout;
      expect(routes).not.toMatch(/^default/m);
      expect(routes).toContain(`${lab.subnet.replace("/24", "")}/24 dev eth0`);
    }
    // the host reaches the lab through its own veth only
    const hostRoute = (await run("ip", ["-4", "route", "get", lab.manager.ip])).stdout;
    expect(hostRoute).toContain(`dev ${labNames(NAME).hostLink}`);
    const networks = (await lab.docker(lab.manager, ["network", "ls", "--format", "{{.Name}} {{.Driver}}"])).stdout;
    expect(networks).not.toMatch(/^ingress /m);
  });

  it("GIVEN no ingress network WHEN a service publishes an ingress-mode port THEN Swarm refuses it (no unreachable routing-mesh port)", async () => {
    const r = await lab.docker(
      lab.manager,
      ["service", "create", "--detach", "--no-resolve-image", "--name", "meshport", "--publish", "18081:8080", busybox, ...SERVE],
      { allowFailure: true },
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/no ingress network is present/);
  });

  it("GIVEN a global and a replicated dnsrr service on an attachable overlay WHEN deployed from the local image THEN each runs where placed", async () => {
    await lab.docker(lab.manager, ["network", "create", "--driver", "overlay", "--attachable", NET]);
    const common = ["--detach", "--no-resolve-image", "--network", NET, "--endpoint-mode", "dnsrr", "--stop-grace-period", "2s"];
    await lab.docker(lab.manager, [
      "service",
      "create",
      ...common,
      "--name",
      "web",
      "--mode",
      "global",
      "--env",
      "SVC=web",
      "--env",
      "NODE={{.Node.Hostname}}",
      "--publish",
      `mode=host,target=8080,published=${PORT}`,
      busybox,
      ...SERVE,
    ]);
    await lab.docker(lab.manager, [
      "service",
      "create",
      ...common,
      "--name",
      "api",
      "--replicas",
      "2",
      "--constraint",
      "node.role==worker",
      "--env",
      "SVC=api",
      "--env",
      "NODE={{.Node.Hostname}}",
      busybox,
      ...SERVE,
    ]);
    const hosts = lab.nodes.map((n) => n.hostname);
    expect(await until("web on every node", async () => ((await runningOn("web")).length === 3 ? runningOn("web") : undefined))).toEqual(
      hosts,
    );
    expect(await until("api on both workers", async () => ((await runningOn("api")).length === 2 ? runningOn("api") : undefined))).toEqual(
      lab.workers.map((w) => w.hostname),
    );
  });

  it("GIVEN a task on worker 1 WHEN it resolves tasks.api and calls each address THEN it reaches the api task on worker 2 across the overlay", async () => {
    const [worker1, worker2] = lab.workers;
    const client = await taskContainer(worker1, "web");
    const target = await taskContainer(worker2, "api");
    const targetIp = (
      await lab.docker(worker2, ["inspect", target, "--format", `{{(index .NetworkSettings.Networks "${NET}").IPAddress}}`])
    ).stdout.trim();
    expect(targetIp).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    const script =
      "for ip in $(nslookup tasks.api 127.0.0.11 | awk '/^Address/ && $NF !~ /:53$/ {print $NF}'); do " +
      'echo "$ip $(timeout 5 wget -q -O- http://$ip:8080/index.html)"; done';
    const out = (await lab.docker(worker1, ["exec", client, "sh", "-c", script])).stdout.trim().split("\n").sort();
    // two tasks by DNS, and the one at worker 2's task address answers from worker 2
    expect(out).toHaveLength(2);
    expect(out).toContain(`${targetIp} api on ${worker2.hostname}`);
    expect(out.some((l) => l.endsWith(`api on ${worker1.hostname}`))).toBe(true);
  });

  it("GIVEN host-mode published ports WHEN the test process calls a worker's lab IP THEN that worker's own task answers", async () => {
    for (const n of lab.nodes) {
      expect(await httpGet(`http://${n.ip}:${PORT}/index.html`)).toBe(`web on ${n.hostname}`);
    }
  });

  it("GIVEN worker 1 WHEN it is drained THEN its tasks stop and the api task moves to worker 2; WHEN activated THEN the global task returns", async () => {
    const [worker1, worker2] = lab.workers;
    const t0 = Date.now();
    await lab.drain(worker1);
    const drainMs = Date.now() - t0;
    const api = await until("api rescheduled", async () => {
      const on = await runningOn("api");
      return on.length === 2 ? on : undefined;
    });
    expect(api).toEqual([worker2.hostname, worker2.hostname]);
    expect(await runningOn("web")).toEqual([lab.manager.hostname, worker2.hostname]);
    await expect(httpGet(`http://${worker1.ip}:${PORT}/index.html`)).rejects.toThrow();

    await lab.activate(worker1);
    const back = await until("web back on worker 1", async () => {
      const on = await runningOn("web");
      return on.length === 3 ? on : undefined;
    });
    expect(back).toEqual(lab.nodes.map((n) => n.hostname));
    expect(await until("worker 1 port back", () => httpGet(`http://${worker1.ip}:${PORT}/index.html`))).toBe(`web on ${worker1.hostname}`);
    // Swarm does not rebalance replicated tasks onto a node that comes back
    expect(await runningOn("api")).toEqual([worker2.hostname, worker2.hostname]);
    log(`MEASURED drain of ${worker1.name} (tasks stopped) in ${drainMs} ms`);
  });

  it("GIVEN the lab's daemons THEN each node runs its own dockerd and containerd, with a plausible RSS", () => {
    expect(memory).toHaveLength(3);
    const pids = new Set(memory.flatMap((m) => [m.dockerdPid, m.containerdPid]));
    expect(pids.size).toBe(6);
    for (const m of memory) {
      const cmd = fs.readFileSync(`/proc/${m.containerdPid}/cmdline`, "utf8");
      expect(cmd).toContain(`${lab.dir}/${m.node}/exec/containerd/containerd.toml`);
      expect(m.dockerdRssMb).toBeGreaterThan(20);
      expect(m.dockerdRssMb).toBeLessThan(500);
      expect(m.containerdRssMb).toBeGreaterThan(10);
      expect(m.containerdRssMb).toBeLessThan(300);
    }
  });

  it("GIVEN the lab WHEN destroyed THEN no netns, veth, daemon, mount, cgroup or directory of it is left and the main daemon is untouched", async () => {
    const names = labNames(NAME);
    const nodes = lab.nodes;
    const report = await lab.destroy();
    log(`MEASURED teardown ${report.totalMs} ms (${JSON.stringify(report)})`);
    expect(report.leftovers).toEqual([]);
    expect(report.stoppedDaemons).toBe(3);
    expect(report.killedDaemons).toBe(0);
    expect(await leftoversOf(NAME)).toEqual([]);
    // the same, spelled out
    const netns = fs.existsSync("/run/netns") ? fs.readdirSync("/run/netns") : [];
    expect(netns.filter((n) => names.owned.test(n))).toEqual([]);
    expect(fs.existsSync(`/sys/class/net/${names.hostLink}`)).toBe(false);
    for (const m of memory) {
      expect(fs.existsSync(`/proc/${m.dockerdPid}`) && !fs.readFileSync(`/proc/${m.dockerdPid}/stat`, "utf8").includes(") Z")).toBe(false);
      expect(fs.existsSync(`/proc/${m.containerdPid}`) && !fs.readFileSync(`/proc/${m.containerdPid}/stat`, "utf8").includes(") Z")).toBe(
        false,
      );
    }
    const mounts = fs.readFileSync("/proc/self/mountinfo", "utf8");
    expect(mounts).not.toContain(lab.dir);
    expect(fs.existsSync(lab.dir)).toBe(false);
    expect(fs.readdirSync("/sys/fs/cgroup/memory").filter((c) => names.owned.test(c))).toEqual([]);
    expect(nodes.every((n) => !fs.existsSync(n.socket))).toBe(true);
    expect(await mainDaemon()).toEqual(mainBefore);
  });
});

describe("swarm lab: cleanup after a crash, and bad input", () => {
  it("GIVEN a lab whose dockerd and containerd were SIGKILLed with a task running WHEN destroySwarmLab(name) runs from its state file THEN nothing is left", async () => {
    const crashed = await createSwarmLab({ name: "crashed", nodes: 2, images: [busybox], log });
    await crashed.docker(crashed.manager, [
      "service",
      "create",
      "--detach",
      "--no-resolve-image",
      "--name",
      "sleeper",
      "--mode",
      "global",
      "--endpoint-mode",
      "dnsrr",
      "--publish",
      `mode=host,target=8080,published=${PORT}`,
      busybox,
      ...SERVE,
    ]);
    await until("sleeper on both nodes", async () => {
      const out = await crashed.docker(crashed.manager, ["service", "ps", "sleeper", "--format", "{{.CurrentState}}"]);
      return out.stdout.split("\n").filter((l) => l.startsWith("Running")).length === 2 ? true : undefined;
    });
    // the crash: every daemon killed at once, tasks, shims and docker-proxy orphaned, mounts left
    for (const m of crashed.memory()) {
      process.kill(m.dockerdPid, "SIGKILL");
      if (m.containerdPid) process.kill(m.containerdPid, "SIGKILL");
    }
    await new Promise((r) => setTimeout(r, 500));
    const before = await leftoversOf("crashed");
    expect(before.some((l) => l.startsWith("mount "))).toBe(true);
    expect(before.some((l) => l.startsWith("process "))).toBe(true);

    const report = await destroySwarmLab("crashed", { log });
    expect(report.hadState).toBe(true);
    expect(report.killedLeftovers).toBeGreaterThan(0);
    expect(report.leftovers).toEqual([]);
    expect(await leftoversOf("crashed")).toEqual([]);
    expect(await mainDaemon()).toEqual(mainBefore);
  });

  it("GIVEN bad options WHEN creating a lab THEN one error names every bad key, the value and what is allowed", async () => {
    const err = await createSwarmLab({ name: "Bad_Name", nodes: 0, images: [""], timeoutMs: -1 }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    const msg = (err as Error).message;
    expect(msg).toContain("name");
    expect(msg).toContain("1-8 characters [a-z0-9], starting with a letter");
    expect(msg).toMatch(/nodes[\s\S]*>=1|nodes[\s\S]*too small/i);
    expect(msg).toContain("images");
    expect(msg).toContain("timeoutMs");
  });

  it.each([
    ["the /24 of this host's own address", "host", /host address/],
    ["a Docker bridge pool", "172.18.0.0/24", /Docker's default bridge pools/],
    ["Swarm's overlay pool", "10.0.5.0/24", /Swarm's default overlay address pool/],
  ])("GIVEN a subnet overlapping %s WHEN creating a lab THEN it is refused, naming what it overlaps", async (_what, given, why) => {
    let subnet = given;
    if (given === "host") {
      const addrs = JSON.parse((await run("ip", ["-j", "-4", "addr", "show", "scope", "global"])).stdout) as Array<{
        addr_info: Array<{ local: string }>;
      }>;
      const local = addrs.flatMap((a) => a.addr_info.map((i) => i.local))[0];
      expect(local).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      subnet = `${local.split(".").slice(0, 3).join(".")}.0/24`;
    }
    const err = await createSwarmLab({ name: "badnet", subnet }).catch((e: Error) => e);
    expect((err as Error).message).toMatch(new RegExp(`subnet: "${subnet.replace(/\./g, "\\.")}" overlaps`));
    expect((err as Error).message).toMatch(why);
    expect(await leftoversOf("badnet")).toEqual([]);
  });

  it("GIVEN a lab of 3 nodes WHEN the data node is node 5 THEN the error names dataNode and the allowed range", async () => {
    const err = await createSwarmLab({ name: "baddata", nodes: 3, dataNode: 5 }).catch((e: Error) => e);
    expect((err as Error).message).toContain("dataNode");
    expect((err as Error).message).toContain("allowed 1..3");
  });
});
