import * as fs from "node:fs";
import * as path from "node:path";
import { Backend } from "../../configs/backends";
import { COLLECTOR_PORTS, renderCollectorYaml } from "../../configs/collector";
import { planStack, StackPlan } from "../../configs/stack";
import type { ServicePlan } from "../../configs/types";
import { backendBinary, backendDescriptor, parseSettings, Settings, SettingsInput } from "../../settings";
import { binary, freePorts, Proc, start, tempDir, waitHttpOk } from "./harness";

/**
 * The stack as the program plans it, re-addressed to 127.0.0.1 and free ports: the renderers take
 * addresses as input, so nothing else changes.
 */
export interface LoopbackStack {
  settings: Settings;
  plan: StackPlan;
  /** Ports each backend listens on, by its port names. */
  backendPorts: Map<string, Record<string, number>>;
  collectorPorts: { otlpGrpc: number; otlpHttp: number; health: number; metrics: number };
  queueDir: string;
  collectorConfigPath: string;
  metricsUrl: string;
  tracesUrl: string;
}

export async function loopbackStack(raw: Partial<SettingsInput> & Record<string, unknown>): Promise<LoopbackStack> {
  const settings = parseSettings({ environment: "it", ...raw });
  const backendPorts = new Map<string, Record<string, number>>();
  // Reserve every backend's ports up front so the plan can be computed synchronously.
  const { METRICS_BACKENDS, TRACES_BACKENDS, LOGS_BACKENDS } = await import("../../configs/backends/index.js");
  for (const backend of [
    ...Object.values(METRICS_BACKENDS),
    ...Object.values(TRACES_BACKENDS),
    ...Object.values(LOGS_BACKENDS),
  ] as Backend[]) {
    backendPorts.set(backend.kind, await freePorts(Object.keys(backend.defaultPorts)));
  }
  const plan = planStack(settings, {
    addressing: { host: () => "127.0.0.1", ports: (backend) => backendPorts.get(backend.kind) },
  });
  const collectorPorts = await freePorts(Object.keys(COLLECTOR_PORTS) as (keyof typeof COLLECTOR_PORTS)[]);
  const queueDir = tempDir("queue");
  const config = {
    ...plan.collectorConfig,
    bind: "127.0.0.1",
    ports: collectorPorts,
    queueDirectory: settings.collector.persistentQueue ? queueDir : undefined,
  };
  const collectorConfigPath = path.join(tempDir("collector"), "config.yaml");
  fs.writeFileSync(collectorConfigPath, renderCollectorYaml(config, settings.exporters));
  return {
    settings,
    plan,
    backendPorts,
    collectorPorts,
    queueDir,
    collectorConfigPath,
    metricsUrl: plan.backends.metrics.plan.queryUrl,
    tracesUrl: plan.backends.traces.plan.queryUrl,
  };
}

/**
 * Run a service plan as a local process: its files are written under a temp root, its volumes are
 * temp dirs, and the container paths in its arguments and files are rewritten to those. Nothing
 * else of the plan is touched.
 */
export function materialize(plan: ServicePlan): { args: string[]; root: string } {
  const root = tempDir(plan.role);
  const rewrites: [string, string][] = [];
  for (const volume of plan.volumes) {
    const local = path.join(root, "volumes", volume.name);
    fs.mkdirSync(local, { recursive: true });
    rewrites.push([volume.containerPath, local]);
  }
  for (const file of plan.files) rewrites.push([file.path, path.join(root, "files", file.path)]);
  // One pass, longest path first: a rewritten path is never rewritten again (/prometheus inside
  // the already-localised /etc/prometheus/prometheus.yml).
  rewrites.sort((a, b) => b[0].length - a[0].length);
  const pattern = new RegExp(rewrites.map(([from]) => from.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|"), "g");
  const targets = new Map(rewrites);
  const rewrite = (text: string) => (rewrites.length === 0 ? text : text.replace(pattern, (m) => targets.get(m)!));
  for (const file of plan.files) {
    const local = path.join(root, "files", file.path);
    fs.mkdirSync(path.dirname(local), { recursive: true });
    fs.writeFileSync(local, rewrite(file.content));
  }
  return { args: (plan.command ?? []).map(rewrite), root };
}

export interface RunningBackend {
  proc: Proc;
  args: string[];
  /** Start it again with the same arguments and data directory (after a stop). */
  restart(): Promise<RunningBackend>;
}

/** Start a chosen backend from its plan, wait until healthy. */
export async function startBackend(stack: LoopbackStack, signal: "metrics" | "traces" | "logs"): Promise<RunningBackend> {
  const chosen = stack.plan.backends[signal];
  if (!chosen) throw new Error(`the stack has no ${signal} backend`);
  const kind = chosen.backend.kind;
  // The binary built at its role's pinned version (settings/components.json), and where it says it is ready (its descriptor).
  const bin = backendBinary(kind);
  const ready = backendDescriptor(kind).ready;
  if (!bin || !ready) throw new Error(`no local binary for ${kind}: it is not run by this project (settings/components.json says why)`);
  const { args } = materialize(chosen.plan.service);
  const run = async (): Promise<RunningBackend> => {
    const proc = start(kind, binary(bin), args);
    await waitHttpOk(`http://127.0.0.1:${stack.backendPorts.get(kind)![ready.port]}${ready.path}`, proc, 90_000);
    return { proc, args, restart: run };
  };
  return run();
}

/**
 * Start the collector with the container's Go runtime settings (GOMEMLIMIT, GOGC); with `cgroupDir`, inside that memory cgroup
 * (the process joins it before exec, so all of its memory is charged there).
 */
export async function startCollector(stack: LoopbackStack, options: { env?: NodeJS.ProcessEnv; cgroupDir?: string } = {}): Promise<Proc> {
  const env = { ...stack.plan.collector.env, ...options.env };
  const args = [`--config=${stack.collectorConfigPath}`];
  const proc = options.cgroupDir
    ? start("otelcol", "/bin/sh", ["-c", `echo $$ > "${options.cgroupDir}/cgroup.procs" && exec "$0" "$@"`, binary("otelcol"), ...args], {
        env,
      })
    : start("otelcol", binary("otelcol"), args, { env });
  await waitHttpOk(`http://127.0.0.1:${stack.collectorPorts.health}/`, proc, 60_000);
  return proc;
}
