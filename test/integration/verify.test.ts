import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatReport, VerifyTarget, verifyStack } from "../../deploy/verify";
import { freePort, stopAll } from "../../bench/lib/harness";
import { LoopbackStack, loopbackStack, startBackend, startCollector } from "../../bench/lib/stack";

/**
 * `verify` against the loopback stack: the real collector (the program's rendered config),
 * VictoriaMetrics, Jaeger v2 and VictoriaLogs on 127.0.0.1. The signals go out
 * through the real OpenTelemetry SDK and are looked up through each backend's real query API.
 * There is no Grafana binary in this tier yet: its checks are exercised against a stand-in that
 * answers like Grafana's API, and against nothing at all.
 */
let stack: LoopbackStack;
let target: VerifyTarget;

beforeAll(async () => {
  stack = await loopbackStack({ traces: { storage: "memory" }, logs: { backend: "victorialogs", retention: "7d" } });
  await startBackend(stack, "metrics");
  await startBackend(stack, "traces");
  await startBackend(stack, "logs");
  await startCollector(stack);
  target = {
    environment: "it",
    otlp: { endpoint: `http://127.0.0.1:${stack.collectorPorts.otlpHttp}` },
    metrics: { kind: "victoriametrics", api: { url: stack.metricsUrl } },
    traces: { kind: "jaeger", api: { url: stack.tracesUrl, hostHeader: "jaeger.it.test" } },
    logs: { kind: "victorialogs", api: { url: stack.plan.backends.logs!.plan.queryUrl } },
    timeoutMs: 60_000,
  };
});

afterAll(async () => {
  await stopAll();
});

describe("verifyStack against the real components", () => {
  it("GIVEN the running stack WHEN verified THEN the metric, the span and the log record arrive, each a PASS row with its time", async () => {
    const report = await verifyStack(target);
    console.log(formatReport(report));
    expect(report.checks.map((c) => [c.check, c.ok])).toEqual([
      ["metric → VictoriaMetrics", true],
      ["span → Jaeger", true],
      ["log → VictoriaLogs", true],
    ]);
    expect(report.ok).toBe(true);
    // The probe carries this run's id and arrived stamped with the stack's environment.
    expect(report.checks[0]!.detail).toBe(`obs_verify_probe_total{verify_id="${report.runId}"} = 1 (deployment_environment=it)`);
    expect(report.checks.every((c) => c.ms > 0 && c.ms < 60_000)).toBe(true);
    const table = formatReport(report).split("\n");
    expect(table[0]).toMatch(/^check\s+result\s+time\s+detail$/);
    expect(table[1]).toMatch(/^metric → VictoriaMetrics\s+PASS\s+\d+(\.\d\d s| ms)\s+obs_verify_probe_total/);
    expect(table.at(-2)).toBe(`verify ${report.runId}: ${report.checks.length} passed, 0 failed`);
  });

  it("GIVEN a wrong OTLP endpoint WHEN verified THEN every signal is a FAIL row saying the export failed, and the report fails", async () => {
    const closed = await freePort();
    const report = await verifyStack({ ...target, otlp: { endpoint: `http://127.0.0.1:${closed}` }, timeoutMs: 5_000 });
    console.log(formatReport(report));
    expect(report.ok).toBe(false);
    expect(report.checks.length).toBe(3);
    for (const check of report.checks) {
      expect(check.ok).toBe(false);
      expect(check.detail).toMatch(/^OTLP export of the (metric|span|log record) failed: /);
    }
    expect(formatReport(report)).toMatch(/: 0 passed, \d failed — FAILED\n$/);
  });

  it("GIVEN the traces backend unreachable and no Grafana WHEN verified THEN those rows fail with what was seen, the metric still passes", async () => {
    const closed = await freePort();
    const report = await verifyStack({
      ...target,
      traces: { kind: "jaeger", api: { url: `http://127.0.0.1:${closed}` } },
      logs: undefined,
      grafana: { api: { url: `http://127.0.0.1:${closed}` }, adminUser: "admin", adminPassword: "not-shown" },
      // VictoriaMetrics hides its newest 5 s (-search.latencyOffset): the metric needs well over 5 s
      // to become queryable (10.6 s seen in a CI run), so 5 s made "the metric still passes" flaky.
      timeoutMs: 30_000,
    });
    console.log(formatReport(report));
    expect(report.ok).toBe(false);
    const row = (name: string) => report.checks.find((c) => c.check === name)!;
    expect(row("metric → VictoriaMetrics").ok).toBe(true);
    expect(row("span → Jaeger")).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/^trace [0-9a-f]{32} in Jaeger: not found within 30\.00 s \(last: .*ECONNREFUSED/),
    });
    expect(row("Grafana /api/health")).toMatchObject({ ok: false, detail: expect.stringContaining("ECONNREFUSED") });
    expect(row("Grafana datasources").ok).toBe(false);
    expect(formatReport(report)).not.toContain("not-shown");
  });
});

describe("verifyStack's Grafana checks (a stand-in answering like Grafana's API)", () => {
  let server: http.Server;
  let seen: { path: string; host?: string; auth?: string }[] = [];
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      seen.push({ path: req.url!, host: req.headers.host, auth: req.headers.authorization });
      const json = (status: number, body: unknown) =>
        res.writeHead(status, { "Content-Type": "application/json" }).end(JSON.stringify(body));
      if (req.url === "/api/health") return json(200, { database: "ok", version: "12.3.0" });
      if (req.headers.authorization !== `Basic ${Buffer.from("admin:s3cret-admin").toString("base64")}`)
        return json(401, { message: "Unauthorized" });
      if (req.url === "/api/datasources")
        return json(200, [
          { uid: "traces", name: "Jaeger", type: "jaeger" },
          { uid: "metrics", name: "VictoriaMetrics", type: "prometheus" },
        ]);
      if (req.url === "/api/datasources/uid/metrics/health")
        return json(200, { status: "OK", message: "Successfully queried the Prometheus API." });
      if (req.url === "/api/datasources/uid/traces/health") return json(400, { status: "ERROR", message: "Jaeger: connection refused" });
      return json(404, { message: "Not found" });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("GIVEN Grafana behind Traefik (Host header) WHEN verified THEN health, the datasource list and each datasource's health are rows; a missing or unhealthy one fails", async () => {
    seen = [];
    const port = (server.address() as AddressInfo).port;
    const report = await verifyStack({
      ...target,
      grafana: {
        api: { url: `http://127.0.0.1:${port}`, hostHeader: "grafana.it.test" },
        adminUser: "admin",
        adminPassword: "s3cret-admin",
        expectDatasources: ["metrics", "traces", "logs"],
      },
      logs: undefined,
      timeoutMs: 30_000,
    });
    console.log(formatReport(report));
    const grafanaRows = report.checks.filter((c) => /Grafana|datasource/.test(c.check)).map((c) => [c.check, c.ok, c.detail]);
    expect(grafanaRows).toEqual([
      ["Grafana /api/health", true, "database ok, version 12.3.0"],
      ["Grafana datasources", false, "missing datasource uid(s): logs (have: metrics, traces)"],
      ["datasource VictoriaMetrics (metrics)", true, "prometheus: Successfully queried the Prometheus API."],
      ["datasource Jaeger (traces)", false, "HTTP 400: Jaeger: connection refused"],
    ]);
    expect(report.ok).toBe(false);
    expect(seen.every((r) => r.host === "grafana.it.test")).toBe(true);
    expect(seen.find((r) => r.path === "/api/health")!.auth).toBeUndefined();
    expect(formatReport(report)).not.toContain("s3cret-admin");
  });
});
