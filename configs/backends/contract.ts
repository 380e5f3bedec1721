import type { BackendHealth } from "../../dashboards";
import type { Settings, Tier } from "../../settings";
import type { DatasourcePlan, ExporterPlan, ScrapeTarget, ServicePlan, Signal } from "../types";

/** `<signal>.retention` as configured (`30d`, what flags take) and in hours, parsed once. */
export interface Retention {
  text: string;
  hours: number;
}

/**
 * What a backend module is given: its own slice of the settings, already looked up (image and
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
   * `<signal>.backend` in stack config, and the one name of everything of it: its role (DNS alias,
   * container and volume suffix, `ServicePlan.role`), its image and tier keys, its scrape job.
   */
  kind: K;
  signal: S;
  /** Human name: Grafana datasource name, dashboard titles, component type token (`obs:backend:VictoriaMetrics`). */
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
  /** Its pinned image (overridable as `images.<kind>`) and its memory on the tier: settings' tables, read once. */
  resources(images: Settings["images"], tier: Tier): { image: string; memoryMb: number };
  plan(input: BackendInput): Omit<BackendPlan, "scrape">;
}
