/**
 * The application dashboard ("Scotty Metrics" for appName `scotty`): one collapsible row per
 * catalog section (the seed's seven plus the application's task output streams, OAuth and rate limiting), panels built from catalog entries. A catalog metric that no curated panel of its
 * section shows gets a default panel, so adding an instrument to the catalog is enough to see it.
 */
import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import { Catalog, CatalogMetric, SectionId, SECTIONS, catalogFor } from "./catalog";
import { PanelSpec, buildDashboard, prometheusDatasource } from "./common";
import { displayName, grafanaUid, seriesNames } from "./naming";
import {
  counterRate,
  counterRatio,
  currentValue,
  gaugeDerivative,
  histogramMean,
  histogramQuantiles,
  rateUnit,
  ratioOf,
  valueUnit,
} from "./queries";

type Metrics = Catalog["byKey"];

const stat = (m: CatalogMetric, title: string, width = 6): PanelSpec => ({
  kind: "stat",
  title,
  description: m.description,
  unit: valueUnit(m),
  width,
  queries: [currentValue(m, { instant: true, legend: title })],
});

const rateOf = (m: CatalogMetric, title: string, width = 12): PanelSpec => ({
  kind: "timeseries",
  title,
  description: m.description,
  unit: rateUnit(m),
  width,
  queries: [counterRate(m)],
});

const percentiles = (m: CatalogMetric, title: string, width = 12): PanelSpec => ({
  kind: "timeseries",
  title,
  description: `${m.description} (p50 / p95 / p99)`,
  unit: valueUnit(m),
  width,
  queries: histogramQuantiles(m),
});

/** Curated panels per section. `Record<SectionId, ...>` makes a new section a compile error here. */
const SECTION_PANELS: Record<SectionId, (m: Metrics) => PanelSpec[]> = {
  logStreaming: (m) => [
    stat(m.logStreamsActive, "Active log streams"),
    rateOf(m.logStreamsCreated, "Log streams created / s", 9),
    rateOf(m.logStreamLines, "Log lines streamed / s", 9),
    percentiles(m.logStreamDuration, "Log stream duration"),
    rateOf(m.logStreamErrors, "Log streaming errors / s"),
  ],
  shellSessions: (m) => [
    stat(m.shellSessionsActive, "Active shell sessions"),
    rateOf(m.shellSessionsCreated, "Shell sessions created / s", 9),
    percentiles(m.shellSessionDuration, "Shell session duration", 9),
    {
      kind: "timeseries",
      title: "Shell session errors & timeouts / s",
      description: `${m.shellSessionErrors.description}; ${m.shellSessionTimeouts.description}`,
      unit: "cps",
      width: 24,
      queries: [counterRate(m.shellSessionErrors, { legend: "errors" }), counterRate(m.shellSessionTimeouts, { legend: "timeouts" })],
    },
  ],
  websocketTasks: (m) => [
    stat(m.websocketConnectionsActive, "Active WebSocket connections"),
    {
      kind: "timeseries",
      title: "WebSocket messages / s",
      description: `${m.websocketMessagesSent.description}; ${m.websocketMessagesReceived.description}`,
      unit: "cps",
      width: 9,
      queries: [counterRate(m.websocketMessagesSent, { legend: "sent" }), counterRate(m.websocketMessagesReceived, { legend: "received" })],
    },
    rateOf(m.websocketAuthFailures, "WebSocket auth failures / s", 9),
    {
      kind: "timeseries",
      title: "Tasks executed & failed / s",
      description: `${m.tasksExecuted.description}; ${m.taskFailures.description}`,
      unit: "cps",
      queries: [counterRate(m.tasksExecuted, { legend: "executed" }), counterRate(m.taskFailures, { legend: "failed" })],
    },
    percentiles(m.taskDuration, "Task duration"),
  ],
  taskOutputStreams: (m) => [
    stat(m.tasksActive, "Active task output streams"),
    {
      kind: "timeseries",
      title: "Task output streams over time",
      description: m.tasksActive.description,
      unit: valueUnit(m.tasksActive),
      width: 9,
      queries: [currentValue(m.tasksActive, { legend: "active" })],
    },
    rateOf(m.taskOutputLines, "Task output lines / s", 9),
  ],
  memory: (m) => [
    {
      kind: "timeseries",
      title: "Resident memory (RSS)",
      description: m.memoryRss.description,
      unit: valueUnit(m.memoryRss),
      queries: [currentValue(m.memoryRss, { aggregate: "none", legend: "RSS {{job}} {{instance}}" })],
    },
    {
      kind: "timeseries",
      title: "Virtual memory",
      description: m.memoryVirtual.description,
      unit: valueUnit(m.memoryVirtual),
      queries: [currentValue(m.memoryVirtual, { aggregate: "none", legend: "virtual {{job}} {{instance}}" })],
    },
    {
      kind: "timeseries",
      title: "RSS growth rate",
      description: "Slope of RSS over 10 minutes: a value that stays above 0 hints at a leak",
      unit: "Bps",
      width: 24,
      allowNegative: true,
      queries: [gaugeDerivative(m.memoryRss, "10m")],
    },
  ],
  http: (m) => [
    stat(m.httpRequestsActive, "Active requests"),
    {
      kind: "stat",
      title: "5xx ratio",
      description: "Share of requests answered with a 5xx status",
      unit: "percentunit",
      width: 6,
      thresholds: [
        { value: null, color: "green" },
        { value: 0.01, color: "orange" },
        { value: 0.05, color: "red" },
      ],
      queries: [counterRatio(m.httpRequests, { status: { op: "=~", value: "5.." } }, "5xx ratio")],
    },
    {
      kind: "timeseries",
      title: "Request rate by status",
      description: m.httpRequests.description,
      unit: rateUnit(m.httpRequests),
      queries: [counterRate(m.httpRequests, { by: ["status"] })],
    },
    {
      kind: "timeseries",
      title: "Request rate by method & route",
      description: m.httpRequests.description,
      unit: rateUnit(m.httpRequests),
      queries: [counterRate(m.httpRequests, { by: ["method", "route"] })],
    },
    {
      kind: "timeseries",
      title: "Requests in flight",
      description: `${m.httpRequestsActive.description} (the application sets no attributes on it)`,
      unit: "short",
      queries: [currentValue(m.httpRequestsActive, { legend: "in flight" })],
    },
    {
      kind: "timeseries",
      title: "Request latency",
      description: `${m.httpRequestDuration.description} (p50 / p95 / p99); exemplars link to traces`,
      unit: valueUnit(m.httpRequestDuration),
      queries: histogramQuantiles(m.httpRequestDuration, { exemplar: true }),
    },
    {
      kind: "timeseries",
      title: "P95 latency by route",
      description: `${m.httpRequestDuration.description}, 95th percentile per route; exemplars link to traces`,
      unit: valueUnit(m.httpRequestDuration),
      queries: histogramQuantiles(m.httpRequestDuration, { quantiles: [0.95], by: ["route"], exemplar: true }),
    },
  ],
  tokio: (m) => [
    stat(m.tokioWorkersCount, "Worker threads"),
    stat(m.tokioTasksActive, "Active instrumented tasks"),
    {
      kind: "timeseries",
      title: "Task lifecycle / s",
      description: `${m.tokioScheduledCount.description}; ${m.tokioTasksDropped.description}`,
      unit: "cps",
      queries: [
        counterRate(m.tokioScheduledCount, { legend: "scheduled" }),
        counterRate(m.tokioTasksDropped, { legend: "completed/dropped" }),
      ],
    },
    {
      kind: "timeseries",
      title: "Polls / s",
      description: `${m.tokioPollCount.description}; ${m.tokioSlowPollCount.description}`,
      unit: "cps",
      queries: [counterRate(m.tokioPollCount, { legend: "polls" }), counterRate(m.tokioSlowPollCount, { legend: "slow polls" })],
    },
    percentiles(m.tokioPollDuration, "Poll duration"),
    percentiles(m.tokioIdleDuration, "Idle time between polls"),
    percentiles(m.tokioFirstPollDelay, "First poll delay"),
  ],
  application: (m) => [
    stat(m.appsTotal, "Managed apps"),
    {
      kind: "timeseries",
      title: "Apps by status",
      description: m.appsByStatus.description,
      unit: "short",
      width: 18,
      queries: [currentValue(m.appsByStatus, { by: ["status"] })],
    },
    {
      kind: "timeseries",
      title: "Services per app",
      description: m.appServicesCount.description,
      unit: valueUnit(m.appServicesCount),
      queries: [histogramMean(m.appServicesCount), ...histogramQuantiles(m.appServicesCount, { quantiles: [0.95] })],
    },
    percentiles(m.appLastCheckAge, "Time since last health check"),
  ],
  oauth: (m) => [
    stat(m.oauthSessionsActive, "Active OAuth sessions", 8),
    stat(m.oauthDeviceFlowSessionsActive, "Active device flow sessions", 8),
    stat(m.oauthWebFlowSessionsActive, "Active web flow sessions", 8),
    {
      kind: "timeseries",
      title: "OAuth flows started & failed / s",
      description: `${m.oauthDeviceFlows.description}; ${m.oauthWebFlows.description}; ${m.oauthFlowFailures.description}`,
      unit: "cps",
      queries: [
        counterRate(m.oauthDeviceFlows, { legend: "device flows" }),
        counterRate(m.oauthWebFlows, { legend: "web flows" }),
        counterRate(m.oauthFlowFailures, { legend: "failed" }),
      ],
    },
    {
      kind: "timeseries",
      title: "OAuth failure ratios",
      description: "Failed flows of all device and web flows started; failed token validations of all validations",
      unit: "percentunit",
      queries: [
        ratioOf(counterRate(m.oauthFlowFailures), [counterRate(m.oauthDeviceFlows), counterRate(m.oauthWebFlows)], "flows failed"),
        ratioOf(counterRate(m.oauthTokenValidationFailures), [counterRate(m.oauthTokenValidations)], "token validations failed"),
      ],
    },
    {
      kind: "timeseries",
      title: "Token validations & failures / s",
      description: `${m.oauthTokenValidations.description}; ${m.oauthTokenValidationFailures.description}`,
      unit: "cps",
      width: 8,
      queries: [
        counterRate(m.oauthTokenValidations, { legend: "validations" }),
        counterRate(m.oauthTokenValidationFailures, { legend: "failed" }),
      ],
    },
    percentiles(m.oauthTokenValidationDuration, "Token validation duration", 8),
    rateOf(m.oauthSessionsExpiredCleaned, "Expired sessions cleaned up / s", 8),
  ],
  rateLimiting: (m) => [
    {
      kind: "timeseries",
      title: "Rate-limit decisions / s by tier & decision",
      description: m.rateLimitRequests.description,
      unit: rateUnit(m.rateLimitRequests),
      queries: [counterRate(m.rateLimitRequests, { by: ["tier", "decision"] })],
    },
    {
      kind: "timeseries",
      title: "Denied share by tier",
      description: "Share of rate-limited requests denied, per tier",
      unit: "percentunit",
      queries: [counterRatio(m.rateLimitRequests, { decision: { op: "=", value: "denied" } }, "{{tier}}", ["tier"])],
    },
    rateOf(m.rateLimitExtractorErrors, "Rate-limit key extraction errors / s", 24),
  ],
};

/** A default panel by instrument kind, for catalog entries no curated panel shows yet. */
function defaultPanel(m: CatalogMetric): PanelSpec {
  switch (m.kind) {
    case "counter":
      return rateOf(m, `${m.description} / s`);
    case "gauge":
    case "updowncounter":
      return { kind: "timeseries", title: m.description, description: m.description, unit: valueUnit(m), queries: [currentValue(m)] };
    case "histogram":
      return percentiles(m, m.description);
    default: {
      const unhandled: never = m.kind;
      throw new Error(`no default panel for instrument kind ${String(unhandled)}`);
    }
  }
}

/** True when some query of the panels names one of the metric's series (whole-name match). */
function shows(panels: readonly PanelSpec[], metric: CatalogMetric): boolean {
  const names = seriesNames({ name: metric.otelName, kind: metric.kind, unit: metric.unit });
  const pattern = new RegExp(`(?<![A-Za-z0-9_:])(${names.join("|")})(?![A-Za-z0-9_:])`);
  return panels.some((p) => p.queries.some((q) => pattern.test(q.expr)));
}

export interface AppDashboardInput {
  appName: string;
  metricsUid: string;
}

export function appDashboardUid(appName: string): string {
  return grafanaUid(appName, "metrics");
}

export function appDashboard(input: AppDashboardInput): dashboard.Dashboard {
  const catalog = catalogFor(input.appName);
  const sections = SECTIONS.map((section) => {
    const curated = SECTION_PANELS[section.id](catalog.byKey);
    const missing = catalog.list.filter((m) => m.section === section.id && !shows(curated, m));
    return { title: section.title, panels: [...curated, ...missing.map(defaultPanel)] };
  });
  const name = displayName(input.appName);
  return buildDashboard({
    uid: appDashboardUid(input.appName),
    title: `${name} Metrics`,
    description: `${name}: ${SECTIONS.map((s) => s.title).join(", ")}. Generated from the metrics catalog; do not edit in Grafana.`,
    tags: [input.appName, "generated"],
    refresh: "5s",
    time: { from: "now-1h", to: "now" },
    datasource: prometheusDatasource(input.metricsUid),
    // Rows start open: Grafana only queries panels scrolled into view, and every row can be folded away.
    collapsedRows: false,
    sections,
  });
}
