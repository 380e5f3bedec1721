/**
 * Public API of the dashboards package: pure renderers the Grafana component calls. No Pulumi here;
 * everything returns plain strings, so the output can be snapshot-tested and diffed.
 */
import { alertingProvisioning, renderAlertingYaml } from "./alerts";
import { catalogFor, seedExamples } from "./catalog";
import { AlertInput, DashboardInput, alertInputSchema, dashboardInputSchema, parseInput } from "./input";
import { prometheusName } from "./naming";
import { SourcedExpr, alertExprs, dashboardExprs, seedExprs, substituteGrafanaVariables } from "./promql";
import { appDashboard, appDashboardUid } from "./scotty";
import { SERVICES_DASHBOARD_UID, SERVICES_FOLDER, servicesDashboard } from "./services";
import { STACK_DASHBOARD_UID, STACK_FOLDER, stackHealthDashboard } from "./stack-health";

export type { AlertInput, BackendHealth, ContactPointInput, DashboardInput, TraceSearch } from "./input";
export type { InstrumentKind } from "./naming";
export type { SourcedExpr } from "./promql";
export type { PromQuery } from "./queries";
export { catalogFor, prometheusName, seedExamples };
/** Span metrics (the collector's span_metrics connector): what the collector, Jaeger and the traces datasource are configured with. */
export {
  SERIES_PER_COMBINATION,
  SPAN_INSTRUMENTS,
  SPAN_LABELS,
  SPAN_METRIC_NAMES,
  SPAN_METRICS_BUCKETS_SECONDS,
  SPAN_METRICS_DURATION_UNIT,
  SPAN_METRICS_NAMESPACE,
  SPAN_METRICS_PROMETHEUS_NAMESPACE,
  spanLinkQueries,
} from "./span-metrics";
export { TRACE_LINK_VALUES } from "./services";
/** The vocabulary a backend module describes its own health with (configs/backends: `Backend.health`). */
export { collectorFlow, collectorMemory, jobGauge, jobRate, processMemory, signal } from "./stack-metrics";

/** First path segment = Grafana folder (the provider uses foldersFromFilesStructure). */
function builtDashboards(input: DashboardInput) {
  return [
    { path: `${input.appName}/${appDashboardUid(input.appName)}.json`, dashboard: appDashboard(input) },
    { path: `${STACK_FOLDER}/${STACK_DASHBOARD_UID}.json`, dashboard: stackHealthDashboard(input) },
    ...(input.spanMetrics
      ? [
          {
            path: `${SERVICES_FOLDER}/${SERVICES_DASHBOARD_UID}.json`,
            dashboard: servicesDashboard({ metricsUid: input.metricsUid, tracesUid: input.tracesUid, ...input.spanMetrics }),
          },
        ]
      : []),
  ];
}

/** Dashboard files, paths relative to the dashboards provider's folder (first segment = Grafana folder). */
export function renderDashboards(input: DashboardInput): { path: string; json: string }[] {
  const valid = parseInput(dashboardInputSchema, input, "renderDashboards");
  return builtDashboards(valid).map(({ path, dashboard }) => ({ path, json: `${JSON.stringify(dashboard, null, 2)}\n` }));
}

/** The alerting provisioning file (YAML; literal `$` doubled, secrets as `$__file{...}`). */
export function renderAlerting(input: AlertInput): string {
  const valid = parseInput(alertInputSchema, input, "renderAlerting");
  return renderAlertingYaml(alertingProvisioning(valid));
}

/**
 * Every PromQL expression of every dashboard target, alert rule and seed example, with Grafana's
 * `$__rate_interval` / `$__interval` / `$__range` replaced by durations, so each can be sent as is.
 */
export function allPromQL(dash: DashboardInput, alerts: AlertInput): SourcedExpr[] {
  const dashInput = parseInput(dashboardInputSchema, dash, "allPromQL (dashboards)");
  const alertInput = parseInput(alertInputSchema, alerts, "allPromQL (alerts)");
  const exprs = [
    ...builtDashboards(dashInput).flatMap(({ dashboard }) => dashboardExprs(dashboard)),
    ...alertExprs(alertingProvisioning(alertInput)),
    ...seedExprs(seedExamples(dashInput.appName)),
  ];
  return exprs.map((e) => ({ source: e.source, expr: substituteGrafanaVariables(e.expr) }));
}
