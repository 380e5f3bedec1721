import type { BackendHealth } from "../../dashboards";
import type { KindOf, Settings } from "../../settings";
import type { Signal } from "../types";
import type { Backend, BackendInput, BackendPlan } from "./contract";
import { jaeger } from "./jaeger";
import { loki } from "./loki";
import { prometheus } from "./prometheus";
import { tempo } from "./tempo";
import { victoriaLogs } from "./victorialogs";
import { victoriaMetrics } from "./victoriametrics";

export type { Backend, BackendInput, BackendModule, BackendPlan, Retention } from "./contract";
export { defineBackend } from "./contract";

/**
 * The registration: one entry per backend module. A kind is picked by `<signal>.backend` in stack
 * config; the schema's enums (settings/schema.ts) are derived from the descriptors
 * (settings/backends.ts), the bottom layer, which may not import configs/.
 * `RegisteredKindsMatchTheSchema` fails the build until every described kind has its module and
 * every module its descriptor, with the same signal.
 */
const BUILT_IN = [victoriaMetrics, prometheus, jaeger, tempo, victoriaLogs, loki] as const;

type KindsOf<S extends Signal> = Extract<(typeof BUILT_IN)[number], { signal: S }>["kind"];
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Holds<T extends true> = T;
export type RegisteredKindsMatchTheSchema = Holds<
  Same<KindsOf<"metrics">, KindOf<"metrics">> & Same<KindsOf<"traces">, KindOf<"traces">> & Same<KindsOf<"logs">, KindOf<"logs">>
>;

const registry: Backend[] = [];

/**
 * Adds a backend module to the ones `<signal>.backend` can pick (the built-in ones below; a test
 * adds a fake). Its kind and display name must be new: they name its container, scrape job and
 * Grafana datasource, which would otherwise collide.
 */
export function registerBackend(backend: Backend): void {
  const clash = registry.find((b) => b.kind === backend.kind || b.displayName === backend.displayName);
  if (clash)
    throw new Error(
      `backend ${backend.signal}/${backend.kind} (${backend.displayName}) clashes with ${clash.signal}/${clash.kind} (${clash.displayName})`,
    );
  registry.push(backend);
}

for (const backend of BUILT_IN) registerBackend(backend);

/** Every registered backend (of one signal), in registration order. */
export function registeredBackends(signal?: Signal): readonly Backend[] {
  return registry.filter((b) => signal === undefined || b.signal === signal);
}

/** The built-in modules by kind, per signal (for callers that start every backend, e.g. the integration tier). */
const byKind = (signal: Signal) => Object.fromEntries(BUILT_IN.filter((b) => b.signal === signal).map((b) => [b.kind, b]));
export const METRICS_BACKENDS = byKind("metrics") as Record<KindOf<"metrics">, Backend>;
export const TRACES_BACKENDS = byKind("traces") as Record<KindOf<"traces">, Backend>;
export const LOGS_BACKENDS = byKind("logs") as Record<KindOf<"logs">, Backend>;

function backendFor(signal: Signal, kind: string): Backend {
  const found = registry.find((b) => b.signal === signal && b.kind === kind);
  if (!found) {
    // The schema only lets registered kinds through: this is a program bug, not a config problem.
    const known = registeredBackends(signal).map((b) => b.kind);
    throw new Error(`no ${signal} backend ${JSON.stringify(kind)} is registered (registered: ${known.join(", ")})`);
  }
  return found;
}

export interface ChosenBackends {
  metrics: Backend;
  traces: Backend;
  logs?: Backend;
}

/** The backends these settings deploy: one per signal, none for logs when `logs.backend` is `none`. */
export function chosenBackends(settings: Settings): ChosenBackends {
  const logs: string = settings.logs.backend;
  return {
    metrics: backendFor("metrics", settings.metrics.backend),
    traces: backendFor("traces", settings.traces.backend),
    ...(logs === "none" ? {} : { logs: backendFor("logs", logs) }),
  };
}

/** What the stack-health dashboard and the stack alerts are told about a backend (none when it reports no health). */
export function healthOf(backend: Backend): BackendHealth | undefined {
  if (!backend.health) return undefined;
  return { signal: backend.signal, title: backend.displayName, job: backend.kind, ...backend.health(backend.kind) };
}

export interface ChosenBackend {
  backend: Backend;
  plan: BackendPlan;
}

export interface BackendPlans {
  metrics: ChosenBackend;
  traces: ChosenBackend;
  logs?: ChosenBackend;
}

/** Where each backend is reached; defaults to its DNS alias and default ports. Tests pass 127.0.0.1. */
export interface BackendAddressing {
  host?: (backend: Backend) => string;
  ports?: (backend: Backend) => Partial<Record<string, number>> | undefined;
}

/**
 * Plans the chosen backends. Each module gets only its slice of the settings, as settings resolved
 * them: image and memory for its role on the tier, its signal's retention and disk cap.
 */
export function planBackends(settings: Settings, addressing: BackendAddressing = {}): BackendPlans {
  const { limits } = settings;
  const chosen = chosenBackends(settings);
  const memoryMb = limits.memoryMb as Readonly<Record<string, number>>;
  const images = settings.images as Readonly<Record<string, string>>;
  const plan = (backend: Backend, metrics?: BackendPlan): ChosenBackend => {
    const host = addressing.host?.(backend) ?? backend.kind;
    const ports: Record<string, number> = { ...backend.defaultPorts };
    for (const [name, port] of Object.entries(addressing.ports?.(backend) ?? {})) if (port !== undefined) ports[name] = port;
    const own = settings[backend.signal];
    const input: BackendInput = {
      host,
      ports,
      image: images[backend.kind]!,
      memoryMb: memoryMb[backend.kind]!,
      retention: own.retention,
      maxDiskGb: "maxDiskGb" in own ? own.maxDiskGb : undefined,
      memoryStore: backend.signal === "traces" && settings.traces.storage === "memory" ? { maxTraces: limits.maxTraces } : undefined,
      environment: settings.environment,
      appName: settings.appName,
      logsEnabled: chosen.logs !== undefined,
      metricsRemoteWriteUrl: metrics?.remoteWriteUrl ?? "",
      metricsQueryUrl: metrics?.queryUrl ?? "",
      spanMetrics: settings.traces.spanMetrics.enabled,
    };
    const { port, path } = backend.selfMetrics;
    return { backend, plan: { ...backend.plan(input), scrape: [{ job: backend.kind, target: `${host}:${ports[port]}`, path }] } };
  };
  // The metrics backend first: the others may push into its remote-write endpoint (Tempo's
  // generator) or query it (Jaeger's Monitor tab reads the span metrics there).
  const metrics = plan(chosen.metrics);
  return {
    metrics,
    traces: plan(chosen.traces, metrics.plan),
    ...(chosen.logs ? { logs: plan(chosen.logs, metrics.plan) } : {}),
  };
}
