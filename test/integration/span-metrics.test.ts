import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rendererInputs } from "../../configs/stack";
import { SERIES_PER_COMBINATION, SPAN_LABELS, SPAN_METRIC_NAMES, allPromQL } from "../../dashboards";
import { SERVICES_DASHBOARD_UID } from "../../dashboards/services";
import { groupingLabels } from "../fixtures/seed";
import { OtelClient } from "../../bench/lib/client";
import { promQuery, sleep, stopAll, waitFor } from "../../bench/lib/harness";
import { startRounds, type Rounds } from "../helpers/rounds";
import { LoopbackStack, loopbackStack, startBackend, startCollector } from "../../bench/lib/stack";

/**
 * Span metrics for real: the OpenTelemetry JS SDK sends spans of known kinds, statuses and exact
 * durations (explicit start and end times) through the real collector, whose rendered span_metrics
 * connector turns them into calls and duration histograms in the real metrics backend; the real
 * Jaeger v2 (rendered config, metrics storage pointed at that backend) answers its Monitor tab's
 * API from them; every query of the "Services (from traces)" dashboard returns data. Once per
 * metrics backend.
 *
 * Each round (every ROUND_MS), per service:
 *   checkout   POST /orders      server  3 × 40 ms ok + 1 × 300 ms error   (http.request.method POST)
 *              validate cart     internal 1 × 2 ms ok
 *   inventory  GET /items/{id}   server  2 × 20 ms ok                      (http.request.method GET)
 *              SELECT items      client  2 × 4 ms ok
 *   noisy      op-0 … op-11      server  one span each: 12 combinations, over the limit of 8
 */
const BACKENDS = ["victoriametrics", "prometheus"] as const;
const ROUND_MS = 2_000;
const CARDINALITY_LIMIT = 8;
const NOISY_OPERATIONS = 12;
/** Two 15 s flushes of the connector and a remote-write round trip, with room for a busy machine. */
const DATA_MS = 150_000;

interface SpanShape {
  service: string;
  name: string;
  kind: SpanKind;
  durationMs: number;
  error?: boolean;
  method?: string;
  perRound: number;
}

const SHAPES: SpanShape[] = [
  { service: "checkout", name: "POST /orders", kind: SpanKind.SERVER, durationMs: 40, method: "POST", perRound: 3 },
  { service: "checkout", name: "POST /orders", kind: SpanKind.SERVER, durationMs: 300, method: "POST", error: true, perRound: 1 },
  { service: "checkout", name: "validate cart", kind: SpanKind.INTERNAL, durationMs: 2, perRound: 1 },
  { service: "inventory", name: "GET /items/{id}", kind: SpanKind.SERVER, durationMs: 20, method: "GET", perRound: 2 },
  { service: "inventory", name: "SELECT items", kind: SpanKind.CLIENT, durationMs: 4, perRound: 2 },
  ...Array.from({ length: NOISY_OPERATIONS }, (_, i) => ({
    service: "noisy",
    name: `op-${i}`,
    kind: SpanKind.SERVER,
    durationMs: 1,
    perRound: 1,
  })),
];

/** Sends every shape's spans each round, one acknowledged export per service, until stopped; returns the rounds sent. */
function startEmitting(clients: Map<string, OtelClient>): Rounds {
  return startRounds(ROUND_MS, async (round) => {
    for (const shape of SHAPES) {
      const tracer = clients.get(shape.service)!.tracer(shape.service);
      for (let i = 0; i < shape.perRound; i++) {
        const end = Date.now();
        const span = tracer.startSpan(shape.name, {
          kind: shape.kind,
          startTime: end - shape.durationMs,
          attributes: shape.method ? { "http.request.method": shape.method } : {},
        });
        if (shape.error) span.setStatus({ code: SpanStatusCode.ERROR, message: "out of stock" });
        span.end(end);
      }
    }
    for (const [service, client] of clients) {
      const { ok } = await client.exportCapturedSpans();
      if (!ok) throw new Error(`spans of ${service}, round ${round}, were not acknowledged`);
    }
  });
}

/** Jaeger's metrics API response (protojson of MetricFamily). */
interface MetricFamily {
  name: string;
  metrics: { labels: { name: string; value: string }[]; metricPoints: { gaugeValue: { doubleValue: number }; timestamp: string }[] }[];
}

const labelsOf = (m: MetricFamily["metrics"][number]) => Object.fromEntries(m.labels.map((l) => [l.name, l.value]));
/** The newest finite value of a Jaeger series (the newest points may still be NaN while a window fills). */
const newest = (m: MetricFamily["metrics"][number]) =>
  m.metricPoints
    .map((p) => p.gaugeValue.doubleValue)
    .filter((v) => Number.isFinite(v))
    .at(-1);

describe.each(BACKENDS)("span metrics through the real collector into %s, read by Jaeger's Monitor API and the dashboard", (backend) => {
  let stack: LoopbackStack;
  let emitter: Rounds;
  const clients = new Map<string, OtelClient>();

  async function jaegerMetrics(
    kind: "calls" | "errors" | "latencies",
    params: Record<string, string> = {},
    services = ["checkout", "inventory"],
  ): Promise<MetricFamily> {
    const query = new URLSearchParams({
      groupByOperation: "true",
      endTs: String(Date.now()),
      lookback: String(5 * 60_000),
      step: "15000",
      ratePer: "60000",
      ...params,
    });
    for (const service of services) query.append("service", service);
    const response = await fetch(`${stack.tracesUrl}/api/metrics/${kind}?${query}`);
    const text = await response.text();
    if (!response.ok) throw new Error(`/api/metrics/${kind}: ${response.status} ${text}`);
    return JSON.parse(text) as MetricFamily;
  }

  beforeAll(async () => {
    stack = await loopbackStack({
      metrics: { backend },
      traces: {
        backend: "jaeger",
        storage: "memory",
        spanMetrics: { dimensions: ["http.request.method"], cardinalityLimit: CARDINALITY_LIMIT },
      },
    });
    await startBackend(stack, "metrics");
    await startBackend(stack, "traces");
    await startCollector(stack);
    for (const service of ["checkout", "inventory", "noisy"]) {
      clients.set(
        service,
        new OtelClient({
          protocol: "grpc",
          grpcPort: stack.collectorPorts.otlpGrpc,
          httpPort: stack.collectorPorts.otlpHttp,
          serviceName: service,
          captureSpans: true,
        }),
      );
    }
    emitter = startEmitting(clients);
  });

  afterAll(async () => {
    await emitter?.stop().catch(() => undefined);
    await Promise.all([...clients.values()].map((c) => c.shutdown()));
    await stopAll();
  });

  it("GIVEN the rendered configs WHEN read THEN the collector's metric names are the ones Jaeger's reader queries, on this backend's query URL", () => {
    const jaeger = stack.plan.backends.traces.plan.service.files[0]!.content;
    expect(jaeger).toContain(`endpoint: ${stack.metricsUrl}\n`);
    // Jaeger v2.12 builds `<metric_namespace>_calls` + `_total` and `<metric_namespace>_duration` + `_<unit word>` (reader.go).
    expect(SPAN_METRIC_NAMES.calls).toBe("traces_span_metrics_calls_total");
    expect(SPAN_METRIC_NAMES.duration).toBe("traces_span_metrics_duration_milliseconds");
  });

  it("GIVEN spans of two services WHEN the connector flushes THEN calls and duration series land with the expected labels, and an endpoint costs its series", async () => {
    const series = await waitFor(
      `checkout's span metrics in ${backend}`,
      async () => {
        emitter.rounds();
        const result = await promQuery(stack.metricsUrl, `${SPAN_METRIC_NAMES.calls}{${SPAN_LABELS.service}="checkout"}`);
        return result.length === 3 ? result : undefined;
      },
      DATA_MS,
      1_000,
    );
    const byKey = new Map(series.map((s) => [`${s.metric.span_name}|${s.metric.span_kind}|${s.metric.status_code}`, s.metric]));
    expect([...byKey.keys()].sort()).toEqual([
      "POST /orders|SPAN_KIND_SERVER|STATUS_CODE_ERROR",
      "POST /orders|SPAN_KIND_SERVER|STATUS_CODE_UNSET",
      "validate cart|SPAN_KIND_INTERNAL|STATUS_CODE_UNSET",
    ]);
    // The built-in dimensions, the configured extra one (only where the span has it), the resource as job, the stack's environment.
    expect(byKey.get("POST /orders|SPAN_KIND_SERVER|STATUS_CODE_ERROR")).toMatchObject({
      service_name: "checkout",
      http_request_method: "POST",
      job: "checkout",
      deployment_environment: "it",
    });
    expect(byKey.get("validate cart|SPAN_KIND_INTERNAL|STATUS_CODE_UNSET")).not.toHaveProperty("http_request_method");

    // What one traced endpoint costs: a calls series and a histogram, per status it answers with.
    const cost = async (selector: string) =>
      Number(
        (
          await promQuery(stack.metricsUrl, `count({__name__=~"${SPAN_METRIC_NAMES.calls}|${SPAN_METRIC_NAMES.duration}_.+", ${selector}})`)
        )[0]?.value[1],
      );
    const okOnly = await cost(`${SPAN_LABELS.service}="inventory", ${SPAN_LABELS.operation}="GET /items/{id}"`);
    const withErrors = await cost(`${SPAN_LABELS.service}="checkout", ${SPAN_LABELS.operation}="POST /orders"`);
    console.log(`${backend}: one endpoint costs ${okOnly} series (ok only), ${withErrors} (ok and errors)`);
    expect(okOnly).toBe(SERIES_PER_COMBINATION);
    expect(SERIES_PER_COMBINATION).toBe(15);
    expect(withErrors).toBe(2 * SERIES_PER_COMBINATION);
  });

  it("GIVEN more operations than traces.spanMetrics.cardinalityLimit WHEN aggregated THEN only the limit is tracked and the rest counts under the overflow series", async () => {
    const overflow = await waitFor(
      `noisy's overflow series in ${backend}`,
      async () => {
        emitter.rounds();
        const result = await promQuery(stack.metricsUrl, `${SPAN_METRIC_NAMES.calls}{job="noisy", ${SPAN_LABELS.overflow}="true"}`);
        return result.length > 0 ? result : undefined;
      },
      DATA_MS,
      1_000,
    );
    // The overflow combination carries no dimension of its own: the operations it stands for are no longer told apart.
    expect(overflow).toHaveLength(1);
    expect(overflow[0]!.metric).not.toHaveProperty(SPAN_LABELS.operation);
    const tracked = await promQuery(stack.metricsUrl, `count(${SPAN_METRIC_NAMES.calls}{job="noisy", ${SPAN_LABELS.overflow}=""})`);
    expect(Number(tracked[0]!.value[1])).toBe(CARDINALITY_LIMIT);
  });

  it("GIVEN the span metrics WHEN Jaeger's Monitor API is asked for calls, errors and latencies THEN each answers per operation with the values the spans imply", async () => {
    // Server spans only (the API's default kind), grouped by operation.
    const calls = await waitFor(
      "calls from Jaeger",
      async () => {
        emitter.rounds();
        const family = await jaegerMetrics("calls", { spanKind: "server" });
        const ops = family.metrics.filter((m) => (newest(m) ?? 0) > 0).map((m) => `${labelsOf(m).service_name} ${labelsOf(m).operation}`);
        return ops.length === 2 ? family : undefined;
      },
      DATA_MS,
      2_000,
    );
    expect(calls.name).toBe("service_operation_call_rate");
    expect(calls.metrics.map((m) => `${labelsOf(m).service_name} ${labelsOf(m).operation}`).sort()).toEqual([
      "checkout POST /orders",
      "inventory GET /items/{id}",
    ]);

    // One error in four calls of POST /orders each round. Jaeger lists only the operations with errors
    // when there are any; for a service without any it answers 0 per operation (from the calls).
    const errors = await jaegerMetrics("errors", { spanKind: "server" });
    expect(errors.metrics.map((m) => [labelsOf(m).operation, newest(m)])).toEqual([["POST /orders", expect.closeTo(0.25, 2)]]);
    const none = await jaegerMetrics("errors", { spanKind: "server" }, ["inventory"]);
    expect(none.metrics.map((m) => [labelsOf(m).operation, newest(m)])).toEqual([["GET /items/{id}", 0]]);

    // p95 of POST /orders: 75 % at 40 ms (bucket 25–50), 25 % at 300 ms (bucket 250–500): the
    // 95th percentile sits 80 % into the 250–500 bucket, i.e. 450 ms, in the unit the Monitor tab shows.
    const latencies = await jaegerMetrics("latencies", { spanKind: "server", quantile: "0.95" });
    const p95 = Object.fromEntries(latencies.metrics.map((m) => [labelsOf(m).operation, newest(m)]));
    expect(p95["POST /orders"]).toBeCloseTo(450, 0);
    // GET /items/{id}: every span at 20 ms, in bucket 10–25: 10 + 0.95 × 15 ms.
    expect(p95["GET /items/{id}"]).toBeCloseTo(24.25, 1);

    // Without groupByOperation: one series per service.
    const perService = await jaegerMetrics("calls", { spanKind: "server", groupByOperation: "false" });
    expect(perService.metrics.map((m) => labelsOf(m).service_name).sort()).toEqual(["checkout", "inventory"]);
  });

  it("GIVEN the Services (from traces) dashboard WHEN every panel query is evaluated against the real backend THEN each returns data with the labels it groups by", async () => {
    const { dashboards, alerts } = rendererInputs(stack.settings, false);
    const exprs = allPromQL(dashboards, alerts).filter((e) => e.source.startsWith(`dashboard ${SERVICES_DASHBOARD_UID} `));
    expect(exprs.length).toBe(12);
    const evaluate = async () =>
      Promise.all(
        exprs.map(async (e) => {
          const result = await promQuery(stack.metricsUrl, e.expr);
          const numeric = result.filter((r) => Number.isFinite(Number(r.value[1])));
          const missing = groupingLabels(e.expr).filter((label) => result.some((r) => !r.metric[label]));
          return { ...e, result, ok: numeric.length > 0 && missing.length === 0, missing };
        }),
      );
    let evaluations = await evaluate();
    const deadline = Date.now() + DATA_MS;
    while (!evaluations.every((e) => e.ok) && Date.now() < deadline) {
      emitter.rounds();
      await sleep(3_000);
      evaluations = await evaluate();
    }
    const failed = evaluations
      .filter((e) => !e.ok)
      .map((e) => `${e.source}\n    ${e.expr}\n    ${e.result.length} series, missing ${e.missing}`);
    expect(failed, failed.join("\n")).toEqual([]);

    // The values say what happened, with the dashboard's default span kinds (server, consumer).
    const value = (source: string, labels: Record<string, string>) =>
      Number(
        evaluations.find((e) => e.source.includes(source))!.result.find((r) => Object.entries(labels).every(([k, v]) => r.metric[k] === v))
          ?.value[1],
      );
    expect(value("'Error ratio by operation'", { service_name: "checkout", span_name: "POST /orders" })).toBeCloseTo(0.25, 2);
    expect(value("'Error ratio'", { service_name: "inventory" })).toBe(0);
    expect(value("'Latency p95 by operation'", { service_name: "checkout", span_name: "POST /orders" })).toBeCloseTo(450, 0);
    // Internal and client spans are not a service's requests: not in the default view.
    const operations = evaluations.find((e) => e.source.includes("'Request rate by operation'"))!.result.map((r) => r.metric.span_name);
    expect(operations).not.toContain("validate cart");
    expect(operations).not.toContain("SELECT items");
    expect(value("'Spans over the cardinality limit / s'", {})).toBeGreaterThan(0);
  });

  it("GIVEN the emission stopped WHEN the last flush has landed THEN the counters hold exactly the spans sent, and the buckets their durations", async () => {
    const rounds = await emitter.stop();
    expect(rounds).toBeGreaterThan(0);
    const value = async (expr: string) => Number((await promQuery(stack.metricsUrl, expr))[0]?.value[1]);
    const ok = `${SPAN_LABELS.service}="checkout", ${SPAN_LABELS.operation}="POST /orders", ${SPAN_LABELS.status}="STATUS_CODE_UNSET"`;
    const error = `${SPAN_LABELS.service}="checkout", ${SPAN_LABELS.operation}="POST /orders", ${SPAN_LABELS.status}="STATUS_CODE_ERROR"`;
    await waitFor(
      `the final counts of ${rounds} rounds in ${backend}`,
      async () => ((await value(`${SPAN_METRIC_NAMES.calls}{${error}}`)) === rounds ? true : undefined),
      60_000,
      1_000,
    );
    expect(await value(`${SPAN_METRIC_NAMES.calls}{${ok}}`)).toBe(3 * rounds);
    expect(await value(`${SPAN_METRIC_NAMES.duration}_count{${ok}}`)).toBe(3 * rounds);
    expect(await value(`${SPAN_METRIC_NAMES.duration}_sum{${ok}}`)).toBeCloseTo(3 * 40 * rounds, 6);
    expect(await value(`${SPAN_METRIC_NAMES.duration}_bucket{${ok}, le="25"}`)).toBe(0);
    expect(await value(`${SPAN_METRIC_NAMES.duration}_bucket{${ok}, le="50"}`)).toBe(3 * rounds);
    expect(await value(`${SPAN_METRIC_NAMES.duration}_bucket{${error}, le="250"}`)).toBe(0);
    expect(await value(`${SPAN_METRIC_NAMES.duration}_bucket{${error}, le="500"}`)).toBe(rounds);
    expect(await value(`${SPAN_METRIC_NAMES.duration}_bucket{${error}, le="+Inf"}`)).toBe(rounds);
  });
});
