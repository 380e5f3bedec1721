import type { BackendHealth } from "../../dashboards";
import { backendDescriptor, type BackendKind, type BUILT_IN_BACKENDS, type Retention } from "../../settings";
import type { DatasourcePlan, ExporterPlan, ScrapeTarget, ServicePlan, Signal } from "../types";

export type { Retention };

/**
 * What a backend module is given: its own slice of the settings, as settings resolved it (image and
 * memory for its role and tier, retention parsed), and where it and its peers are reached.
 */
export interface BackendInput {
  /** Host it is reached at: its DNS alias in the stack, 127.0.0.1 in tests. */
  host: string;
  /** Its port numbers by name: its defaults with any override applied. */
  ports: Record<string, number>;
  image: string;
  memoryMb: number;
  retention: Retention;
  /** `<signal>.maxDiskGb`, where the signal has one and it is set. */
  maxDiskGb?: number;
  /** `traces.storage: memory`: keep traces in memory, bounded by the tier's `maxTraces`, instead of on a volume. */
  memoryStore?: { maxTraces: number };
  /** Stack name (`deployment.environment`). */
  environment: string;
  /** The application the trace → metrics links query (its metric prefix). */
  appName: string;
  /** A logs backend is deployed: traces datasources link to it. */
  logsEnabled: boolean;
  /** Where the metrics backend accepts remote write (Tempo's metrics generator pushes there); "" while planning the metrics backend itself. */
  metricsRemoteWriteUrl: string;
  /** Where the metrics backend answers PromQL (its `queryUrl`); "" while planning the metrics backend itself. */
  metricsQueryUrl: string;
  /** The collector writes span metrics into the metrics backend (traces.spanMetrics): traces backends read them. */
  spanMetrics: boolean;
}

/** What a backend's plan function decides from its input. */
export interface BackendPlan {
  /** The container, as data. */
  service: ServicePlan;
  /** The write endpoint, as a collector exporter. */
  exporter: ExporterPlan;
  /** Base URL queries go to (Grafana, tests). */
  queryUrl: string;
  /** The Grafana datasource (stable uid per signal). */
  datasource: DatasourcePlan;
  /** Its own /metrics as a collector scrape target (filled in from `selfMetrics`). */
  scrape: ScrapeTarget[];
  /** Metrics backends only: where Prometheus remote write is accepted. */
  remoteWriteUrl?: string;
}

/**
 * One backend: everything the rest of the program asks about it, in its module. Nothing else
 * branches on the kind; it is picked by `<signal>.backend` from the registry (./index.ts).
 */
export interface Backend<K extends string = string, S extends Signal = Signal> {
  /**
   * `<signal>.backend` in stack config, and the one name of everything of it: its descriptor's key,
   * its role (DNS alias, container and volume suffix, `ServicePlan.role`), its image and tier keys,
   * its scrape job.
   */
  kind: K;
  /** From its descriptor. */
  signal: S;
  /** From its descriptor. Human name: Grafana datasource name, dashboard titles, component type token (`obs:backend:VictoriaMetrics`). */
  displayName: string;
  defaultPorts: Record<string, number>;
  /** Grafana plugins its datasource needs (GF_PLUGINS_PREINSTALL), pinned; none for core datasources. */
  grafanaPlugins: readonly string[];
  /** Its own metrics endpoint (a port name and path), scraped by the collector under the job `kind`. */
  selfMetrics: { port: string; path: string };
  /**
   * What it measures about itself (selected by its scrape job) for its stack-health dashboard row
   * and its "backend down" alert. Absent: neither (the logs backends, whose own metric names we
   * have not verified against the binaries).
   */
  health?(job: string): Omit<BackendHealth, "signal" | "title" | "job">;
  /**
   * Traces backends: the query of its Grafana datasource (as Grafana Explore takes it) that finds
   * the traces of a service, or of one operation of it; the values may be Grafana variables. The
   * span-metrics dashboard links every series to it. Absent: no links.
   */
  traceSearch?(search: { service: string; operation?: string }): Record<string, unknown>;
  plan(input: BackendInput): Omit<BackendPlan, "scrape">;
}

/** What a backend module writes: the rest (signal, display name, image, memory, capabilities) is its descriptor's. */
export type BackendModule = Omit<Backend, "kind" | "signal" | "displayName"> & ThisType<Backend>;

/**
 * A backend module joined with its kind's descriptor (settings/backends.ts): its signal and display
 * name are the descriptor's, so they are written once. A kind nothing describes throws.
 */
export function defineBackend<K extends BackendKind>(kind: K, module: BackendModule): Backend<K, (typeof BUILT_IN_BACKENDS)[K]["signal"]>;
export function defineBackend(kind: string, module: BackendModule): Backend;
export function defineBackend(kind: string, module: BackendModule): Backend {
  const { signal, displayName } = backendDescriptor(kind);
  return { kind, signal, displayName, ...module };
}
