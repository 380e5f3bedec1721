/**
 * `GET /api/standin/report`: run EVERY dashboard panel target and EVERY alert rule query against
 * its datasource now, and say per query whether the backend accepted and evaluated it (`ok`), not
 * whether it returned data (app metrics may not exist yet).
 *
 * Grafana's template variables are substituted first: `$__rate_interval` → 1m, `$__interval` → 15s,
 * `$__range` → 1h (and their `_ms`/`_s` forms), dashboard variables → their current value, else
 * their first option, else `.*`. Server-side expressions (`__expr__`) are not queries: they are
 * listed under `skipped` with the reason.
 */
import { dsRequest, errorOf, promInstantQuery, type DsResponse } from "./datasource-client";
import type { Dashboard, Datasource, Json, Provisioning } from "./provisioning";

export interface ReportItem {
  dashboard?: string;
  rule?: string;
  panel?: string;
  refId: string;
  datasourceUid: string;
  datasourceType: string;
  query: string;
  ok: boolean;
  httpStatus: number;
  error?: string;
  /** Series (PromQL), streams/rows (logs) or traces/services (traces) in the answer. */
  series: number;
}

export interface SkippedItem {
  dashboard?: string;
  rule?: string;
  panel?: string;
  refId: string;
  datasourceUid: string;
  reason: string;
}

export interface Report {
  standin: string;
  generatedAt: string;
  ok: boolean;
  counts: { queries: number; ok: number; failed: number; skipped: number };
  items: ReportItem[];
  skipped: SkippedItem[];
}

const BUILT_INS: [RegExp, string][] = [
  [/\$\{?__rate_interval(?::\w+)?\}?/g, "1m"],
  [/\$\{?__interval_ms\}?/g, "15000"],
  [/\$\{?__interval(?::\w+)?\}?/g, "15s"],
  [/\$\{?__range_ms\}?/g, "3600000"],
  [/\$\{?__range_s\}?/g, "3600"],
  [/\$\{?__range(?::\w+)?\}?/g, "1h"],
];

/** A dashboard variable's value as a query sees it (multi-value → a regex alternation, as the Prometheus datasource formats it). */
function variableValue(variable: Record<string, Json>): string {
  const current = variable.current?.value;
  const all = (v: unknown) => v === "$__all" || (Array.isArray(v) && v.includes("$__all"));
  if (current !== undefined && current !== null && current !== "" && !all(current)) {
    if (Array.isArray(current)) return current.length === 1 ? String(current[0]) : `(${current.map(String).join("|")})`;
    return String(current);
  }
  if (all(current)) return typeof variable.allValue === "string" && variable.allValue ? variable.allValue : ".*";
  const options = Array.isArray(variable.options) ? variable.options : [];
  const first = options.find((o: Json) => o?.value !== undefined && o.value !== "$__all");
  if (first) return String(first.value);
  if (variable.type === "constant" || variable.type === "textbox") return String(variable.query ?? "");
  return ".*";
}

export function substituteVariables(text: string, dashboard?: Record<string, Json>): string {
  let out = text;
  for (const [pattern, value] of BUILT_INS) out = out.replace(pattern, value);
  const list: Record<string, Json>[] = Array.isArray(dashboard?.templating?.list) ? dashboard.templating.list : [];
  // Longest name first: `$job` must not eat the start of `$jobname`.
  for (const variable of [...list].sort((a, b) => String(b.name).length - String(a.name).length)) {
    const name = String(variable.name ?? "");
    if (!name || variable.type === "datasource" || variable.type === "adhoc") continue;
    const value = variableValue(variable);
    const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    out = out
      .replace(new RegExp(`\\$\\{${escaped}(?::[^}]*)?\\}`, "g"), () => value)
      .replace(new RegExp(`\\[\\[${escaped}(?::[^\\]]*)?\\]\\]`, "g"), () => value)
      .replace(new RegExp(`\\$${escaped}(?![A-Za-z0-9_])`, "g"), () => value);
  }
  return out;
}

interface Ref {
  uid?: string;
  type?: string;
}

/** A target's datasource: a {type, uid} ref, a name, a `$variable`, or the panel's/default one. */
export function resolveDatasource(ref: unknown, datasources: Datasource[], dashboard?: Record<string, Json>): Datasource | string {
  const byDefault = () => datasources.find((d) => d.isDefault) ?? "no default datasource is provisioned";
  if (ref === undefined || ref === null) return byDefault();
  if (typeof ref === "string") {
    if (ref === "default") return byDefault();
    const variable = /^\$\{?(\w+)/.exec(ref)?.[1];
    if (variable) return resolveVariable(variable, datasources, dashboard);
    return datasources.find((d) => d.name === ref || d.uid === ref) ?? `datasource ${ref} is not provisioned`;
  }
  const { uid, type } = ref as Ref;
  if (uid) {
    const variable = /^\$\{?(\w+)/.exec(uid)?.[1];
    if (variable) return resolveVariable(variable, datasources, dashboard, type);
    return datasources.find((d) => d.uid === uid) ?? `datasource uid ${uid} is not provisioned`;
  }
  if (type)
    return datasources.find((d) => d.type === type && d.isDefault) ?? datasources.find((d) => d.type === type) ?? `no ${type} datasource`;
  return byDefault();
}

function resolveVariable(name: string, datasources: Datasource[], dashboard?: Record<string, Json>, type?: string): Datasource | string {
  const list: Record<string, Json>[] = Array.isArray(dashboard?.templating?.list) ? dashboard.templating.list : [];
  const variable = list.find((v) => v.name === name && v.type === "datasource");
  if (!variable) return `datasource variable $${name} is not defined`;
  const wanted = variable.current?.value ?? variable.current?.text;
  const pluginType = String(variable.query ?? type ?? "");
  const found =
    (wanted && datasources.find((d) => d.uid === wanted || d.name === wanted)) ||
    datasources.find((d) => d.type === pluginType && d.isDefault) ||
    datasources.find((d) => d.type === pluginType);
  return found ?? `datasource variable $${name} matches no provisioned ${pluginType || "datasource"}`;
}

/** How many series / rows / traces an answer holds (0 when unknown). */
function countOf(body: string): number {
  try {
    const parsed = JSON.parse(body) as { data?: unknown };
    const data = parsed.data as Json;
    if (Array.isArray(data)) return data.length;
    if (data && Array.isArray(data.result)) return data.result.length;
    if (Array.isArray((parsed as Json).traces)) return (parsed as Json).traces.length;
    return 0;
  } catch {
    // VictoriaLogs answers JSON lines.
    return body.split("\n").filter((l) => l.trim()).length;
  }
}

interface Job {
  where: { dashboard?: string; rule?: string; panel?: string };
  refId: string;
  ds: Datasource;
  target: Record<string, Json>;
  dashboard?: Record<string, Json>;
}

/** The query text of a target by datasource type, after substitution. */
function queryText(job: Job): string {
  const t = job.target;
  const raw = String(t.expr ?? t.query ?? t.queryText ?? "");
  return substituteVariables(raw, job.dashboard);
}

async function runOne(job: Job): Promise<ReportItem> {
  const { ds } = job;
  const query = queryText(job);
  const base = { ...job.where, refId: job.refId, datasourceUid: ds.uid, datasourceType: ds.type, query };
  const nowS = Date.now() / 1000;
  const hourAgoS = nowS - 3600;
  let res: DsResponse;
  let accepted: (r: DsResponse) => boolean = (r) => r.status === 200;
  try {
    switch (ds.type) {
      case "prometheus":
      case "victoriametrics-metrics-datasource":
        if (!query.trim()) return { ...base, ok: false, httpStatus: 0, error: "empty PromQL expression", series: 0 };
        res = await promInstantQuery(ds, query, nowS);
        accepted = (r) => r.status === 200 && /"status"\s*:\s*"success"/.test(r.body);
        break;
      case "loki":
        // Log queries cannot be instant queries in Loki: a range over the last hour for both kinds.
        res = await dsRequest(
          ds,
          `/loki/api/v1/query_range?${new URLSearchParams({
            query,
            start: String(Math.floor(hourAgoS * 1e9)),
            end: String(Math.floor(nowS * 1e9)),
            limit: "100",
          })}`,
        );
        accepted = (r) => r.status === 200 && /"status"\s*:\s*"success"/.test(r.body);
        break;
      case "victoriametrics-logs-datasource": {
        const stats = /stats/i.test(String(job.target.queryType ?? ""));
        const params = new URLSearchParams({ query: query || "*", start: new Date(hourAgoS * 1000).toISOString() });
        if (stats) params.set("time", new Date(nowS * 1000).toISOString());
        else params.set("limit", "100");
        res = await dsRequest(ds, `${stats ? "/select/logsql/stats_query" : "/select/logsql/query"}?${params}`);
        break;
      }
      case "jaeger": {
        const t = job.target;
        const service = t.service ? substituteVariables(String(t.service), job.dashboard) : "";
        if (t.queryType === "dependencyGraph") {
          res = await dsRequest(ds, `/api/dependencies?${new URLSearchParams({ endTs: String(Date.now()), lookback: "3600000" })}`);
        } else if (t.queryType === "search" && service) {
          const params = new URLSearchParams({ service, limit: String(t.limit ?? 20), lookback: "1h" });
          if (t.operation) params.set("operation", substituteVariables(String(t.operation), job.dashboard));
          res = await dsRequest(ds, `/api/traces?${params}`);
        } else if (query) {
          // A trace id: 404 means "not there", which Jaeger answers for a well-formed id it does not hold.
          res = await dsRequest(ds, `/api/traces/${encodeURIComponent(query)}`);
          accepted = (r) => r.status === 200 || r.status === 404;
        } else {
          res = await dsRequest(ds, "/api/services");
        }
        break;
      }
      case "tempo":
        res = await dsRequest(
          ds,
          `/api/search?${new URLSearchParams({ q: query || "{}", start: String(Math.floor(hourAgoS)), end: String(Math.floor(nowS)), limit: "20" })}`,
        );
        break;
      default:
        return { ...base, ok: false, httpStatus: 0, error: `the stand-in cannot run queries of datasource type ${ds.type}`, series: 0 };
    }
  } catch (error) {
    return { ...base, ok: false, httpStatus: 0, error: (error as Error).message, series: 0 };
  }
  const ok = accepted(res);
  return { ...base, ok, httpStatus: res.status, ...(ok ? {} : { error: errorOf(res.body) }), series: ok ? countOf(res.body) : 0 };
}

function panelsOf(dashboard: Record<string, Json>): Record<string, Json>[] {
  const out: Record<string, Json>[] = [];
  const walk = (panels: unknown) => {
    for (const panel of Array.isArray(panels) ? panels : []) {
      out.push(panel);
      walk(panel?.panels); // collapsed rows hold their panels
    }
  };
  walk(dashboard.panels);
  walk(dashboard.rows); // pre-schema-16 dashboards
  return out;
}

function panelName(panel: Record<string, Json>): string {
  return `${panel.id ?? "?"}: ${panel.title ?? "(untitled)"}`;
}

async function pool<T, R>(items: T[], limit: number, run: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await run(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export async function buildReport(prov: Provisioning, version: string): Promise<Report> {
  const jobs: Job[] = [];
  const skipped: SkippedItem[] = [];
  const failedEarly: ReportItem[] = [];

  const addDashboard = (d: Dashboard) => {
    for (const panel of panelsOf(d.json)) {
      const targets: Record<string, Json>[] = Array.isArray(panel.targets) ? panel.targets : [];
      for (const target of targets) {
        const where = { dashboard: d.uid, panel: panelName(panel) };
        const refId = String(target.refId ?? "A");
        const ref = target.datasource ?? panel.datasource;
        const uid = typeof ref === "object" && ref ? String(ref.uid ?? "") : String(ref ?? "");
        if (uid === "__expr__" || (typeof ref === "object" && ref?.type === "__expr__")) {
          skipped.push({
            ...where,
            refId,
            datasourceUid: "__expr__",
            reason: "server-side expression: computed from the other queries, not sent to a datasource",
          });
          continue;
        }
        if (["-- Grafana --", "grafana", "-- Dashboard --"].includes(uid)) {
          skipped.push({ ...where, refId, datasourceUid: uid, reason: "Grafana's built-in datasource: nothing is sent to a backend" });
          continue;
        }
        if (target.hide === true) {
          skipped.push({ ...where, refId, datasourceUid: uid, reason: "hidden target (hide: true)" });
          continue;
        }
        const ds = resolveDatasource(ref, prov.datasources, d.json);
        if (typeof ds === "string") {
          failedEarly.push({
            ...where,
            refId,
            datasourceUid: uid,
            datasourceType: "",
            query: String(target.expr ?? target.query ?? ""),
            ok: false,
            httpStatus: 0,
            error: ds,
            series: 0,
          });
          continue;
        }
        jobs.push({ where, refId, ds, target, dashboard: d.json });
      }
    }
  };
  prov.dashboards.forEach(addDashboard);

  for (const rule of prov.rules) {
    for (const q of rule.data) {
      const where = { rule: rule.uid };
      if (q.datasourceUid === "__expr__" || q.datasourceUid === "-100") {
        skipped.push({
          ...where,
          refId: q.refId,
          datasourceUid: q.datasourceUid,
          reason: `server-side expression (${String(q.model.type ?? "?")} of ${String(q.model.expression ?? "?")}): computed from the other queries, not sent to a datasource`,
        });
        continue;
      }
      const ds = prov.datasources.find((d) => d.uid === q.datasourceUid);
      if (!ds) {
        failedEarly.push({
          ...where,
          refId: q.refId,
          datasourceUid: q.datasourceUid,
          datasourceType: "",
          query: String(q.model.expr ?? ""),
          ok: false,
          httpStatus: 0,
          error: `datasource uid ${q.datasourceUid} is not provisioned`,
          series: 0,
        });
        continue;
      }
      jobs.push({ where, refId: q.refId, ds, target: q.model });
    }
  }

  const items = [...(await pool(jobs, 4, runOne)), ...failedEarly];
  const okCount = items.filter((i) => i.ok).length;
  return {
    standin: version,
    generatedAt: new Date().toISOString(),
    ok: okCount === items.length,
    counts: { queries: items.length, ok: okCount, failed: items.length - okCount, skipped: skipped.length },
    items,
    skipped,
  };
}
