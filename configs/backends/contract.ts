import type { Settings, Tier } from "../../settings";
import type { DatasourcePlan, ExporterPlan, ScrapeTarget, ServicePlan, Signal } from "../types";

/** What a backend module is given: settings, the tier, and where it (and its peers) live. */
export interface BackendContext {
  settings: Settings;
  tier: Tier;
  /** Host the backend is reached at: its DNS alias in the stack, 127.0.0.1 in tests. */
  host: string;
  /** Port overrides by port name (tests run several backends on free loopback ports). */
  ports?: Partial<Record<string, number>>;
  /** Where the metrics backend accepts remote write (Tempo's metrics generator pushes there). */
  metricsRemoteWriteUrl: string;
  /** A logs backend is deployed: traces datasources link to it. */
  logsEnabled: boolean;
}

/**
 * The small typed contract every backend implements. The rest of the program never branches on
 * the backend kind: it asks the chosen backend for these.
 */
export interface BackendPlan {
  /** The container, as data. */
  service: ServicePlan;
  /** The write endpoint, as a collector exporter. */
  exporter: ExporterPlan;
  /** Base URL queries go to (Grafana, tests). */
  queryUrl: string;
  /** The Grafana datasource (stable uid per signal). */
  datasource: DatasourcePlan;
  /** Its own metrics, scraped by the collector into the metrics backend. */
  scrape: ScrapeTarget[];
  /** Metrics backends only: where Prometheus remote write is accepted. */
  remoteWriteUrl?: string;
}

export interface Backend<K extends string = string> {
  kind: K;
  /** Human name; also the component type token suffix (`obs:backend:VictoriaMetrics`). */
  displayName: string;
  signal: Signal;
  /** DNS alias / role; also the default host. */
  role: string;
  defaultPorts: Record<string, number>;
  /** Grafana plugins its datasource needs (GF_PLUGINS_PREINSTALL), pinned; none for core datasources. */
  grafanaPlugins: readonly string[];
  plan(ctx: BackendContext): BackendPlan;
}

export function portsOf(backend: Backend, ctx: BackendContext): Record<string, number> {
  const ports: Record<string, number> = { ...backend.defaultPorts };
  for (const [name, port] of Object.entries(ctx.ports ?? {})) if (port !== undefined) ports[name] = port;
  return ports;
}

/**
 * A `wget` probe for images that ship busybox/alpine tools. Pulumi waits for "healthy" and fails the
 * update on "unhealthy": failures inside the start period do not count, and the first success ends
 * it, so a long start period costs a fast start nothing and lets a slow one (Grafana's first
 * migrations on a busy 2-core host) finish. Unhealthy at the earliest after 60 s + 6 × 10 s, well
 * inside the 180 s `waitTimeout`.
 */
export function httpHealthcheck(port: number, path: string) {
  return {
    test: ["CMD", "wget", "-q", "-O", "/dev/null", `http://127.0.0.1:${port}${path}`],
    interval: "10s",
    timeout: "5s",
    retries: 6,
    // Go's spelling of the duration, as Docker reports it back: "60s" read back as "1m0s" made every
    // preview after `up` show an update.
    startPeriod: "1m0s",
  };
}

/** Settings' "30d" as Go duration hours ("720h") for components that only take Go durations. */
export function goHours(hours: number): string {
  return `${hours}h`;
}
