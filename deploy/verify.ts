/**
 * Post-deploy verification of a running stack, as a library: send one metric, one span and (when
 * logs are on) one log record with the OpenTelemetry JS SDK to the stack's OTLP/HTTP endpoint,
 * confirm each arrived through its backend's query API, check Grafana's `/api/health` and every
 * provisioned datasource's health through Grafana's API, and report each check with its timing.
 *
 * `npm run verify -- <stack>` builds a {@link VerifyTarget} from the stack's outputs and config
 * and prints {@link formatReport}; the integration tier calls {@link verifyStack} against the
 * loopback stack. Nothing here knows about Pulumi.
 */
import { randomUUID } from "node:crypto";
import * as http from "node:http";
import * as https from "node:https";
import { ExportResult, ExportResultCode } from "@opentelemetry/core";
import { OTLPLogExporter } from "@opentelemetry/exporter-logs-otlp-http";
import { OTLPMetricExporter } from "@opentelemetry/exporter-metrics-otlp-http";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from "@opentelemetry/sdk-logs";
import { MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { backendDescriptor, backendDescriptors, BUILT_IN_BACKENDS, type KindOf } from "../settings/backends";

/**
 * An HTTP(S) API to query: a base URL, plus what reaching it through Traefik needs.
 *
 * On a host without DNS for the stack's domain, point `url` at Traefik (e.g. `http://127.0.0.1:80`,
 * from `exposure.bindAddress` + `exposure.ports.http`, or `https://…:443`) and set `hostHeader` to
 * the UI's host name (`grafana.<domain>`, `vm.<domain>`, `jaeger.<domain>`, `logs.<domain>`; the
 * stack outputs `grafanaUrl`/`metricsUrl`/`tracesUrl`/`logsUrl` carry them). Where DNS resolves,
 * use the output URL itself and leave `hostHeader` out.
 */
export interface HttpApi {
  /** Base URL without a trailing path, e.g. `http://127.0.0.1:80` or output `metricsUrl`. */
  url: string;
  /** Host header to send (Traefik routes by it); default: the URL's host. */
  hostHeader?: string;
  /**
   * Basic auth: Traefik's in front of the metrics/traces/logs UIs when `traefik.basicAuth` is on
   * (user `admin`, output `basicAuthPassword`); Grafana's admin for Grafana.
   */
  basicAuth?: { username: string; password: string };
  /** PEM CA bundle to trust for https (self-signed or private CA, `traefik.tls.mode: files`). */
  caPem?: string;
  /** TLS server name when `url` is an IP but the certificate names `hostHeader`; default hostHeader. */
  servername?: string;
}

/**
 * What to verify and how to reach it. Built from stack outputs + stack config:
 *
 * | field | from |
 * | --- | --- |
 * | `environment` | config `environment` |
 * | `otlp.endpoint` | output `otlpHttpEndpoint` (needs `exposure.ports.otlpHttp`) |
 * | `metrics.kind` / `traces.kind` / `logs.kind` | config `metrics.backend` / `traces.backend` / `logs.backend` (`none` → leave `logs` out) |
 * | `metrics.api` / `traces.api` / `logs.api` | outputs `metricsUrl` / `tracesUrl` / `logsUrl` (or Traefik + `hostHeader`), basic auth from `basicAuthPassword` |
 * | `grafana.api` | output `grafanaUrl` (or Traefik + `hostHeader: grafana.<domain>`) |
 * | `grafana.adminUser` / `adminPassword` | outputs `grafanaAdminUser` / `grafanaAdminPassword` |
 *
 * Tempo and Loki have no Traefik route: their `api` must be reached some other way (a tunnel, or
 * Grafana's datasource proxy `<grafana>/api/datasources/proxy/uid/<uid>` with Grafana's admin as
 * basic auth — the latter is not exercised by the tests yet).
 */
export interface VerifyTarget {
  /** `deployment.environment` the collector stamps on everything (shown, and checked on the metric). */
  environment?: string;
  /** Where the probes are sent: OTLP over HTTP (protobuf). */
  otlp: {
    /** Base URL, e.g. `http://127.0.0.1:4318`; `/v1/metrics`, `/v1/traces`, `/v1/logs` are appended. */
    endpoint: string;
    /** Extra request headers (e.g. an `Authorization` the endpoint requires). */
    headers?: Record<string, string>;
    /** PEM CA bundle for an https endpoint. */
    caPem?: string;
    /** Through Traefik without DNS: the route's host name, sent as `Host` and as the TLS server name. */
    hostHeader?: string;
  };
  metrics: { kind: KindOf<"metrics">; api: HttpApi };
  traces: { kind: KindOf<"traces">; api: HttpApi };
  /** Present when the stack has a logs backend: a log record is sent and looked up too. */
  logs?: { kind: KindOf<"logs">; api: HttpApi };
  /** Omit to skip the Grafana checks (the loopback integration tier has no Grafana). */
  grafana?: {
    api: HttpApi;
    adminUser: string;
    adminPassword: string;
    /** Datasource uids that must exist (e.g. `metrics`, `traces`, `logs`); each is health-checked anyway. */
    expectDatasources?: string[];
  };
  /** `service.name` of the probes (default `obs-verify`). */
  serviceName?: string;
  /** How long each signal may take to become queryable, ms (default 60 000). */
  timeoutMs?: number;
  /** Poll interval for the query APIs, ms (default 500). */
  pollMs?: number;
}

export interface VerifyCheck {
  /** What was checked, e.g. `metric → VictoriaMetrics`, `datasource Jaeger (traces)`. */
  check: string;
  ok: boolean;
  /** From the start of the check (the send, for signals) to its verdict. */
  ms: number;
  /** What was seen, or why it failed. Never contains a credential. */
  detail: string;
}

export interface VerifyReport {
  ok: boolean;
  /** The unique id carried by this run's probes (metric label, span attribute, log body). */
  runId: string;
  checks: VerifyCheck[];
}

/** A backend's name in the report: its descriptor's. */
const display = (kind: string) => backendDescriptor(kind).displayName;

/** Name the probe counter `obs.verify.probe` gets in a Prometheus-compatible backend. */
export const PROBE_METRIC = "obs_verify_probe_total";

/** Run every check; never throws for a failed check (the report says so), only for a bad target. */
export async function verifyStack(target: VerifyTarget): Promise<VerifyReport> {
  if (!/^https?:\/\//.test(target.otlp.endpoint)) throw new Error(`otlp.endpoint must be an http(s) URL, got ${target.otlp.endpoint}`);
  const runId = randomUUID().replace(/-/g, "").slice(0, 16);
  const ctx: Ctx = {
    target,
    runId,
    serviceName: target.serviceName ?? "obs-verify",
    timeoutMs: target.timeoutMs ?? 60_000,
    pollMs: target.pollMs ?? 500,
  };
  const checks = await Promise.all([
    timed(`metric → ${display(target.metrics.kind)}`, () => checkMetric(ctx)),
    timed(`span → ${display(target.traces.kind)}`, () => checkSpan(ctx)),
    ...(target.logs ? [timed(`log → ${display(target.logs.kind)}`, () => checkLog(ctx))] : []),
    ...(target.grafana ? [checkGrafana(target.grafana)] : []),
  ]);
  const flat = checks.flat();
  return { ok: flat.length > 0 && flat.every((c) => c.ok), runId, checks: flat };
}

/** A fixed-width pass/fail table with timings and a closing count line. */
export function formatReport(report: VerifyReport): string {
  const rows = report.checks.map((c) => [c.check, c.ok ? "PASS" : "FAIL", formatMs(c.ms), c.detail]);
  const header = ["check", "result", "time", "detail"];
  const widths = [0, 1, 2].map((i) => Math.max(header[i]!.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]) => [r[0]!.padEnd(widths[0]!), r[1]!.padEnd(widths[1]!), r[2]!.padStart(widths[2]!), r[3]!].join("  ").trimEnd();
  const failed = report.checks.filter((c) => !c.ok).length;
  return [
    fmt(header),
    ...rows.map(fmt),
    `verify ${report.runId}: ${report.checks.length - failed} passed, ${failed} failed${report.ok ? "" : " — FAILED"}`,
    "",
  ].join("\n");
}

function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

interface Ctx {
  target: VerifyTarget;
  runId: string;
  serviceName: string;
  timeoutMs: number;
  pollMs: number;
}

class CheckFailed extends Error {}

async function timed(check: string, run: () => Promise<string>): Promise<VerifyCheck> {
  const t0 = performance.now();
  try {
    const detail = await run();
    return { check, ok: true, ms: performance.now() - t0, detail };
  } catch (error) {
    return {
      check,
      ok: false,
      ms: performance.now() - t0,
      detail: error instanceof CheckFailed ? error.message : `error: ${describe(error)}`,
    };
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as Error & { cause?: unknown }).cause;
    const code = (error as Error & { code?: string }).code;
    return `${error.message}${code && !error.message.includes(code) ? ` (${code})` : ""}${cause instanceof Error ? `: ${cause.message}` : ""}`;
  }
  return String(error);
}

// --- sending ------------------------------------------------------------------------------------

function exporterOptions(ctx: Ctx, path: string) {
  const { otlp } = ctx.target;
  return {
    url: `${otlp.endpoint.replace(/\/+$/, "")}${path}`,
    headers: { ...otlp.headers, ...(otlp.hostHeader ? { Host: otlp.hostHeader } : {}) },
    timeoutMillis: Math.min(10_000, ctx.timeoutMs),
    ...(otlp.caPem || otlp.hostHeader ? { httpAgentOptions: { ca: otlp.caPem, servername: otlp.hostHeader } } : {}),
  };
}

function resultOf(what: string, result: ExportResult): void {
  if (result.code !== ExportResultCode.SUCCESS)
    throw new CheckFailed(`OTLP export of the ${what} failed: ${describe(result.error ?? "no error given")}`);
}

const resource = (ctx: Ctx) =>
  resourceFromAttributes({ "service.name": ctx.serviceName, "service.instance.id": `${ctx.serviceName}-${ctx.runId}` });

/** A reader that collects only when asked (one export, whose result we see). */
class OnDemandReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

async function checkMetric(ctx: Ctx): Promise<string> {
  const reader = new OnDemandReader();
  const provider = new MeterProvider({ resource: resource(ctx), readers: [reader] });
  const exporter = new OTLPMetricExporter(exporterOptions(ctx, "/v1/metrics"));
  try {
    provider
      .getMeter("obs-verify")
      .createCounter("obs.verify.probe", { description: "one probe per verify run" })
      .add(1, { verify_id: ctx.runId });
    const { resourceMetrics, errors } = await reader.collect();
    if (errors.length > 0) throw new Error(`collect failed: ${errors.map(String).join(", ")}`);
    resultOf("metric", await new Promise<ExportResult>((resolve) => exporter.export(resourceMetrics, resolve)));
  } finally {
    await Promise.allSettled([exporter.shutdown(), provider.shutdown()]);
  }
  const query = `${PROBE_METRIC}{verify_id="${ctx.runId}"}`;
  const { api } = ctx.target.metrics;
  type Series = { metric: Record<string, string>; value: [number, string] };
  const series = await poll<Series>(ctx, `${query} in ${display(ctx.target.metrics.kind)}`, async () => {
    const params = new URLSearchParams({ query, nocache: "1" });
    const res = await request(api, `/api/v1/query?${params}`);
    if (res.status !== 200) return { miss: `HTTP ${res.status}` };
    const body = JSON.parse(res.body) as { data?: { result?: Series[] } };
    const found = body.data?.result?.[0];
    return found ? { hit: found } : { miss: "no series yet" };
  });
  const env = series.metric.deployment_environment;
  if (ctx.target.environment && env !== ctx.target.environment) {
    throw new CheckFailed(`${query} arrived with deployment_environment="${env ?? ""}", expected "${ctx.target.environment}"`);
  }
  return `${query} = ${series.value[1]}${env ? ` (deployment_environment=${env})` : ""}`;
}

async function checkSpan(ctx: Ctx): Promise<string> {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ resource: resource(ctx), spanProcessors: [new SimpleSpanProcessor(memory)] });
  const exporter = new OTLPTraceExporter(exporterOptions(ctx, "/v1/traces"));
  let traceId: string;
  try {
    const span = provider.getTracer("obs-verify").startSpan("obs-verify probe", { attributes: { "verify.id": ctx.runId } });
    traceId = span.spanContext().traceId;
    span.end();
    resultOf("span", await new Promise<ExportResult>((resolve) => exporter.export(memory.getFinishedSpans(), resolve)));
  } finally {
    await Promise.allSettled([exporter.shutdown(), provider.shutdown()]);
  }
  const { api, kind } = ctx.target.traces;
  await poll(ctx, `trace ${traceId} in ${display(kind)}`, async () => {
    // Jaeger's query API and Tempo's both serve /api/traces/<id> (404 until it is there).
    const res = await request(api, `/api/traces/${traceId}`, { Accept: "application/json" });
    if (res.status !== 200) return { miss: `HTTP ${res.status}` };
    return res.body.includes("obs-verify probe") ? { hit: true } : { miss: "trace without the probe span" };
  });
  return `trace ${traceId} (span "obs-verify probe")`;
}

async function checkLog(ctx: Ctx): Promise<string> {
  const logs = ctx.target.logs!;
  const memory = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({ resource: resource(ctx), processors: [new SimpleLogRecordProcessor({ exporter: memory })] });
  const exporter = new OTLPLogExporter(exporterOptions(ctx, "/v1/logs"));
  const body = `obs-verify probe ${ctx.runId}`;
  try {
    provider.getLogger("obs-verify").emit({ body, severityText: "INFO", attributes: { "verify.id": ctx.runId } });
    await provider.forceFlush();
    resultOf("log record", await new Promise<ExportResult>((resolve) => exporter.export(memory.getFinishedLogRecords(), resolve)));
  } finally {
    await Promise.allSettled([exporter.shutdown(), provider.shutdown()]);
  }
  const language = BUILT_IN_BACKENDS[logs.kind].logsQuery;
  await poll(ctx, `the log line in ${display(logs.kind)}`, async () => {
    const res = await request(logs.api, logLinePath(language, ctx));
    if (res.status !== 200) return { miss: `HTTP ${res.status}` };
    return res.body.includes(ctx.runId) ? { hit: true } : { miss: "no line yet" };
  });
  return `"${body}"`;
}

/** Where a backend that speaks `language` answers the query for this run's log line. */
function logLinePath(language: "logql" | "logsql", ctx: Ctx): string {
  switch (language) {
    case "logql":
      return `/loki/api/v1/query_range?${new URLSearchParams({
        query: `{service_name="${ctx.serviceName}"} |= "${ctx.runId}"`,
        start: String((Date.now() - 15 * 60_000) * 1e6),
        limit: "5",
      })}`;
    case "logsql":
      return `/select/logsql/query?${new URLSearchParams({ query: `"${ctx.runId}"`, limit: "5" })}`;
    default: {
      const unknown: never = language;
      throw new Error(`no log query for ${String(unknown)}`);
    }
  }
}

/** Poll until `probe` hits or the target's timeout passes; the failure says what was last seen. */
async function poll<T>(ctx: Ctx, what: string, probe: () => Promise<{ hit: T } | { miss: string }>): Promise<T> {
  const deadline = performance.now() + ctx.timeoutMs;
  let last = "never asked";
  for (;;) {
    try {
      const r = await probe();
      if ("hit" in r) return r.hit;
      last = r.miss;
    } catch (error) {
      last = describe(error);
    }
    if (performance.now() >= deadline) throw new CheckFailed(`${what}: not found within ${formatMs(ctx.timeoutMs)} (last: ${last})`);
    await new Promise((resolve) => setTimeout(resolve, ctx.pollMs));
  }
}

// --- Grafana ------------------------------------------------------------------------------------

const DATASOURCE_TIMEOUT_MS = 30_000;

/**
 * A read-only backend request per provisioned datasource, for Grafanas without a health API for its
 * type: by datasource name, which is the backend's display name (configs/backends).
 */
const PROXY_PROBES: ReadonlyMap<string, string> = new Map(
  backendDescriptors().flatMap(([, d]) => (d.grafanaProbe ? [[d.displayName, d.grafanaProbe] as const] : [])),
);

async function checkGrafana(grafana: NonNullable<VerifyTarget["grafana"]>): Promise<VerifyCheck[]> {
  const api = { ...grafana.api, basicAuth: { username: grafana.adminUser, password: grafana.adminPassword } };
  const checks = [
    await timed("Grafana /api/health", async () => {
      const res = await request(grafana.api, "/api/health");
      if (res.status !== 200) throw new CheckFailed(`HTTP ${res.status}`);
      const body = JSON.parse(res.body) as { database?: string; version?: string };
      if (body.database !== "ok") throw new CheckFailed(`database: ${body.database ?? "(none)"}`);
      return `database ok${body.version ? `, version ${body.version}` : ""}`;
    }),
  ];
  let list: { uid: string; name: string; type: string }[] = [];
  checks.push(
    await timed("Grafana datasources", async () => {
      const res = await request(api, "/api/datasources");
      if (res.status !== 200) throw new CheckFailed(`GET /api/datasources: HTTP ${res.status}`);
      list = (JSON.parse(res.body) as typeof list).sort((a, b) => (a.uid < b.uid ? -1 : a.uid > b.uid ? 1 : 0));
      const missing = (grafana.expectDatasources ?? []).filter((uid) => !list.some((d) => d.uid === uid));
      if (missing.length > 0)
        throw new CheckFailed(`missing datasource uid(s): ${missing.join(", ")} (have: ${list.map((d) => d.uid).join(", ") || "none"})`);
      return list.map((d) => d.uid).join(", ") || "none provisioned";
    }),
  );
  for (const ds of list) {
    checks.push(
      await timed(`datasource ${ds.name} (${ds.uid})`, async () => {
        // Grafana's health call queries the backend itself: 30 s, not 10 (on a 2-core host under
        // load one took 9.4 s and the next timed out at 10 s in a deploy-tier run).
        const res = await request(api, `/api/datasources/uid/${encodeURIComponent(ds.uid)}/health`, {}, DATASOURCE_TIMEOUT_MS);
        const body = safeJson(res.body) as { status?: string; message?: string } | undefined;
        const probe = PROXY_PROBES.get(ds.name);
        if (probe && (res.status === 503 || res.status === 404) && /plugin unavailable|not found/i.test(body?.message ?? res.body)) {
          // Grafana 10.0 has no backend health check for these frontend datasources (12.x does):
          // ask the backend through Grafana's datasource proxy instead, as the UI would.
          const proxied = await request(api, `/api/datasources/proxy/uid/${encodeURIComponent(ds.uid)}${probe}`, {}, DATASOURCE_TIMEOUT_MS);
          if (proxied.status !== 200) throw new CheckFailed(`health API unsupported here; proxied GET ${probe}: HTTP ${proxied.status}`);
          return `${ds.type}: no health API in this Grafana; proxied GET ${probe} answered 200`;
        }
        if (res.status !== 200 || body?.status !== "OK") {
          throw new CheckFailed(`HTTP ${res.status}: ${body?.message ?? res.body.slice(0, 200)}`);
        }
        return `${ds.type}: ${body.message ?? "OK"}`;
      }),
    );
  }
  return checks;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

// --- HTTP -----------------------------------------------------------------------------------------

/**
 * GET through node:http(s) (not fetch): fetch may not set `Host`, and a private CA is per request.
 */
export function request(
  api: HttpApi,
  path: string,
  headers: Record<string, string> = {},
  timeoutMs = 10_000,
): Promise<{ status: number; body: string }> {
  const url = new URL(api.url.replace(/\/+$/, "") + path);
  const client = url.protocol === "https:" ? https : http;
  const all: Record<string, string> = { Accept: "application/json", ...headers };
  if (api.hostHeader) all.Host = api.hostHeader;
  if (api.basicAuth) all.Authorization = `Basic ${Buffer.from(`${api.basicAuth.username}:${api.basicAuth.password}`).toString("base64")}`;
  return new Promise((resolve, reject) => {
    const req = client.request(
      url,
      {
        method: "GET",
        headers: all,
        timeout: timeoutMs,
        ...(url.protocol === "https:" ? { ca: api.caPem, servername: api.servername ?? api.hostHeader?.replace(/:\d+$/, "") } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`timed out after ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end();
  });
}
