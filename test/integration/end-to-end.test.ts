import { context, trace } from "@opentelemetry/api";
import * as fs from "node:fs";
import * as yaml from "js-yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prometheusName } from "../../dashboards";
import { OtelClient, Protocol } from "../../bench/lib/client";
import { promQuery, Proc, stopAll, waitFor, waitHttpOk } from "../../bench/lib/harness";
import { LoopbackStack, loopbackStack, materialize, startBackend, startCollector } from "../../bench/lib/stack";

/**
 * The shipped configuration end to end: real OpenTelemetry JS SDK → real collector (config rendered
 * by the program) → real VictoriaMetrics and Jaeger v2 (started with the program's flags/config).
 */
let stack: LoopbackStack;
let procs: Proc[] = [];

beforeAll(async () => {
  stack = await loopbackStack({ environment: "it", traces: { storage: "badger", retention: "24h" } });
  procs = [(await startBackend(stack, "metrics")).proc, (await startBackend(stack, "traces")).proc];
  procs.push(await startCollector(stack));
});

afterAll(async () => {
  await stopAll();
});

// The names the OTel → Prometheus rules give (REFERENCE.md), written once as the oracle.
const EXPECTED = {
  counter: "scotty_http_requests_total",
  upDown: "scotty_http_requests_active",
  histogram: "scotty_http_request_duration_seconds",
};

describe("the rendered files start the real components", () => {
  it("GIVEN the rendered Jaeger config WHEN Jaeger v2 runs it THEN /status reports healthy", async () => {
    const ports = stack.backendPorts.get("jaeger")!;
    const response = await fetch(`http://127.0.0.1:${ports.health}/status`);
    expect(response.status).toBe(200);
    const config = yaml.load(stack.plan.backends.traces.plan.service.files[0]!.content) as any;
    expect(config.extensions.jaeger_storage.backends.main.badger.ttl.spans).toBe("24h");
  });

  it("GIVEN the VictoriaMetrics plan WHEN started THEN it runs with exactly the component's flags (data path localised)", async () => {
    const vm = procs[0]!;
    const cmdline = require("node:fs").readFileSync(`/proc/${vm.pid}/cmdline`, "utf8").split("\0").filter(Boolean).slice(1);
    const planned = stack.plan.backends.metrics.plan.service.command!;
    expect(cmdline.filter((f: string) => !f.startsWith("-storageDataPath="))).toEqual(
      planned.filter((f) => !f.startsWith("-storageDataPath=")),
    );
    expect(planned).toContain("-retentionPeriod=30d");
    expect(planned).toContain(`-memory.allowedBytes=${Math.floor(256 * 0.6)}MB`);
    // The flags took effect: VictoriaMetrics reports them on /metrics.
    const metrics = await (await fetch(`${stack.metricsUrl}/metrics`)).text();
    expect(metrics).toMatch(/vm_allowed_memory_bytes \d+/);
    expect(materialize(stack.plan.backends.metrics.plan.service).args.some((a) => a.includes("/victoria-metrics-data"))).toBe(false);
  });
});

describe.each(["grpc", "http"] as const)("OTLP over %s", (protocol: Protocol) => {
  const service = `scotty-${protocol}`;
  let client: OtelClient;

  beforeAll(async () => {
    client = new OtelClient({
      protocol,
      grpcPort: stack.collectorPorts.otlpGrpc,
      httpPort: stack.collectorPorts.otlpHttp,
      serviceName: service,
    });
  });
  afterAll(async () => client.shutdown());

  it("GIVEN a counter, an up-down counter and a histogram (unit s) WHEN exported THEN VictoriaMetrics has them under the Prometheus names with deployment_environment and job", async () => {
    const meter = client.meter();
    const requests = meter.createCounter("scotty.http.requests", { description: "Total HTTP requests" });
    const active = meter.createUpDownCounter("scotty.http.requests.active");
    const duration = meter.createHistogram("scotty.http.request.duration", { unit: "s" });
    const attrs = { method: "GET", path: "/apps/info", status: "200" };
    requests.add(3, attrs);
    active.add(2, { method: "GET" });
    active.add(-1, { method: "GET" });
    duration.record(0.12, attrs);
    duration.record(0.7, attrs);
    expect(await client.exportMetricsNow()).toBe(true);

    // The names come from the naming function the dashboards use; the oracle above pins them.
    expect(prometheusName({ name: "scotty.http.requests", kind: "counter", unit: "" })).toBe(EXPECTED.counter);
    expect(prometheusName({ name: "scotty.http.requests.active", kind: "updowncounter", unit: "" })).toBe(EXPECTED.upDown);
    expect(prometheusName({ name: "scotty.http.request.duration", kind: "histogram", unit: "s" })).toBe(EXPECTED.histogram);

    const selector = `{job="${service}",deployment_environment="it"}`;
    const counter = await waitFor(`${EXPECTED.counter} in VictoriaMetrics`, async () => {
      const result = await promQuery(stack.metricsUrl, `${EXPECTED.counter}${selector}`);
      return result.length > 0 ? result : undefined;
    });
    expect(counter[0]!.metric).toMatchObject({ method: "GET", path: "/apps/info", status: "200", instance: `${service}-1` });
    expect(Number(counter[0]!.value[1])).toBe(3);

    const upDown = await promQuery(stack.metricsUrl, `${EXPECTED.upDown}${selector}`);
    expect(Number(upDown[0]!.value[1])).toBe(1);
    const count = await promQuery(stack.metricsUrl, `${EXPECTED.histogram}_count${selector}`);
    expect(Number(count[0]!.value[1])).toBe(2);
    const buckets = await promQuery(stack.metricsUrl, `${EXPECTED.histogram}_bucket${selector}`);
    expect(buckets.length).toBeGreaterThan(2);
    expect(buckets.every((b) => "le" in b.metric)).toBe(true);
  });

  it("GIVEN a span WHEN exported THEN Jaeger's /api/traces returns the trace", async () => {
    const span = client.tracer().startSpan("HTTP GET /apps/info/{name}", { attributes: { "http.request.method": "GET" } });
    const traceId = span.spanContext().traceId;
    span.end();
    await client.flushSpans();
    const trace = await waitFor(`trace ${traceId} in Jaeger`, async () => {
      const response = await fetch(`${stack.tracesUrl}/api/traces/${traceId}`);
      if (!response.ok) return undefined;
      const body = (await response.json()) as { data: any[] };
      return body.data?.[0];
    });
    expect(trace.traceID).toBe(traceId);
    expect(trace.spans[0].operationName).toBe("HTTP GET /apps/info/{name}");
    // The collector ran an exporter that compresses with zstd (configs/backends/jaeger.ts), so the
    // trace's arrival proves the pinned Jaeger's receiver takes zstd.
    const ran = yaml.load(fs.readFileSync(stack.collectorConfigPath, "utf8")) as any;
    expect(ran.exporters["otlp_grpc/traces"].compression).toBe("zstd");
    const byService = (await (await fetch(`${stack.tracesUrl}/api/traces?service=${service}&limit=5`)).json()) as { data: any[] };
    expect(byService.data.map((t) => t.traceID)).toContain(traceId);
    // The collector added the environment to the resource.
    const process = trace.processes[trace.spans[0].processID];
    expect(process.tags).toContainEqual(expect.objectContaining({ key: "deployment.environment", value: "it" }));
  });
});

describe("large spans", () => {
  it("GIVEN 3 000 spans of ~2 KiB in one trace (a full exporter batch of 2 048 is over gRPC's default 4 MiB message) WHEN exported THEN Jaeger stores every one", async () => {
    const client = new OtelClient({
      protocol: "http",
      grpcPort: stack.collectorPorts.otlpGrpc,
      httpPort: stack.collectorPorts.otlpHttp,
      serviceName: "large-spans",
      captureSpans: true,
      timeoutMillis: 30_000,
    });
    const tracer = client.tracer();
    const payload = "x".repeat(2_048);
    const root = tracer.startSpan("large batch");
    const traceId = root.spanContext().traceId;
    const parent = trace.setSpan(context.active(), root);
    for (let i = 0; i < 3_000; i++) tracer.startSpan(`child ${i % 10}`, { attributes: { payload } }, parent).end();
    root.end();
    // Three requests of ~2 MB (the collector's HTTP receiver takes up to 20 MiB): the collector then
    // batches them as it does any load, up to the tier's 2 048 spans per export to Jaeger.
    for (let chunk = 0; chunk < 3; chunk++) {
      const spans = client.capturedSpans(1_001);
      expect(await client.exportSpans(spans), `chunk ${chunk} acknowledged`).toBe(true);
    }
    const stored = await waitFor(
      `all 3 001 spans of trace ${traceId} in Jaeger`,
      async () => {
        const response = await fetch(`${stack.tracesUrl}/api/traces/${traceId}`);
        if (!response.ok) return undefined;
        const spans = ((await response.json()) as { data: { spans: unknown[] }[] }).data?.[0]?.spans ?? [];
        return spans.length === 3_001 ? spans.length : undefined;
      },
      60_000,
      1_000,
    ).catch(async (error: Error) => {
      const response = await fetch(`${stack.tracesUrl}/api/traces/${traceId}`);
      const count = response.ok ? (((await response.json()) as any).data?.[0]?.spans?.length ?? 0) : 0;
      throw new Error(`${error.message}: Jaeger has ${count} of 3 001`);
    });
    expect(stored).toBe(3_001);
    await client.shutdown();
  });
});

describe("self-monitoring", () => {
  it("GIVEN the collector's own telemetry on :8888 WHEN scraped by its prometheus receiver THEN it lands in VictoriaMetrics", async () => {
    const accepted = await waitFor(
      "otelcol_receiver_accepted_metric_points_total{job=otel-collector}",
      async () => {
        const result = await promQuery(stack.metricsUrl, 'sum(otelcol_receiver_accepted_metric_points_total{job="otel-collector"})');
        return result.length > 0 && Number(result[0]!.value[1]) > 0 ? result : undefined;
      },
      60_000,
      1_000,
    );
    expect(Number(accepted[0]!.value[1])).toBeGreaterThan(0);
    const up = await waitFor(
      "up for every scrape job",
      async () => {
        const result = await promQuery(stack.metricsUrl, "up == 1");
        const jobs = result.map((r) => r.metric.job).sort();
        return jobs.includes("victoriametrics") && jobs.includes("jaeger") && jobs.includes("otel-collector") ? jobs : undefined;
      },
      60_000,
      1_000,
    );
    expect(up).toEqual(expect.arrayContaining(["jaeger", "otel-collector", "victoriametrics"]));
  });

  it("GIVEN the collector WHEN its health endpoint is probed from outside THEN it answers", async () => {
    await waitHttpOk(`http://127.0.0.1:${stack.collectorPorts.health}/`);
  });

  it("GIVEN the rendered config WHEN the collector runs it THEN it logs no deprecation or legacy-format warning (names match the pinned version)", () => {
    const collector = procs[2]!;
    const warnings = collector
      .output()
      .split("\n")
      .filter((line) => /"level":"(warn|error)"/.test(line) && /deprecat|legacy|alias/i.test(line));
    expect(warnings).toEqual([]);
  });
});
