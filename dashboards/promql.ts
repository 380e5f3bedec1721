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

export function dashboardExprs(dash: dashboard.Dashboard): SourcedExpr[] {
  return panelsOf(dash).flatMap((panel) =>
    (panel.targets ?? []).flatMap((target) => {
      const expr = exprOf(target);
      const refId = (target as { refId?: string }).refId ?? "?";
      return expr === undefined ? [] : [{ source: `dashboard ${dash.uid} / panel '${panel.title}' / ${refId}`, expr }];
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
