/**
 * The application's metrics catalog: every instrument the app exports (seed 001, "Available
 * Metrics"), described once as OTel instruments. Prometheus names are DERIVED with
 * `prometheusName`, never typed, so dashboards, alerts and the naming rules cannot drift apart.
 */
import { InstrumentKind, prometheusName } from "./naming";

/** Dashboard sections, in the order the seed's "Dashboard Sections" lists them. */
export const SECTIONS = [
  { id: "logStreaming", title: "Log Streaming", summary: "Active streams, throughput, duration percentiles, errors" },
  { id: "shellSessions", title: "Shell Sessions", summary: "Active sessions, creation rate, duration, errors & timeouts" },
  { id: "websocketTasks", title: "WebSocket & Tasks", summary: "Connection metrics, message rates, task execution" },
  { id: "memory", title: "Memory Usage", summary: "RSS and virtual memory trends" },
  { id: "http", title: "HTTP Server", summary: "Request rates, active requests, latencies" },
  { id: "tokio", title: "Tokio Runtime", summary: "Worker threads, task lifecycle, poll metrics" },
  { id: "application", title: "Application Metrics", summary: "App count, status distribution, health checks" },
] as const;

export type SectionId = (typeof SECTIONS)[number]["id"];

/** One instrument as the application creates it, without the app-name prefix. */
export interface MetricSpec {
  /** OTel name without the `<appName>.` prefix, e.g. `http.requests`. */
  name: string;
  kind: InstrumentKind;
  /** UCUM unit; `{thing}` annotations carry no unit and add no suffix. */
  unit: string;
  description: string;
  /** Attribute keys (become labels) a query may break the metric down by. */
  attributes: readonly string[];
  section: SectionId;
}

const HTTP_ATTRIBUTES = ["method", "path", "status"] as const;

const METRIC_SPECS = {
  // Log streaming
  logStreamsActive: { name: "log.streams.active", kind: "gauge", unit: "{stream}", description: "Number of active log streams", attributes: [], section: "logStreaming" },
  logStreamsCreated: { name: "log.streams", kind: "counter", unit: "{stream}", description: "Total log streams created", attributes: [], section: "logStreaming" },
  logStreamDuration: { name: "log.stream.duration", kind: "histogram", unit: "s", description: "Duration of log streaming sessions", attributes: [], section: "logStreaming" },
  logStreamLines: { name: "log.stream.lines", kind: "counter", unit: "{line}", description: "Total log lines streamed to clients", attributes: [], section: "logStreaming" },
  logStreamErrors: { name: "log.stream.errors", kind: "counter", unit: "{error}", description: "Log streaming errors", attributes: [], section: "logStreaming" },
  // Shell sessions
  shellSessionsActive: { name: "shell.sessions.active", kind: "gauge", unit: "{session}", description: "Number of active shell sessions", attributes: [], section: "shellSessions" },
  shellSessionsCreated: { name: "shell.sessions", kind: "counter", unit: "{session}", description: "Total shell sessions created", attributes: [], section: "shellSessions" },
  shellSessionDuration: { name: "shell.session.duration", kind: "histogram", unit: "s", description: "Shell session duration", attributes: [], section: "shellSessions" },
  shellSessionErrors: { name: "shell.session.errors", kind: "counter", unit: "{error}", description: "Shell session errors", attributes: [], section: "shellSessions" },
  shellSessionTimeouts: { name: "shell.session.timeouts", kind: "counter", unit: "{session}", description: "Sessions ended due to timeout", attributes: [], section: "shellSessions" },
  // WebSocket
  websocketConnectionsActive: { name: "websocket.connections.active", kind: "gauge", unit: "{connection}", description: "Active WebSocket connections", attributes: [], section: "websocketTasks" },
  // Not in the seed's table, but its "WebSocket Connection Churn" example queries it.
  websocketConnectionsOpened: { name: "websocket.connections.total", kind: "counter", unit: "{connection}", description: "WebSocket connections opened", attributes: [], section: "websocketTasks" },
  websocketMessagesSent: { name: "websocket.messages.sent", kind: "counter", unit: "{message}", description: "Messages sent to clients", attributes: [], section: "websocketTasks" },
  websocketMessagesReceived: { name: "websocket.messages.received", kind: "counter", unit: "{message}", description: "Messages received from clients", attributes: [], section: "websocketTasks" },
  websocketAuthFailures: { name: "websocket.auth.failures", kind: "counter", unit: "{failure}", description: "WebSocket authentication failures", attributes: [], section: "websocketTasks" },
  // Task output streaming
  tasksActive: { name: "tasks.active", kind: "gauge", unit: "{task}", description: "Active task output streams", attributes: [], section: "websocketTasks" },
  tasksExecuted: { name: "tasks", kind: "counter", unit: "{task}", description: "Total tasks executed", attributes: [], section: "websocketTasks" },
  taskDuration: { name: "task.duration", kind: "histogram", unit: "s", description: "Task execution duration", attributes: [], section: "websocketTasks" },
  taskFailures: { name: "task.failures", kind: "counter", unit: "{task}", description: "Failed tasks", attributes: [], section: "websocketTasks" },
  taskOutputLines: { name: "task.output.lines", kind: "counter", unit: "{line}", description: "Task output lines streamed", attributes: [], section: "websocketTasks" },
  // HTTP server
  httpRequestsActive: { name: "http.requests.active", kind: "updowncounter", unit: "{request}", description: "Currently processing requests", attributes: ["method", "path"], section: "http" },
  httpRequests: { name: "http.requests", kind: "counter", unit: "{request}", description: "Total HTTP requests", attributes: HTTP_ATTRIBUTES, section: "http" },
  httpRequestDuration: { name: "http.request.duration", kind: "histogram", unit: "s", description: "Request processing time", attributes: HTTP_ATTRIBUTES, section: "http" },
  // Memory
  memoryRss: { name: "memory.rss", kind: "gauge", unit: "By", description: "Resident Set Size (RSS) in bytes", attributes: [], section: "memory" },
  memoryVirtual: { name: "memory.virtual", kind: "gauge", unit: "By", description: "Virtual memory size in bytes", attributes: [], section: "memory" },
  // Application
  // A gauge keeps its `total` token: only counters are rewritten to end in `_total`.
  appsTotal: { name: "apps.total", kind: "gauge", unit: "{app}", description: "Total managed applications", attributes: [], section: "application" },
  appsByStatus: { name: "apps.by_status", kind: "gauge", unit: "{app}", description: "Apps grouped by status", attributes: ["status"], section: "application" },
  appServicesCount: { name: "app.services.count", kind: "histogram", unit: "{service}", description: "Services per application distribution", attributes: [], section: "application" },
  appLastCheckAge: { name: "app.last_check.age", kind: "histogram", unit: "s", description: "Time since last health check", attributes: [], section: "application" },
  // Tokio runtime
  tokioWorkersCount: { name: "tokio.workers.count", kind: "gauge", unit: "{thread}", description: "Number of Tokio worker threads", attributes: [], section: "tokio" },
  tokioTasksActive: { name: "tokio.tasks.active", kind: "gauge", unit: "{task}", description: "Active instrumented tasks", attributes: [], section: "tokio" },
  tokioTasksDropped: { name: "tokio.tasks.dropped", kind: "counter", unit: "{task}", description: "Completed/dropped tasks", attributes: [], section: "tokio" },
  tokioPollCount: { name: "tokio.poll.count", kind: "counter", unit: "{poll}", description: "Total task polls", attributes: [], section: "tokio" },
  tokioPollDuration: { name: "tokio.poll.duration", kind: "histogram", unit: "s", description: "Task poll duration", attributes: [], section: "tokio" },
  tokioSlowPollCount: { name: "tokio.slow_poll.count", kind: "counter", unit: "{poll}", description: "Slow task polls (>1ms)", attributes: [], section: "tokio" },
  tokioIdleDuration: { name: "tokio.idle.duration", kind: "histogram", unit: "s", description: "Task idle time between polls", attributes: [], section: "tokio" },
  tokioScheduledCount: { name: "tokio.scheduled.count", kind: "counter", unit: "{event}", description: "Task scheduling events", attributes: [], section: "tokio" },
  tokioFirstPollDelay: { name: "tokio.first_poll.delay", kind: "histogram", unit: "s", description: "Delay from creation to first poll", attributes: [], section: "tokio" },
} as const satisfies Record<string, MetricSpec>;

export type MetricKey = keyof typeof METRIC_SPECS;

/** A catalog entry resolved for one application. */
export interface CatalogMetric extends MetricSpec {
  key: MetricKey;
  /** Full OTel instrument name: `${appName}.${name}`. */
  otelName: string;
  /** Prometheus name in the backend (histograms: base name, add `_bucket`/`_sum`/`_count`). */
  promName: string;
}

export interface Catalog {
  appName: string;
  byKey: Readonly<Record<MetricKey, CatalogMetric>>;
  /** All entries, in catalog (= section) order. */
  list: readonly CatalogMetric[];
}

/** App names become the OTel prefix, a Prometheus name prefix and part of Grafana uids. */
export const APP_NAME_PATTERN = /^[a-z][a-z0-9_-]{0,40}$/;

export function catalogFor(appName: string): Catalog {
  if (!APP_NAME_PATTERN.test(appName)) {
    throw new Error(`catalogFor: appName ${JSON.stringify(appName)} must match ${APP_NAME_PATTERN}`);
  }
  const keys = Object.keys(METRIC_SPECS) as MetricKey[];
  const list = keys.map((key): CatalogMetric => {
    const spec: MetricSpec = METRIC_SPECS[key];
    const otelName = `${appName}.${spec.name}`;
    return { ...spec, key, otelName, promName: prometheusName({ name: otelName, kind: spec.kind, unit: spec.unit }) };
  });
  const byKey = Object.fromEntries(list.map((m) => [m.key, m])) as Record<MetricKey, CatalogMetric>;
  return { appName, byKey, list };
}

export interface SeedExample {
  title: string;
  expr: string;
}

/**
 * The seed's "PromQL Query Examples", rebuilt from catalog names (fixed `[5m]`/`[10m]` windows as
 * in the seed, so they can be pasted into vmui or the Prometheus UI as they are).
 */
export function seedExamples(appName: string): SeedExample[] {
  const m = catalogFor(appName).byKey;
  return [
    { title: "Request Rate by HTTP Status", expr: `sum by (status) (rate(${m.httpRequests.promName}[5m]))` },
    { title: "P95 Request Latency", expr: `histogram_quantile(0.95, rate(${m.httpRequestDuration.promName}_bucket[5m]))` },
    { title: "WebSocket Connection Churn", expr: `rate(${m.websocketConnectionsOpened.promName}[5m])` },
    { title: "Memory Growth Rate", expr: `deriv(${m.memoryRss.promName}[10m])` },
    {
      title: "Active Resources Summary",
      expr: [m.logStreamsActive, m.shellSessionsActive, m.websocketConnectionsActive, m.tasksActive].map((x) => x.promName).join(" + "),
    },
  ];
}
