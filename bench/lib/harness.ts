import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";

/** Where scripts/install-components.sh put the real binaries. */
export const TOOLS_BIN = process.env.TOOLS_DIR
  ? path.join(process.env.TOOLS_DIR, "bin")
  : path.resolve(__dirname, "..", "..", ".tools", "bin");

export function binary(name: string): string {
  const file = path.join(TOOLS_BIN, name);
  if (!fs.existsSync(file)) {
    throw new Error(`${file} is missing: run \`npm run components\` (scripts/install-components.sh) first`);
  }
  return file;
}

export function hasBinary(name: string): boolean {
  return fs.existsSync(path.join(TOOLS_BIN, name));
}

const handedOut = new Set<number>();

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/**
 * A free TCP port on 127.0.0.1, picked BELOW the kernel's ephemeral range (32768+): a port the
 * kernel handed out itself can be taken again by an outgoing connection before our process binds it.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (handedOut.has(port)) continue;
    if (await canBind(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error("no free port found in 20000-32000");
}

export async function freePorts<K extends string>(names: readonly K[]): Promise<Record<K, number>> {
  const ports = {} as Record<K, number>;
  const taken = new Set<number>();
  for (const name of names) {
    let port = await freePort();
    while (taken.has(port)) port = await freePort();
    taken.add(port);
    ports[name] = port;
  }
  return ports;
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `obs-${prefix}-`));
}

export interface Proc {
  name: string;
  child: ChildProcess;
  /** Everything it printed so far. */
  output(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when it exited. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL at once (crash simulation). */
  kill9(): Promise<void>;
  exited(): boolean;
  pid: number;
}

const running = new Set<Proc>();

export function start(name: string, command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Proc {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const keep = (chunk: Buffer) => {
    out += chunk.toString();
    if (out.length > 2_000_000) out = out.slice(-1_000_000);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  let done = false;
  const exit = new Promise<void>((resolve) => child.on("exit", () => ((done = true), resolve())));
  const proc: Proc = {
    name,
    child,
    pid: child.pid!,
    output: () => out,
    exited: () => done,
    async stop(graceMs = 10_000) {
      if (done) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exit;
      clearTimeout(timer);
      running.delete(proc);
    },
    async kill9() {
      if (done) return;
      child.kill("SIGKILL");
      await exit;
      running.delete(proc);
    },
  };
  running.add(proc);
  return proc;
}

export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((p) => p.stop(5_000)));
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Poll `check` until it returns a value (not undefined) or time runs out. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await sleep(everyMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ""}`);
}

export async function waitHttpOk(url: string, proc?: Proc, timeoutMs = 60_000): Promise<void> {
  await waitFor(
    `${url} to answer 200${proc ? ` (${proc.name})` : ""}`,
    async () => {
      if (proc?.exited()) throw new Error(`${proc.name} exited:\n${proc.output().slice(-3000)}`);
      const response = await fetch(url);
      return response.ok ? true : undefined;
    },
    timeoutMs,
  );
}

/** Resident set size of a process in MB (Linux /proc). */
export function rssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const match = /VmRSS:\s+(\d+) kB/.exec(status);
  return match ? Number(match[1]) / 1024 : 0;
}

/** Peak RSS (VmHWM) of a process in MB. */
export function peakRssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const match = /VmHWM:\s+(\d+) kB/.exec(status);
  return match ? Number(match[1]) / 1024 : 0;
}

/** PromQL instant query against a Prometheus-compatible API. */
export async function promQuery(
  base: string,
  query: string,
  time?: number,
): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
  const params = new URLSearchParams({ query });
  if (time !== undefined) params.set("time", String(time));
  // nocache: VictoriaMetrics would otherwise serve a cached answer from before the data arrived.
  params.set("nocache", "1");
  const response = await fetch(`${base}/api/v1/query?${params}`);
  const body = (await response.json()) as { status: string; data?: { result: any[] }; error?: string };
  if (body.status !== "success") throw new Error(`query ${query} failed: ${body.error ?? response.status}`);
  return body.data!.result;
}

/**
 * A cgroup (v1 memory controller) with a hard memory limit, like Docker's `memory`: a process
 * started inside it is OOM-killed when it goes over, just as in the container. Undefined where
 * this machine does not let us create one.
 */
export function memoryCgroup(limitMb: number): { dir: string; oomKills(): number; remove(): void } | undefined {
  try {
    const line = fs
      .readFileSync("/proc/self/cgroup", "utf8")
      .split("\n")
      .find((l) => /:memory:/.test(l));
    if (!line) return undefined;
    const base = path.join("/sys/fs/cgroup/memory", line.split(":")[2]!);
    const dir = path.join(base, `obs-test-${process.pid}-${Date.now()}`);
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, "memory.limit_in_bytes"), String(limitMb * 1024 * 1024));
    // No swap beyond the limit (Docker's memorySwap = memory, as the program sets it).
    try {
      fs.writeFileSync(path.join(dir, "memory.memsw.limit_in_bytes"), String(limitMb * 1024 * 1024));
    } catch {
      /* swap accounting off: nothing to cap */
    }
    return {
      dir,
      oomKills: () => {
        const control = fs.readFileSync(path.join(dir, "memory.oom_control"), "utf8");
        const match = /oom_kill (\d+)/.exec(control);
        return match ? Number(match[1]) : Number(fs.readFileSync(path.join(dir, "memory.failcnt"), "utf8")) > 0 ? -1 : 0;
      },
      remove: () => {
        try {
          fs.rmdirSync(dir);
        } catch {
          /* still has a process: the OS removes nothing, leave it */
        }
      },
    };
  } catch {
    return undefined;
  }
}

/**
 * A cgroup (v1 cpu controller) with a CFS quota of `cpus` cores, like Docker's `--cpus`: a process
 * inside it gets at most that much CPU time per 100 ms period. Undefined where none can be created.
 */
export function cpuCgroup(cpus: number): { dir: string; throttledS(): number; remove(): void } | undefined {
  try {
    const line = fs
      .readFileSync("/proc/self/cgroup", "utf8")
      .split("\n")
      .find((l) => /:cpu(,cpuacct)?:/.test(l) || /:cpuacct,cpu:/.test(l));
    if (!line) return undefined;
    const base = path.join("/sys/fs/cgroup/cpu", line.split(":")[2]!);
    const dir = path.join(base, `obs-test-${process.pid}-${Date.now()}`);
    fs.mkdirSync(dir);
    const periodUs = 100_000;
    fs.writeFileSync(path.join(dir, "cpu.cfs_period_us"), String(periodUs));
    fs.writeFileSync(path.join(dir, "cpu.cfs_quota_us"), String(Math.round(cpus * periodUs)));
    return {
      dir,
      throttledS: () => {
        const stat = fs.readFileSync(path.join(dir, "cpu.stat"), "utf8");
        return Number(/throttled_time (\d+)/.exec(stat)?.[1] ?? 0) / 1e9;
      },
      remove: () => {
        try {
          fs.rmdirSync(dir);
        } catch {
          /* still has a process: leave it */
        }
      },
    };
  } catch {
    return undefined;
  }
}

/** Peak memory charged to a cgroup, MB. */
export function cgroupPeakMb(dir: string): number {
  return Number(fs.readFileSync(path.join(dir, "memory.max_usage_in_bytes"), "utf8")) / 1024 / 1024;
}

/**
 * Run a bench script's `main`: exit 0 when it ends, 1 on an error, 130 on SIGINT/SIGTERM; every
 * process the bench started is stopped on the way out.
 */
export function runBench(main: () => Promise<void>): void {
  let stopping = false;
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      void stopAll().finally(() => process.exit(130));
    });
  }
  main().then(
    () => process.exit(0),
    async (error) => {
      console.error(error);
      await stopAll();
      process.exit(1);
    },
  );
}
