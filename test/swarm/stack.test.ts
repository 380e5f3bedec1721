/**
 * The stack itself with `engine: swarm` on a real 3-node Docker Swarm (test/swarm/lab.ts), driven
 * through the Automation API with the real Pulumi engine and docker provider pointed at the lab's
 * manager: `up` converges; an app on each worker sends metrics, traces and logs to its own node's
 * agent (published OTLP port, TLS and credentials) and they arrive in the backends on the data node;
 * `npm run verify` passes through the stack's own Traefik on the data node (TLS from files, basic
 * auth), also after a backend swap; a second preview shows no changes; destroy removes every service
 * and keeps the data volumes.
 * Needs root, the tool cache (pulumi, plugins, telemetrygen) and the local images.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import type { OutputMap, Stack } from "@pulumi/pulumi/automation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findToolchain, openStack, secretConfig, temporaryWorkspace } from "../../deploy/automation";
import { request } from "../../deploy/verify";
import { planStack } from "../../configs/stack";
import { parseSettings, TIERS } from "../../settings";
import { makeCertificates } from "../helpers/certificates";
import { createSwarmLab, localImages, run, type LabNode, type SwarmLab } from "./lab";

const REPO = path.resolve(__dirname, "..", "..");
const TOOLS_DIR = process.env.TOOLS_DIR ?? path.join(REPO, ".tools");
const TELEMETRYGEN = path.join(TOOLS_DIR, "bin", "telemetrygen");
const ROLES = ["collector", "victoriametrics", "prometheus", "jaeger", "victorialogs", "grafana", "traefik", "init"] as const;
const ENV = `sw${randomBytes(2).toString("hex")}`;
/** The UIs' domain: nothing resolves it, verify sends each host name to Traefik on the data node. */
const DOMAIN = "swarm.obs.test";
const PASSPHRASE = "swarm-tier";
const log = (line: string) => console.log(`swarm-stack: ${line}`);

let lab: SwarmLab;
let stack: Stack;
let outputs: OutputMap;
let caFile: string;
/** The CA that signed Traefik's certificate (`--ca` of verify). */
let uiCaFile: string;
/** The stack's workspace (Pulumi.yaml, Pulumi.<stack>.yaml, file backend): `--cwd` of the CLI. */
let stackDir: string;
let destroyed = false;
/** The stack's config as the test deploys it (secrets included), to plan it here too. */
let planConfig: Record<string, unknown>;
const upLog: string[] = [];

/** A command in a running task's network namespace, on the node it runs on (the backends publish nothing). */
async function inTask(service: string, cmd: string[]): Promise<string> {
  const ps = await lab.docker(lab.manager, [
    "service",
    "ps",
    service,
    "--filter",
    "desired-state=running",
    "--format",
    "{{.Node}}",
    "--no-trunc",
  ]);
  const hostname = ps.stdout.trim().split("\n")[0];
  const node = lab.nodes.find((n) => n.hostname === hostname);
  if (!node) throw new Error(`no running task of ${service} (ps: ${ps.stdout})`);
  const id = (await lab.docker(node, ["ps", "-q", "--filter", `label=com.docker.swarm.service.name=${service}`])).stdout
    .trim()
    .split("\n")[0]!;
  const pid = (await lab.docker(node, ["inspect", "-f", "{{.State.Pid}}", id])).stdout.trim();
  return (await run("nsenter", [`--net=/proc/${pid}/ns/net`, "--", ...cmd], { allowFailure: true })).stdout;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2_000));
  }
}

/** Log records of one service in VictoriaLogs (on the data node). */
async function storedLogs(service: string): Promise<number> {
  const body = await inTask(`${ENV}-victorialogs`, [
    "curl",
    "-s",
    "--data-urlencode",
    `query=service.name:"${service}" | stats count() n`,
    "http://127.0.0.1:9428/select/logsql/query",
  ]);
  return body.trim() ? Number(JSON.parse(body.trim().split("\n")[0]!).n) : 0;
}

/** `running/desired` of a service, as `docker service ls` shows it. */
async function replicas(service: string): Promise<string> {
  return (await lab.docker(lab.manager, ["service", "ls", "--filter", `name=${service}`, "--format", "{{.Name}} {{.Replicas}}"])).stdout
    .trim()
    .split("\n")
    .find((l) => l.startsWith(`${service} `))!
    .split(" ")[1]!;
}

/** Each service's spec version (it grows with every update Swarm applies). */
async function specVersions(): Promise<Record<string, number>> {
  const ids = (await lab.docker(lab.manager, ["service", "ls", "-q"])).stdout.trim().split("\n");
  const out = await lab.docker(lab.manager, ["service", "inspect", "-f", "{{.Spec.Name}} {{.Version.Index}}", ...ids]);
  return Object.fromEntries(
    out.stdout
      .trim()
      .split("\n")
      .map((l) => l.split(" "))
      .map(([name, version]) => [name!, Number(version)]),
  );
}

/** telemetrygen in a worker's network namespace, to the agent's published port on that node. */
async function sendFrom(
  node: LabNode,
  signal: "metrics" | "traces" | "logs",
  count: number,
  options: { service?: string; rate?: number } = {},
): Promise<void> {
  const header = decodeURIComponent(String(outputs.otlpHeaders!.value)); // Authorization=Basic <b64>
  const [key, value] = [header.slice(0, header.indexOf("=")), header.slice(header.indexOf("=") + 1)];
  await lab.inNetns(
    node,
    [
      TELEMETRYGEN,
      signal,
      "--otlp-endpoint",
      "127.0.0.1:4317",
      "--ca-cert",
      caFile,
      "--otlp-header",
      `${key}="${value}"`,
      "--service",
      options.service ?? `app-${node.name}`,
      `--${signal}`,
      String(count),
      "--rate",
      String(options.rate ?? 0),
    ],
    { timeoutMs: 300_000 },
  );
}

/**
 * `npm run verify -- <stack>` as a user runs it (deploy/launch.mjs, in a child process) from this
 * host, with the stack's workspace, the CA of Traefik's certificate and the data node's address
 * (Traefik publishes its ports there, in host mode).
 */
async function npmVerify(): Promise<{ code: number; output: string }> {
  const args = ["verify", ENV, "--cwd", stackDir, "--ca", uiCaFile, "--address", lab.dataNode.ip];
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [path.join(REPO, "deploy", "launch.mjs"), ...args], {
      cwd: REPO,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        TOOLS_DIR,
        PULUMI_CONFIG_PASSPHRASE: PASSPHRASE,
        PULUMI_SKIP_UPDATE_CHECK: "true",
        DOCKER_HOST: lab.manager.dockerHost,
      },
      timeout: 300_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, output: `${stdout}${stderr}` };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : -1, output: `${e.stdout ?? ""}${e.stderr ?? ""}` };
  }
}

/** The rows of verify's report that passed, by check name (`metric → VictoriaMetrics`, …). */
const passedChecks = (output: string) =>
  output
    .split("\n")
    .map((line) => /^(.+?)\s{2,}PASS\s/.exec(line)?.[1])
    .filter((check): check is string => check !== undefined);

beforeAll(async () => {
  if (!fs.existsSync(TELEMETRYGEN)) throw new Error(`no ${TELEMETRYGEN} (the apps on the workers): run npm run components`);
  const images = localImages(TOOLS_DIR);
  const tags = ROLES.map((role) => {
    if (!images[role]) throw new Error(`no local image for ${role} in ${TOOLS_DIR}/images.json: run npm run images`);
    return images[role]!;
  });
  lab = await createSwarmLab({ name: "stk", nodes: 3 });
  const loaded = await lab.loadImages(tags);
  log(`lab up (${JSON.stringify(lab.timings)}); ${tags.length} images loaded in ${loaded.totalMs} ms`);

  const certs = makeCertificates("otel-agent", ["IP:127.0.0.1", ...lab.nodes.map((n) => `IP:${n.ip}`)]);
  const caDir = fs.mkdtempSync(path.join(os.tmpdir(), "obs-swarm-ca-"));
  caFile = path.join(caDir, "ca.pem");
  fs.writeFileSync(caFile, certs.ca);
  const ui = makeCertificates(`*.${DOMAIN}`, [`DNS:*.${DOMAIN}`, `DNS:${DOMAIN}`]);
  uiCaFile = path.join(caDir, "ui-ca.pem");
  fs.writeFileSync(uiCaFile, ui.ca);
  const toolchain = await findToolchain();
  const { workDir, projectSettings } = temporaryWorkspace(`obs-swarm-${ENV}-`);
  stackDir = workDir;
  stack = await openStack({
    stackName: ENV,
    toolchain,
    workDir,
    projectSettings,
    stackConfig: {
      environment: ENV,
      engine: "swarm",
      swarm: { dataNode: `${lab.dataNodeLabel.key}=${lab.dataNodeLabel.value}` },
      images: Object.fromEntries(ROLES.map((role) => [role, images[role]])),
      domain: DOMAIN,
      logs: { backend: "victorialogs" },
      traefik: { mode: "managed", basicAuth: true, tls: { mode: "files" } },
      ingest: { tls: { mode: "files" } },
      exposure: { bindAddress: "0.0.0.0", ports: { otlpGrpc: 4317, otlpHttp: 4318, http: 80, https: 443 } },
    },
    envVars: {
      PULUMI_CONFIG_PASSPHRASE: PASSPHRASE,
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
      DOCKER_HOST: lab.manager.dockerHost,
    },
  });
  await stack.setConfig("docker:host", { value: lab.manager.dockerHost });
  planConfig = {
    environment: ENV,
    engine: "swarm",
    domain: DOMAIN,
    logs: { backend: "victorialogs" },
    traefik: { mode: "managed", basicAuth: true, tls: { mode: "files", certificate: ui.cert, key: ui.key } },
    exposure: { bindAddress: "0.0.0.0", ports: { otlpGrpc: 4317, otlpHttp: 4318, http: 80, https: 443 } },
    ingest: { tls: { mode: "files", certificate: certs.cert, key: certs.key, ca: certs.ca } },
  };
  await stack.setAllConfig(
    secretConfig({
      "ingest.tls.certificate": certs.cert,
      "ingest.tls.key": certs.key,
      "ingest.tls.ca": certs.ca,
      "traefik.tls.certificate": ui.cert,
      "traefik.tls.key": ui.key,
    }),
    true,
  );
}, 300_000);

afterAll(async () => {
  if (stack && !destroyed) {
    await stack.destroy({ onOutput: (l) => upLog.push(l) }).catch((e: Error) => log(`destroy in afterAll: ${e.message.slice(0, 300)}`));
  }
  if (lab) {
    const report = await lab.destroy();
    log(`lab torn down: ${JSON.stringify(report).slice(0, 300)}`);
  }
}, 300_000);

describe("engine swarm on a real 3-node swarm", () => {
  it("GIVEN engine swarm WHEN up THEN every service converges: the agent on each node, 2 gateways, the backends on the data node", async () => {
    const t0 = Date.now();
    try {
      outputs = (await stack.up({ onOutput: (l) => upLog.push(l) })).outputs;
    } catch (error) {
      throw new Error(`up failed:\n${upLog.slice(-80).join("")}\n${String(error).slice(0, 4000)}`);
    }
    log(`up returned in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    // The provider cannot wait for a global service (no converge_config): the agents are waited for here.
    await until("an agent on every node", async () => {
      const ls = await lab.docker(lab.manager, ["service", "ls", "--filter", `name=${ENV}-otel-agent`, "--format", "{{.Replicas}}"]);
      return ls.stdout.trim() === `${lab.nodes.length}/${lab.nodes.length}` ? true : undefined;
    });
    log(`agents running on every node ${((Date.now() - t0) / 1000).toFixed(1)} s after up started`);
    const ls = await lab.docker(lab.manager, ["service", "ls", "--format", "{{.Name}} {{.Mode}} {{.Replicas}}"]);
    const services = Object.fromEntries(
      ls.stdout
        .trim()
        .split("\n")
        .map((l) => l.split(" "))
        .map(([name, mode, replicas]) => [name, `${mode} ${replicas}`]),
    );
    expect(services).toEqual({
      [`${ENV}-otel-agent`]: "global 3/3",
      [`${ENV}-otel-collector`]: "replicated 2/2",
      [`${ENV}-otel-collector-probe`]: "replicated 1/1",
      [`${ENV}-victoriametrics`]: "replicated 1/1",
      [`${ENV}-jaeger`]: "replicated 1/1",
      [`${ENV}-victorialogs`]: "replicated 1/1",
      [`${ENV}-grafana`]: "replicated 1/1",
      [`${ENV}-traefik`]: "replicated 1/1",
    });
    for (const pinned of ["victoriametrics", "jaeger", "victorialogs", "grafana", "traefik"]) {
      const ps = await lab.docker(lab.manager, [
        "service",
        "ps",
        `${ENV}-${pinned}`,
        "--filter",
        "desired-state=running",
        "--format",
        "{{.Node}}",
      ]);
      expect(ps.stdout.trim()).toBe(lab.dataNode.hostname);
    }
  }, 600_000);

  it("GIVEN an app on each worker WHEN it sends metrics, traces and logs to its node's agent THEN they arrive in the backends on the data node", async () => {
    expect(outputs, "up must have succeeded").toBeDefined();
    for (const worker of lab.workers) {
      await sendFrom(worker, "metrics", 20);
      await sendFrom(worker, "traces", 10);
      await sendFrom(worker, "logs", 10);
    }
    for (const worker of lab.workers) {
      const service = `app-${worker.name}`;
      const metrics = await until(`metrics of ${service} in VictoriaMetrics`, async () => {
        const body = await inTask(`${ENV}-victoriametrics`, [
          "curl",
          "-s",
          "--data-urlencode",
          `query=count({job="${service}"})`,
          "http://127.0.0.1:8428/api/v1/query",
        ]);
        const result = JSON.parse(body).data?.result ?? [];
        return result.length > 0 && Number(result[0].value[1]) > 0 ? Number(result[0].value[1]) : undefined;
      });
      expect(metrics).toBeGreaterThan(0);
      const traces = await until(`traces of ${service} in Jaeger`, async () => {
        const body = await inTask(`${ENV}-jaeger`, ["curl", "-s", `http://127.0.0.1:16686/api/traces?service=${service}&limit=20`]);
        const data = JSON.parse(body).data ?? [];
        return data.length > 0 ? data.length : undefined;
      });
      expect(traces).toBeGreaterThan(0);
      const logs = await until(`logs of ${service} in VictoriaLogs`, async () => {
        const n = await storedLogs(service);
        return n > 0 ? n : undefined;
      });
      expect(logs).toBe(10);
    }
    // Each worker's agent reported its node's host metrics.
    const hosts = await until("host metrics of every node", async () => {
      const body = await inTask(`${ENV}-victoriametrics`, [
        "curl",
        "-s",
        "--data-urlencode",
        'query=count by (instance) (system_memory_usage_bytes{job="otel-agent"})',
        "http://127.0.0.1:8428/api/v1/query",
      ]);
      const instances = (JSON.parse(body).data?.result ?? []).map((r: any) => r.metric.instance).sort();
      return instances.length === lab.nodes.length ? instances : undefined;
    });
    expect(hosts).toEqual(lab.nodes.map((n) => n.hostname).sort());
  }, 600_000);

  it("GIVEN managed Traefik with TLS and basic auth on the data node WHEN npm run verify runs from off the swarm THEN every check passes through it, and the UIs refuse a request without credentials", async () => {
    expect(outputs, "up must have succeeded").toBeDefined();
    const t0 = Date.now();
    const result = await npmVerify();
    log(`npm run verify: exit ${result.code} in ${((Date.now() - t0) / 1000).toFixed(1)} s\n${result.output.trim()}`);
    expect(result.code, result.output).toBe(0);
    expect(result.output).toMatch(/verify [0-9a-f]+: \d+ passed, 0 failed/);
    expect(passedChecks(result.output)).toEqual(
      expect.arrayContaining([
        "metric → VictoriaMetrics",
        "span → Jaeger",
        "log → VictoriaLogs",
        "Grafana /api/health",
        "Grafana datasources",
      ]),
    );
    // Basic auth is Traefik's, in front of every backend UI: nothing answers without it.
    const ca = fs.readFileSync(uiCaFile, "utf8");
    for (const [host, route] of [
      ["vm", "/api/v1/labels"],
      ["jaeger", "/api/services"],
      ["logs", "/select/logsql/query"],
    ] as const) {
      const api = { url: `https://${lab.dataNode.ip}:443`, hostHeader: `${host}.${DOMAIN}`, caPem: ca };
      expect((await request(api, route)).status, `${host}.${DOMAIN}${route} without credentials`).toBe(401);
    }
  }, 300_000);

  it("GIVEN the stack just deployed WHEN previewed again THEN nothing would change", async () => {
    expect(outputs, "up must have succeeded").toBeDefined();
    const lines: string[] = [];
    const preview = await stack.preview({ onOutput: (l) => lines.push(l), diff: true });
    const changes = Object.entries(preview.changeSummary).filter(([op]) => op !== "same");
    expect(changes, lines.join("").slice(-6000)).toEqual([]);
  }, 300_000);

  it("GIVEN load from one worker WHEN a gateway replica is SIGKILLed and the other worker is drained THEN every record sent is stored, and the recovery times are reported", async () => {
    expect(outputs, "up must have succeeded").toBeDefined();
    const [sender, drained] = [lab.workers[0]!, lab.workers[1]!];
    const service = "app-under-faults";
    const SENT = 1500;
    const load = sendFrom(sender, "logs", SENT, { service, rate: 50 });
    await new Promise((r) => setTimeout(r, 5_000));
    // A gateway task's container, SIGKILLed on its node: Swarm restarts it (restart policy any).
    const gatewayService = `${ENV}-otel-collector`;
    const ps = await lab.docker(lab.manager, [
      "service",
      "ps",
      gatewayService,
      "--filter",
      "desired-state=running",
      "--format",
      "{{.Node}}",
    ]);
    const victim = lab.nodes.find((n) => n.hostname === ps.stdout.trim().split("\n")[0])!;
    const container = (await lab.docker(victim, ["ps", "-q", "--filter", `label=com.docker.swarm.service.name=${gatewayService}`])).stdout
      .trim()
      .split("\n")[0]!;
    const killedAt = Date.now();
    await lab.docker(victim, ["kill", "-s", "KILL", container]);
    await until("the killed gateway replaced", async () =>
      (await replicas(gatewayService)) === "2/2" && Date.now() - killedAt > 3_000 ? true : undefined,
    );
    const gatewayRecoveryMs = Date.now() - killedAt;
    // Drain the other worker: its agent stops, gateways on it move to the remaining nodes.
    const drainedAt = Date.now();
    await lab.drain(drained);
    await until("2 gateways running after the drain", async () => ((await replicas(gatewayService)) === "2/2" ? true : undefined));
    const drainRecoveryMs = Date.now() - drainedAt;
    await load;
    const sentDoneAt = Date.now();
    const stored = await until(
      `${SENT} records of ${service} stored`,
      async () => {
        const n = await storedLogs(service);
        return n >= SENT ? n : undefined;
      },
      180_000,
    ).catch(async () => storedLogs(service));
    const catchUpMs = Date.now() - sentDoneAt;
    log(
      `faults: sent ${SENT}, stored ${stored}; gateway killed on ${victim.hostname}: 2/2 again after ${(gatewayRecoveryMs / 1000).toFixed(1)} s; ` +
        `${drained.hostname} drained: 2/2 gateways after ${(drainRecoveryMs / 1000).toFixed(1)} s; all stored ${(catchUpMs / 1000).toFixed(1)} s after the last send`,
    );
    await lab.activate(drained);
    expect(stored).toBe(SENT);
    await until("the drained node's agent back", async () => ((await replicas(`${ENV}-otel-agent`)) === "3/3" ? true : undefined));
  }, 600_000);

  it("GIVEN tier small WHEN tier medium is applied THEN every service whose limits the tier sets rolls to them, the others stay", async () => {
    expect(outputs, "up must have succeeded").toBeDefined();
    const before = await specVersions();
    await stack.setConfig("obs-stack:tier", { value: "medium" });
    const t0 = Date.now();
    await stack.up({ onOutput: (l) => upLog.push(l) });
    await until("an agent on every node after the roll", async () => ((await replicas(`${ENV}-otel-agent`)) === "3/3" ? true : undefined));
    log(`tier change rolled in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const after = await specVersions();
    expect(Object.keys(after).sort()).toEqual(Object.keys(before).sort());
    // Which services the tier changes, from the plans themselves (the probe's 16 MB is the same in every tier).
    const limits = (tier: "small" | "medium") => {
      const plan = planStack(parseSettings({ ...planConfig, tier }));
      return Object.fromEntries(plan.services.map((s) => [`${ENV}-${s.role}`, `${s.memoryMb}/${plan.wiring[s.role]!.cpus}`]));
    };
    const [small, medium] = [limits("small"), limits("medium")];
    const changed = Object.keys(small).filter((name) => small[name] !== medium[name]);
    expect(changed).toEqual(
      expect.arrayContaining([`${ENV}-otel-agent`, `${ENV}-otel-collector`, `${ENV}-victoriametrics`, `${ENV}-jaeger`]),
    );
    for (const [name, version] of Object.entries(before)) {
      if (changed.includes(name)) expect(after[name], `${name} was not updated`).toBeGreaterThan(version);
      else expect(after[name], `${name} was updated though its limits did not change`).toBe(version);
    }
    const memory = await lab.docker(lab.manager, [
      "service",
      "inspect",
      "-f",
      "{{.Spec.TaskTemplate.Resources.Limits.MemoryBytes}}",
      `${ENV}-otel-collector`,
    ]);
    expect(Number(memory.stdout.trim())).toBe(TIERS.medium.memoryMb.collector * 1024 * 1024);
  }, 600_000);

  it("GIVEN VictoriaMetrics WHEN metrics.backend is swapped to Prometheus and back THEN each time the new backend runs on the data node and takes a worker's metrics, and VictoriaMetrics' earlier data is there again after the swap back", async () => {
    expect(outputs, "up must have succeeded").toBeDefined();
    /** Running services of this stack. */
    const services = async () =>
      (await lab.docker(lab.manager, ["service", "ls", "--format", "{{.Name}}"])).stdout
        .trim()
        .split("\n")
        .filter((n) => n.startsWith(`${ENV}-`));
    /** The node a service's running task is on. */
    const nodeOf = async (service: string) =>
      (await lab.docker(lab.manager, ["service", "ps", service, "--filter", "desired-state=running", "--format", "{{.Node}}"])).stdout
        .trim()
        .split("\n")[0];
    /** `count({job})` from a backend's Prometheus query API, inside its task. */
    const count = async (service: string, port: number, job: string) => {
      const body = await inTask(service, [
        "curl",
        "-s",
        "--data-urlencode",
        `query=count({job="${job}"})`,
        `http://127.0.0.1:${port}/api/v1/query`,
      ]);
      const result = JSON.parse(body).data?.result ?? [];
      return result.length > 0 ? Number(result[0].value[1]) : undefined;
    };
    const [worker] = lab.workers;
    const earlier = `app-${worker!.name}`;

    const t0 = Date.now();
    await stack.setConfig("obs-stack:metrics", { value: JSON.stringify({ backend: "prometheus" }) });
    await stack.up({ onOutput: (l) => upLog.push(l) });
    log(`swap to Prometheus: up in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    expect(await services()).toContain(`${ENV}-prometheus`);
    expect(await services()).not.toContain(`${ENV}-victoriametrics`);
    expect(await nodeOf(`${ENV}-prometheus`)).toBe(lab.dataNode.hostname);
    await until("an agent on every node after the swap", async () => ((await replicas(`${ENV}-otel-agent`)) === "3/3" ? true : undefined));
    await sendFrom(worker!, "metrics", 20, { service: "swap-prometheus" });
    const inPrometheus = await until("a worker's metrics in Prometheus", () => count(`${ENV}-prometheus`, 9090, "swap-prometheus"));
    expect(inPrometheus).toBeGreaterThan(0);
    // Traefik rolled to the new routes (its file names Prometheus now): verify passes through it against Prometheus.
    const swapped = await npmVerify();
    expect(swapped.code, swapped.output).toBe(0);
    expect(passedChecks(swapped.output)).toContain("metric → Prometheus");

    const t1 = Date.now();
    await stack.setConfig("obs-stack:metrics", { value: JSON.stringify({ backend: "victoriametrics" }) });
    await stack.up({ onOutput: (l) => upLog.push(l) });
    log(`swap back to VictoriaMetrics: up in ${((Date.now() - t1) / 1000).toFixed(1)} s`);
    expect(await services()).not.toContain(`${ENV}-prometheus`);
    expect(await nodeOf(`${ENV}-victoriametrics`)).toBe(lab.dataNode.hostname);
    // Its data volume outlived the swap (Swarm keeps data volumes): the first story's metrics answer again.
    const kept = await until("VictoriaMetrics' earlier data after the swap back", () => count(`${ENV}-victoriametrics`, 8428, earlier));
    expect(kept).toBeGreaterThan(0);
    await until("an agent on every node after the swap back", async () =>
      (await replicas(`${ENV}-otel-agent`)) === "3/3" ? true : undefined,
    );
    await sendFrom(worker!, "metrics", 20, { service: "swap-back" });
    expect(
      await until("a worker's metrics in VictoriaMetrics after the swap back", () => count(`${ENV}-victoriametrics`, 8428, "swap-back")),
    ).toBeGreaterThan(0);
  }, 600_000);

  it("GIVEN the stack WHEN destroyed THEN every service, config, secret and network is gone and the data volumes stay on the data node", async () => {
    expect(outputs, "up must have succeeded").toBeDefined();
    await stack.destroy({ onOutput: (l) => upLog.push(l) });
    destroyed = true;
    const left = async (kind: string) =>
      (await lab.docker(lab.manager, [kind, "ls", "-q", "--filter", `label=obs.stack=${ENV}`])).stdout.trim().split("\n").filter(Boolean);
    expect((await lab.docker(lab.manager, ["service", "ls", "-q"])).stdout.trim()).toBe("");
    expect(await left("config")).toEqual([]);
    expect(await left("secret")).toEqual([]);
    expect(await left("network")).toEqual([]);
    const volumes = (await lab.docker(lab.dataNode, ["volume", "ls", "-q", "--filter", `label=obs.stack=${ENV}`])).stdout
      .trim()
      .split("\n");
    expect(volumes).toEqual(expect.arrayContaining([`${ENV}-victoriametrics-data`, `${ENV}-jaeger-data`, `${ENV}-victorialogs-data`]));
  }, 300_000);
});
