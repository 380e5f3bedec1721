import { SpanKind, type Attributes } from "@opentelemetry/api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rendererInputs } from "../../configs/stack";
import { SourcedExpr, allPromQL, catalogFor, prometheusName, seedExamples } from "../../dashboards";
import type { CatalogMetric } from "../../dashboards/catalog";
import { groupingLabels } from "../fixtures/seed";
import { OtelClient } from "../../bench/lib/client";
import { promQuery, sleep, stopAll, waitFor } from "../../bench/lib/harness";
import { startRounds, type Rounds } from "../helpers/rounds";
import { LoopbackStack, loopbackStack, startBackend, startCollector } from "../../bench/lib/stack";

/**
 * Every PromQL expression the program ships (both dashboards, every alert rule, the seed's
 * examples) evaluated against REAL data: the real OpenTelemetry JS SDK emits what Scotty emits
 * (every catalog instrument with the application's names, kinds, units and attribute sets, SDK
 * default histogram buckets, no service.instance.id) through the real collector into the real
 * metrics backend; the collector scrapes itself, the metrics backend and Jaeger. Each expression
 * must come back with at least one series holding a number, and every series must carry the
 * labels the expression groups by. One stack per metrics backend, one after the other.
 *
 * Not covered: the Tempo variants of the traces-backend panels (no Tempo binary here).
 */
const APP = "scotty";
const BACKENDS = ["victoriametrics", "prometheus"] as const;
type MetricsBackend = (typeof BACKENDS)[number];

/** How often the "application" records and exports; rates over 1m need at least two points. */
const EMIT_EVERY_MS = 2_000;
/** Self-scrapes run every 15 s; two of each job (for rate over 1m) can take up to ~45 s. */
const DATA_DEADLINE_MS = 150_000;

// ---------------------------------------------------------------------------------------------
// The application: every catalog instrument, with its kind, unit and attributes, as Scotty sets them.

/** Realistic values per attribute key (`status` is the HTTP status, except on apps.by_status). */
const ATTRIBUTE_VALUES: Readonly<Record<string, readonly string[]>> = {
  method: ["GET", "POST"],
  // Scotty records the request path as `route`.
  route: ["/api/v1/apps/list", "/api/v1/apps/info/demo"],
  status: ["200", "500"],
  tier: ["authenticated", "public_auth", "oauth"],
  decision: ["allowed", "denied"],
};
const APP_STATUSES = ["running", "stopped"] as const;

/** Attribute sets per catalog attribute list: every combination of realistic values. */
function attributeSets(metric: CatalogMetric): Attributes[] {
  return metric.attributes.reduce<Attributes[]>(
    (sets, key) => {
      const options = metric.key === "appsByStatus" && key === "status" ? APP_STATUSES : ATTRIBUTE_VALUES[key];
      if (!options) throw new Error(`no test values for attribute ${key} of ${metric.otelName}`);
      return sets.flatMap((set) => options.map((v) => ({ ...set, [key]: v })));
    },
    [{}],
  );
}

/**
 * Records every catalog instrument each round and exports, every EMIT_EVERY_MS, until stopped:
 * counters grow (5xx included), gauges move, RSS grows ~1 MB per round, histograms get fresh
 * observations each round (so rate()-based quantiles are never 0/0), and one server span per round
 * keeps the traces path busy (and feeds the span metrics of the "Services (from traces)" dashboard).
 */
function startEmitting(client: OtelClient, metrics: readonly CatalogMetric[]): Rounds {
  const meter = client.meter("scotty");
  const tracer = client.tracer("scotty");
  type Recorder = (round: number) => void;
  const recorders: Recorder[] = metrics.map((m): Recorder => {
    const options = { description: m.description, unit: m.unit };
    const sets = attributeSets(m);
    switch (m.kind) {
      case "counter": {
        const counter = meter.createCounter(m.otelName, options);
        return (round) => sets.forEach((attrs, i) => counter.add(attrs.status === "500" ? 1 : 1 + ((round + i) % 4), attrs));
      }
      case "updowncounter": {
        const upDown = meter.createUpDownCounter(m.otelName, options);
        // 2 in flight at first, then one more or one fewer each round: never below 1.
        return (round) => sets.forEach((attrs) => upDown.add(round === 0 ? 2 : round % 2 === 0 ? 1 : -1, attrs));
      }
      case "gauge": {
        const gauge = meter.createGauge(m.otelName, options);
        if (m.key === "memoryRss") return (round) => gauge.record(64 * 2 ** 20 + round * 2 ** 20);
        if (m.key === "memoryVirtual") return (round) => gauge.record(512 * 2 ** 20 + round * 3 * 2 ** 20);
        return (round) => sets.forEach((attrs, i) => gauge.record(1 + ((round + i) % 5), attrs));
      }
      case "histogram": {
        // No bucket advice: Scotty keeps the SDK default boundaries (0, 5, 10, 25 ... 10000), as
        // does the JS SDK, so sub-5 s latencies share one bucket, exactly as in production.
        const histogram = meter.createHistogram(m.otelName, options);
        const samples = m.unit === "s" ? [0.004, 0.03, 0.12, 0.4, 1.5, 7] : [1, 2, 3, 5, 8];
        // Every sample each round, scaled a little differently from round to round.
        return (round) => sets.forEach((attrs) => samples.forEach((v) => histogram.record(v * (1 + (round % 3) / 10), attrs)));
      }
      default: {
        const unhandled: never = m.kind;
        throw new Error(`no instrument for kind ${String(unhandled)}`);
      }
    }
  });

  return startRounds(EMIT_EVERY_MS, async (round) => {
    for (const record of recorders) record(round);
    // A request Scotty serves: a server span, which the span-metrics dashboard counts by default.
    tracer.startSpan("GET /api/apps", { kind: SpanKind.SERVER, attributes: { "http.request.method": "GET" } }).end();
    if (!(await client.exportMetricsNow())) throw new Error(`metrics export of round ${round} was not acknowledged`);
    await client.flushSpans();
  });
}

// ---------------------------------------------------------------------------------------------

interface Evaluation {
  source: string;
  expr: string;
  /** Series returned, and how many of them hold a number (not NaN/Inf). */
  series: number;
  numeric: number;
  /** Labels the expression groups by, and those of them some returned series lacks (or has empty). */
  grouping: string[];
  missingLabels: string[];
  error?: string;
}

async function evaluate(base: string, exprs: readonly SourcedExpr[]): Promise<Evaluation[]> {
  return Promise.all(
    exprs.map(async ({ source, expr }): Promise<Evaluation> => {
      try {
        const grouping = groupingLabels(expr);
        const result = await promQuery(base, expr);
        const numeric = result.filter((r) => Number.isFinite(Number(r.value[1]))).length;
        const missingLabels = grouping.filter((label) => result.some((r) => !r.metric[label]));
        return { source, expr, series: result.length, numeric, grouping, missingLabels };
      } catch (error) {
        return { source, expr, series: 0, numeric: 0, grouping: [], missingLabels: [], error: String(error) };
      }
    }),
  );
}

const hasData = (e: Evaluation) => e.error === undefined && e.numeric > 0 && e.missingLabels.length === 0;

function problemOf(e: Evaluation): string {
  if (e.error) return e.error;
  if (e.series === 0) return "no series";
  if (e.numeric === 0) return `${e.series} series, none with a number (NaN/Inf)`;
  return `a series lacks grouping label(s) ${e.missingLabels.join(", ")}`;
}

function describeFailures(failed: readonly Evaluation[]): string {
  return failed.map((e) => `  - ${e.source}\n      ${e.expr}\n      ${problemOf(e)}`).join("\n");
}

describe.each(BACKENDS)("dashboards and alerts against real data in %s", (backend: MetricsBackend) => {
  let stack: LoopbackStack;
  let client: OtelClient | undefined;
  let emitter: Rounds | undefined;
  const catalog = catalogFor(APP);

  beforeAll(async () => {
    stack = await loopbackStack({ appName: APP, metrics: { backend }, traces: { backend: "jaeger", storage: "memory" } });
    await startBackend(stack, "metrics");
    await startBackend(stack, "traces");
    await startCollector(stack);
    client = new OtelClient({
      protocol: "grpc",
      grpcPort: stack.collectorPorts.otlpGrpc,
      httpPort: stack.collectorPorts.otlpHttp,
      // service.name becomes job="scotty", as for the real app. Scotty sets service.version but no
      // service.instance.id (so its series have no `instance` label): drop the client's default.
      serviceName: APP,
      attributes: { "service.version": "0.3.2", "service.instance.id": undefined as unknown as string },
    });
    emitter = startEmitting(client, catalog.list);
  });

  afterAll(async () => {
    await emitter?.stop().catch(() => undefined); // a failed round is reported by the tests' rounds() calls
    await client?.shutdown();
    await stopAll();
  });

  it("GIVEN the app exporting every catalog instrument WHEN the backend is asked for each one THEN each arrives under the name the dashboards use", async () => {
    const expected = catalog.list
      .flatMap((m) => (m.kind === "histogram" ? ["_bucket", "_sum", "_count"].map((s) => `${m.promName}${s}`) : [m.promName]))
      .sort();
    // The catalog's names come from the naming rules; a few are pinned here as an oracle (the
    // names Scotty's own dashboards query).
    expect(expected).toEqual(
      expect.arrayContaining([
        "scotty_http_requests_total",
        "scotty_memory_rss_bytes",
        "scotty_apps_total",
        "scotty_http_request_duration_seconds_bucket",
        "scotty_websocket_connections",
        "scotty_tokio_poll_slow_count_total",
        "scotty_oauth_token_validations_failures_total",
        "scotty_rate_limit_requests_total",
      ]),
    );
    expect(prometheusName({ name: `${APP}.http.requests.active`, kind: "updowncounter", unit: "" })).toBe("scotty_http_requests_active");
    expect(prometheusName({ name: `${APP}.memory.rss_bytes`, kind: "gauge", unit: "bytes" })).toBe("scotty_memory_rss_bytes");
    const missing = await waitFor(
      `every catalog series of job ${APP} in ${backend}`,
      async () => {
        emitter!.rounds();
        const result = await promQuery(stack.metricsUrl, `count by (__name__) ({__name__=~"${APP}_.+", job="${APP}"})`);
        const names = new Set(result.map((r) => r.metric.__name__));
        const absent = expected.filter((n) => !names.has(n));
        return absent.length === 0 ? absent : undefined;
      },
      60_000,
      1_000,
    );
    expect(missing).toEqual([]);
    // The labels the queries break down by arrived too, with 5xx among the statuses.
    const statuses = await promQuery(stack.metricsUrl, `count by (status) (scotty_http_requests_total{job="${APP}"})`);
    expect(statuses.map((s) => s.metric.status).sort()).toEqual(["200", "500"]);
    const byStatus = await promQuery(stack.metricsUrl, `count by (status) (scotty_apps_by_status{job="${APP}"})`);
    expect(byStatus.map((s) => s.metric.status).sort()).toEqual(["running", "stopped"]);
    const routes = await promQuery(stack.metricsUrl, `count by (route, path) (scotty_http_requests_total{job="${APP}"})`);
    expect(routes.map((s) => [s.metric.route, s.metric.path]).sort()).toEqual(
      [...ATTRIBUTE_VALUES.route!].sort().map((r) => [r, undefined]),
    );
    const decisions = await promQuery(stack.metricsUrl, `count by (tier, decision) (scotty_rate_limit_requests_total{job="${APP}"})`);
    expect(decisions).toHaveLength(ATTRIBUTE_VALUES.tier!.length * ATTRIBUTE_VALUES.decision!.length);
  });

  it("GIVEN every dashboard, alert and seed expression WHEN evaluated against the real backend THEN each returns at least one series with a value, carrying every label it groups by", async () => {
    const { dashboards: dash, alerts } = rendererInputs(stack.settings, stack.plan.backends.logs !== undefined);
    expect(dash.appName).toBe(APP);
    // The backends' own health rows (scrape job = backend kind) are evaluated below with the rest.
    expect(dash.backends.map((b) => [b.signal, b.job])).toEqual(
      expect.arrayContaining([
        ["metrics", backend],
        ["traces", "jaeger"],
      ]),
    );
    const exprs = allPromQL(dash, alerts);
    // The seed's examples are part of the set, exactly as written there.
    for (const example of seedExamples(APP)) {
      expect(exprs.map((e) => e.expr)).toContain(example.expr);
    }
    expect(exprs.length).toBeGreaterThan(50);
    // The span-metrics dashboard (traces.spanMetrics, default on) is among them, fed by the server span above.
    expect(exprs.filter((e) => e.source.startsWith("dashboard services-from-traces ")).length).toBe(12);

    // Poll until everything answers (scrape-based stack metrics need two scrapes for rate()).
    const started = Date.now();
    let evaluations = await evaluate(stack.metricsUrl, exprs);
    while (!evaluations.every(hasData) && Date.now() - started < DATA_DEADLINE_MS) {
      emitter!.rounds();
      await sleep(3_000);
      evaluations = await evaluate(stack.metricsUrl, exprs);
    }
    const failed = evaluations.filter((e) => !hasData(e));
    const grouped = evaluations.filter((e) => e.grouping.length > 0);
    const app = evaluations.filter((e) => /^(dashboard scotty-metrics|alert scotty-|seed example)/.test(e.source));
    console.log(
      `${backend}: ${evaluations.length} expressions (${app.length} app dashboard/alert/seed), ${evaluations.length - failed.length} returned data with their grouping labels ` +
        `(${grouped.length} group by labels), ${failed.length} failed`,
    );
    expect(failed, `${failed.length} of ${evaluations.length} expressions failed on ${backend}:\n${describeFailures(failed)}`).toHaveLength(
      0,
    );
    // The label check is not vacuous: the breakdowns by route, tier & decision and status are among them.
    expect(grouped.map((e) => e.grouping.join(","))).toEqual(expect.arrayContaining(["method,route", "decision,tier", "status", "route"]));

    // Not only "some series": the values reflect what happened. The down rules end in
    // `or vector(0)`, so "has data" alone proves nothing for them: on this healthy stack each is 1.
    const downRules = evaluations.filter((e) => /^alert .*-down \//.test(e.source));
    expect(downRules.map((e) => e.source)).toHaveLength(3);
    for (const rule of downRules)
      expect(await promQuery(stack.metricsUrl, rule.expr), rule.source).toMatchObject([{ value: [expect.any(Number), "1"] }]);
    const value = async (expr: string) => Number((await promQuery(stack.metricsUrl, expr))[0]?.value[1]);
    const seed = Object.fromEntries(seedExamples(APP).map((e) => [e.title, e.expr]));
    expect(await value(`sum(${seed["Memory Growth Rate"]!})`)).toBeGreaterThan(0);
    const byStatus = await promQuery(stack.metricsUrl, seed["Request Rate by HTTP Status"]!);
    expect(byStatus.find((s) => s.metric.status === "500")?.value[1]).toSatisfy((v: string | undefined) => Number(v) > 0);
    expect(await value(`max(${seed["P95 Request Latency"]!})`)).toBeGreaterThan(0);
  });
});
