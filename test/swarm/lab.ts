/**
 * A real multi-node Docker Swarm on this one machine, for the swarm test tier (issue 19).
 *
 * Every node is a `dockerd` (with its own managed containerd) in a network namespace the lab makes:
 *
 *   host netns ── obslab-<name> (veth, <subnet>.1) ─┐
 *                                                    ├─ br0 in netns obslab-<name>-sw (the "switch")
 *   netns obslab-<name>-node1 ── eth0 (<subnet>.11) ─┤   node1 = manager (+ data-node label)
 *   netns obslab-<name>-node2 ── eth0 (<subnet>.12) ─┤   node2 = worker
 *   netns obslab-<name>-node3 ── eth0 (<subnet>.13) ─┘   node3 = worker
 *
 * Why a separate switch netns: node-to-node traffic (Swarm control plane, gossip, VXLAN) is bridged
 * in a namespace whose iptables are empty, so neither the host's nor the main Docker daemon's
 * FORWARD policy (DROP) sees it. The host only has one endpoint address on the lab subnet (the test
 * process reaches published ports at a node's IP); it forwards nothing. The nodes have no default
 * route: traffic stays inside the lab, and the image pull Swarm attempts for every task fails at once
 * ("network is unreachable") instead of waiting on DNS, after which the local image is used.
 *
 * No IPVS on these kernels: Swarm's VIP load balancing and the ingress routing mesh cannot work.
 * Services must use `endpoint_mode: dnsrr` and `mode: host` published ports. `docker swarm init`
 * still creates the default `ingress` overlay (it logs IPVS errors and VIP services converge but
 * their VIP never answers); the lab removes it after init (unless `keepIngress`) so that a service
 * publishing an ingress-mode port fails at once ("service needs ingress network, but no ingress
 * network is present") instead of deploying a port nobody can reach.
 *
 * Teardown is driven by a state file written BEFORE anything is created and by naming conventions
 * (`obslab-<name>-…`), so `destroySwarmLab(name)` cleans up after a crashed or killed run too.
 * Daemons are stopped by their own pid files (SIGTERM, wait, SIGKILL), never by process name.
 * Requires root (network namespaces, dockerd).
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { z } from "zod";

// ---------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------

const NAME_RE = /^[a-z][a-z0-9]{0,7}$/;
const LABEL_KEY_RE = /^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$/;

const optionsSchema = z
  .object({
    /** Lab name: names the netns, veths, cgroups and directory. 1–8 of [a-z0-9], letter first (a
     * host interface name has at most 15 characters: `obslab-<name>`). */
    name: z.string().regex(NAME_RE, "1-8 characters [a-z0-9], starting with a letter"),
    /** Number of nodes; node1 is the manager, the others workers. */
    nodes: z.number().int().min(1).max(9).default(3),
    /** Image tags of the main daemon loaded into every node after the swarm forms. */
    images: z.array(z.string().min(1)).default([]),
    /** Node label marking the data node (placement constraint of the stateful services). */
    dataNodeLabel: z
      .object({
        key: z.string().regex(LABEL_KEY_RE, "a Docker label key: [a-z0-9._-], alphanumeric at both ends"),
        value: z.string().min(1).max(63),
      })
      .default({ key: "obs.data", value: "true" }),
    /** 1-based index of the data node. */
    dataNode: z.number().int().min(1).default(1),
    /** Lab subnet, a /24 (`a.b.c.0/24`); default: the first 198.18.X.0/24 free on this host. */
    subnet: z
      .string()
      .regex(/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.0\/24$/, "a.b.c.0/24")
      .optional(),
    /** Parent of the lab directory (`<baseDir>/<name>`). */
    baseDir: z.string().startsWith("/", "an absolute path").default(defaultBaseDir()),
    /** The main daemon the images are saved from (read only: `docker save`). */
    mainDockerHost: z.string().startsWith("unix://", "a unix:// socket").default(defaultMainHost()),
    /** Keep Swarm's default ingress network (it cannot route without IPVS; see the file comment). */
    keepIngress: z.boolean().default(false),
    /** How long a daemon may take to answer, the swarm to form, a node to drain. */
    timeoutMs: z.number().int().positive().default(90_000),
  })
  .superRefine((o, ctx) => {
    if (o.dataNode > o.nodes) {
      ctx.addIssue({
        code: "custom",
        path: ["dataNode"],
        message: `node ${o.dataNode} does not exist: the lab has ${o.nodes} node(s) (allowed 1..${o.nodes})`,
      });
    }
  });

/** Options of {@link createSwarmLab}; every field but `name` has a default (see the schema). */
export type SwarmLabOptions = z.input<typeof optionsSchema> & {
  /** Progress lines; default: stderr with a `swarm-lab:` prefix. */
  log?: (line: string) => void;
};

export interface LabNode {
  /** `node1`, `node2`, …; node1 is the manager. */
  name: string;
  /** The node's host name, which is also its Swarm hostname: `<lab>-node<i>`. */
  hostname: string;
  role: "manager" | "worker";
  /** Network namespace (`/run/netns/<netns>`). */
  netns: string;
  /** Address on the lab subnet (Swarm advertise address; host-mode ports are reached here). */
  ip: string;
  /** The daemon's socket path. */
  socket: string;
  /** `unix://<socket>`: for `docker -H`, `DOCKER_HOST` or a Pulumi docker provider's `host`. */
  dockerHost: string;
  dataRoot: string;
  execRoot: string;
  pidfile: string;
  logFile: string;
  /** Swarm node id (set once the swarm has formed). */
  swarmNodeId: string;
  /** Whether this node carries the data-node label. */
  isDataNode: boolean;
}

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CommandOptions {
  /** Return the result of a non-zero exit instead of throwing. */
  allowFailure?: boolean;
  timeoutMs?: number;
  /** Written to the command's stdin. */
  input?: string;
}

export interface ImageLoadReport {
  images: string[];
  /** Bytes of the `docker save` stream (each node loads all of them). */
  bytes: number;
  /** Per node: milliseconds from the start of the save to the end of that node's load. */
  perNodeMs: Record<string, number>;
  totalMs: number;
}

export interface LabTimings {
  /** Namespaces, bridge and veths. */
  networkMs: number;
  /** All daemons answering (started in parallel). */
  daemonsMs: number;
  /** swarm init, joins, ingress removal, label, all nodes Ready. */
  swarmMs: number;
  /** Everything but the image load. */
  upMs: number;
  images?: ImageLoadReport;
}

export interface ProcessMemory {
  node: string;
  dockerdPid: number;
  dockerdRssMb: number;
  containerdPid: number | undefined;
  containerdRssMb: number | undefined;
}

export interface TeardownReport {
  name: string;
  /** Whether a state file was found (false: only conventions drove the cleanup). */
  hadState: boolean;
  totalMs: number;
  stoppedDaemons: number;
  /** Daemons that needed SIGKILL after the grace period. */
  killedDaemons: number;
  /** Task (container) processes killed before the daemons are stopped. */
  killedTasks: number;
  /** Other processes killed after the daemons stopped (orphaned shims, docker-proxy, containerd of a crashed daemon). */
  killedLeftovers: number;
  unmounted: number;
  removedNetns: string[];
  /** What is still there (empty on success; destroy throws otherwise). */
  leftovers: string[];
}

export interface SwarmLab {
  readonly name: string;
  /** `<baseDir>/<name>`: daemons' roots, sockets, logs, state.json. */
  readonly dir: string;
  readonly subnet: string;
  /** The host's (test process's) address on the lab subnet. */
  readonly hostIp: string;
  readonly manager: LabNode;
  readonly workers: LabNode[];
  readonly nodes: LabNode[];
  readonly dataNode: LabNode;
  readonly dataNodeLabel: { key: string; value: string };
  readonly timings: LabTimings;
  /** `docker -H <node> …args`; throws (naming node, args, exit code and stderr) unless allowFailure. */
  docker(node: NodeRef, args: string[], opts?: CommandOptions): Promise<CommandResult>;
  /** A command inside the node's network namespace (`nsenter --net=…`). */
  inNetns(node: NodeRef, cmd: string[], opts?: CommandOptions): Promise<CommandResult>;
  /** Loads images from the main daemon into every node (one save streamed to parallel loads). */
  loadImages(images: string[]): Promise<ImageLoadReport>;
  /** Sets availability drain and waits until no task runs on the node any more. */
  drain(node: NodeRef): Promise<void>;
  /** Sets availability active and waits until the manager reports it. */
  activate(node: NodeRef): Promise<void>;
  /** RSS of each node's dockerd and containerd. */
  memory(): ProcessMemory[];
  /** Tears everything down (idempotent); throws if anything is left. */
  destroy(): Promise<TeardownReport>;
}

/** A node, its name (`node2`) or its hostname (`<lab>-node2`). */
export type NodeRef = LabNode | string;

// ---------------------------------------------------------------------------------------------
// Conventions and state
// ---------------------------------------------------------------------------------------------

const PREFIX = "obslab";
const STATE_FILE = "state.json";

function defaultBaseDir(): string {
  return process.env.OBS_SWARM_LAB_DIR ?? "/var/lib/obs-swarm-lab";
}
function defaultMainHost(): string {
  return process.env.DOCKER_HOST?.startsWith("unix://") ? process.env.DOCKER_HOST : "unix:///var/run/docker.sock";
}

/** Names every lab resource is given; also how a stateless cleanup finds them. */
export function labNames(name: string) {
  return {
    switchNetns: `${PREFIX}-${name}-sw`,
    hostLink: `${PREFIX}-${name}`,
    nodeNetns: (i: number) => `${PREFIX}-${name}-node${i}`,
    cgroupParent: (i: number) => `${PREFIX}-${name}-node${i}`,
    /** netns and cgroup names of this lab (node numbers 1..9, and the switch). */
    owned: new RegExp(`^${PREFIX}-${name}-(sw|node[1-9])$`),
  };
}

interface NodeState {
  index: number;
  name: string;
  hostname: string;
  role: "manager" | "worker";
  netns: string;
  ip: string;
  dir: string;
  socket: string;
  dataRoot: string;
  execRoot: string;
  pidfile: string;
  logFile: string;
  cgroupParent: string;
  dockerdPid?: number;
  dockerdStart?: string;
  containerdPid?: number;
  containerdStart?: string;
  swarmNodeId?: string;
}

interface LabState {
  version: 1;
  name: string;
  dir: string;
  ownerPid: number;
  createdAt: string;
  phase: "creating" | "ready" | "destroying";
  subnet: string;
  hostIp: string;
  hostLink: string;
  switchNetns: string;
  dataNode: number;
  dataNodeLabel: { key: string; value: string };
  nodes: NodeState[];
}

function statePath(dir: string): string {
  return path.join(dir, STATE_FILE);
}

function writeState(state: LabState): void {
  const file = statePath(state.dir);
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(state, null, 2) + "\n");
  fs.renameSync(`${file}.tmp`, file);
}

function readState(dir: string): LabState | undefined {
  const file = statePath(dir);
  if (!fs.existsSync(file)) return undefined;
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as LabState;
  } catch {
    return undefined; // a torn write: the conventions still find everything
  }
}

// ---------------------------------------------------------------------------------------------
// Small process helpers
// ---------------------------------------------------------------------------------------------

export class LabCommandError extends Error {
  constructor(
    message: string,
    readonly result: CommandResult,
  ) {
    super(message);
  }
}

/** Runs a command; never uses a shell. */
export function run(cmd: string, args: string[], opts: CommandOptions = {}): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, opts.timeoutMs ?? 120_000);
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.stdin.on("error", () => undefined); // a command that does not read its stdin
    child.stdin.end(opts.input ?? "");
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(new Error(`${cmd}: cannot run: ${err.message}`));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const result = { code: code ?? (signal ? 128 : 1), stdout, stderr };
      if (timedOut) stderr += `\n(killed after ${opts.timeoutMs ?? 120_000} ms)`;
      if (result.code !== 0 && !opts.allowFailure) {
        const what = [cmd, ...args].join(" ");
        reject(
          new LabCommandError(
            `\`${what}\` exited ${result.code}${timedOut ? " (timed out)" : ""}: ${(stderr || stdout).trim().slice(-2000)}`,
            { ...result, stderr },
          ),
        );
      } else resolve({ ...result, stderr });
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Process start time (clock ticks since boot, /proc/<pid>/stat field 22): guards against pid reuse. */
function startTime(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

/** Alive and not a zombie. */
function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

/** The process is still the one recorded (same start time) and its command line names `mustContain`. */
function isOurs(pid: number | undefined, start: string | undefined, mustContain: string): pid is number {
  if (!pid || !alive(pid)) return false;
  if (start && startTime(pid) !== start) return false;
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").includes(mustContain);
  } catch {
    return false;
  }
}

function readPid(file: string): number | undefined {
  try {
    const n = Number(fs.readFileSync(file, "utf8").trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

function rssMb(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Math.round((Number(m[1]) / 1024) * 10) / 10 : undefined;
  } catch {
    return undefined;
  }
}

/** Thrown by a waitFor probe when waiting longer cannot help (e.g. the process died). */
class GiveUp extends Error {}

async function waitFor<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined> | T | undefined,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      if (err instanceof GiveUp) throw err;
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`${what}: not reached within ${timeoutMs} ms${last ? ` (last error: ${String(last)})` : ""}`);
    }
    await sleep(intervalMs);
  }
}

/** One request to a daemon's Engine API over its unix socket. */
function engineApi(socket: string, method: string, apiPath: string, timeoutMs = 5_000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: socket, method, path: apiPath, timeout: timeoutMs }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("timeout", () => req.destroy(new Error(`${method} ${apiPath}: timed out`)));
    req.on("error", reject);
    req.end();
  });
}

function tail(file: string, lines = 15): string {
  try {
    return fs.readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

// ---------------------------------------------------------------------------------------------
// Subnet choice
// ---------------------------------------------------------------------------------------------

type Cidr = { base: number; bits: number };

function parseCidr(s: string): Cidr | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)(?:\/(\d+))?$/.exec(s);
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  if (octets.some((o) => o > 255)) return undefined;
  const bits = m[5] === undefined ? 32 : Number(m[5]);
  if (bits > 32) return undefined;
  const ip = octets.reduce((acc, o) => acc * 256 + o, 0);
  const size = 2 ** (32 - bits);
  return { base: ip - (ip % size), bits };
}

function overlaps(a: Cidr, b: Cidr): boolean {
  const bits = Math.min(a.bits, b.bits);
  const size = 2 ** (32 - bits);
  return Math.floor(a.base / size) === Math.floor(b.base / size);
}

/**
 * Ranges a lab subnet must never overlap, besides the host's own routes and addresses: the pools the
 * nodes' daemons allocate from inside their namespaces (bridge/docker_gwbridge from 172.17-31.x and
 * 192.168.x, Swarm overlays from 10.0.0.0/8), and loopback/link-local/multicast.
 */
const RESERVED: Array<[string, string]> = [
  ["10.0.0.0/8", "Swarm's default overlay address pool"],
  ["172.16.0.0/12", "Docker's default bridge pools (docker0, docker_gwbridge)"],
  ["192.168.0.0/16", "Docker's default bridge pools"],
  ["127.0.0.0/8", "loopback"],
  ["169.254.0.0/16", "link-local"],
  ["224.0.0.0/3", "multicast/reserved"],
  ["0.0.0.0/8", "this network"],
];

async function hostPrefixes(): Promise<Array<{ cidr: Cidr; what: string }>> {
  const out: Array<{ cidr: Cidr; what: string }> = [];
  const routes = JSON.parse((await run("ip", ["-j", "-4", "route", "show", "table", "all"])).stdout || "[]") as Array<{
    dst?: string;
    dev?: string;
    type?: string;
  }>;
  for (const r of routes) {
    if (!r.dst || r.dst === "default") continue;
    const c = parseCidr(r.dst);
    if (c) out.push({ cidr: c, what: `host route ${r.dst}${r.dev ? ` dev ${r.dev}` : ""}` });
  }
  const addrs = JSON.parse((await run("ip", ["-j", "-4", "addr", "show"])).stdout || "[]") as Array<{
    ifname: string;
    addr_info?: Array<{ local: string; prefixlen: number }>;
  }>;
  for (const a of addrs) {
    for (const i of a.addr_info ?? []) {
      const c = parseCidr(`${i.local}/${i.prefixlen}`);
      if (c) out.push({ cidr: c, what: `host address ${i.local}/${i.prefixlen} on ${a.ifname}` });
    }
  }
  return out;
}

/** Subnets claimed by other labs' state files (a crashed lab keeps its claim until it is cleaned). */
function claimedSubnets(baseDir: string, except: string): Array<{ cidr: Cidr; what: string }> {
  if (!fs.existsSync(baseDir)) return [];
  const out: Array<{ cidr: Cidr; what: string }> = [];
  for (const entry of fs.readdirSync(baseDir)) {
    if (entry === except) continue;
    const s = readState(path.join(baseDir, entry));
    const c = s && parseCidr(s.subnet);
    if (c) out.push({ cidr: c, what: `swarm lab "${entry}"` });
  }
  return out;
}

/**
 * The default range is 198.18.0.0/15 (RFC 2544, reserved for network benchmarking labs): outside
 * every Docker default pool and normally absent from a host's routes. The first /24 in it that
 * overlaps no host route/address and no other lab is taken.
 */
async function chooseSubnet(requested: string | undefined, baseDir: string, name: string): Promise<string> {
  const taken = [...(await hostPrefixes()), ...claimedSubnets(baseDir, name)];
  const conflicts = (c: Cidr) => [
    ...RESERVED.filter(([r]) => overlaps(c, parseCidr(r)!)).map(([r, why]) => `${r} (${why})`),
    ...taken.filter((t) => overlaps(c, t.cidr)).map((t) => t.what),
  ];
  if (requested) {
    const c = parseCidr(requested);
    if (!c) throw new Error(`swarm lab: subnet: "${requested}" is not an IPv4 a.b.c.0/24`);
    const why = conflicts(c);
    if (why.length) {
      throw new Error(
        `swarm lab: subnet: "${requested}" overlaps ${why.join(", ")}; allowed: a /24 overlapping none of them (default: a free 198.18.X.0/24)`,
      );
    }
    return requested;
  }
  for (let third = 0; third < 512; third++) {
    const candidate = `198.${18 + Math.floor(third / 256)}.${third % 256}.0/24`;
    if (conflicts(parseCidr(candidate)!).length === 0) return candidate;
  }
  throw new Error("swarm lab: subnet: no free /24 in 198.18.0.0/15; give one with the `subnet` option");
}

// ---------------------------------------------------------------------------------------------
// Create
// ---------------------------------------------------------------------------------------------

function validate(options: SwarmLabOptions) {
  const result = optionsSchema.safeParse(options);
  if (!result.success) throw new Error(`swarm lab: invalid options\n${z.prettifyError(result.error)}`);
  return result.data;
}

async function preflight(mainDockerHost: string, images: string[]): Promise<void> {
  const problems: string[] = [];
  if (process.getuid?.() !== 0) problems.push(`must run as root (uid is ${process.getuid?.()}): netns and dockerd need it`);
  for (const bin of ["dockerd", "docker", "ip", "nsenter", "unshare", "umount", "hostname", "sysctl"]) {
    const found = (process.env.PATH ?? "").split(":").some((d) => d && fs.existsSync(path.join(d, bin)));
    if (!found) problems.push(`\`${bin}\` not found on PATH`);
  }
  // dockerd 20.10 uses a containerd at this address instead of starting its own: the nodes would
  // then share one containerd (and its "moby" namespace) with each other and with the host.
  if (fs.existsSync("/run/containerd/containerd.sock")) {
    problems.push("/run/containerd/containerd.sock exists: dockerd would use that system containerd instead of one per node");
  }
  if (problems.length === 0 && images.length > 0) {
    const socket = mainDockerHost.slice("unix://".length);
    const ping = await engineApi(socket, "GET", "/_ping").catch((e: Error) => ({ status: 0, body: e.message }));
    if (ping.status !== 200) {
      problems.push(`main daemon at ${mainDockerHost} does not answer (${ping.body.trim()}): start it with scripts/docker-engine.sh start`);
    } else {
      const missing: string[] = [];
      for (const image of images) {
        const r = await engineApi(socket, "GET", `/images/${encodeURI(image)}/json`);
        if (r.status !== 200) missing.push(image);
      }
      if (missing.length) {
        problems.push(`images not in the main daemon (${mainDockerHost}): ${missing.join(", ")} (build them: npm run images)`);
      }
    }
  }
  if (problems.length) throw new Error(`swarm lab: cannot start:\n  - ${problems.join("\n  - ")}`);
}

function dockerdArgs(n: NodeState): string[] {
  return [
    "dockerd",
    // its own (empty) config file: the host's /etc/docker/daemon.json is the main daemon's
    "--config-file",
    path.join(n.dir, "daemon.json"),
    "--host",
    `unix://${n.socket}`,
    "--data-root",
    n.dataRoot,
    "--exec-root",
    n.execRoot,
    "--pidfile",
    n.pidfile,
    "--storage-driver",
    "overlay2",
    // container cgroups under a parent named after the lab: found again (and removed) by name
    "--cgroup-parent",
    `/${n.cgroupParent}`,
    // teardown does not wait for each task's 10 s grace period
    "--shutdown-timeout",
    "2",
  ];
}

async function startDaemon(n: NodeState, timeoutMs: number, state: LabState): Promise<void> {
  fs.mkdirSync(n.dataRoot, { recursive: true });
  fs.mkdirSync(n.execRoot, { recursive: true });
  fs.writeFileSync(path.join(n.dir, "daemon.json"), "{}\n");
  const logFd = fs.openSync(n.logFile, "a");
  // nsenter (not `ip netns exec`, which remounts /sys and breaks dockerd's devices cgroup); unshare
  // --uts gives each node its own host name, which Swarm reports as the node's hostname.
  const child = spawn(
    "nsenter",
    [
      `--net=/run/netns/${n.netns}`,
      "--",
      "unshare",
      "--uts",
      "--",
      "/bin/sh",
      "-c",
      'hostname "$0" && exec "$@"',
      n.hostname,
      ...dockerdArgs(n),
    ],
    { detached: true, stdio: ["ignore", logFd, logFd] },
  );
  fs.closeSync(logFd);
  child.unref();
  // nsenter, unshare and sh all exec: the spawned pid becomes dockerd itself.
  n.dockerdPid = child.pid;
  n.dockerdStart = child.pid ? startTime(child.pid) : undefined;
  writeState(state);
  await waitFor(`${n.name}: dockerd answering on ${n.socket}`, timeoutMs, async () => {
    if (!n.dockerdPid || !alive(n.dockerdPid)) {
      throw new GiveUp(`${n.name}: dockerd exited`);
    }
    const r = await engineApi(n.socket, "GET", "/_ping").catch(() => undefined);
    return r?.status === 200 ? true : undefined;
  }).catch((err: Error) => {
    throw new Error(`${err.message}\nlast lines of ${n.logFile}:\n${tail(n.logFile)}`);
  });
  // dockerd's managed containerd: pid file in its exec-root
  const cpid = await waitFor(`${n.name}: containerd pid file`, 10_000, () =>
    readPid(path.join(n.execRoot, "containerd", "containerd.pid")),
  );
  if (!isOurs(cpid, undefined, n.execRoot)) {
    throw new Error(`${n.name}: containerd pid ${cpid} does not run with ${n.execRoot}: not the node's own containerd`);
  }
  n.containerdPid = cpid;
  n.containerdStart = startTime(cpid);
  writeState(state);
}

/**
 * Creates the lab and returns when every node is Ready (and the images are loaded). A lab of the
 * same name left by a crashed run is torn down first; one whose owner process still runs is refused.
 * On any failure everything made so far is torn down before the error is rethrown.
 */
export async function createSwarmLab(options: SwarmLabOptions): Promise<SwarmLab> {
  const o = validate(options);
  const log = options.log ?? ((line: string) => process.stderr.write(`swarm-lab: ${line}\n`));
  const names = labNames(o.name);
  const dir = path.join(o.baseDir, o.name);

  const previous = readState(dir);
  if (previous && previous.ownerPid !== process.pid && alive(previous.ownerPid)) {
    throw new Error(
      `swarm lab "${o.name}": in use by pid ${previous.ownerPid} (state ${statePath(dir)}, phase ${previous.phase}); ` +
        `pick another name, or tear it down with: tsx test/swarm/lab-cli.ts down --name ${o.name}`,
    );
  }
  if (previous || fs.existsSync(dir) || (await leftoversOf(o.name, o.baseDir)).length) {
    log(`a lab "${o.name}" exists (${previous ? `state from pid ${previous.ownerPid}` : "no state"}): tearing it down first`);
    await destroySwarmLab(o.name, { baseDir: o.baseDir, log });
  }
  await preflight(o.mainDockerHost, o.images);

  const subnet = await chooseSubnet(o.subnet, o.baseDir, o.name);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const prefix = subnet.split(".").slice(0, 3).join(".");
  const state: LabState = {
    version: 1,
    name: o.name,
    dir,
    ownerPid: process.pid,
    createdAt: new Date().toISOString(),
    phase: "creating",
    subnet,
    hostIp: `${prefix}.1`,
    hostLink: names.hostLink,
    switchNetns: names.switchNetns,
    dataNode: o.dataNode,
    dataNodeLabel: o.dataNodeLabel,
    nodes: Array.from({ length: o.nodes }, (_, k) => {
      const i = k + 1;
      const nodeDir = path.join(dir, `node${i}`);
      return {
        index: i,
        name: `node${i}`,
        hostname: `${o.name}-node${i}`,
        role: i === 1 ? "manager" : "worker",
        netns: names.nodeNetns(i),
        ip: `${prefix}.${10 + i}`,
        dir: nodeDir,
        socket: path.join(nodeDir, "docker.sock"),
        dataRoot: path.join(nodeDir, "data"),
        execRoot: path.join(nodeDir, "exec"),
        pidfile: path.join(nodeDir, "dockerd.pid"),
        logFile: path.join(nodeDir, "dockerd.log"),
        cgroupParent: names.cgroupParent(i),
      };
    }),
  };
  // The state exists before the first resource does: a crash from here on is cleaned by `down`.
  writeState(state);
  log(`creating lab "${o.name}" on ${subnet} in ${dir}`);

  try {
    const t0 = Date.now();
    await createNetwork(state);
    const networkMs = Date.now() - t0;

    const t1 = Date.now();
    for (const n of state.nodes) fs.mkdirSync(n.dir, { recursive: true });
    await Promise.all(state.nodes.map((n) => startDaemon(n, o.timeoutMs, state)));
    const daemonsMs = Date.now() - t1;
    log(`${state.nodes.length} daemons answering in ${daemonsMs} ms`);

    const t2 = Date.now();
    await formSwarm(state, o.keepIngress, o.timeoutMs);
    const swarmMs = Date.now() - t2;
    state.phase = "ready";
    writeState(state);
    const timings: LabTimings = { networkMs, daemonsMs, swarmMs, upMs: Date.now() - t0 };
    log(`swarm of ${state.nodes.length} ready in ${swarmMs} ms (up ${timings.upMs} ms)`);

    const lab = makeLab(state, timings, o.mainDockerHost, o.timeoutMs, log);
    if (o.images.length) timings.images = await lab.loadImages(o.images);
    return lab;
  } catch (err) {
    log(`creation failed: ${(err as Error).message.split("\n")[0]}; tearing down`);
    await destroySwarmLab(o.name, { baseDir: o.baseDir, log }).catch((e: Error) =>
      log(`teardown after the failure failed too: ${e.message}`),
    );
    throw err;
  }
}

async function ip(args: string[]): Promise<void> {
  await run("ip", args, { timeoutMs: 15_000 });
}

async function createNetwork(s: LabState): Promise<void> {
  const sw = s.switchNetns;
  const prefixLen = "/24";
  await ip(["netns", "add", sw]);
  await ip(["-n", sw, "link", "set", "lo", "up"]);
  await ip(["-n", sw, "link", "add", "br0", "type", "bridge"]);
  await ip(["-n", sw, "link", "set", "br0", "up"]);
  // Bridged frames are not handed to iptables here (br_netfilter is per namespace): the switch is
  // a plain L2 switch whatever the host's settings.
  await run("nsenter", [`--net=/run/netns/${sw}`, "sysctl", "-q", "-w", "net.bridge.bridge-nf-call-iptables=0"], {
    allowFailure: true,
  });
  // host endpoint: obslab-<name> in the host netns, its peer `host` on the switch
  await ip(["link", "add", s.hostLink, "type", "veth", "peer", "name", "host", "netns", sw]);
  await ip(["-n", sw, "link", "set", "host", "master", "br0", "up"]);
  await ip(["addr", "add", `${s.hostIp}${prefixLen}`, "dev", s.hostLink]);
  await ip(["link", "set", s.hostLink, "up"]);
  for (const n of s.nodes) {
    await ip(["netns", "add", n.netns]);
    await ip(["-n", n.netns, "link", "set", "lo", "up"]);
    // created directly inside the two namespaces: no temporary name in the host netns
    await ip(["-n", sw, "link", "add", n.name, "type", "veth", "peer", "name", "eth0", "netns", n.netns]);
    await ip(["-n", sw, "link", "set", n.name, "master", "br0", "up"]);
    await ip(["-n", n.netns, "addr", "add", `${n.ip}${prefixLen}`, "dev", "eth0"]);
    await ip(["-n", n.netns, "link", "set", "eth0", "up"]);
  }
}

async function dockerOn(n: NodeState, args: string[], opts: CommandOptions = {}): Promise<CommandResult> {
  try {
    return await run("docker", ["-H", `unix://${n.socket}`, ...args], { timeoutMs: 120_000, ...opts });
  } catch (err) {
    if (err instanceof LabCommandError) throw new LabCommandError(`${n.name}: ${err.message}`, err.result);
    throw err;
  }
}

interface SwarmNodeInfo {
  ID: string;
  Description: { Hostname: string };
  Spec: { Role: string; Availability: string; Labels?: Record<string, string> };
  Status: { State: string; Addr?: string };
  ManagerStatus?: { Leader?: boolean };
}

async function swarmNodes(manager: NodeState): Promise<SwarmNodeInfo[]> {
  const r = await engineApi(manager.socket, "GET", "/nodes");
  if (r.status !== 200) throw new Error(`GET /nodes on ${manager.name}: ${r.status} ${r.body.trim()}`);
  return JSON.parse(r.body) as SwarmNodeInfo[];
}

async function formSwarm(s: LabState, keepIngress: boolean, timeoutMs: number): Promise<void> {
  const [manager, ...workers] = s.nodes;
  await dockerOn(manager, ["swarm", "init", "--advertise-addr", manager.ip, "--listen-addr", `${manager.ip}:2377`]);
  const token = (await dockerOn(manager, ["swarm", "join-token", "-q", "worker"])).stdout.trim();
  await Promise.all(
    workers.map((w) =>
      dockerOn(w, ["swarm", "join", "--token", token, "--advertise-addr", w.ip, "--listen-addr", `${w.ip}:2377`, `${manager.ip}:2377`]),
    ),
  );
  for (const n of s.nodes) {
    const info = JSON.parse((await engineApi(n.socket, "GET", "/info")).body) as { Swarm: { NodeID: string } };
    n.swarmNodeId = info.Swarm.NodeID;
  }
  writeState(s);
  if (!keepIngress) {
    // The manager creates the default ingress network asynchronously after init: wait for it to
    // exist (a 404 before that would look like success), then delete it and wait until it is gone.
    const ingress = async () => {
      const list = await engineApi(manager.socket, "GET", "/networks");
      const nets = JSON.parse(list.body) as Array<{ Id: string; Name: string; Ingress?: boolean }>;
      return nets.find((x) => x.Ingress || x.Name === "ingress");
    };
    const found = await waitFor("default ingress network created", 20_000, ingress).catch(() => undefined);
    if (found) {
      await waitFor("ingress network removed", timeoutMs, async () => {
        const r = await engineApi(manager.socket, "DELETE", `/networks/${found.Id}`);
        if (r.status >= 300 && r.status !== 404) throw new Error(`DELETE /networks/${found.Id}: ${r.status} ${r.body.trim()}`);
        return (await ingress()) ? undefined : true;
      });
    }
  }
  const data = s.nodes[s.dataNode - 1];
  await dockerOn(manager, ["node", "update", "--label-add", `${s.dataNodeLabel.key}=${s.dataNodeLabel.value}`, data.swarmNodeId!]);
  await waitFor(`all ${s.nodes.length} nodes Ready`, timeoutMs, async () => {
    const nodes = await swarmNodes(manager);
    return nodes.length === s.nodes.length && nodes.every((n) => n.Status.State === "ready") ? true : undefined;
  });
}

function makeLab(state: LabState, timings: LabTimings, mainDockerHost: string, timeoutMs: number, log: (line: string) => void): SwarmLab {
  const toNode = (n: NodeState): LabNode => ({
    name: n.name,
    hostname: n.hostname,
    role: n.role,
    netns: n.netns,
    ip: n.ip,
    socket: n.socket,
    dockerHost: `unix://${n.socket}`,
    dataRoot: n.dataRoot,
    execRoot: n.execRoot,
    pidfile: n.pidfile,
    logFile: n.logFile,
    swarmNodeId: n.swarmNodeId ?? "",
    isDataNode: n.index === state.dataNode,
  });
  const nodes = state.nodes.map(toNode);
  const resolve = (ref: NodeRef): NodeState => {
    const key = typeof ref === "string" ? ref : ref.name;
    const found = state.nodes.find((n) => n.name === key || n.hostname === key);
    if (!found) {
      throw new Error(`swarm lab "${state.name}": node "${key}" does not exist (allowed: ${state.nodes.map((n) => n.name).join(", ")})`);
    }
    return found;
  };
  const manager = state.nodes[0];
  let destroyed: Promise<TeardownReport> | undefined;

  const lab: SwarmLab = {
    name: state.name,
    dir: state.dir,
    subnet: state.subnet,
    hostIp: state.hostIp,
    manager: nodes[0],
    workers: nodes.slice(1),
    nodes,
    dataNode: nodes[state.dataNode - 1],
    dataNodeLabel: state.dataNodeLabel,
    timings,
    docker: (node, args, opts) => dockerOn(resolve(node), args, opts),
    inNetns: (node, cmd, opts) => run("nsenter", [`--net=/run/netns/${resolve(node).netns}`, "--", ...cmd], opts),
    async loadImages(images) {
      const report = await loadImages(state.nodes, images, mainDockerHost);
      log(
        `loaded ${images.length} image(s), ${(report.bytes / 1e6).toFixed(1)} MB, into ${state.nodes.length} nodes in ${report.totalMs} ms ` +
          `(${Object.entries(report.perNodeMs)
            .map(([k, v]) => `${k} ${v} ms`)
            .join(", ")})`,
      );
      return report;
    },
    async drain(node) {
      const n = resolve(node);
      await dockerOn(manager, ["node", "update", "--availability", "drain", n.swarmNodeId!]);
      await waitFor(`${n.name} drained (no running task left)`, timeoutMs, async () => {
        const r = await engineApi(manager.socket, "GET", `/tasks?filters=${encodeURIComponent(JSON.stringify({ node: [n.swarmNodeId] }))}`);
        const tasks = JSON.parse(r.body) as Array<{ Status: { State: string } }>;
        return tasks.some((t) => ["running", "starting", "preparing", "assigned", "accepted", "ready"].includes(t.Status.State))
          ? undefined
          : true;
      });
    },
    async activate(node) {
      const n = resolve(node);
      await dockerOn(manager, ["node", "update", "--availability", "active", n.swarmNodeId!]);
      await waitFor(`${n.name} active`, timeoutMs, async () => {
        const info = (await swarmNodes(manager)).find((x) => x.ID === n.swarmNodeId);
        return info?.Spec.Availability === "active" && info.Status.State === "ready" ? true : undefined;
      });
    },
    memory() {
      return state.nodes.map((n) => ({
        node: n.name,
        dockerdPid: n.dockerdPid!,
        dockerdRssMb: rssMb(n.dockerdPid) ?? 0,
        containerdPid: n.containerdPid,
        containerdRssMb: rssMb(n.containerdPid),
      }));
    },
    destroy() {
      destroyed ??= destroySwarmLab(state.name, { baseDir: path.dirname(state.dir), log });
      return destroyed;
    },
  };
  return lab;
}

/**
 * One `docker save` of the main daemon streamed into one `docker load` per node, all at once: the
 * main daemon exports once, and the loads (tar extraction, sha256) overlap on the two cores.
 */
async function loadImages(nodes: NodeState[], images: string[], mainDockerHost: string): Promise<ImageLoadReport> {
  if (images.length === 0) return { images, bytes: 0, perNodeMs: {}, totalMs: 0 };
  const t0 = Date.now();
  const save = spawn("docker", ["-H", mainDockerHost, "save", ...images], { stdio: ["ignore", "pipe", "pipe"] });
  let saveErr = "";
  save.stderr.on("data", (d: Buffer) => (saveErr += d.toString()));
  let bytes = 0;
  const perNodeMs: Record<string, number> = {};
  const loads = nodes.map((n) => {
    const child = spawn("docker", ["-H", `unix://${n.socket}`, "load"], { stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    child.stdin.on("error", () => undefined); // reported through the exit code below
    const done = new Promise<void>((resolve, reject) => {
      child.on("error", reject);
      child.on("close", (code) => {
        perNodeMs[n.name] = Date.now() - t0;
        if (code === 0) resolve();
        else reject(new Error(`${n.name}: docker load exited ${code}: ${out.trim().slice(-500)}`));
      });
    });
    return { child, done };
  });
  // Back-pressure: the save stream pauses while any load's stdin is full.
  let waiting = 0;
  save.stdout.on("data", (chunk: Buffer) => {
    bytes += chunk.length;
    for (const { child } of loads) {
      if (child.stdin.destroyed) continue;
      if (!child.stdin.write(chunk)) {
        waiting++;
        child.stdin.once("drain", () => {
          if (--waiting === 0) save.stdout.resume();
        });
      }
    }
    if (waiting > 0) save.stdout.pause();
  });
  save.stdout.on("end", () => loads.forEach(({ child }) => child.stdin.end()));
  const saved = new Promise<void>((resolve, reject) => {
    save.on("error", reject);
    save.on("close", (code) =>
      code === 0 ? resolve() : reject(new Error(`docker save ${images.join(" ")} exited ${code}: ${saveErr.trim()}`)),
    );
  });
  try {
    await Promise.all([saved, ...loads.map((l) => l.done)]);
  } catch (err) {
    // one side failed: stop the others (a dead load would otherwise never drain the stream)
    for (const p of [save, ...loads.map((l) => l.child)]) if (p.exitCode === null) p.kill("SIGKILL");
    throw err;
  }
  // every node must now have every image
  const missing: string[] = [];
  for (const n of nodes) {
    for (const image of images) {
      const r = await engineApi(n.socket, "GET", `/images/${encodeURI(image)}/json`);
      if (r.status !== 200) missing.push(`${image} on ${n.name}`);
    }
  }
  if (missing.length) throw new Error(`image load: missing after load: ${missing.join(", ")}`);
  return { images, bytes, perNodeMs, totalMs: Date.now() - t0 };
}

// ---------------------------------------------------------------------------------------------
// Destroy
// ---------------------------------------------------------------------------------------------

function netnsInode(ns: string): number | undefined {
  try {
    return fs.statSync(`/run/netns/${ns}`).ino;
  } catch {
    return undefined;
  }
}

function existingNetns(name: string): string[] {
  const owned = labNames(name).owned;
  try {
    return fs.readdirSync("/run/netns").filter((f) => owned.test(f));
  } catch {
    return [];
  }
}

function cgroupRoots(): string[] {
  const roots = new Set<string>();
  const base = "/sys/fs/cgroup";
  try {
    if (fs.existsSync(path.join(base, "cgroup.procs"))) roots.add(base); // cgroup v2 at the top
    for (const entry of fs.readdirSync(base)) {
      const p = path.join(base, entry);
      try {
        if (fs.statSync(p).isDirectory() && fs.existsSync(path.join(p, "cgroup.procs"))) roots.add(fs.realpathSync(p));
      } catch {
        /* vanished */
      }
    }
  } catch {
    /* no cgroupfs */
  }
  return [...roots];
}

/** Our cgroup directories: `<hierarchy>/obslab-<name>-node<i>`. */
function labCgroups(name: string): string[] {
  const owned = labNames(name).owned;
  const out: string[] = [];
  for (const root of cgroupRoots()) {
    try {
      for (const entry of fs.readdirSync(root)) if (owned.test(entry)) out.push(path.join(root, entry));
    } catch {
      /* unreadable hierarchy */
    }
  }
  return out;
}

function cgroupPids(dirs: string[]): Set<number> {
  const pids = new Set<number>();
  const walk = (d: string) => {
    try {
      for (const line of fs.readFileSync(path.join(d, "cgroup.procs"), "utf8").split("\n")) {
        const n = Number(line);
        if (n > 0) pids.add(n);
      }
      for (const e of fs.readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(path.join(d, e.name));
    } catch {
      /* gone */
    }
  };
  dirs.forEach(walk);
  return pids;
}

/**
 * Processes inside one of the lab's network namespaces (dockerd, containerd, shims, docker-proxy,
 * host-network tasks), in its cgroups (container processes), or whose command line names a node's
 * data-root or exec-root (e.g. a shim whose containerd was killed). A `tail -f` of a lab log is not
 * one of them.
 */
function labProcesses(nsInodes: Set<number>, dir: string, cgroupDirs: string[]): Set<number> {
  const pids = cgroupPids(cgroupDirs);
  const rootArg = new RegExp(`^${escapeRegExp(dir)}/node[1-9]/(exec|data)(/|$)`);
  for (const entry of fs.readdirSync("/proc")) {
    const pid = Number(entry);
    if (!pid || pid === process.pid) continue;
    try {
      const ns = fs.readlinkSync(`/proc/${pid}/ns/net`);
      const ino = Number(/\[(\d+)\]/.exec(ns)?.[1]);
      if (nsInodes.has(ino)) {
        pids.add(pid);
        continue;
      }
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
      if (cmd.some((a) => rootArg.test(a))) pids.add(pid);
    } catch {
      /* exited, or a kernel thread */
    }
  }
  for (const pid of [...pids]) if (!alive(pid)) pids.delete(pid);
  return pids;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

function mountsUnder(dir: string): string[] {
  const mounts = fs
    .readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((l) => unescapeMount(l.split(" ")[4] ?? ""))
    .filter((m) => m === dir || m.startsWith(`${dir}/`));
  return [...new Set(mounts)].sort((a, b) => b.length - a.length); // deepest first
}

function hostLinkExists(link: string): boolean {
  return fs.existsSync(`/sys/class/net/${link}`);
}

/** Everything of lab `name` still present on the machine (what `destroy` must have removed). */
export async function leftoversOf(name: string, baseDir = defaultBaseDir()): Promise<string[]> {
  const n = labNames(name);
  const dir = path.join(baseDir, name);
  const state = readState(dir);
  const out: string[] = [];
  for (const ns of existingNetns(name)) out.push(`netns ${ns}`);
  if (hostLinkExists(n.hostLink)) out.push(`host link ${n.hostLink}`);
  for (const node of state?.nodes ?? []) {
    if (isOurs(node.dockerdPid, node.dockerdStart, dir)) out.push(`dockerd pid ${node.dockerdPid} (${node.name})`);
    if (isOurs(node.containerdPid, node.containerdStart, dir)) out.push(`containerd pid ${node.containerdPid} (${node.name})`);
  }
  const nsInodes = new Set(
    existingNetns(name)
      .map(netnsInode)
      .filter((x): x is number => x !== undefined),
  );
  const cgroups = labCgroups(name);
  for (const pid of labProcesses(nsInodes, dir, cgroups)) {
    const what = (() => {
      try {
        return fs.readFileSync(`/proc/${pid}/comm`, "utf8").trim();
      } catch {
        return "?";
      }
    })();
    const line = `process ${pid} (${what})`;
    if (!out.some((l) => l.includes(`pid ${pid} `))) out.push(line);
  }
  for (const m of mountsUnder(dir)) out.push(`mount ${m}`);
  for (const c of cgroups) out.push(`cgroup ${c}`);
  if (fs.existsSync(dir)) out.push(`directory ${dir}`);
  return out;
}

async function stopProcess(pid: number, graceMs: number): Promise<"stopped" | "killed" | "gone"> {
  if (!alive(pid)) return "gone";
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    return "gone";
  }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!alive(pid)) return "stopped";
    await sleep(100);
  }
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    /* just exited */
  }
  for (let i = 0; i < 50 && alive(pid); i++) await sleep(100);
  return "killed";
}

/**
 * Tears down lab `name`: by its state file when there is one, and by the naming conventions
 * either way (so a crash before or while the state was written is cleaned too). Idempotent.
 * Never touches a process, namespace, link or mount that is not the lab's. Throws, listing them,
 * if anything is left.
 */
export async function destroySwarmLab(
  name: string,
  opts: { baseDir?: string; log?: (line: string) => void } = {},
): Promise<TeardownReport> {
  if (!NAME_RE.test(name)) throw new Error(`swarm lab: name: "${name}" is not a lab name (1-8 of [a-z0-9], letter first)`);
  const log = opts.log ?? ((line: string) => process.stderr.write(`swarm-lab: ${line}\n`));
  const baseDir = opts.baseDir ?? defaultBaseDir();
  const dir = path.join(baseDir, name);
  const names = labNames(name);
  const t0 = Date.now();
  const state = readState(dir);
  if (state) {
    state.phase = "destroying";
    try {
      writeState(state);
    } catch {
      /* read-only or half-removed dir: carry on */
    }
  }
  const report: TeardownReport = {
    name,
    hadState: state !== undefined,
    totalMs: 0,
    stoppedDaemons: 0,
    killedDaemons: 0,
    killedTasks: 0,
    killedLeftovers: 0,
    unmounted: 0,
    removedNetns: [],
    leftovers: [],
  };

  // 1. Task processes first (SIGKILL; they are in the lab's cgroups): a daemon shutting down waits
  //    out each task's stop grace period (10 s by default, a busybox PID 1 ignores SIGTERM); the lab
  //    is disposable, and a task's restart delay (5 s) is longer than the moment until SIGTERM.
  for (const pid of cgroupPids(labCgroups(name))) {
    try {
      process.kill(pid, "SIGKILL");
      report.killedTasks++;
    } catch {
      /* gone */
    }
  }

  // 2. dockerd, by its pid file (or the pid recorded at spawn), only if it still is our process.
  const nodes = state?.nodes ?? [];
  const daemonPids = nodes
    .map((n) => {
      const fromFile = readPid(n.pidfile);
      if (isOurs(fromFile, undefined, n.dir)) return fromFile;
      return isOurs(n.dockerdPid, n.dockerdStart, n.dir) ? n.dockerdPid : undefined;
    })
    .filter((p): p is number => p !== undefined);
  const stopped = await Promise.all(daemonPids.map((p) => stopProcess(p, 20_000)));
  report.stoppedDaemons = stopped.filter((s) => s === "stopped").length;
  report.killedDaemons = stopped.filter((s) => s === "killed").length;

  // 3. containerd (dockerd stops it on a clean shutdown; after a crash it may be orphaned)
  for (const n of nodes) {
    const fromFile = readPid(path.join(n.execRoot, "containerd", "containerd.pid"));
    for (const pid of new Set([fromFile, n.containerdPid])) {
      if (isOurs(pid, pid === n.containerdPid ? n.containerdStart : undefined, n.execRoot)) {
        const r = await stopProcess(pid, 5_000);
        if (r === "killed") report.killedLeftovers++;
      }
    }
  }

  // 4. anything else of ours: processes in the lab's netns (shims, docker-proxy, host-network tasks),
  //    in its cgroups (container processes), or naming its directory.
  const netnsList = existingNetns(name);
  const nsInodes = new Set(netnsList.map(netnsInode).filter((x): x is number => x !== undefined));
  for (let pass = 0; pass < 3; pass++) {
    const pids = labProcesses(nsInodes, dir, labCgroups(name));
    if (pids.size === 0) break;
    for (const pid of pids) {
      try {
        process.kill(pid, "SIGKILL");
        report.killedLeftovers++;
      } catch {
        /* gone */
      }
    }
    await sleep(300);
  }

  // 5. mounts under the lab directory (overlay2 merged dirs, netns bind mounts, the data-root bind)
  for (let pass = 0; pass < 3; pass++) {
    const mounts = mountsUnder(dir);
    if (mounts.length === 0) break;
    for (const m of mounts) {
      const r = await run("umount", [m], { allowFailure: true, timeoutMs: 15_000 });
      if (r.code !== 0) await run("umount", ["-l", m], { allowFailure: true, timeoutMs: 15_000 });
      if (!mountsUnder(dir).includes(m)) report.unmounted++;
    }
  }

  // 6. links and namespaces: the host veth first (its peer dies with the switch netns, but the
  //    kernel frees a namespace asynchronously), then the node namespaces, then the switch.
  if (hostLinkExists(names.hostLink)) await run("ip", ["link", "del", names.hostLink], { allowFailure: true });
  const ordered = [...netnsList.filter((n) => n !== names.switchNetns), ...netnsList.filter((n) => n === names.switchNetns)];
  for (const ns of ordered) {
    const r = await run("ip", ["netns", "del", ns], { allowFailure: true });
    if (r.code === 0) report.removedNetns.push(ns);
  }

  // 7. cgroup directories (empty now: rmdir, deepest first)
  const rmdirTree = (d: string) => {
    try {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) rmdirTree(path.join(d, e.name));
      fs.rmdirSync(d);
    } catch {
      /* reported as a leftover */
    }
  };
  labCgroups(name).forEach(rmdirTree);

  // 8. the directory, only when nothing is mounted below it any more
  if (fs.existsSync(dir) && mountsUnder(dir).length === 0) fs.rmSync(dir, { recursive: true, force: true });
  try {
    fs.rmdirSync(baseDir); // the shared parent too, once no lab is left in it
  } catch {
    /* another lab's directory, or already gone */
  }

  report.leftovers = await waitFor(
    "teardown settled",
    10_000,
    async () => {
      const left = await leftoversOf(name, baseDir);
      return left.length === 0 ? left : undefined;
    },
    200,
  ).catch(() => leftoversOf(name, baseDir));
  report.totalMs = Date.now() - t0;
  if (report.leftovers.length) {
    throw new Error(`swarm lab "${name}": teardown left:\n  - ${report.leftovers.join("\n  - ")}`);
  }
  if (state || report.removedNetns.length) log(`lab "${name}" torn down in ${report.totalMs} ms`);
  return report;
}

// ---------------------------------------------------------------------------------------------
// Status
// ---------------------------------------------------------------------------------------------

export interface LabStatus {
  name: string;
  dir: string;
  phase: LabState["phase"] | "no state";
  ownerPid?: number;
  subnet?: string;
  nodes: Array<{
    name: string;
    hostname: string;
    role: string;
    ip: string;
    dockerHost: string;
    dockerd: "running" | "stopped";
    dockerdRssMb?: number;
    containerdRssMb?: number;
  }>;
  /** `docker node ls` on the manager, when it answers. */
  swarm?: Array<{ hostname: string; role: string; state: string; availability: string; labels: Record<string, string> }>;
  leftovers: string[];
}

/** Labs with a directory under baseDir. */
export function listLabs(baseDir = defaultBaseDir()): string[] {
  if (!fs.existsSync(baseDir)) return [];
  return fs.readdirSync(baseDir).filter((e) => NAME_RE.test(e) && fs.statSync(path.join(baseDir, e)).isDirectory());
}

export async function labStatus(name: string, baseDir = defaultBaseDir()): Promise<LabStatus> {
  const dir = path.join(baseDir, name);
  const state = readState(dir);
  const status: LabStatus = {
    name,
    dir,
    phase: state?.phase ?? "no state",
    ownerPid: state?.ownerPid,
    subnet: state?.subnet,
    nodes: (state?.nodes ?? []).map((n) => {
      const running = isOurs(n.dockerdPid, n.dockerdStart, n.dir);
      return {
        name: n.name,
        hostname: n.hostname,
        role: n.role,
        ip: n.ip,
        dockerHost: `unix://${n.socket}`,
        dockerd: running ? "running" : "stopped",
        dockerdRssMb: running ? rssMb(n.dockerdPid) : undefined,
        containerdRssMb: isOurs(n.containerdPid, n.containerdStart, n.execRoot) ? rssMb(n.containerdPid) : undefined,
      };
    }),
    leftovers: state ? [] : await leftoversOf(name, baseDir),
  };
  const manager = state?.nodes[0];
  if (manager) {
    try {
      status.swarm = (await swarmNodes(manager)).map((n) => ({
        hostname: n.Description.Hostname,
        role: n.Spec.Role,
        state: n.Status.State,
        availability: n.Spec.Availability,
        labels: n.Spec.Labels ?? {},
      }));
    } catch {
      /* manager not answering */
    }
  }
  return status;
}

/** `$TOOLS_DIR/images.json` (role -> local tag), written by scripts/build-images.sh. */
export function localImages(toolsDir = process.env.TOOLS_DIR ?? path.join(os.homedir(), ".cache/obs-stack/tools")): Record<string, string> {
  const file = path.join(toolsDir, "images.json");
  if (!fs.existsSync(file)) return {};
  return JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, string>;
}
