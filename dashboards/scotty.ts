/**
 * The application dashboard ("Scotty Metrics" for appName `scotty`): one collapsible row per
 * seed section, panels built from catalog entries. A catalog metric that no curated panel of its
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
    stat(m.tasksActive, "Active task output streams"),
    rateOf(m.websocketConnectionsOpened, "WebSocket connections opened / s (churn)"),
    {
      kind: "timeseries",
      title: "WebSocket messages / s",
      description: `${m.websocketMessagesSent.description}; ${m.websocketMessagesReceived.description}`,
      unit: "cps",
      queries: [counterRate(m.websocketMessagesSent, { legend: "sent" }), counterRate(m.websocketMessagesReceived, { legend: "received" })],
    },
    rateOf(m.websocketAuthFailures, "WebSocket auth failures / s"),
    {
      kind: "timeseries",
      title: "Tasks executed & failed / s",
      description: `${m.tasksExecuted.description}; ${m.taskFailures.description}`,
      unit: "cps",
      width: 8,
      queries: [counterRate(m.tasksExecuted, { legend: "executed" }), counterRate(m.taskFailures, { legend: "failed" })],
    },
    percentiles(m.taskDuration, "Task duration", 8),
    rateOf(m.taskOutputLines, "Task output lines / s", 8),
  ],
  memory: (m) => [
    {
      kind: "timeseries",
      title: "Resident memory (RSS)",
      description: m.memoryRss.description,
      unit: valueUnit(m.memoryRss),
      queries: [currentValue(m.memoryRss, { aggregate: "none" })],
    },
    {
      kind: "timeseries",
      title: "Virtual memory",
      description: m.memoryVirtual.description,
      unit: valueUnit(m.memoryVirtual),
      queries: [currentValue(m.memoryVirtual, { aggregate: "none" })],
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
      title: "Request rate by method & path",
      description: m.httpRequests.description,
      unit: rateUnit(m.httpRequests),
      queries: [counterRate(m.httpRequests, { by: ["method", "path"] })],
    },
    {
      kind: "timeseries",
      title: "Active requests by method & path",
      description: m.httpRequestsActive.description,
      unit: "short",
      queries: [currentValue(m.httpRequestsActive, { by: ["method", "path"] })],
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
      title: "P95 latency by path",
      description: `${m.httpRequestDuration.description}, 95th percentile per path; exemplars link to traces`,
      unit: valueUnit(m.httpRequestDuration),
      queries: histogramQuantiles(m.httpRequestDuration, { quantiles: [0.95], by: ["path"], exemplar: true }),
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
      queries: [counterRate(m.tokioScheduledCount, { legend: "scheduled" }), counterRate(m.tokioTasksDropped, { legend: "completed/dropped" })],
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
