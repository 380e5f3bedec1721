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
import { STACK_DASHBOARD_UID, STACK_FOLDER, stackHealthDashboard } from "./stack-health";

export type { AlertInput, BackendHealth, ContactPointInput, DashboardInput } from "./input";
export type { InstrumentKind } from "./naming";
export type { SourcedExpr } from "./promql";
export type { PromQuery } from "./queries";
export { catalogFor, prometheusName, seedExamples };
/** The vocabulary a backend module describes its own health with (configs/backends: `Backend.health`). */
export { collectorFlow, collectorMemory, jobGauge, jobRate, processMemory, signal } from "./stack-metrics";

/** First path segment = Grafana folder (the provider uses foldersFromFilesStructure). */
function builtDashboards(input: DashboardInput) {
  return [
    { path: `${input.appName}/${appDashboardUid(input.appName)}.json`, dashboard: appDashboard(input) },
    { path: `${STACK_FOLDER}/${STACK_DASHBOARD_UID}.json`, dashboard: stackHealthDashboard(input) },
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
