/**
 * Collects every PromQL expression the generated files contain, ready to send to a real backend
 * (integration tests) or a parser (unit tests).
 */
import type * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import { AlertingProvisioning } from "./alerts";
import { SeedExample } from "./catalog";
import { panelsOf } from "./common";

export interface SourcedExpr {
  /** Where it comes from, e.g. `dashboard scotty-metrics / panel 'Request latency' / A`. */
  source: string;
  expr: string;
}

/**
 * Concrete stand-ins for Grafana's query-time variables. `$__rate_interval` is at least four
 * scrape intervals (1m for a 15 s scrape); `$__range` is the dashboards' default time range.
 */
export const GRAFANA_VARIABLES: Readonly<Record<string, string>> = {
  $__rate_interval: "1m",
  $__interval: "15s",
  $__range: "1h",
};

/** Longest names first, so `$__interval` never eats the start of `$__interval_ms`-like names. */
export function substituteGrafanaVariables(expr: string): string {
  const names = Object.keys(GRAFANA_VARIABLES).sort((a, b) => b.length - a.length);
  return names.reduce((text, name) => text.split(name).join(GRAFANA_VARIABLES[name]!), expr);
}

function exprOf(target: unknown): string | undefined {
  if (typeof target !== "object" || target === null || !("expr" in target)) return undefined;
  const expr = (target as { expr: unknown }).expr;
  return typeof expr === "string" ? expr : undefined;
}

/**
 * A dashboard variable's value as a query sees it when the dashboard opens, as Grafana's Prometheus
 * datasource formats it: one value as is, several as a regex alternation, "All" as its allValue.
 */
function variableValue(variable: dashboard.VariableModel): string {
  const value = variable.current?.value;
  const values = Array.isArray(value) ? value : value === undefined ? [] : [value];
  if (values.length === 0 || values.includes("$__all")) return variable.allValue ?? ".*";
  return values.length === 1 ? values[0]! : `(${values.join("|")})`;
}

/** `$name` and `${name}` of the dashboard's own variables replaced by their values at load (longest name first). */
export function substituteDashboardVariables(expr: string, dash: dashboard.Dashboard): string {
  const variables = [...(dash.templating?.list ?? [])].sort((a, b) => b.name.length - a.name.length);
  return variables.reduce(
    (text, v) => text.replace(new RegExp(`\\$\\{${v.name}\\}|\\$${v.name}(?![A-Za-z0-9_])`, "g"), () => variableValue(v)),
    expr,
  );
}

/** Every target's expression, with the dashboard's own variables at their values when it opens. */
export function dashboardExprs(dash: dashboard.Dashboard): SourcedExpr[] {
  return panelsOf(dash).flatMap((panel) =>
    (panel.targets ?? []).flatMap((target) => {
      const expr = exprOf(target);
      const refId = (target as { refId?: string }).refId ?? "?";
      return expr === undefined
        ? []
        : [{ source: `dashboard ${dash.uid} / panel '${panel.title}' / ${refId}`, expr: substituteDashboardVariables(expr, dash) }];
    }),
  );
}

export function alertExprs(doc: AlertingProvisioning): SourcedExpr[] {
  return doc.groups.flatMap((group) =>
    group.rules.flatMap((rule) =>
      rule.data.flatMap((d) => ("expr" in d.model ? [{ source: `alert ${rule.uid} / ${d.refId}`, expr: d.model.expr }] : [])),
    ),
  );
}

export function seedExprs(examples: readonly SeedExample[]): SourcedExpr[] {
  return examples.map((e) => ({ source: `seed example '${e.title}'`, expr: e.expr }));
}
