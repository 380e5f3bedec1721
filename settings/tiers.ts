import { backendDescriptors, type BackendKind } from "./backends";

/**
 * Size tiers: memory per container, in MB, plus the collector's batching and queue sizes. The
 * backends' memory is in their descriptors (settings/backends.ts); the other roles' is here.
 *
 * Collector / Grafana come from the seed's production table (small 128/256, medium 256/512,
 * large 512/512), except the small collector: 192 MB, not 128. A container's memory cgroup is
 * charged the page cache of the ~110 MB collector binary (~68 MB mapped once started, ~16–20 MB hot
 * under load) besides the Go runtime; at 128 MB the benchmark's overload step wedged it on major
 * faults (code pages evicted) in every run, at 192 MB it stayed responsive and lost nothing
 * (docs/BENCHMARKS.md; configs/collector.ts memoryLimits keeps COLLECTOR_NON_HEAP_MB of every tier
 * for those pages).
 * The rest are our choices:
 * - Jaeger's memory store is bounded in traces, not bytes: the benchmark measured ~1.4 KB per
 *   stored span (402 MB peak with ~280k spans), so `maxTraces` assumes traces of ~10 spans and
 *   keeps the store near 140 MB on small (docs/BENCHMARKS.md).
 * - Traefik: a router with a handful of routes sits at 30–50 MB RSS; 64 MB is headroom on small.
 *
 * CPU limits (Docker `--cpus`, cores), each from a measurement on the 2-core reference machine:
 * - collector 1.0: runs 2026-12-06T07:17:33 and 2026-12-06T23:04:05 of `npm run bench` ran every tier's
 *   collector in this quota (docs/BENCHMARKS.md, "Tiers compared"): small, medium and large held their
 *   ceilings (metrics 40–65k points/s, traces 20–40k spans/s, logs 49–70k records/s, no tier ahead of
 *   the others in both runs) at 36–73 % of the core, and their first failing steps failed on slow
 *   acknowledgements or client-side drops at 53–75 % of it, not on the quota: the load generator and
 *   the backends share the 2 cores. A second core would not have raised a measured figure, so every
 *   tier keeps 1.0; what the bigger tiers buy is memory: Scotty instances (100 on every tier in run
 *   2026-12-06T23:04:05, 200 on medium and large in the first; at 200 the memory_limiter refused some
 *   exports: backpressure, nothing acknowledged lost), queue length and stored traces. Run
 *   2026-12-07T22:03:50 (the shipped config, GOGC 200) agrees: ceilings held at 43–59 % of the core
 *   (metrics 66–70k, traces 40–50k, logs 67–71k), first failing steps at 55–65 %; Scotty instances
 *   100 on small (200 refused 45,676 points), 200 on medium and large (400 refused). Earlier
 *   (2026-12-04, no quota): 64 % at the small metrics ceiling, 84 % in the 2× overload step.
 * - backends 1.0: at the same ceilings (`npx tsx bench/backend-cpu.ts`, 2026-12-05, load average
 *   1.7–2.5 from other work): VictoriaMetrics 7 %, Jaeger 22 %, VictoriaLogs 5 % of a core; Prometheus
 *   46–56 % (load average 3–4.5). The bound is the highest of them rounded up to a core: queries and
 *   background merges, which that load does not make, get the rest. Tempo and Loki are not run here.
 * - Grafana 1.0 and Traefik 1.0: not measured by the bench (Grafana cannot be run here; Traefik only
 *   carries UI traffic and, with ingest.route, OTLP/HTTP at up to the collector's rate, so it gets the
 *   collector's bound). One core each leaves the other core of the reference machine to the rest.
 * - the collector probe 0.1: one `wget` every 10 s.
 *
 * Span metrics (`spanMetricsCombinations`): the most span-metric combinations (span name × kind ×
 * status × dimensions, each ~15 series) the collector keeps in total, over every service instance.
 * The span_metrics connector holds them all and, every 15 s, writes all of them: the remote-write
 * exporter converts each flush into one time series per bucket at once, so the memory a flush takes
 * grows with this number and no memory_limiter refuses it; each service instance it tracks also keeps
 * the first request it came in with alive (the connector holds that request's resource attributes).
 * Measured on small (test/integration/faults.test.ts, fault (c): ~375 MiB of spans from 16 services in
 * 192 MB, load average 8–12 from other work): 16 × 63 = 1,008 combinations refused the overflow, stayed
 * up and accepted again (2 of 2 runs); 16 × 125 = 2,000 stayed up but still refused a minute later
 * (2 of 2); 16 × 250 = 4,000 and the earlier 16 × 500 were OOM-killed (every run). medium and large scale
 * 1,000 by the collector's Go memory (memoryMb − 64): not measured.
 */
/** The same on every tier until medium's and large's ceilings are measured (see above). */
const CPUS = { collector: 1, backends: 1, grafana: 1, traefik: 1, probe: 0.1 } as const;

const LIMITS = {
  small: {
    memoryMb: { collector: 192, grafana: 256, traefik: 64 },
    cpus: CPUS,
    /** in-memory trace store bound (Jaeger memory storage). */
    maxTraces: 10_000,
    /** Span-metric combinations the collector keeps over all services (traces.spanMetrics). */
    spanMetricsCombinations: 1_000,
    /** Persistent queue length (batches) per exporter. */
    queueSize: 1_000,
    batch: { sendBatchSize: 1_024, sendBatchMaxSize: 2_048, timeout: "1s" },
  },
  medium: {
    memoryMb: { collector: 256, grafana: 512, traefik: 128 },
    cpus: CPUS,
    maxTraces: 25_000,
    spanMetricsCombinations: 1_500,
    queueSize: 2_500,
    batch: { sendBatchSize: 2_048, sendBatchMaxSize: 4_096, timeout: "1s" },
  },
  large: {
    memoryMb: { collector: 512, grafana: 512, traefik: 128 },
    cpus: CPUS,
    maxTraces: 50_000,
    spanMetricsCombinations: 3_500,
    queueSize: 5_000,
    batch: { sendBatchSize: 4_096, sendBatchMaxSize: 8_192, timeout: "1s" },
  },
} as const;

export type TierName = keyof typeof LIMITS;
export const TIER_NAMES = Object.keys(LIMITS) as [TierName, ...TierName[]];

/** Every role's memory on a tier: the roles above, and every backend kind from its descriptor. */
export type ServiceRole = keyof (typeof LIMITS)[TierName]["memoryMb"] | BackendKind;
export interface Tier {
  memoryMb: Readonly<Record<ServiceRole, number>>;
  /** CPU limit in cores per role; `backends` for every backend kind, `probe` for the collector's probe. */
  cpus: {
    readonly collector: number;
    readonly backends: number;
    readonly grafana: number;
    readonly traefik: number;
    readonly probe: number;
  };
  maxTraces: number;
  spanMetricsCombinations: number;
  queueSize: number;
  batch: { readonly sendBatchSize: number; readonly sendBatchMaxSize: number; readonly timeout: string };
}

/** One tier's limits, with the memory of every kind described when it is called (a registered one too). */
export function tierLimits(name: TierName): Tier {
  const backends = Object.fromEntries(backendDescriptors().map(([kind, d]) => [kind, d.memoryMb[name]]));
  return { ...LIMITS[name], memoryMb: { ...LIMITS[name].memoryMb, ...backends } as Tier["memoryMb"] };
}

/** The tiers with the built-in kinds' memory (settings read a tier once, as `limits`). */
export const TIERS = Object.fromEntries(TIER_NAMES.map((name) => [name, tierLimits(name)])) as Record<TierName, Tier>;
