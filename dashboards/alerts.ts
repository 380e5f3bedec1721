/**
 * Grafana alerting file provisioning (`/etc/grafana/provisioning/alerting/*.yaml`): when to page.
 * What is measured comes from queries.ts / stack-metrics.ts; this module adds thresholds, `for`
 * durations, labels and the contact point.
 *
 * Every rule has the same three steps: A = the PromQL measurement (an instant query, no
 * comparison in it), B = reduce A to its last value per series, C = threshold on B (the condition).
 * Keeping the comparison out of PromQL means the query always returns the measured value, so
 * annotations can show it and "no data" only happens when the series really is missing.
 */
import { dump } from "js-yaml";
import { grafanaLiteral } from "../configs/serialize";
import { catalogFor } from "./catalog";
import { panelsOf } from "./common";
import { COLLECTOR_SCRAPE_JOB } from "../settings/names";
import { AlertInput, BackendHealth, ContactPointInput } from "./input";
import { displayName, grafanaUid } from "./naming";
import { PromQuery, counterRate, gaugeDerivative } from "./queries";
import { appDashboard } from "./scotty";
import { STACK_FOLDER } from "./stack-health";
import { SIGNAL_SERIES, collectorFlow, healthyQuery, queueFill } from "./stack-metrics";

/** A secret Grafana reads from a file at provisioning time; rendered as `$__file{path}`, never escaped. */
export class FileReference {
  constructor(readonly path: string) {}
}

type Scalar = string | number | boolean | FileReference;
type Tree = Scalar | readonly Tree[] | { readonly [key: string]: Tree | undefined };

export type Severity = "critical" | "warning";
type NoDataState = "OK" | "NoData" | "Alerting";
type ExecErrState = "Error" | "Alerting" | "OK";

interface RuleDef {
  key: string;
  title: string;
  query: PromQuery;
  /** `gt`: fire above `value`; `lt`: fire below it. */
  evaluator: { type: "gt" | "lt"; value: number };
  for: string;
  severity: Severity;
  summary: string;
  description: string;
  noDataState: NoDataState;
  execErrState: ExecErrState;
  /** Relative time range of the query in seconds (must cover its longest range selector). */
  lookbackSeconds: number;
  /** Title of the app dashboard panel that shows the measurement: Grafana marks the rule's state changes on it. */
  panel?: string;
}

export interface ProvisionedQuery {
  refId: "A";
  relativeTimeRange: { from: number; to: number };
  datasourceUid: string;
  model: {
    refId: "A";
    datasource: { type: "prometheus"; uid: string };
    expr: string;
    instant: true;
    range: false;
    editorMode: "code";
    legendFormat: string;
    intervalMs: number;
    maxDataPoints: number;
  };
}

export interface ProvisionedExpression {
  refId: "B" | "C";
  datasourceUid: "__expr__";
  model:
    | {
        refId: "B";
        type: "reduce";
        expression: "A";
        reducer: "last";
        settings: { mode: "dropNN" };
        datasource: { type: "__expr__"; uid: "__expr__" };
      }
    | {
        refId: "C";
        type: "threshold";
        expression: "B";
        conditions: { evaluator: { type: "gt" | "lt"; params: number[] } }[];
        datasource: { type: "__expr__"; uid: "__expr__" };
      };
}

export interface ProvisionedRule {
  uid: string;
  title: string;
  condition: "C";
  data: [ProvisionedQuery, ProvisionedExpression, ProvisionedExpression];
  noDataState: NoDataState;
  execErrState: ExecErrState;
  for: string;
  labels: Record<string, string>;
  /** `__dashboardUid__` / `__panelId__` link the rule to a panel (state changes drawn on it, "View panel" in the alert). */
  annotations: { summary: string; description: string; __dashboardUid__?: string; __panelId__?: string };
  isPaused: false;
}

export interface ProvisionedGroup {
  orgId: 1;
  name: string;
  folder: string;
  interval: string;
  rules: ProvisionedRule[];
}

export interface ContactPointReceiver {
  uid: string;
  type: "webhook" | "slack" | "email";
  settings: Record<string, string | boolean | FileReference>;
  disableResolveMessage: boolean;
}

export interface AlertingProvisioning {
  apiVersion: 1;
  groups: ProvisionedGroup[];
  contactPoints?: { orgId: 1; name: string; receivers: ContactPointReceiver[] }[];
  policies?: {
    orgId: 1;
    receiver: string;
    group_by: string[];
    group_wait: string;
    group_interval: string;
    repeat_interval: string;
  }[];
}

const EVALUATION_INTERVAL = "1m";
const EXPR_DATASOURCE = { type: "__expr__", uid: "__expr__" } as const;

function appRules(input: AlertInput): RuleDef[] {
  const m = catalogFor(input.appName).byKey;
  const t = input.thresholds;
  const app = displayName(input.appName);
  // The seed's rules use fixed 5m/30m windows: alerts must not depend on a dashboard's zoom.
  return [
    {
      key: "http-5xx",
      panel: "Request rate by status",
      title: `${app}: high HTTP 5xx rate`,
      // Seed: status="500"; every 5xx is a server failure, so the whole class counts.
      query: counterRate(m.httpRequests, { by: ["job"], matchers: { status: { op: "=~", value: "5.." } }, window: "5m" }),
      evaluator: { type: "gt", value: t.http5xxPerSecond },
      for: "5m",
      severity: "critical",
      summary: `${app} answers more than ${t.http5xxPerSecond} requests per second with a 5xx status`,
      description:
        "HTTP 5xx responses per second over 5 minutes, for job {{ .Labels.job }}. Check the HTTP Server row and the traces of failing requests.",
      // No 5xx series at all means no 5xx responses: that is the healthy case.
      noDataState: "OK",
      execErrState: "Error",
      lookbackSeconds: 600,
    },
    {
      key: "memory-growth",
      panel: "RSS growth rate",
      title: `${app}: memory keeps growing`,
      query: gaugeDerivative(m.memoryRss, "30m"),
      evaluator: { type: "gt", value: t.memoryGrowthBytesPerSecond },
      for: "15m",
      severity: "warning",
      summary: `${app} RSS grows faster than ${t.memoryGrowthBytesPerSecond} bytes per second over 30 minutes`,
      // Scotty sets no service.instance.id, so its series carry `job` but no `instance` label.
      description:
        "Possible memory leak in job {{ .Labels.job }}{{ with .Labels.instance }} (instance {{ . }}){{ end }}: RSS slope over 30 minutes stays above the threshold. See the Memory Usage row.",
      noDataState: "OK",
      execErrState: "Error",
      lookbackSeconds: 2400,
    },
    {
      key: "ws-auth-failures",
      panel: "WebSocket auth failures / s",
      title: `${app}: WebSocket authentication failures`,
      query: counterRate(m.websocketAuthFailures, { by: ["job"], window: "5m" }),
      evaluator: { type: "gt", value: t.websocketAuthFailuresPerSecond },
      for: "5m",
      severity: "warning",
      summary: `More than ${t.websocketAuthFailuresPerSecond} WebSocket authentication failures per second`,
      description:
        "WebSocket authentication failures per second over 5 minutes, for job {{ .Labels.job }}: expired tokens after a deploy, or someone probing.",
      noDataState: "OK",
      execErrState: "Error",
      lookbackSeconds: 600,
    },
    {
      key: "task-failures",
      panel: "Tasks executed & failed / s",
      title: `${app}: task failures`,
      query: counterRate(m.taskFailures, { by: ["job"], window: "5m" }),
      evaluator: { type: "gt", value: t.taskFailuresPerSecond },
      for: "5m",
      severity: "warning",
      summary: `More than ${t.taskFailuresPerSecond} failed tasks per second`,
      description: "Failed tasks per second over 5 minutes, for job {{ .Labels.job }}. See the WebSocket & Tasks row.",
      noDataState: "OK",
      execErrState: "Error",
      lookbackSeconds: 600,
    },
  ];
}

/** A value even when the query has no series at all; `on()` keeps the 0 out whenever it has one. */
function orZero(query: PromQuery): PromQuery {
  return { ...query, expr: `${query.expr} or on() vector(0)` };
}

/** What a backend being down means, per signal: its rule's error state and the consequence spelled out. */
const BACKEND_DOWN: Record<BackendHealth["signal"], { what: string; execErrState: ExecErrState; extra: string }> = {
  metrics: {
    what: "Metrics backend",
    // When the metrics backend is down, this very query fails: that IS the alert.
    execErrState: "Alerting",
    extra: "Dashboards and every other alert rule read from it; remote write retries and then drops data.",
  },
  traces: {
    what: "Traces backend",
    execErrState: "Error",
    extra: "The collector queues spans for it and drops them once retries run out.",
  },
  logs: {
    what: "Logs backend",
    execErrState: "Error",
    extra: "The collector queues log records for it and drops them once retries run out.",
  },
};

function stackRules(input: AlertInput): RuleDef[] {
  const collector = COLLECTOR_SCRAPE_JOB;
  const down = (key: string, what: string, job: string, execErrState: ExecErrState, extra: string): RuleDef => ({
    key,
    title: `${what} down`,
    query: healthyQuery(job),
    evaluator: { type: "lt", value: 1 },
    for: "2m",
    severity: "critical",
    summary: `${what} (scrape job ${job}) is down or no longer reporting`,
    description: `No healthy scrape of job ${job} in the last 2 minutes. ${extra}`,
    // The query ends in `or vector(0)`: it always returns a value, and a missing series reads as down.
    noDataState: "Alerting",
    execErrState,
    lookbackSeconds: 300,
  });
  return [
    down(
      "collector-down",
      "OpenTelemetry Collector",
      collector,
      "Error",
      "The collector scrapes and ships its own metrics, so a dead collector shows up as missing data, not as up == 0. No telemetry reaches the backends meanwhile.",
    ),
    ...SIGNAL_SERIES.map((s): RuleDef => ({
      key: `export-failed-${s.id}`,
      title: `Collector failing to export ${s.title.toLowerCase()}`,
      // Already 0 per sending exporter when nothing failed; `or on() vector(0)` also answers 0 for
      // a signal without any pipeline (logs when the stack has no logs backend).
      query: orZero(collectorFlow(collector, s, "failed", "5m")),
      evaluator: { type: "gt", value: 0 },
      for: "5m",
      severity: "critical",
      summary: `The collector drops ${s.title.toLowerCase()} it cannot export`,
      description: `Exporter {{ .Labels.exporter }} failed to send ${s.title.toLowerCase()} after retries over the last 5 minutes: that data is lost. Check the backend behind it.`,
      noDataState: "OK",
      execErrState: "Error",
      lookbackSeconds: 600,
    })),
    {
      key: "queue-fill",
      title: "Collector export queue filling up",
      query: queueFill(collector),
      evaluator: { type: "gt", value: input.thresholds.queueFillRatio },
      for: "5m",
      severity: "warning",
      summary: `An exporter's sending queue is more than ${Math.round(input.thresholds.queueFillRatio * 100)} percent full`,
      description:
        "The sending queue of exporter {{ .Labels.exporter }} is close to capacity: its backend is slow or unreachable. When the queue is full, new data is dropped.",
      noDataState: "OK",
      execErrState: "Error",
      lookbackSeconds: 600,
    },
    ...input.backends.map((backend) => {
      const meaning = BACKEND_DOWN[backend.signal];
      return down(`${backend.signal}-backend-down`, meaning.what, backend.job, meaning.execErrState, meaning.extra);
    }),
  ];
}

interface PanelLink {
  dashboardUid: string;
  panelId: number;
}

/** Finds the panels rules point at on the app dashboard; a renamed panel fails here, not silently in Grafana. */
function appPanelLinks(input: AlertInput): (title: string | undefined) => PanelLink | undefined {
  const dash = appDashboard({ appName: input.appName, metricsUid: input.metricsUid });
  const panels = panelsOf(dash);
  return (title) => {
    if (title === undefined) return undefined;
    const panel = panels.find((p) => p.title === title);
    if (panel?.id === undefined) throw new Error(`alert rules: no panel ${JSON.stringify(title)} on dashboard ${dash.uid}`);
    return { dashboardUid: dash.uid!, panelId: panel.id };
  };
}

function provisionedRule(def: RuleDef, uid: string, metricsUid: string, labels: Record<string, string>, link?: PanelLink): ProvisionedRule {
  return {
    uid,
    title: def.title,
    condition: "C",
    data: [
      {
        refId: "A",
        relativeTimeRange: { from: def.lookbackSeconds, to: 0 },
        datasourceUid: metricsUid,
        model: {
          refId: "A",
          datasource: { type: "prometheus", uid: metricsUid },
          expr: def.query.expr,
          instant: true,
          range: false,
          editorMode: "code",
          legendFormat: def.query.legendFormat,
          intervalMs: 60_000,
          maxDataPoints: 43_200,
        },
      },
      {
        refId: "B",
        datasourceUid: "__expr__",
        model: { refId: "B", type: "reduce", expression: "A", reducer: "last", settings: { mode: "dropNN" }, datasource: EXPR_DATASOURCE },
      },
      {
        refId: "C",
        datasourceUid: "__expr__",
        model: {
          refId: "C",
          type: "threshold",
          expression: "B",
          conditions: [{ evaluator: { type: def.evaluator.type, params: [def.evaluator.value] } }],
          datasource: EXPR_DATASOURCE,
        },
      },
    ],
    noDataState: def.noDataState,
    execErrState: def.execErrState,
    for: def.for,
    labels: { severity: def.severity, ...labels },
    annotations: {
      summary: def.summary,
      description: def.description,
      ...(link ? { __dashboardUid__: link.dashboardUid, __panelId__: String(link.panelId) } : {}),
    },
    isPaused: false,
  };
}

function contactPointName(input: AlertInput): string {
  return `${input.appName}-${input.environment}`;
}

function receiver(input: AlertInput, contact: Exclude<ContactPointInput, { kind: "none" }>): ContactPointReceiver {
  const uid = grafanaUid(input.appName, input.environment, contact.kind);
  switch (contact.kind) {
    case "webhook":
      return {
        uid,
        type: "webhook",
        settings: { url: new FileReference(contact.urlFile), httpMethod: "POST" },
        disableResolveMessage: false,
      };
    case "slack":
      return { uid, type: "slack", settings: { url: new FileReference(contact.urlFile) }, disableResolveMessage: false };
    case "email":
      return { uid, type: "email", settings: { addresses: contact.addresses.join(";"), singleEmail: false }, disableResolveMessage: false };
    default: {
      const unhandled: never = contact;
      throw new Error(`unknown contact point kind ${JSON.stringify(unhandled)}`);
    }
  }
}

/** The provisioning document as plain data (input must already be validated). */
export function alertingProvisioning(input: AlertInput): AlertingProvisioning {
  const common = { environment: input.environment };
  const linkOf = appPanelLinks(input);
  const group = (name: string, folder: string, defs: RuleDef[], labels: Record<string, string>, uidPrefix: string[]): ProvisionedGroup => ({
    orgId: 1,
    name,
    folder,
    interval: EVALUATION_INTERVAL,
    rules: defs.map((d) =>
      provisionedRule(d, grafanaUid(...uidPrefix, d.key), input.metricsUid, { ...common, ...labels }, linkOf(d.panel)),
    ),
  });
  const doc: AlertingProvisioning = {
    apiVersion: 1,
    // Rule folders are the dashboards' folders (first path segment), so rules sit next to their dashboard.
    groups: [
      group(input.appName, input.appName, appRules(input), { app: input.appName }, [input.appName, input.environment]),
      group("observability-stack", STACK_FOLDER, stackRules(input), { component: "observability-stack" }, ["stack", input.environment]),
    ],
  };
  const contact = input.contactPoint;
  // kind none: no contact point and no policy, so Grafana keeps its default policy and receiver.
  if (contact.kind === "none") return doc;
  const name = contactPointName(input);
  return {
    ...doc,
    contactPoints: [{ orgId: 1, name, receivers: [receiver(input, contact)] }],
    // Provisioning a policy replaces the whole tree: this one root routes everything to our receiver.
    policies: [
      {
        orgId: 1,
        receiver: name,
        group_by: ["grafana_folder", "alertname"],
        group_wait: "30s",
        group_interval: "5m",
        repeat_interval: "4h",
      },
    ],
  };
}

/**
 * Grafana expands `$VAR` / `${VAR}` in provisioning files, so every literal `$` must be doubled.
 * File references are the one place where expansion is wanted.
 */
export function escapeProvisioning(tree: Tree): unknown {
  if (tree instanceof FileReference) return `$__file{${tree.path}}`;
  if (typeof tree === "string") return grafanaLiteral(tree);
  if (typeof tree === "number" || typeof tree === "boolean") return tree;
  if (Array.isArray(tree)) return tree.map((t: Tree) => escapeProvisioning(t));
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(tree)) {
    if (value !== undefined) out[key] = escapeProvisioning(value);
  }
  return out;
}

export function renderAlertingYaml(doc: AlertingProvisioning): string {
  return dump(escapeProvisioning(doc as unknown as Tree), { noRefs: true, lineWidth: -1 });
}
