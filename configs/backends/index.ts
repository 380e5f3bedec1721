import type { LogsBackendKind, MetricsBackendKind, Settings, TracesBackendKind } from "../../settings";
import { TIERS } from "../../settings";
import type { Backend, BackendPlan } from "./contract";
import { jaeger } from "./jaeger";
import { loki } from "./loki";
import { prometheus } from "./prometheus";
import { tempo } from "./tempo";
import { victoriaLogs } from "./victorialogs";
import { victoriaMetrics } from "./victoriametrics";

export type { Backend, BackendContext, BackendPlan } from "./contract";

// The one place a backend is picked. Typed as total maps over the settings' enums: adding a kind
// to the schema fails the build here until its module exists.
export const METRICS_BACKENDS: Record<MetricsBackendKind, Backend> = { victoriametrics: victoriaMetrics, prometheus };
export const TRACES_BACKENDS: Record<TracesBackendKind, Backend> = { jaeger, tempo };
export const LOGS_BACKENDS: Record<Exclude<LogsBackendKind, "none">, Backend> = { victorialogs: victoriaLogs, loki };

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

export function planBackends(settings: Settings, addressing: BackendAddressing = {}): BackendPlans {
  const tier = TIERS[settings.tier];
  const hostOf = addressing.host ?? ((b: Backend) => b.role);
  const portsFor = addressing.ports ?? (() => undefined);
  const logsBackend = settings.logs.backend === "none" ? undefined : LOGS_BACKENDS[settings.logs.backend];
  const base = { settings, tier, logsEnabled: logsBackend !== undefined };

  const metricsBackend = METRICS_BACKENDS[settings.metrics.backend];
  const metricsPlan = metricsBackend.plan({
    ...base,
    host: hostOf(metricsBackend),
    ports: portsFor(metricsBackend),
    metricsRemoteWriteUrl: "",
  });
  const remoteWrite = metricsPlan.remoteWriteUrl ?? "";
  const plan = (backend: Backend): ChosenBackend => ({
    backend,
    plan: backend.plan({ ...base, host: hostOf(backend), ports: portsFor(backend), metricsRemoteWriteUrl: remoteWrite }),
  });
  return {
    metrics: { backend: metricsBackend, plan: metricsPlan },
    traces: plan(TRACES_BACKENDS[settings.traces.backend]),
    ...(logsBackend ? { logs: plan(logsBackend) } : {}),
  };
}
