/**
 * Size tiers: memory per container, in MB, plus the collector's batching and queue sizes.
 *
 * VictoriaMetrics / Collector / Grafana come from the seed's production table
 * (small 256/128/256, medium 512/256/512, large 1024/512/512), except the small collector:
 * 192 MB, not 128. A container's memory cgroup is charged the page cache of the ~110 MB collector
 * binary (~68 MB mapped once started, ~16–20 MB hot under load) besides the Go runtime; at 128 MB
 * the benchmark's overload step wedged it on major faults (code pages evicted) in every run, at
 * 192 MB it stayed responsive and lost nothing (docs/BENCHMARKS.md; configs/collector.ts
 * memoryLimits keeps COLLECTOR_NON_HEAP_MB of every tier for those pages).
 * The rest are our choices:
 * - Jaeger: the seed measured 200–300 MB for an in-memory Jaeger; we give it 256 MB on small. Its
 *   memory store is bounded in traces, not bytes: the benchmark measured ~1.4 KB per stored span
 *   (402 MB peak with ~280k spans), so `maxTraces` assumes traces of ~10 spans and keeps the store
 *   near 140 MB on small (docs/BENCHMARKS.md). With badger most data lives on disk.
 * - Traefik: a router with a handful of routes sits at 30–50 MB RSS; 64 MB is headroom on small.
 * - Prometheus holds ~2 h of head block in memory, so it needs about twice VictoriaMetrics.
 */
export const TIERS = {
  small: {
    memoryMb: {
      collector: 192,
      victoriametrics: 256,
      prometheus: 512,
      jaeger: 256,
      tempo: 256,
      victorialogs: 128,
      loki: 256,
      grafana: 256,
      traefik: 64,
    },
    /** in-memory trace store bound (Jaeger memory storage). */
    maxTraces: 10_000,
    /** Persistent queue length (batches) per exporter. */
    queueSize: 1_000,
    batch: { sendBatchSize: 1_024, sendBatchMaxSize: 2_048, timeout: "1s" },
  },
  medium: {
    memoryMb: {
      collector: 256,
      victoriametrics: 512,
      prometheus: 1_024,
      jaeger: 512,
      tempo: 512,
      victorialogs: 256,
      loki: 512,
      grafana: 512,
      traefik: 128,
    },
    maxTraces: 25_000,
    queueSize: 2_500,
    batch: { sendBatchSize: 2_048, sendBatchMaxSize: 4_096, timeout: "1s" },
  },
  large: {
    memoryMb: {
      collector: 512,
      victoriametrics: 1_024,
      prometheus: 2_048,
      jaeger: 1_024,
      tempo: 1_024,
      victorialogs: 512,
      loki: 1_024,
      grafana: 512,
      traefik: 128,
    },
    maxTraces: 50_000,
    queueSize: 5_000,
    batch: { sendBatchSize: 4_096, sendBatchMaxSize: 8_192, timeout: "1s" },
  },
} as const;

export type TierName = keyof typeof TIERS;
export type Tier = (typeof TIERS)[TierName];
export type ServiceRole = keyof Tier["memoryMb"];
export const TIER_NAMES = Object.keys(TIERS) as [TierName, ...TierName[]];
