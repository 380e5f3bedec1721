/**
 * What is measured about the observability stack itself, shared by the stack-health dashboard
 * and the alert rules. Every name here is a series as it lands in the metrics backend after
 * the collector's prometheus receiver scraped it and remote write stored it. A backend's own
 * families live in its module (configs/backends), built with the job-scoped helpers below.
 */
import type { Signal } from "../settings/names";
import { PromQuery, RATE_INTERVAL, selector } from "./queries";

/** How the collector's own telemetry names a signal's items, and how the dashboard titles them. */
export interface SignalSeries {
  id: Signal;
  title: string;
  item: string;
}

export const SIGNAL_SERIES = [
  { id: "metrics", title: "Metric points", item: "metric_points" },
  { id: "traces", title: "Spans", item: "spans" },
  { id: "logs", title: "Log records", item: "log_records" },
] as const satisfies readonly SignalSeries[];

export function signal(id: Signal): SignalSeries {
  const found = SIGNAL_SERIES.find((s) => s.id === id);
  if (!found) throw new Error(`unknown signal ${id}`);
  return found;
}

/**
 * The collector's own telemetry (its :8888 Prometheus endpoint), as the collector 0.160 exposes
 * it. Jaeger v2 is built on the collector and exposes the same families, told apart only by
 * `job` (except for unit suffixes: configs/backends/jaeger.ts).
 */
export const COLLECTOR_METRICS = {
  receiverAccepted: (s: SignalSeries) => `otelcol_receiver_accepted_${s.item}_total`,
  receiverRefused: (s: SignalSeries) => `otelcol_receiver_refused_${s.item}_total`,
  exporterSent: (s: SignalSeries) => `otelcol_exporter_sent_${s.item}_total`,
  exporterSendFailed: (s: SignalSeries) => `otelcol_exporter_send_failed_${s.item}_total`,
  queueSize: "otelcol_exporter_queue_size",
  queueCapacity: "otelcol_exporter_queue_capacity",
  /**
   * No `_bytes`: since 0.160 (telemetry config schema v0.3.0) the collector's Prometheus reader
   * defaults to `without_units: true`. `_total` on counters still comes from the metric type.
   */
  memoryRss: "otelcol_process_memory_rss",
  cpuSeconds: "otelcol_process_cpu_seconds_total",
} as const;

/** Go client libraries' process metric, exposed by VictoriaMetrics, Prometheus and Tempo. */
export const PROCESS_RSS = "process_resident_memory_bytes";

/** `metric{job="…"}`: one component's own series (several expose the same names, told apart by job). */
export function jobSelector(metric: string, job: string): string {
  return selector(metric, { job: { op: "=", value: job } });
}

/** `sum [by (…)] (rate(metric{job="…"}[$__rate_interval]))`: a component's own counter, per second. */
export function jobRate(metric: string, job: string, legendFormat: string, by: readonly string[] = []): PromQuery {
  const inner = `rate(${jobSelector(metric, job)}[${RATE_INTERVAL}])`;
  return { expr: by.length === 0 ? `sum(${inner})` : `sum by (${by.join(", ")}) (${inner})`, legendFormat };
}

/** A component's own gauge over its instances: `sum` of sizes, `min` of what is left. */
export function jobGauge(aggregation: "sum" | "min", metric: string, job: string, legendFormat: string): PromQuery {
  return { expr: `${aggregation}(${jobSelector(metric, job)})`, legendFormat };
}

/** Scrape health as the dashboard shows it: 1 up, 0 down, one series per instance. */
export function upQuery(job: string): PromQuery {
  return { expr: jobSelector("up", job), legendFormat: "{{instance}}", instant: true };
}

/**
 * "Is the target up", robust to the target being unable to report itself: when the collector
 * (which does the scraping and the remote write) or the metrics backend (which stores `up`) is
 * down, `up == 0` never reaches the backend; the series just goes stale. So: the newest sample of
 * the last `window`, minimum over instances, and 0 when there is none at all.
 */
export function healthyQuery(job: string, window = "2m"): PromQuery {
  return {
    expr: `min(last_over_time(${jobSelector("up", job)}[${window}])) or vector(0)`,
    legendFormat: job,
  };
}

type Outcome = "accepted" | "refused" | "sent" | "failed";

function collectorFamily(signal: SignalSeries, outcome: Outcome): string {
  switch (outcome) {
    case "accepted":
      return COLLECTOR_METRICS.receiverAccepted(signal);
    case "refused":
      return COLLECTOR_METRICS.receiverRefused(signal);
    case "sent":
      return COLLECTOR_METRICS.exporterSent(signal);
    case "failed":
      return COLLECTOR_METRICS.exporterSendFailed(signal);
    default: {
      const unhandled: never = outcome;
      throw new Error(`unknown outcome ${String(unhandled)}`);
    }
  }
}

/**
 * Items per second through the collector's receivers (accepted/refused) or exporters (sent/failed).
 *
 * `failed` falls back to 0 per exporter that sends the signal: the collector (0.160) creates a
 * send-failure series only at an exporter's first failure, so a healthy exporter has none, and a
 * bare failure query would show "no data" rather than "0 failed". (Receivers record refused items
 * even when there are none, so `refused` needs no fallback.)
 */
export function collectorFlow(job: string, signal: SignalSeries, outcome: Outcome, window = RATE_INTERVAL): PromQuery {
  const component = outcome === "accepted" || outcome === "refused" ? "receiver" : "exporter";
  const flow = (o: Outcome) => `sum by (${component}) (rate(${jobSelector(collectorFamily(signal, o), job)}[${window}]))`;
  return {
    expr: outcome === "failed" ? `${flow("failed")} or (${flow("sent")} * 0)` : flow(outcome),
    legendFormat: `${outcome} {{${component}}}`,
  };
}

export function queueSize(job: string): PromQuery {
  return { expr: `max by (exporter) (${jobSelector(COLLECTOR_METRICS.queueSize, job)})`, legendFormat: "size {{exporter}}" };
}

export function queueCapacity(job: string): PromQuery {
  return { expr: `max by (exporter) (${jobSelector(COLLECTOR_METRICS.queueCapacity, job)})`, legendFormat: "capacity {{exporter}}" };
}

/**
 * Queue fill 0..1 per exporter. Both sides are aggregated to `exporter` first: depending on the
 * collector version the two gauges carry different extra labels (`data_type`), and a plain
 * `size / capacity` would then match nothing and never fire.
 */
export function queueFill(job: string): PromQuery {
  return { expr: `${queueSize(job).expr} / ${queueCapacity(job).expr}`, legendFormat: "{{exporter}}" };
}

/** RSS of a collector-based process: the collector itself or (with Jaeger's name) Jaeger v2. */
export function collectorMemory(job: string, name: string = COLLECTOR_METRICS.memoryRss): PromQuery {
  return { expr: jobSelector(name, job), legendFormat: "{{instance}}" };
}

export function collectorCpu(job: string): PromQuery {
  return { expr: `rate(${jobSelector(COLLECTOR_METRICS.cpuSeconds, job)}[${RATE_INTERVAL}])`, legendFormat: "{{instance}}" };
}

export function processMemory(job: string): PromQuery {
  return { expr: jobSelector(PROCESS_RSS, job), legendFormat: "{{instance}}" };
}
