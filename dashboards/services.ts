/**
 * "Services (from traces)": request rate, error ratio and p50/p95/p99 latency per service and per
 * operation, from the span metrics the collector derives from every span (span-metrics.ts). Works
 * for any traced service, whether or not it exports metrics of its own. Every series links to its
 * traces in the traces datasource (Grafana Explore), when the traces backend says how to search.
 */
import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import { DataLinkSpec, PanelSpec, SectionSpec, VariableSpec, buildDashboard, prometheusDatasource } from "./common";
import { TraceSearch } from "./input";
import {
  INBOUND_SPAN_KINDS,
  SERIES_PER_COMBINATION,
  SPAN_DURATION_GRAFANA_UNIT,
  SPAN_KINDS,
  SPAN_LABELS,
  SPAN_METRICS_BUCKETS_SECONDS,
  SPAN_METRIC_NAMES,
  SpanFilter,
  SpanGrouping,
  spanCallRate,
  spanErrorRatio,
  spanLatency,
  spanOverflowRate,
  spanSeriesCount,
} from "./span-metrics";

export const SERVICES_DASHBOARD_UID = "services-from-traces";
/** Grafana folder of the dashboard. */
export const SERVICES_FOLDER = "services";

/**
 * The values a trace link searches for: Grafana data-link variables of the clicked series' labels,
 * percent-encoded because they land inside the link's URL. A traces backend's `traceSearch` is
 * called with these (configs/stack.ts) and returns its datasource's query holding them.
 */
export const TRACE_LINK_VALUES = {
  service: `\${__field.labels.${SPAN_LABELS.service}:percentencode}`,
  operation: `\${__field.labels.${SPAN_LABELS.operation}:percentencode}`,
} as const;

/** The dashboard's variables, used by every query as regex matchers. */
const FILTER: SpanFilter = { service: "$service", kind: "$span_kind" };

const VARIABLES: VariableSpec[] = [
  {
    name: "service",
    label: "Service",
    description: "service.name of the spans",
    source: { query: `label_values(${SPAN_METRIC_NAMES.calls}, ${SPAN_LABELS.service})` },
    current: "all",
    // Not `.*`: the overflow combination has no service_name and is shown on its own panel.
    allValue: ".+",
  },
  {
    name: "span_kind",
    label: "Span kind",
    description:
      "Which spans count: by default those that are requests into a service (server and consumer spans), as in Jaeger's Monitor tab",
    source: { values: SPAN_KINDS },
    current: INBOUND_SPAN_KINDS,
    allValue: ".+",
  },
];

export interface ServicesDashboardInput {
  metricsUid: string;
  tracesUid: string;
  /** The traces datasource's queries finding a series' traces (absent: no links). */
  traceSearch?: TraceSearch;
}

/**
 * A Grafana Explore URL opening the traces datasource with `query` over the dashboard's time range.
 * The pane is percent-encoded JSON; the data-link variables inside stay as they are, so Grafana
 * replaces them (already percent-encoded) when the link is clicked.
 */
export function exploreUrl(tracesUid: string, query: Record<string, unknown>): string {
  const pane = { traces: { datasource: tracesUid, queries: [{ refId: "A", ...query }], range: { from: "${__from}", to: "${__to}" } } };
  let encoded = encodeURIComponent(JSON.stringify(pane));
  for (const variable of [...Object.values(TRACE_LINK_VALUES), "${__from}", "${__to}"]) {
    encoded = encoded.split(encodeURIComponent(variable)).join(variable);
  }
  return `/explore?schemaVersion=1&orgId=1&panes=${encoded}`;
}

function linksFor(by: SpanGrouping, input: ServicesDashboardInput): DataLinkSpec[] | undefined {
  if (!input.traceSearch) return undefined;
  const title =
    by === "service"
      ? `Traces of \${__field.labels.${SPAN_LABELS.service}}`
      : `Traces of \${__field.labels.${SPAN_LABELS.service}} \${__field.labels.${SPAN_LABELS.operation}}`;
  return [{ title, url: exploreUrl(input.tracesUid, input.traceSearch[by]) }];
}

const QUANTILES = [0.5, 0.95, 0.99] as const;
const seconds = (value: number) => (value < 1 ? `${Math.round(value * 1000)} ms` : `${value} s`);
const BUCKET_RANGE = `${seconds(SPAN_METRICS_BUCKETS_SECONDS[0]!)} to ${seconds(SPAN_METRICS_BUCKETS_SECONDS.at(-1)!)}`;

function redPanels(by: SpanGrouping, input: ServicesDashboardInput): PanelSpec[] {
  const what = by === "service" ? "per service" : "per service and operation (span name)";
  const links = linksFor(by, input);
  const rate: PanelSpec = {
    kind: "timeseries",
    title: by === "service" ? "Request rate" : "Request rate by operation",
    description: `Spans per second ${what}, of the selected span kinds`,
    unit: "reqps",
    width: by === "service" ? 8 : 12,
    queries: [spanCallRate(by, FILTER)],
    links,
  };
  const errors: PanelSpec = {
    kind: "timeseries",
    title: by === "service" ? "Error ratio" : "Error ratio by operation",
    description: `Share of spans with status Error ${what} (0 where there were none)`,
    unit: "percentunit",
    width: by === "service" ? 8 : 12,
    queries: [spanErrorRatio(by, FILTER)],
    links,
  };
  if (by === "service") {
    return [
      rate,
      errors,
      {
        kind: "timeseries",
        title: "Latency p50 / p95 / p99",
        description: `Span duration percentiles ${what}, interpolated within the histogram's buckets (${BUCKET_RANGE})`,
        unit: SPAN_DURATION_GRAFANA_UNIT,
        width: 8,
        queries: QUANTILES.map((q) => spanLatency(q, by, FILTER)),
        links,
      },
    ];
  }
  return [
    rate,
    errors,
    ...QUANTILES.map((q): PanelSpec => ({
      kind: "timeseries",
      title: `Latency p${Math.round(q * 100)} by operation`,
      description: `${Math.round(q * 100)}th percentile of span duration ${what}`,
      unit: SPAN_DURATION_GRAFANA_UNIT,
      width: 8,
      queries: [spanLatency(q, by, FILTER)],
      links,
    })),
  ];
}

const COST: SectionSpec = {
  title: "Span metrics: cost and bound",
  panels: [
    {
      kind: "stat",
      title: "Span-metric series",
      description: `Series of span metrics the backend holds now: each combination of service, operation, kind, status (and any extra dimension) costs ${SERIES_PER_COMBINATION}`,
      unit: "short",
      width: 6,
      queries: [spanSeriesCount()],
    },
    {
      kind: "timeseries",
      title: "Spans over the cardinality limit / s",
      description:
        "Spans counted under the overflow combination because a service instance reached traces.spanMetrics.cardinalityLimit: above 0, new operations are no longer told apart",
      unit: "cps",
      width: 18,
      queries: [spanOverflowRate()],
    },
  ],
};

export function servicesDashboard(input: ServicesDashboardInput): dashboard.Dashboard {
  return buildDashboard({
    uid: SERVICES_DASHBOARD_UID,
    title: "Services (from traces)",
    description:
      "Request rate, error ratio and latency per service and operation, derived from every span by the collector (traces.spanMetrics). Generated; do not edit in Grafana.",
    tags: ["traces", "red", "generated"],
    // The collector flushes span metrics every 15 s: refreshing faster only repeats queries.
    refresh: "30s",
    time: { from: "now-1h", to: "now" },
    datasource: prometheusDatasource(input.metricsUid),
    collapsedRows: false,
    variables: VARIABLES,
    sections: [
      { title: "Services", panels: redPanels("service", input) },
      { title: "Operations", panels: redPanels("operation", input) },
      COST,
    ],
  });
}
