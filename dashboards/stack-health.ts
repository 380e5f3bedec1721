/**
 * "Observability Stack Health": is telemetry getting in, through and stored? The collector's
 * own metrics per signal, its export queue and memory, then the chosen metrics and traces backends.
 */
import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import { MappingType } from "@grafana/grafana-foundation-sdk/dashboard";
import { PanelSpec, SectionSpec, buildDashboard, prometheusDatasource } from "./common";
import {
  MetricsBackend,
  SCRAPE_JOBS,
  SIGNALS,
  Signal,
  TracesBackend,
  collectorCpu,
  collectorFlow,
  collectorMemory,
  metricsBackendJob,
  metricsIngestion,
  metricsStorage,
  processMemory,
  queueCapacity,
  queueFill,
  queueSize,
  tracesBackendJob,
  tracesIngestion,
  tracesMemory,
  upQuery,
} from "./stack-metrics";

export const STACK_DASHBOARD_UID = "observability-stack-health";
/** Grafana folder of the stack dashboard and the stack alert rules. */
export const STACK_FOLDER = "stack";

export interface StackHealthInput {
  metricsUid: string;
  metricsBackend: MetricsBackend;
  tracesBackend: TracesBackend;
  /**
   * Set exactly when the stack has a logs backend. Only then does the collector run a logs
   * pipeline; without one it has no log-record series at all, and log panels would stay empty.
   */
  logsUid?: string;
}

/** The signals the collector carries: metrics and traces always, logs with a logs backend. */
export function stackSignals(input: Pick<StackHealthInput, "logsUid">): readonly Signal[] {
  return SIGNALS.filter((s) => s.id !== "logs" || input.logsUid !== undefined);
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

function upPanel(title: string, job: string): PanelSpec {
  return {
    kind: "stat",
    title,
    description: `Scrape health of job "${job}" (up)`,
    unit: "none",
    width: 4,
    mappings: UP_MAPPINGS,
    thresholds: UP_THRESHOLDS,
    queries: [upQuery(job)],
  };
}

const BACKEND_TITLES: Record<MetricsBackend | TracesBackend, string> = {
  victoriametrics: "VictoriaMetrics",
  prometheus: "Prometheus",
  jaeger: "Jaeger",
  tempo: "Tempo",
};

function collectorSections(signals: readonly Signal[]): SectionSpec[] {
  const job = SCRAPE_JOBS.collector;
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

function metricsBackendSection(backend: MetricsBackend): SectionSpec {
  const job = metricsBackendJob(backend);
  const name = BACKEND_TITLES[backend];
  return {
    title: `Metrics backend: ${name}`,
    panels: [
      upPanel(`${name} up`, job),
      {
        kind: "timeseries",
        title: "Samples ingested / s",
        description: `Rows/samples ${name} stores per second`,
        unit: "cps",
        width: 7,
        queries: [metricsIngestion(backend)],
      },
      {
        kind: "timeseries",
        title: "Storage",
        description: `${name} bytes on disk`,
        unit: "bytes",
        width: 7,
        queries: metricsStorage(backend),
      },
      { kind: "timeseries", title: `${name} memory (RSS)`, unit: "bytes", width: 6, queries: [processMemory(job)] },
    ],
  };
}

function tracesBackendSection(backend: TracesBackend): SectionSpec {
  const job = tracesBackendJob(backend);
  const name = BACKEND_TITLES[backend];
  return {
    title: `Traces backend: ${name}`,
    panels: [
      upPanel(`${name} up`, job),
      {
        kind: "timeseries",
        title: "Spans in / s",
        description: `Spans ${name} received, and refused or discarded`,
        unit: "cps",
        width: 10,
        queries: tracesIngestion(backend),
      },
      { kind: "timeseries", title: `${name} memory (RSS)`, unit: "bytes", width: 10, queries: [tracesMemory(backend)] },
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
    sections: [
      ...collectorSections(stackSignals(input)),
      metricsBackendSection(input.metricsBackend),
      tracesBackendSection(input.tracesBackend),
    ],
  });
}
