/**
 * The processes under test: the backends as the program plans them, and a collector (ours as the
 * program renders it, or the seeds' baseline) inside a memory cgroup limited like its container.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { binary, cpuCgroup, freePorts, memoryCgroup, Proc, start, tempDir, waitHttpOk } from "./harness";
import { LoopbackStack, RunningBackend, startBackend } from "./stack";
import { cgroupStat, CgroupStat, scrape, MetricSample } from "./measure";

/** ours = the program's config; ours-no-pq = the same with `collector.persistentQueue: false`; baseline = the seeds'. */
export type Variant = "ours" | "ours-no-pq" | "baseline";

/**
 * The Go runtime env a config's collector runs with, once its rendered config is checked to be the
 * variant it claims (ours has the persistent queue, `persistentQueue: false` has none): the program's
 * (GOMEMLIMIT, GOGC) for ours, none for the baseline (the seeds set none). Used by bench/lib/bring-up.ts
 * and bench/profile.ts.
 */
export function runtimeEnvOf(stack: LoopbackStack, variant: Variant, rendered: string): NodeJS.ProcessEnv {
  if (variant === "ours" && !rendered.includes("file_storage")) throw new Error("ours renders no persistent queue");
  if (variant === "ours-no-pq" && rendered.includes("file_storage"))
    throw new Error("persistentQueue false still renders a file_storage queue");
  return variant === "baseline" ? {} : stack.plan.collector.env;
}

export interface CollectorPorts {
  otlpGrpc: number;
  otlpHttp: number;
  health: number;
  metrics: number;
}

export interface RunningCollector {
  variant: Variant;
  proc: Proc;
  cgroupDir: string;
  ports: CollectorPorts;
  /** Memory right after start (10 s idle). */
  idle: CgroupStat;
  metrics(): Promise<MetricSample[] | undefined>;
  alive(): boolean;
  stop(): Promise<void>;
}

export interface CollectorSpec {
  variant: Variant;
  configPath: string;
  ports: CollectorPorts;
  limitMb: number;
  /** CPU quota in cores (the container's `--cpus`); none when undefined. */
  cpus?: number;
  env: NodeJS.ProcessEnv;
  /**
   * Container-like accounting: the collector executes a fresh copy of the binary whose pages are not
   * in the page cache, so they are charged to this cgroup when it first reads them, as a container
   * reading its image layer is charged. Without it the pages stay charged to whoever read the cached
   * binary first, and the cgroup can look up to ~100 MB lighter than the container.
   */
  chargeBinary: boolean;
}

export async function startCollectorProcess(spec: CollectorSpec): Promise<RunningCollector> {
  const cgroup = memoryCgroup(spec.limitMb);
  if (!cgroup)
    throw new Error("no memory cgroup can be created here: the benchmark measures what the container limit counts, and needs one");
  const cpu = spec.cpus === undefined ? undefined : cpuCgroup(spec.cpus);
  if (spec.cpus !== undefined && !cpu)
    throw new Error(
      `no cpu cgroup can be created here: the benchmark runs the collector with its container's ${spec.cpus}-core quota, and needs one`,
    );
  const args = [`--config=${spec.configPath}`];
  const copyDir = tempDir(`otelcol-bin-${spec.variant}`);
  let executable = binary("otelcol");
  if (spec.chargeBinary) {
    // A fresh copy, written back to disk and dropped from the page cache (dd iflag=nocache), so its
    // first reader is the collector inside its cgroup, as with a container's image layer. Copying
    // from inside the cgroup would also charge the source file's pages read by cp.
    executable = path.join(copyDir, "otelcol");
    fs.copyFileSync(binary("otelcol"), executable);
    fs.chmodSync(executable, 0o755);
    execFileSync("sync", [executable]);
    execFileSync("dd", [`if=${executable}`, "iflag=nocache", "count=0", "status=none"]);
  }
  const script = `echo $$ > "${cgroup.dir}/cgroup.procs"${cpu ? ` && echo $$ > "${cpu.dir}/cgroup.procs"` : ""} && exec "$0" "$@"`;
  const proc = start(`otelcol-${spec.variant}`, "/bin/sh", ["-c", script, executable, ...args], { env: spec.env });
  await waitHttpOk(`http://127.0.0.1:${spec.ports.health}/`, proc, 60_000);
  await new Promise((r) => setTimeout(r, 10_000));
  const idle = cgroupStat(cgroup.dir);
  const metricsUrl = `http://127.0.0.1:${spec.ports.metrics}/metrics`;
  return {
    variant: spec.variant,
    proc,
    cgroupDir: cgroup.dir,
    ports: spec.ports,
    idle,
    metrics: () => scrape(metricsUrl),
    alive: () => !proc.exited(),
    stop: async () => {
      await proc.stop(10_000);
      cgroup.remove();
      cpu?.remove();
      fs.rmSync(copyDir, { recursive: true, force: true });
    },
  };
}

export async function collectorPorts(): Promise<CollectorPorts> {
  return freePorts(["otlpGrpc", "otlpHttp", "health", "metrics"] as const);
}

export interface Backends {
  metrics: RunningBackend;
  traces: RunningBackend;
  logs: RunningBackend;
  metricsUrl: string;
  tracesUrl: string;
  logsUrl: string;
  /** The backends' own /metrics. */
  vmMetrics: string;
  jaegerMetrics: string;
  logsMetrics: string;
  stop(): Promise<void>;
}

/** Fresh backends for one variant (their counters start at zero, their stores are empty). */
export async function startBackends(stack: LoopbackStack): Promise<Backends> {
  const [metrics, traces, logs] = await Promise.all([
    startBackend(stack, "metrics"),
    startBackend(stack, "traces"),
    startBackend(stack, "logs"),
  ]);
  // Each backend's own /metrics, where the collector scrapes it (its module's selfMetrics).
  const selfMetrics = (signal: "metrics" | "traces" | "logs") => {
    const [scrape] = stack.plan.backends[signal]!.plan.scrape;
    return `http://${scrape!.target}${scrape!.path}`;
  };
  const backends: Backends = {
    metrics,
    traces,
    logs,
    metricsUrl: stack.metricsUrl,
    tracesUrl: stack.tracesUrl,
    logsUrl: stack.plan.backends.logs!.plan.queryUrl,
    vmMetrics: selfMetrics("metrics"),
    jaegerMetrics: selfMetrics("traces"),
    logsMetrics: selfMetrics("logs"),
    // Reads the fields at stop time: the outage step replaces `metrics` with its restarted process.
    stop: async () => {
      await Promise.all([backends.metrics.proc.stop(), backends.traces.proc.stop(), backends.logs.proc.stop()]);
    },
  };
  return backends;
}

export function writeConfig(prefix: string, yaml: string): string {
  const file = path.join(tempDir(prefix), "config.yaml");
  fs.writeFileSync(file, yaml);
  return file;
}
