/**
 * What is measured about the observability stack itself, shared by the stack-health dashboard
 * and the alert rules. Every name here is a series as it lands in the metrics backend after
 * the collector's prometheus receiver scraped it and remote write stored it.
 */
import { PromQuery, RATE_INTERVAL, selector } from "./queries";

/**
 * Scrape job names. The collector config renderer uses the same constants, so `up{job=...}`
 * and every `{job="..."}` matcher below find what the collector actually scrapes.
 */
export const SCRAPE_JOBS = {
  collector: "otel-collector",
  victoriametrics: "victoriametrics",
  prometheus: "prometheus",
  jaeger: "jaeger",
  tempo: "tempo",
} as const;

export type MetricsBackend = "victoriametrics" | "prometheus";
export type TracesBackend = "jaeger" | "tempo";

export const SIGNALS = [
  { id: "metrics", title: "Metric points", item: "metric_points" },
  { id: "traces", title: "Spans", item: "spans" },
  { id: "logs", title: "Log records", item: "log_records" },
] as const;

export type Signal = (typeof SIGNALS)[number];

export function signal(id: Signal["id"]): Signal {
  const found = SIGNALS.find((s) => s.id === id);
  if (!found) throw new Error(`unknown signal ${id}`);
  return found;
}

/**
 * The collector's own telemetry (its :8888 Prometheus endpoint), as the collector 0.160 exposes
 * it. Jaeger v2 is built on the collector and exposes the same families, told apart only by
 * `job` (except for unit suffixes: see JAEGER_METRICS).
 */
export const COLLECTOR_METRICS = {
  receiverAccepted: (s: Signal) => `otelcol_receiver_accepted_${s.item}_total`,
  receiverRefused: (s: Signal) => `otelcol_receiver_refused_${s.item}_total`,
  exporterSent: (s: Signal) => `otelcol_exporter_sent_${s.item}_total`,
  exporterSendFailed: (s: Signal) => `otelcol_exporter_send_failed_${s.item}_total`,
  queueSize: "otelcol_exporter_queue_size",
  queueCapacity: "otelcol_exporter_queue_capacity",
  /**
   * No `_bytes`: since 0.160 (telemetry config schema v0.3.0) the collector's Prometheus reader
   * defaults to `without_units: true`. `_total` on counters still comes from the metric type.
   */
  memoryRss: "otelcol_process_memory_rss",
  cpuSeconds: "otelcol_process_cpu_seconds_total",
} as const;

/**
 * Jaeger 2.13 embeds collector v0.140, whose Prometheus reader still appends unit suffixes: the
 * same gauge arrives as `otelcol_process_memory_rss_bytes` there. Every other family it exposes
 * has the collector's name.
 */
export const JAEGER_METRICS = {
  memoryRss: "otelcol_process_memory_rss_bytes",
} as const;

export const VICTORIAMETRICS_METRICS = {
  rowsInserted: "vm_rows_inserted_total",
  dataSize: "vm_data_size_bytes",
  freeDiskSpace: "vm_free_disk_space_bytes",
} as const;

export const PROMETHEUS_METRICS = {
  samplesAppended: "prometheus_tsdb_head_samples_appended_total",
  blocksBytes: "prometheus_tsdb_storage_blocks_bytes",
} as const;

export const TEMPO_METRICS = {
  spansReceived: "tempo_distributor_spans_received_total",
  spansDiscarded: "tempo_discarded_spans_total",
} as const;

/** Go client libraries' process metric, exposed by VictoriaMetrics, Prometheus and Tempo. */
export const PROCESS_RSS = "process_resident_memory_bytes";

const byJob = (job: string) => ({ job: { op: "=" as const, value: job } });

export function metricsBackendJob(backend: MetricsBackend): string {
  switch (backend) {
    case "victoriametrics":
      return SCRAPE_JOBS.victoriametrics;
    case "prometheus":
      return SCRAPE_JOBS.prometheus;
    default: {
      const unhandled: never = backend;
      throw new Error(`unknown metrics backend ${String(unhandled)}`);
    }
  }
}

export function tracesBackendJob(backend: TracesBackend): string {
  switch (backend) {
    case "jaeger":
      return SCRAPE_JOBS.jaeger;
    case "tempo":
      return SCRAPE_JOBS.tempo;
    default: {
      const unhandled: never = backend;
      throw new Error(`unknown traces backend ${String(unhandled)}`);
    }
  }
}

/** Scrape health as the dashboard shows it: 1 up, 0 down, one series per instance. */
export function upQuery(job: string): PromQuery {
  return { expr: selector("up", byJob(job)), legendFormat: "{{instance}}", instant: true };
}

/**
 * "Is the target up", robust to the target being unable to report itself: when the collector
 * (which does the scraping and the remote write) or the metrics backend (which stores `up`) is
 * down, `up == 0` never reaches the backend; the series just goes stale. So: the newest sample of
 * the last `window`, minimum over instances, and 0 when there is none at all.
 */
export function healthyQuery(job: string, window = "2m"): PromQuery {
  return {
    expr: `min(last_over_time(${selector("up", byJob(job))}[${window}])) or vector(0)`,
    legendFormat: job,
  };
}

type Outcome = "accepted" | "refused" | "sent" | "failed";

function collectorFamily(signal: Signal, outcome: Outcome): string {
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
export function collectorFlow(job: string, signal: Signal, outcome: Outcome, window = RATE_INTERVAL): PromQuery {
  const component = outcome === "accepted" || outcome === "refused" ? "receiver" : "exporter";
  const flow = (o: Outcome) => `sum by (${component}) (rate(${selector(collectorFamily(signal, o), byJob(job))}[${window}]))`;
  return {
    expr: outcome === "failed" ? `${flow("failed")} or (${flow("sent")} * 0)` : flow(outcome),
    legendFormat: `${outcome} {{${component}}}`,
  };
}

export function queueSize(job: string): PromQuery {
  return { expr: `max by (exporter) (${selector(COLLECTOR_METRICS.queueSize, byJob(job))})`, legendFormat: "size {{exporter}}" };
}

export function queueCapacity(job: string): PromQuery {
  return { expr: `max by (exporter) (${selector(COLLECTOR_METRICS.queueCapacity, byJob(job))})`, legendFormat: "capacity {{exporter}}" };
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
  return { expr: selector(name, byJob(job)), legendFormat: "{{instance}}" };
}

export function collectorCpu(job: string): PromQuery {
  return { expr: `rate(${selector(COLLECTOR_METRICS.cpuSeconds, byJob(job))}[${RATE_INTERVAL}])`, legendFormat: "{{instance}}" };
}

export function processMemory(job: string): PromQuery {
  return { expr: selector(PROCESS_RSS, byJob(job)), legendFormat: "{{instance}}" };
}

/** Samples (rows) per second the metrics backend stores. */
export function metricsIngestion(backend: MetricsBackend): PromQuery {
  const job = metricsBackendJob(backend);
  switch (backend) {
    case "victoriametrics":
      return {
        expr: `sum by (type) (rate(${selector(VICTORIAMETRICS_METRICS.rowsInserted, byJob(job))}[${RATE_INTERVAL}]))`,
        legendFormat: "{{type}}",
      };
    case "prometheus":
      return {
        expr: `sum(rate(${selector(PROMETHEUS_METRICS.samplesAppended, byJob(job))}[${RATE_INTERVAL}]))`,
        legendFormat: "samples appended",
      };
    default: {
      const unhandled: never = backend;
      throw new Error(`unknown metrics backend ${String(unhandled)}`);
    }
  }
}

/** Bytes on disk (and, for VictoriaMetrics, the free space left next to them). */
export function metricsStorage(backend: MetricsBackend): PromQuery[] {
  const job = metricsBackendJob(backend);
  switch (backend) {
    case "victoriametrics":
      return [
        { expr: `sum(${selector(VICTORIAMETRICS_METRICS.dataSize, byJob(job))})`, legendFormat: "data size" },
        { expr: `min(${selector(VICTORIAMETRICS_METRICS.freeDiskSpace, byJob(job))})`, legendFormat: "free disk space" },
      ];
    case "prometheus":
      return [{ expr: `sum(${selector(PROMETHEUS_METRICS.blocksBytes, byJob(job))})`, legendFormat: "persisted blocks" }];
    default: {
      const unhandled: never = backend;
      throw new Error(`unknown metrics backend ${String(unhandled)}`);
    }
  }
}

/** Spans per second the traces backend takes in, and what it refuses or drops. */
export function tracesIngestion(backend: TracesBackend): PromQuery[] {
  const job = tracesBackendJob(backend);
  const spans = signal("traces");
  switch (backend) {
    case "jaeger":
      return [collectorFlow(job, spans, "accepted"), collectorFlow(job, spans, "refused")];
    case "tempo":
      return [
        { expr: `sum(rate(${selector(TEMPO_METRICS.spansReceived, byJob(job))}[${RATE_INTERVAL}]))`, legendFormat: "received" },
        {
          expr: `sum by (reason) (rate(${selector(TEMPO_METRICS.spansDiscarded, byJob(job))}[${RATE_INTERVAL}]))`,
          legendFormat: "discarded {{reason}}",
        },
      ];
    default: {
      const unhandled: never = backend;
      throw new Error(`unknown traces backend ${String(unhandled)}`);
    }
  }
}

export function tracesMemory(backend: TracesBackend): PromQuery {
  const job = tracesBackendJob(backend);
  // Jaeger v2 reports through the collector's telemetry, the others through the Go client library.
  return backend === "jaeger" ? collectorMemory(job, JAEGER_METRICS.memoryRss) : processMemory(job);
}
