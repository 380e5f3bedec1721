/**
 * The application's metrics catalog: every instrument Scotty creates, described once, AS THE
 * APPLICATION DECLARES IT (OTel name, kind, unit, attribute keys). Prometheus names are DERIVED with
 * `prometheusName`, never typed, so dashboards, alerts and the naming rules cannot drift apart.
 *
 * Reference: factorial-io/scotty, `scotty/src/metrics/instruments.rs` (names, kinds, units) and
 * `otel_recorder.rs` / `http.rs` / `app_list.rs` (attributes) at commit d771af76e61f (the newest
 * version of instruments.rs in the reference index; newest release in Scotty's CHANGELOG: 0.3.2).
 * Scotty creates its instruments without units except durations (`s`) and memory (`bytes`, not
 * UCUM `By`), and leaves histogram buckets at the SDK default (0, 5, 10, 25 ... 10000).
 *
 * Seed 001's "Available Metrics" table was the first source. Where the application differs, the
 * application wins and the entry says so in `seed` (see also SEED_ONLY for names it never emits).
 */
import { APP_NAME_PATTERN } from "../settings/names";
import { InstrumentKind, prometheusName } from "./naming";

/**
 * Dashboard sections: the seed's seven in its order, with the application's task output streams
 * next to tasks, and its OAuth and rate-limiting subsystems (not in the seed) at the end, as in
 * Scotty's own dashboard.
 */
export const SECTIONS = [
  { id: "logStreaming", title: "Log Streaming", summary: "Active streams, throughput, duration percentiles, errors" },
  { id: "shellSessions", title: "Shell Sessions", summary: "Active sessions, creation rate, duration, errors & timeouts" },
  { id: "websocketTasks", title: "WebSocket & Tasks", summary: "Connection metrics, message rates, task execution" },
  { id: "taskOutputStreams", title: "Task Output Streams", summary: "Active task output streams, lines streamed" },
  { id: "memory", title: "Memory Usage", summary: "RSS and virtual memory trends" },
  { id: "http", title: "HTTP Server", summary: "Request rates, active requests, latencies" },
  { id: "tokio", title: "Tokio Runtime", summary: "Worker threads, task lifecycle, poll metrics" },
  { id: "application", title: "Application Metrics", summary: "App count, status distribution, health checks" },
  { id: "oauth", title: "OAuth", summary: "Device and web flows, sessions, token validation" },
  { id: "rateLimiting", title: "Rate Limiting", summary: "Decisions by tier, denials, key extraction errors" },
] as const;

export type SectionId = (typeof SECTIONS)[number]["id"];

/** Where the seed's table or examples say something else than the application does. */
export interface SeedDifference {
  /** The seed's Prometheus name, when the application's instrument derives another one. */
  promName?: string;
  /** Seed attribute key -> the key the application sets instead. */
  attributes?: Readonly<Record<string, string>>;
  note: string;
}

/** One instrument as the application creates it, without the app-name prefix. */
export interface MetricSpec {
  /** OTel name without the `<appName>.` prefix, exactly as the application spells it, e.g. `http.requests.total`. */
  name: string;
  kind: InstrumentKind;
  /** Unit as the application declares it (`""` when it declares none); `{thing}` annotations add no suffix. */
  unit: string;
  description: string;
  /** Attribute keys (become labels) the application sets; queries may break the metric down by them. */
  attributes: readonly string[];
  section: SectionId;
  /** Grafana unit of the per-second rate (counters). @default `cps`, `Bps` for byte counters */
  rateUnit?: string;
  seed?: SeedDifference;
}

const HTTP_ATTRIBUTES = ["method", "route", "status"] as const;
const HTTP_SEED: SeedDifference = {
  attributes: { path: "route" },
  note: "The seed documents a `path` attribute; the application sets `route` (the request path), so the seed's per-path breakdowns group by route.",
};

const METRIC_SPECS = {
  // Log streaming
  logStreamsActive: {
    name: "log_streams.active",
    kind: "gauge",
    unit: "",
    description: "Active log streams",
    attributes: [],
    section: "logStreaming",
  },
  logStreamsCreated: {
    name: "log_streams.total",
    kind: "counter",
    unit: "",
    description: "Total log streams",
    attributes: [],
    section: "logStreaming",
  },
  logStreamDuration: {
    name: "log_stream.duration",
    kind: "histogram",
    unit: "s",
    description: "Log stream duration",
    attributes: [],
    section: "logStreaming",
  },
  logStreamLines: {
    name: "log_stream.lines",
    kind: "counter",
    unit: "",
    description: "Log lines received",
    attributes: [],
    section: "logStreaming",
  },
  logStreamErrors: {
    name: "log_stream.errors",
    kind: "counter",
    unit: "",
    description: "Log streaming errors",
    attributes: [],
    section: "logStreaming",
  },
  // Shell sessions
  shellSessionsActive: {
    name: "shell_sessions.active",
    kind: "gauge",
    unit: "",
    description: "Active shell sessions",
    attributes: [],
    section: "shellSessions",
  },
  shellSessionsCreated: {
    name: "shell_sessions.total",
    kind: "counter",
    unit: "",
    description: "Total shell sessions",
    attributes: [],
    section: "shellSessions",
  },
  shellSessionDuration: {
    name: "shell_session.duration",
    kind: "histogram",
    unit: "s",
    description: "Shell session duration",
    attributes: [],
    section: "shellSessions",
  },
  shellSessionErrors: {
    name: "shell_session.errors",
    kind: "counter",
    unit: "",
    description: "Shell session errors",
    attributes: [],
    section: "shellSessions",
  },
  shellSessionTimeouts: {
    name: "shell_session.timeouts",
    kind: "counter",
    unit: "",
    description: "Shell session timeouts",
    attributes: [],
    section: "shellSessions",
  },
  // WebSocket
  websocketConnectionsActive: {
    name: "websocket.connections",
    kind: "gauge",
    unit: "",
    description: "Active WebSocket connections",
    attributes: [],
    section: "websocketTasks",
    seed: {
      promName: "scotty_websocket_connections_active",
      note: "The application names the gauge `websocket.connections` (no `.active`). It has no connections-opened counter: the seed's `scotty_websocket_connections_total` is not emitted (see SEED_ONLY).",
    },
  },
  websocketMessagesSent: {
    name: "websocket.messages_sent",
    kind: "counter",
    unit: "",
    description: "WebSocket messages sent",
    attributes: [],
    section: "websocketTasks",
  },
  websocketMessagesReceived: {
    name: "websocket.messages_received",
    kind: "counter",
    unit: "",
    description: "WebSocket messages received",
    attributes: [],
    section: "websocketTasks",
  },
  websocketAuthFailures: {
    name: "websocket.auth_failures",
    kind: "counter",
    unit: "",
    description: "WebSocket authentication failures",
    attributes: [],
    section: "websocketTasks",
  },
  // Task execution
  tasksExecuted: {
    name: "tasks.total",
    kind: "counter",
    unit: "",
    description: "Total tasks executed",
    attributes: [],
    section: "websocketTasks",
  },
  taskDuration: {
    name: "task.duration",
    kind: "histogram",
    unit: "s",
    description: "Task execution duration",
    attributes: [],
    section: "websocketTasks",
  },
  taskFailures: {
    name: "task.failures",
    kind: "counter",
    unit: "",
    description: "Failed tasks",
    attributes: [],
    section: "websocketTasks",
  },
  // Task output streams (the application's `metrics/tasks.rs` sets the active gauge from its stream count)
  tasksActive: {
    name: "tasks.active",
    kind: "gauge",
    unit: "",
    description: "Active tasks (task output streams)",
    attributes: [],
    section: "taskOutputStreams",
    seed: { note: "Same name as in the seed; shown with the task output streams, which set it in the application." },
  },
  taskOutputLines: {
    name: "task.output_lines",
    kind: "counter",
    unit: "",
    description: "Task output lines streamed",
    attributes: [],
    section: "taskOutputStreams",
  },
  // HTTP server
  httpRequestsActive: {
    name: "http.requests.active",
    kind: "updowncounter",
    unit: "",
    description: "Active HTTP requests",
    attributes: [],
    section: "http",
    seed: { note: "The application adds and removes in-flight requests without attributes: there is no per-method or per-path breakdown." },
  },
  httpRequests: {
    name: "http.requests.total",
    kind: "counter",
    unit: "",
    description: "Total HTTP requests",
    attributes: HTTP_ATTRIBUTES,
    section: "http",
    rateUnit: "reqps",
    seed: HTTP_SEED,
  },
  httpRequestDuration: {
    name: "http.request.duration",
    kind: "histogram",
    unit: "s",
    description: "HTTP request duration",
    attributes: HTTP_ATTRIBUTES,
    section: "http",
    seed: HTTP_SEED,
  },
  // Memory
  memoryRss: {
    name: "memory.rss_bytes",
    kind: "gauge",
    unit: "bytes",
    description: "Resident Set Size (RSS) in bytes",
    attributes: [],
    section: "memory",
  },
  memoryVirtual: {
    name: "memory.virtual_bytes",
    kind: "gauge",
    unit: "bytes",
    description: "Virtual memory size in bytes",
    attributes: [],
    section: "memory",
  },
  // Application
  // A gauge keeps its `total` token: only counters are rewritten to end in `_total`.
  appsTotal: {
    name: "apps.total",
    kind: "gauge",
    unit: "",
    description: "Total number of managed applications",
    attributes: [],
    section: "application",
  },
  appsByStatus: {
    name: "apps.by_status",
    kind: "gauge",
    unit: "",
    description: "Number of apps by status",
    attributes: ["status"],
    section: "application",
  },
  appServicesCount: {
    name: "app.services.count",
    kind: "histogram",
    unit: "",
    description: "Number of services per application",
    attributes: [],
    section: "application",
  },
  appLastCheckAge: {
    name: "app.last_check.age",
    kind: "histogram",
    unit: "s",
    description: "Time since last health check",
    attributes: [],
    section: "application",
  },
  // Tokio runtime
  tokioWorkersCount: {
    name: "tokio.workers.count",
    kind: "gauge",
    unit: "",
    description: "Number of Tokio worker threads",
    attributes: [],
    section: "tokio",
  },
  tokioTasksActive: {
    name: "tokio.tasks.active",
    kind: "gauge",
    unit: "",
    description: "Number of active instrumented tasks",
    attributes: [],
    section: "tokio",
  },
  tokioTasksDropped: {
    name: "tokio.tasks.dropped",
    kind: "counter",
    unit: "",
    description: "Number of completed tasks",
    attributes: [],
    section: "tokio",
  },
  tokioPollCount: {
    name: "tokio.poll.count",
    kind: "counter",
    unit: "",
    description: "Total number of task polls",
    attributes: [],
    section: "tokio",
  },
  tokioPollDuration: {
    name: "tokio.poll.duration",
    kind: "histogram",
    unit: "s",
    description: "Task poll duration",
    attributes: [],
    section: "tokio",
  },
  tokioSlowPollCount: {
    name: "tokio.poll.slow_count",
    kind: "counter",
    unit: "",
    description: "Number of slow task polls",
    attributes: [],
    section: "tokio",
    seed: { promName: "scotty_tokio_slow_poll_count_total", note: "The application names the counter `tokio.poll.slow_count`." },
  },
  tokioIdleDuration: {
    name: "tokio.idle.duration",
    kind: "histogram",
    unit: "s",
    description: "Task idle duration between polls",
    attributes: [],
    section: "tokio",
  },
  tokioScheduledCount: {
    name: "tokio.scheduled.count",
    kind: "counter",
    unit: "",
    description: "Number of times tasks were scheduled",
    attributes: [],
    section: "tokio",
  },
  tokioFirstPollDelay: {
    name: "tokio.first_poll.delay",
    kind: "histogram",
    unit: "s",
    description: "Delay between task creation and first poll",
    attributes: [],
    section: "tokio",
  },
  // OAuth sessions, flows and token validation (not in the seed)
  oauthDeviceFlowSessionsActive: {
    name: "oauth.device_flow_sessions.active",
    kind: "gauge",
    unit: "",
    description: "Active OAuth device flow sessions",
    attributes: [],
    section: "oauth",
  },
  oauthWebFlowSessionsActive: {
    name: "oauth.web_flow_sessions.active",
    kind: "gauge",
    unit: "",
    description: "Active OAuth web flow sessions",
    attributes: [],
    section: "oauth",
  },
  oauthSessionsActive: {
    name: "oauth.sessions.active",
    kind: "gauge",
    unit: "",
    description: "Active OAuth sessions",
    attributes: [],
    section: "oauth",
  },
  oauthSessionsExpiredCleaned: {
    name: "oauth.sessions.expired_cleaned",
    kind: "counter",
    unit: "",
    description: "Expired OAuth sessions cleaned up",
    attributes: [],
    section: "oauth",
  },
  oauthDeviceFlows: {
    name: "oauth.device_flows.total",
    kind: "counter",
    unit: "",
    description: "Total OAuth device flows started",
    attributes: [],
    section: "oauth",
  },
  oauthWebFlows: {
    name: "oauth.web_flows.total",
    kind: "counter",
    unit: "",
    description: "Total OAuth web flows started",
    attributes: [],
    section: "oauth",
  },
  oauthFlowFailures: {
    name: "oauth.flows.failures",
    kind: "counter",
    unit: "",
    description: "Failed OAuth flows",
    attributes: [],
    section: "oauth",
  },
  oauthTokenValidations: {
    name: "oauth.token_validations.total",
    kind: "counter",
    unit: "",
    description: "Total OAuth token validations",
    attributes: [],
    section: "oauth",
  },
  oauthTokenValidationDuration: {
    name: "oauth.token_validation.duration",
    kind: "histogram",
    unit: "s",
    description: "OAuth token validation duration",
    attributes: [],
    section: "oauth",
  },
  oauthTokenValidationFailures: {
    name: "oauth.token_validations.failures",
    kind: "counter",
    unit: "",
    description: "Failed OAuth token validations",
    attributes: [],
    section: "oauth",
  },
  // Rate limiting (not in the seed)
  rateLimitRequests: {
    name: "rate_limit.requests.total",
    kind: "counter",
    unit: "",
    description: "Total rate limit requests (allowed and denied)",
    attributes: ["tier", "decision"],
    section: "rateLimiting",
    rateUnit: "reqps",
  },
  rateLimitExtractorErrors: {
    name: "rate_limit.extractor.errors",
    kind: "counter",
    unit: "",
    description: "Rate limit key extraction failures",
    attributes: [],
    section: "rateLimiting",
  },
} as const satisfies Record<string, MetricSpec>;

/** Names the seed's table or examples use that the application does not emit at all. */
export const SEED_ONLY: readonly { promName: string; note: string }[] = [
  {
    promName: "scotty_websocket_connections_total",
    note: "No connections-opened counter exists in the application; the seed's 'WebSocket Connection Churn' example counts changes of the connections gauge instead.",
  },
];

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

/** App names become the OTel prefix, a Prometheus name prefix and part of Grafana uids (APP_NAME_PATTERN). */
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
  /** Why the expression differs from the seed's text, when it does. */
  note?: string;
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
    {
      title: "WebSocket Connection Churn",
      expr: `changes(${m.websocketConnectionsActive.promName}[5m])`,
      note: "The seed rates a connections-opened counter the application does not have; changes of the connections gauge over 5 minutes are the churn it does report (a lower bound: one export may cover several connects).",
    },
    { title: "Memory Growth Rate", expr: `deriv(${m.memoryRss.promName}[10m])` },
    {
      title: "Active Resources Summary",
      expr: [m.logStreamsActive, m.shellSessionsActive, m.websocketConnectionsActive, m.tasksActive].map((x) => x.promName).join(" + "),
      note: "The seed adds `scotty_websocket_connections_active`; the application's gauge is `scotty_websocket_connections`.",
    },
  ];
}
