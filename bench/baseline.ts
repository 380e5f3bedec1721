/**
 * The baseline: the seeds' own collector configuration (shared/seeds: `batch` 10 s / 1024, a
 * memory_limiter at 75 % / 15 % of the container limit, in-memory queues, exporter defaults), rendered
 * for the same backends the program plans, so the only difference from ours is the collector's config.
 * Written here, not through configs/collector.ts: that renderer is the program's, and the baseline is
 * what a user would run without it.
 */
import { toYaml } from "../configs/serialize";
import type { ExporterPlan } from "../configs/types";
import type { CollectorPorts } from "./lib/components";

export const BASELINE = {
  batch: { timeout: "10s", send_batch_size: 1024 },
  memoryLimiter: { check_interval: "1s", limit_percentage: 75, spike_limit_percentage: 15 },
} as const;

/** The keys of an exporter plan's config the seeds' config has too: where to send, and TLS off on loopback. */
const SEEDS_EXPORTER_KEYS = ["endpoint", "logs_endpoint", "tls"] as const;

function seedsExporter(config: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(SEEDS_EXPORTER_KEYS.filter((k) => k in config).map((k) => [k, config[k]]));
}

export function renderBaselineYaml(exporters: ExporterPlan[], ports: CollectorPorts): string {
  const pipelines: Record<string, unknown> = {};
  for (const signal of ["metrics", "traces", "logs"] as const) {
    const ids = exporters.filter((e) => e.signals.includes(signal)).map((e) => e.id);
    if (ids.length > 0) pipelines[signal] = { receivers: ["otlp"], processors: ["memory_limiter", "batch"], exporters: ids };
  }
  return toYaml({
    extensions: { health_check: { endpoint: `127.0.0.1:${ports.health}` } },
    receivers: {
      otlp: { protocols: { grpc: { endpoint: `127.0.0.1:${ports.otlpGrpc}` }, http: { endpoint: `127.0.0.1:${ports.otlpHttp}` } } },
    },
    processors: { memory_limiter: BASELINE.memoryLimiter, batch: BASELINE.batch },
    // Only the endpoint (and TLS off on loopback) from the program's exporter plans: queue, retry,
    // timeouts and compression (gzip) stay at the collector's defaults, as in the seeds.
    exporters: Object.fromEntries(exporters.map((e) => [e.id, seedsExporter(e.config)])),
    service: {
      extensions: ["health_check"],
      telemetry: {
        logs: { level: "info", encoding: "json" },
        // The same internal metrics as ours, read by the benchmark (refused/accepted/sent counters).
        metrics: { level: "detailed", readers: [{ pull: { exporter: { prometheus: { host: "127.0.0.1", port: ports.metrics } } } }] },
      },
      pipelines,
    },
  });
}
