/**
 * RED metrics derived from spans: what the collector's span_metrics connector (contrib v0.160.0)
 * writes, described once, AS THE CONNECTOR EMITS IT (OTel names, kinds, units, dimension keys).
 * The collector's connector config (configs/collector.ts), Jaeger's metrics storage
 * (configs/backends/jaeger.ts), the traces datasource's trace → metrics links, the "Services (from
 * traces)" dashboard and the tests all read these; Prometheus names are DERIVED with the naming
 * rules (`prometheusName`, `prometheusLabel`), never typed.
 *
 * Reference: connector/spanmetricsconnector v0.160.0, `connector.go` (metric names `calls` and
 * `duration` under `namespace`, the duration unit on the histogram only, dimension keys
 * `service.name`, `span.name`, `span.kind`, `status.code`, the overflow attribute
 * `otel.metric.overflow`) and `factory.go` (default namespace `traces.span.metrics`).
 */
import { InstrumentRef, prometheusLabel, prometheusName, seriesNames } from "./naming";
import { PromQuery, RATE_INTERVAL } from "./queries";

/** The connector's default namespace, kept: Jaeger's metrics reader defaults to the same (`traces_span_metrics`). */
export const SPAN_METRICS_NAMESPACE = "traces.span.metrics";

/**
 * The duration unit: milliseconds. Jaeger's metrics reader returns the histogram's values as they
 * are (no scaling by its `latency_unit`, which only picks the metric name) and its Monitor tab shows
 * them as ms, so seconds would read 1000× too small there. Set explicitly: the connector's default
 * is to become `s` once its feature gate connector.spanmetrics.useSecondAsDefaultMetricsUnit flips.
 */
export const SPAN_METRICS_DURATION_UNIT = "ms";

/** The Grafana unit of the duration histogram's values. */
export const SPAN_DURATION_GRAFANA_UNIT = "ms";

/**
 * Histogram bucket bounds, in seconds: the Prometheus client libraries' defaults, 5 ms to 10 s. Set
 * explicitly (not the connector's 16 bounds) so the series one combination costs is fixed here.
 */
export const SPAN_METRICS_BUCKETS_SECONDS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The two instruments, as the connector names them. */
export const SPAN_INSTRUMENTS = {
  calls: { name: `${SPAN_METRICS_NAMESPACE}.calls`, kind: "counter", unit: "" },
  duration: { name: `${SPAN_METRICS_NAMESPACE}.duration`, kind: "histogram", unit: SPAN_METRICS_DURATION_UNIT },
} as const satisfies Record<string, InstrumentRef>;

/** Series names in the backend (the duration: its base name; add `_bucket`, `_sum`, `_count`). */
export const SPAN_METRIC_NAMES = {
  calls: prometheusName(SPAN_INSTRUMENTS.calls),
  duration: prometheusName(SPAN_INSTRUMENTS.duration),
} as const;

/** The namespace as a Prometheus name prefix (`traces_span_metrics`): what Jaeger's reader is told. */
export const SPAN_METRICS_PROMETHEUS_NAMESPACE = prometheusName({ name: SPAN_METRICS_NAMESPACE, kind: "gauge", unit: "" });

/** The connector's own dimension keys, and the labels they become. */
export const SPAN_DIMENSIONS = {
  service: "service.name",
  operation: "span.name",
  kind: "span.kind",
  status: "status.code",
} as const;
export type SpanDimension = keyof typeof SPAN_DIMENSIONS;

export const SPAN_LABELS = {
  service: prometheusLabel(SPAN_DIMENSIONS.service),
  operation: prometheusLabel(SPAN_DIMENSIONS.operation),
  kind: prometheusLabel(SPAN_DIMENSIONS.kind),
  status: prometheusLabel(SPAN_DIMENSIONS.status),
  /** Set (to "true") on the one combination spans are counted under once `cardinalityLimit` is reached; it has no other dimension. */
  overflow: prometheusLabel("otel.metric.overflow"),
} as const satisfies Record<SpanDimension | "overflow", string>;

/** `status.code` of a span whose status is Error (the connector writes the proto enum names). */
export const SPAN_STATUS_ERROR = "STATUS_CODE_ERROR";

/** `span.kind` values, in the order the dashboard offers them. */
export const SPAN_KINDS = [
  "SPAN_KIND_SERVER",
  "SPAN_KIND_CONSUMER",
  "SPAN_KIND_CLIENT",
  "SPAN_KIND_PRODUCER",
  "SPAN_KIND_INTERNAL",
] as const;

/** The kinds of spans that are requests INTO a service: what "its traffic" means by default (Jaeger's Monitor tab also starts at server). */
export const INBOUND_SPAN_KINDS = ["SPAN_KIND_SERVER", "SPAN_KIND_CONSUMER"] as const;

/** Every series name the connector writes. */
export const SPAN_SERIES: readonly string[] = [...seriesNames(SPAN_INSTRUMENTS.calls), ...seriesNames(SPAN_INSTRUMENTS.duration)];

/**
 * Series one combination of dimensions costs: one calls counter, and a histogram of a series per
 * bucket (the bounds plus `+Inf`), its sum and its count.
 */
export const SERIES_PER_COMBINATION = 1 + (SPAN_METRICS_BUCKETS_SECONDS.length + 1) + 2;

// ---------------------------------------------------------------------------------------------
// Queries: what is measured from these series. Panels (services.ts) and links only pick from these.

/** Regex matchers every dashboard query applies (Grafana variables, or fixed values in links). */
export interface SpanFilter {
  /** `service_name=~…` */
  service: string;
  /** `span_kind=~…` */
  kind: string;
}

/** Per service, or per service and operation. */
export type SpanGrouping = "service" | "operation";

const groupLabels = (by: SpanGrouping): string[] =>
  by === "service" ? [SPAN_LABELS.service] : [SPAN_LABELS.service, SPAN_LABELS.operation];
const legendOf = (by: SpanGrouping): string =>
  groupLabels(by)
    .map((l) => `{{${l}}}`)
    .join(" ");

function spanSelector(name: string, filter: SpanFilter, extra: Readonly<Record<string, string>> = {}): string {
  const matchers = [
    `${SPAN_LABELS.service}=~${JSON.stringify(filter.service)}`,
    `${SPAN_LABELS.kind}=~${JSON.stringify(filter.kind)}`,
    ...Object.entries(extra).map(([label, value]) => `${label}=${JSON.stringify(value)}`),
  ];
  return `${name}{${matchers.join(", ")}}`;
}

function callsRateExpr(by: SpanGrouping, filter: SpanFilter, extra: Readonly<Record<string, string>> = {}): string {
  return `sum by (${groupLabels(by).join(", ")}) (rate(${spanSelector(SPAN_METRIC_NAMES.calls, filter, extra)}[${RATE_INTERVAL}]))`;
}

/** Spans per second (requests, when the kind filter is inbound). */
export function spanCallRate(by: SpanGrouping, filter: SpanFilter): PromQuery {
  return { expr: callsRateExpr(by, filter), legendFormat: legendOf(by) };
}

/**
 * Share of spans with status Error, 0..1. A service or operation without errors has no error
 * series at all: it is 0 (from `0 * calls`) instead of missing, and an idle one 0 instead of NaN.
 */
export function spanErrorRatio(by: SpanGrouping, filter: SpanFilter): PromQuery {
  const calls = callsRateExpr(by, filter);
  const errors = callsRateExpr(by, filter, { [SPAN_LABELS.status]: SPAN_STATUS_ERROR });
  return { expr: `(${errors} or 0 * ${calls}) / clamp_min(${calls}, 1e-9)`, legendFormat: legendOf(by) };
}

/** The q-quantile of span duration (in SPAN_METRICS_DURATION_UNIT), interpolated within the histogram's buckets. */
export function spanLatency(quantile: number, by: SpanGrouping, filter: SpanFilter): PromQuery {
  const bucket = spanSelector(`${SPAN_METRIC_NAMES.duration}_bucket`, filter);
  return {
    expr: `histogram_quantile(${quantile}, sum by (le, ${groupLabels(by).join(", ")}) (rate(${bucket}[${RATE_INTERVAL}])))`,
    legendFormat: `p${Math.round(quantile * 100)} ${legendOf(by)}`,
  };
}

/**
 * Spans per second counted under the overflow combination: above 0, `traces.spanMetrics.cardinalityLimit`
 * is reached for some service instance (its `job`) and new operations are no longer told apart.
 * `or vector(0)`: a stack within its bound has no overflow series at all.
 */
export function spanOverflowRate(): PromQuery {
  return {
    expr: `sum(rate(${SPAN_METRIC_NAMES.calls}{${SPAN_LABELS.overflow}="true"}[${RATE_INTERVAL}])) or vector(0)`,
    legendFormat: "spans over the limit",
  };
}

/** How many span-metric series the backend holds now: the cost of the feature, in series. */
export function spanSeriesCount(): PromQuery {
  const names = SPAN_SERIES.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|");
  return { expr: `count({__name__=~${JSON.stringify(names)}})`, legendFormat: "series", instant: true };
}

/**
 * The traces datasource's trace → metrics queries (Grafana's `tracesToMetrics`): the span's own
 * operation, its service found through the datasource's tag mapping (`$__tags`: service.name →
 * service_name) and its name through `${__span.name}`. Raw text for Grafana; the caller escapes `$`
 * for provisioning.
 */
export function spanLinkQueries(window = "5m"): { name: string; query: string }[] {
  const own = (name: string) => `${name}{$__tags, ${SPAN_LABELS.operation}="\${__span.name}"}`;
  const calls = `rate(${own(SPAN_METRIC_NAMES.calls)}[${window}])`;
  return [
    { name: "Request rate by status (this operation)", query: `sum by (${SPAN_LABELS.status}) (${calls})` },
    {
      name: "Error ratio (this operation)",
      query: `(sum(rate(${SPAN_METRIC_NAMES.calls}{$__tags, ${SPAN_LABELS.operation}="\${__span.name}", ${SPAN_LABELS.status}="${SPAN_STATUS_ERROR}"}[${window}])) or vector(0)) / clamp_min(sum(${calls}), 1e-9)`,
    },
    {
      name: "p95 latency (this operation)",
      query: `histogram_quantile(0.95, sum by (le) (rate(${own(`${SPAN_METRIC_NAMES.duration}_bucket`)}[${window}])))`,
    },
  ];
}
