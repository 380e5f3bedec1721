/**
 * Requests to a datasource with its own URL and credentials (basic auth from `basicAuthUser` +
 * `secureJsonData.basicAuthPassword`, headers from `jsonData.httpHeaderNameN` +
 * `secureJsonData.httpHeaderValueN`), as Grafana's backend makes them from inside the network.
 */
import * as http from "node:http";
import * as https from "node:https";
import type { Datasource } from "./provisioning";

export function datasourceHeaders(ds: Datasource): Record<string, string> {
  const headers: Record<string, string> = {};
  if (ds.basicAuth) {
    const user = ds.basicAuthUser;
    const password = ds.secureJsonData.basicAuthPassword ?? "";
    headers.authorization = `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
  }
  for (let i = 1; ; i++) {
    const name = ds.jsonData[`httpHeaderName${i}`];
    if (typeof name !== "string" || name === "") break;
    headers[name.toLowerCase()] = ds.secureJsonData[`httpHeaderValue${i}`] ?? "";
  }
  return headers;
}

/** `base` + `rest` (rest starts with `/` and may carry a query string). */
export function joinUrl(base: string, rest: string): URL {
  const url = new URL(base);
  const [pathPart, query] = rest.split(/\?(.*)/s, 2) as [string, string | undefined];
  url.pathname = `${url.pathname.replace(/\/+$/, "")}${pathPart.startsWith("/") ? "" : "/"}${pathPart}`;
  if (query !== undefined) url.search = query;
  return url;
}

export interface DsResponse {
  status: number;
  body: string;
}

/** One request to the datasource; rejects only on a network error or the timeout. */
export function dsRequest(
  ds: Datasource,
  rest: string,
  options: { method?: string; body?: string; contentType?: string; timeoutMs?: number } = {},
): Promise<DsResponse> {
  const url = joinUrl(ds.url, rest);
  const client = url.protocol === "https:" ? https : http;
  const headers: Record<string, string> = { accept: "application/json", "user-agent": "grafana-standin", ...datasourceHeaders(ds) };
  if (options.body !== undefined) {
    headers["content-type"] = options.contentType ?? "application/x-www-form-urlencoded";
    headers["content-length"] = String(Buffer.byteLength(options.body));
  }
  return new Promise((resolve, reject) => {
    const req = client.request(url, { method: options.method ?? "GET", headers, timeout: options.timeoutMs ?? 30_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`timed out after ${options.timeoutMs ?? 30_000} ms`)));
    req.on("error", reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

/** Prometheus-compatible instant query with the datasource's httpMethod (Grafana's default POST). */
export function promInstantQuery(ds: Datasource, query: string, time = Date.now() / 1000): Promise<DsResponse> {
  const params = new URLSearchParams({ query, time: time.toFixed(3) });
  const method = String(ds.jsonData.httpMethod ?? "POST").toUpperCase() === "GET" ? "GET" : "POST";
  return method === "GET"
    ? dsRequest(ds, `/api/v1/query?${params}`)
    : dsRequest(ds, "/api/v1/query", { method: "POST", body: params.toString() });
}

/** `{status: "error", error}` of a Prometheus-style body, or the start of an unknown body. */
export function errorOf(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: unknown; message?: unknown; errors?: unknown };
    if (parsed.error) return String(parsed.error);
    if (parsed.message) return String(parsed.message);
    if (parsed.errors) return JSON.stringify(parsed.errors).slice(0, 300);
  } catch {
    /* not JSON */
  }
  return body.trim().slice(0, 300);
}

/** What the datasource's health request is, per type, and how Grafana words success. */
const HEALTH: Record<string, { probe: (ds: Datasource) => Promise<DsResponse>; ok: string; accept?: (r: DsResponse) => boolean }> = {
  prometheus: {
    probe: (ds) => promInstantQuery(ds, "1+1"),
    ok: "Successfully queried the Prometheus API.",
    accept: (r) => r.status === 200 && /"status"\s*:\s*"success"/.test(r.body),
  },
  jaeger: { probe: (ds) => dsRequest(ds, "/api/services"), ok: "Data source is working" },
  tempo: { probe: (ds) => dsRequest(ds, "/api/echo"), ok: "Data source is working" },
  loki: { probe: (ds) => dsRequest(ds, "/loki/api/v1/labels"), ok: "Data source successfully connected." },
  // The VictoriaLogs plugin checks the backend with a LogsQL query.
  "victoriametrics-logs-datasource": {
    probe: (ds) => dsRequest(ds, `/select/logsql/query?${new URLSearchParams({ query: "_time:5m", limit: "1" })}`),
    ok: "VictoriaLogs datasource is working",
  },
  "victoriametrics-metrics-datasource": {
    probe: (ds) => promInstantQuery(ds, "1+1"),
    ok: "Successfully queried the VictoriaMetrics API.",
    accept: (r) => r.status === 200 && /"status"\s*:\s*"success"/.test(r.body),
  },
};

export const HEALTH_TYPES = Object.keys(HEALTH);

export async function checkHealth(ds: Datasource): Promise<{ httpStatus: number; body: { status: "OK" | "ERROR"; message: string } }> {
  const check = HEALTH[ds.type];
  if (!check) {
    return {
      httpStatus: 400,
      body: { status: "ERROR", message: `the Grafana stand-in has no health check for datasource type ${ds.type}` },
    };
  }
  try {
    const res = await check.probe(ds);
    const accepted = check.accept ? check.accept(res) : res.status >= 200 && res.status < 300;
    if (accepted) return { httpStatus: 200, body: { status: "OK", message: check.ok } };
    return { httpStatus: 400, body: { status: "ERROR", message: `${ds.url}: HTTP ${res.status}: ${errorOf(res.body)}` } };
  } catch (error) {
    return { httpStatus: 400, body: { status: "ERROR", message: `${ds.url}: ${(error as Error).message}` } };
  }
}
