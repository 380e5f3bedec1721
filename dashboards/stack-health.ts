/**
 * "Observability Stack Health": is telemetry getting in, through and stored? The collector's
 * own metrics per signal, its export queue and memory, then one row per deployed backend, from
 * what its module says it measures (configs/backends): no backend is known here by name.
 */
import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import { MappingType } from "@grafana/grafana-foundation-sdk/dashboard";
import { COLLECTOR_SCRAPE_JOB } from "../settings/names";
import { PanelSpec, SectionSpec, buildDashboard, prometheusDatasource } from "./common";
import { BackendHealth } from "./input";
import {
  SIGNAL_SERIES,
  SignalSeries,
  collectorCpu,
  collectorFlow,
  collectorMemory,
  queueCapacity,
  queueFill,
  queueSize,
  upQuery,
} from "./stack-metrics";

export const STACK_DASHBOARD_UID = "observability-stack-health";
/** Grafana folder of the stack dashboard and the stack alert rules. */
export const STACK_FOLDER = "stack";

export interface StackHealthInput {
  metricsUid: string;
  /** The deployed backends that report their health, in row order (configs/backends: `Backend.health`). */
  backends: readonly BackendHealth[];
  /**
   * Set exactly when the stack has a logs backend. Only then does the collector run a logs
   * pipeline; without one it has no log-record series at all, and log panels would stay empty.
   */
  logsUid?: string;
}

/** The signals the collector carries: metrics and traces always, logs with a logs backend. */
export function stackSignals(input: Pick<StackHealthInput, "logsUid">): readonly SignalSeries[] {
  return SIGNAL_SERIES.filter((s) => s.id !== "logs" || input.logsUid !== undefined);
}

const UP_MAPPINGS: dashboard.ValueMapping[] = [
  {
    type: MappingType.ValueToText,
    options: { "0": { text: "DOWN", color: "red", index: 0 }, "1": { text: "UP", color: "green", index: 1 } },
  },
];
const UP_THRESHOLDS: dashboard.Threshold[] = [
  { value: null, color: "red" },
  { value: 1, color: "green" },
];

const UP_WIDTH = 4;

function upPanel(title: string, job: string): PanelSpec {
  return {
    kind: "stat",
    title,
    description: `Scrape health of job "${job}" (up)`,
    unit: "none",
    width: UP_WIDTH,
    mappings: UP_MAPPINGS,
    thresholds: UP_THRESHOLDS,
    queries: [upQuery(job)],
  };
}

function collectorSections(signals: readonly SignalSeries[]): SectionSpec[] {
  const job = COLLECTOR_SCRAPE_JOB;
  // One row of signal panels: three of 8 columns, or two of 12 without logs.
  const width = Math.floor(24 / signals.length);
  return [
    {
      title: "Collector: receive",
      panels: signals.map((s): PanelSpec => ({
        kind: "timeseries",
        title: `${s.title} accepted / refused / s`,
        description: `${s.title} the collector's receivers accepted into, or refused from, the pipeline`,
        unit: "cps",
        width,
        queries: [collectorFlow(job, s, "accepted"), collectorFlow(job, s, "refused")],
      })),
    },
    {
      title: "Collector: export",
      panels: [
        ...signals.map((s): PanelSpec => ({
          kind: "timeseries",
          title: `${s.title} sent / failed / s`,
          description: `${s.title} the collector's exporters delivered, or failed to deliver after retries`,
          unit: "cps",
          width,
          queries: [collectorFlow(job, s, "sent"), collectorFlow(job, s, "failed")],
        })),
        {
          kind: "timeseries",
          title: "Export queue size vs capacity",
          description: "Items waiting in each exporter's sending queue; at capacity new data is dropped",
          unit: "short",
          queries: [queueSize(job), queueCapacity(job)],
        },
        {
          kind: "timeseries",
          title: "Export queue fill",
          description: "Queue size / capacity per exporter",
          unit: "percentunit",
          queries: [queueFill(job)],
        },
      ],
    },
    {
      title: "Collector: process",
      panels: [
        upPanel("Collector up", job),
        { kind: "timeseries", title: "Collector memory (RSS)", unit: "bytes", width: 10, queries: [collectorMemory(job)] },
        { kind: "timeseries", title: "Collector CPU", unit: "percentunit", width: 10, queries: [collectorCpu(job)] },
      ],
    },
  ];
}

/** How a backend's row reads, per signal: what "ingestion" means for it. */
const INGESTION: Record<BackendHealth["signal"], { row: string; title: string; description: (name: string) => string }> = {
  metrics: { row: "Metrics backend", title: "Samples ingested / s", description: (name) => `Rows/samples ${name} stores per second` },
  traces: { row: "Traces backend", title: "Spans in / s", description: (name) => `Spans ${name} received, and refused or discarded` },
  logs: { row: "Logs backend", title: "Log records in / s", description: (name) => `Log records ${name} received, and refused or dropped` },
};

function backendSection(backend: BackendHealth): SectionSpec {
  const name = backend.title;
  const ingestion = INGESTION[backend.signal];
  const panels: PanelSpec[] = [
    { kind: "timeseries", title: ingestion.title, description: ingestion.description(name), unit: "cps", queries: backend.ingestion },
    ...(backend.storage
      ? [{ kind: "timeseries" as const, title: "Storage", description: `${name} bytes on disk`, unit: "bytes", queries: backend.storage }]
      : []),
    { kind: "timeseries", title: `${name} memory (RSS)`, unit: "bytes", queries: [backend.memory] },
  ];
  // The columns beside the up stat are shared out, the first panels taking the remainder.
  const free = 24 - UP_WIDTH;
  return {
    title: `${ingestion.row}: ${name}`,
    panels: [
      upPanel(`${name} up`, backend.job),
      ...panels.map((panel, i) => ({ ...panel, width: Math.floor(free / panels.length) + (i < free % panels.length ? 1 : 0) })),
    ],
  };
}

export function stackHealthDashboard(input: StackHealthInput): dashboard.Dashboard {
  return buildDashboard({
    uid: STACK_DASHBOARD_UID,
    title: "Observability Stack Health",
    description:
      "OpenTelemetry Collector throughput, export queues and memory; metrics and traces backend health. Generated; do not edit in Grafana.",
    tags: ["observability", "generated"],
    // The stack's own metrics are scraped every 15-30 s; refreshing faster only repeats queries.
    refresh: "30s",
    time: { from: "now-1h", to: "now" },
    datasource: prometheusDatasource(input.metricsUid),
    collapsedRows: false,
    sections: [...collectorSections(stackSignals(input)), ...input.backends.map(backendSection)],
  });
}
