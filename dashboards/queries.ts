/**
 * What is measured, independent of how it is shown: PromQL builders over catalog entries.
 * Panels (scotty.ts) and alerts (alerts.ts) only pick from these.
 */
import { CatalogMetric } from "./catalog";
import { InstrumentKind, prometheusLabel } from "./naming";

/** Grafana picks a window of at least 4 scrape intervals, so rates never come out empty on zoom. */
export const RATE_INTERVAL = "$__rate_interval";

export interface PromQuery {
  expr: string;
  legendFormat: string;
  /** Ask the backend for exemplars (latency panels: jump from a slow bucket to its trace). */
  exemplar?: boolean;
  /** One value per series (stat panels) instead of a range. */
  instant?: boolean;
}

/**
 * Labels the exporter adds besides the instrument's attributes: `job` from service.name, `instance`
 * only when the app sets service.instance.id (Scotty does not, so never group Scotty's series by it).
 */
const RESOURCE_LABELS = ["job", "instance"] as const;

function requireKind(metric: CatalogMetric, allowed: readonly InstrumentKind[], what: string): void {
  if (!allowed.includes(metric.kind)) {
    throw new Error(`${what}: ${metric.otelName} is a ${metric.kind}; expected ${allowed.join(" or ")}`);
  }
}

/** Breakdown labels must exist on the metric, or the panel silently collapses into one series. */
function labelsFor(metric: CatalogMetric, by: readonly string[]): string[] {
  const known = new Set<string>([...metric.attributes, ...RESOURCE_LABELS]);
  for (const attr of by) {
    if (!known.has(attr)) {
      throw new Error(`${metric.otelName} has no attribute ${JSON.stringify(attr)} (it has: ${[...known].join(", ")})`);
    }
  }
  return by.map(prometheusLabel);
}

function sumBy(labels: readonly string[], inner: string): string {
  return labels.length === 0 ? `sum(${inner})` : `sum by (${labels.join(", ")}) (${inner})`;
}

function legendFor(labels: readonly string[], fallback: string): string {
  return labels.length === 0 ? fallback : labels.map((l) => `{{${l}}}`).join(" ");
}

/** `{status=~"5.."}` style matchers; values are PromQL string literals. */
export type Matchers = Readonly<Record<string, { op: "=" | "!=" | "=~" | "!~"; value: string }>>;

export function selector(name: string, matchers: Matchers = {}): string {
  const parts = Object.entries(matchers).map(([label, m]) => `${label}${m.op}${JSON.stringify(m.value)}`);
  return parts.length === 0 ? name : `${name}{${parts.join(", ")}}`;
}

export interface RateOptions {
  by?: readonly string[];
  matchers?: Matchers;
  legend?: string;
  window?: string;
}

/** Per-second rate of a counter, summed over everything but `by`. */
export function counterRate(metric: CatalogMetric, options: RateOptions = {}): PromQuery {
  requireKind(metric, ["counter"], "counterRate");
  const labels = labelsFor(metric, options.by ?? []);
  const inner = `rate(${selector(metric.promName, options.matchers)}[${options.window ?? RATE_INTERVAL}])`;
  return { expr: sumBy(labels, inner), legendFormat: options.legend ?? legendFor(labels, metric.description) };
}

/** Share of a counter's rate matching `matchers` (e.g. 5xx of all requests), 0..1, optionally per `by`. */
export function counterRatio(metric: CatalogMetric, matchers: Matchers, legend?: string, by: readonly string[] = []): PromQuery {
  requireKind(metric, ["counter"], "counterRatio");
  return ratioOf(counterRate(metric, { matchers, by }), [counterRate(metric, { by })], legend);
}

/**
 * `part / (whole1 + whole2 ...)`, 0..1 (e.g. failed flows of all device and web flows). All terms
 * must share their grouping labels. `clamp_min` keeps an idle service at 0 instead of a division by
 * zero (NaN) gap.
 */
export function ratioOf(part: PromQuery, wholes: readonly PromQuery[], legend?: string): PromQuery {
  if (wholes.length === 0) throw new Error("ratioOf: at least one whole is needed");
  return { expr: `${part.expr} / clamp_min(${wholes.map((w) => w.expr).join(" + ")}, 1e-9)`, legendFormat: legend ?? part.legendFormat };
}

export const DEFAULT_QUANTILES = [0.5, 0.95, 0.99] as const;

export interface QuantileOptions {
  quantiles?: readonly number[];
  /** Dimensions next to `le`, e.g. one p95 line per path. */
  by?: readonly string[];
  /** Ask for exemplars: only useful where the app records trace ids on the histogram (HTTP). */
  exemplar?: boolean;
}

/** pXX of a histogram, aggregated over all series but `by`. */
export function histogramQuantiles(metric: CatalogMetric, options: QuantileOptions = {}): PromQuery[] {
  requireKind(metric, ["histogram"], "histogramQuantiles");
  const labels = labelsFor(metric, options.by ?? []);
  const grouping = ["le", ...labels].join(", ");
  return (options.quantiles ?? DEFAULT_QUANTILES).map((q) => {
    const name = `p${Math.round(q * 100)}`;
    return {
      expr: `histogram_quantile(${q}, sum by (${grouping}) (rate(${metric.promName}_bucket[${RATE_INTERVAL}])))`,
      legendFormat: labels.length === 0 ? name : `${name} ${legendFor(labels, "")}`,
      ...(options.exemplar ? { exemplar: true } : {}),
    };
  });
}

/** Mean observation (`_sum / _count`), e.g. the average number of services per app. */
export function histogramMean(metric: CatalogMetric, legend = "mean"): PromQuery {
  requireKind(metric, ["histogram"], "histogramMean");
  const sum = `sum(rate(${metric.promName}_sum[${RATE_INTERVAL}]))`;
  const count = `sum(rate(${metric.promName}_count[${RATE_INTERVAL}]))`;
  return { expr: `${sum} / clamp_min(${count}, 1e-9)`, legendFormat: legend };
}

export interface ValueOptions {
  by?: readonly string[];
  /** `sum` adds instances up (fleet-wide counts); `none` keeps one series per instance (memory). */
  aggregate?: "sum" | "none";
  legend?: string;
  instant?: boolean;
}

/** Current value of a gauge or up-down counter. */
export function currentValue(metric: CatalogMetric, options: ValueOptions = {}): PromQuery {
  requireKind(metric, ["gauge", "updowncounter"], "currentValue");
  const labels = labelsFor(metric, options.by ?? []);
  const expr = options.aggregate === "none" ? metric.promName : sumBy(labels, metric.promName);
  const fallback = options.aggregate === "none" ? "{{job}} {{instance}}" : metric.description;
  return {
    expr,
    legendFormat: options.legend ?? legendFor(labels, fallback),
    ...(options.instant ? { instant: true } : {}),
  };
}

/** Slope per second of a gauge (memory growth), per instance. */
export function gaugeDerivative(metric: CatalogMetric, window: string, legend = "{{job}} {{instance}}"): PromQuery {
  requireKind(metric, ["gauge", "updowncounter"], "gaugeDerivative");
  return { expr: `deriv(${metric.promName}[${window}])`, legendFormat: legend };
}

/** Grafana unit for a metric's own values (gauge levels, histogram observations). */
export function valueUnit(metric: CatalogMetric): string {
  switch (metric.unit) {
    case "s":
      return "s";
    case "ms":
      return "ms";
    // Scotty declares its memory gauges in `bytes`, not UCUM `By`: both are bytes.
    case "By":
    case "bytes":
      return "bytes";
    case "1":
      return "percentunit";
    default:
      return "short";
  }
}

/** Grafana unit for the per-second rate of a counter. */
export function rateUnit(metric: CatalogMetric): string {
  if (metric.rateUnit) return metric.rateUnit;
  if (metric.unit === "By" || metric.unit === "bytes") return "Bps";
  return "cps";
}
