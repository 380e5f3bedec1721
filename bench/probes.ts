/**
 * Correctness probes with the official OpenTelemetry JS SDK: every item the collector acknowledged
 * (the exporter got a success) is looked up in the backend (stored). Used for the emit→queryable
 * delay, and as exact witnesses next to telemetrygen's bulk load in the overload and outage steps.
 */
import { ROOT_CONTEXT, trace } from "@opentelemetry/api";
import { OtelClient } from "./lib/client";
import { sleep } from "./lib/harness";

export interface Target {
  grpcPort: number;
  httpPort: number;
  metricsUrl: string;
  tracesUrl: string;
}

const client = (t: Target, serviceName: string, captureSpans = false) =>
  new OtelClient({ protocol: "grpc", grpcPort: t.grpcPort, httpPort: t.httpPort, serviceName, captureSpans, timeoutMillis: 10_000 });

async function vmQuery(base: string, query: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
  const params = new URLSearchParams({ query, nocache: "1" });
  const body = (await fetch(`${base}/api/v1/query?${params}`).then(
    (r) => r.json(),
    () => ({ status: "error" }),
  )) as { status: string; data?: { result: any[] } };
  return body.status === "success" ? body.data!.result : [];
}

/** Raw stored samples per series (export API): series label -> timestamps. */
async function vmExport(base: string, selector: string): Promise<Map<string, Set<number>>> {
  const out = new Map<string, Set<number>>();
  const text = await fetch(`${base}/api/v1/export?${new URLSearchParams({ "match[]": selector })}`).then(
    (r) => r.text(),
    () => "",
  );
  for (const line of text.split("\n")) {
    if (!line) continue;
    const row = JSON.parse(line) as { metric: Record<string, string>; timestamps: number[] };
    out.set(row.metric.series ?? "", new Set(row.timestamps));
  }
  return out;
}

export async function vmScalar(base: string, query: string): Promise<number> {
  const result = await vmQuery(base, query);
  return result.length > 0 ? Number(result[0]!.value[1]) : 0;
}

/**
 * Delay from emit to queryable: `probes` probes, one every `everyMs`, for a metric (a new value on an
 * existing series, read raw with nocache=1) and a span (its own trace, read by trace id).
 */
export async function delays(t: Target, probes: number, everyMs: number, timeoutMs: number): Promise<{ metric: number[]; span: number[] }> {
  const job = `bench-delay-${Date.now() % 1_000_000}`;
  const m = client(t, job);
  const gauge = m.meter().createGauge("bench.delay.value");
  gauge.record(-1);
  await m.exportMetricsNow();
  const warm = Date.now();
  while (Date.now() - warm < timeoutMs && (await vmQuery(t.metricsUrl, `bench_delay_value{job="${job}"}`)).length === 0) await sleep(200);
  const s = client(t, `${job}-spans`, true);
  const tracer = s.tracer();
  const emitted: number[] = [];
  const metricSeen = new Map<number, number>();
  const pendingSpans = new Map<string, number>();
  const spanDelays: number[] = [];
  let sending = true;
  const deadline = Date.now() + probes * everyMs + timeoutMs;
  const metricPoller = (async () => {
    while ((sending || metricSeen.size < emitted.length) && Date.now() < deadline) {
      const tick = Date.now();
      const result = await vmQuery(t.metricsUrl, `bench_delay_value{job="${job}"}`);
      const value = result.length > 0 ? Number(result[0]!.value[1]) : -1;
      const now = Date.now();
      for (let i = 0; i <= value && i < emitted.length; i++) if (!metricSeen.has(i)) metricSeen.set(i, now - emitted[i]!);
      await sleep(Math.max(0, 100 - (Date.now() - tick)));
    }
  })();
  const spanPoller = (async () => {
    while ((sending || pendingSpans.size > 0) && Date.now() < deadline) {
      const tick = Date.now();
      await Promise.all(
        [...pendingSpans].map(async ([traceId, at]) => {
          const body = (await fetch(`${t.tracesUrl}/api/traces/${traceId}`).then(
            (r) => (r.ok ? r.json() : {}),
            () => ({}),
          )) as { data?: unknown[] };
          if ((body.data?.length ?? 0) > 0 && pendingSpans.delete(traceId)) spanDelays.push(Date.now() - at);
        }),
      );
      await sleep(Math.max(0, 100 - (Date.now() - tick)));
    }
  })();
  for (let i = 0; i < probes; i++) {
    const tick = Date.now();
    gauge.record(i);
    emitted[i] = Date.now();
    const span = tracer.startSpan(`probe ${i}`);
    span.end();
    await Promise.all([m.exportMetricsNow(), s.exportCapturedSpans()]);
    pendingSpans.set(span.spanContext().traceId, emitted[i]!);
    await sleep(Math.max(0, everyMs - (Date.now() - tick)));
  }
  sending = false;
  await Promise.all([metricPoller, spanPoller]);
  await Promise.all([m.shutdown(), s.shutdown()]);
  return { metric: [...metricSeen.values()], span: spanDelays };
}

export interface WitnessResult {
  /** Items the collector acknowledged to the SDK. */
  acked: number;
  /** Exports that failed (refused, timed out). */
  failed: number;
  /** Acknowledged items found in the backend after settling. */
  stored: number;
  /** acked − stored: must be 0. */
  ackedButLost: number;
}

/**
 * An exact witness running beside bulk load: every `everyMs` it exports a counter with `series`
 * series (metrics) and a trace of `spans` spans, remembers what was acknowledged, and after `stop()`
 * waits up to `settleMs` until every acknowledged item is stored.
 */
export function witness(t: Target, opts: { series: number; spans: number; everyMs: number }) {
  const name = `bench-witness-${Date.now() % 1_000_000}`;
  const m = client(t, name);
  const s = client(t, `${name}-spans`, true);
  const counter = m.meter().createCounter("bench.witness");
  const tracer = s.tracer();
  const ackedTimes = new Set<number>();
  const ackedSpans = new Set<string>();
  let ackedTraces = 0;
  let failed = 0;
  let running = true;
  const loop = (async () => {
    for (let tick = 0; running; tick++) {
      const t0 = Date.now();
      for (let i = 0; i < opts.series; i++) counter.add(1, { series: `s${i}` });
      const root = tracer.startSpan(`witness ${tick}`);
      const parent = trace.setSpan(ROOT_CONTEXT, root);
      for (let i = 1; i < opts.spans; i++) tracer.startSpan(`child ${i}`, {}, parent).end();
      root.end();
      const [metrics, spans] = await Promise.all([m.exportMetricsWithTimes(), s.exportCapturedSpans()]);
      if (metrics.ok) for (const time of new Set(metrics.timesMs)) ackedTimes.add(time);
      else failed += 1;
      if (spans.ok) {
        for (const id of spans.spanIds) ackedSpans.add(id);
        ackedTraces += 1;
      } else failed += 1;
      await sleep(Math.max(0, opts.everyMs - (Date.now() - t0)));
    }
  })();
  const storedNow = async (): Promise<number> => {
    let stored = 0;
    for (const timestamps of (await vmExport(t.metricsUrl, `bench_witness_total{job="${name}"}`)).values())
      for (const time of ackedTimes) if (timestamps.has(time)) stored += 1;
    const body = (await fetch(
      `${t.tracesUrl}/api/traces?${new URLSearchParams({ service: `${name}-spans`, limit: String(ackedTraces + 10), lookback: "1h" })}`,
    ).then(
      (r) => (r.ok ? r.json() : { data: [] }),
      () => ({ data: [] }),
    )) as { data: { spans: { spanID: string }[] }[] | null };
    const have = new Set((body.data ?? []).flatMap((tr) => tr.spans.map((sp) => sp.spanID)));
    for (const id of ackedSpans) if (have.has(id)) stored += 1;
    return stored;
  };
  const settle = async (settleMs: number): Promise<WitnessResult> => {
    const acked = ackedTimes.size * opts.series + ackedSpans.size;
    const until = Date.now() + settleMs;
    let stored = await storedNow();
    while (stored < acked && Date.now() < until) {
      await sleep(2_000);
      stored = await storedNow();
    }
    await Promise.all([m.shutdown(), s.shutdown()]);
    return { acked, failed, stored, ackedButLost: acked - stored };
  };
  return {
    /** Stop sending (what was acknowledged so far is what will be looked for). */
    async halt(): Promise<void> {
      running = false;
      await loop;
    },
    /** Wait up to settleMs until every acknowledged item is stored; count. */
    settle,
    async stop(settleMs: number): Promise<WitnessResult> {
      running = false;
      await loop;
      return settle(settleMs);
    },
  };
}
