import { parser } from "@prometheus-io/lezer-promql";
import { describe, expect, it } from "vitest";
import { alertInput, groupingLabels, healthOfKinds, spanMetricsOf } from "./fixtures/seed";
import { AlertInput, DashboardInput, allPromQL, catalogFor, renderDashboards } from "../dashboards";
import { SECTIONS } from "../dashboards/catalog";
import { prometheusLabel, seriesNames } from "../dashboards/naming";
import { substituteGrafanaVariables } from "../dashboards/promql";

const DASH: DashboardInput = {
  appName: "scotty",
  metricsUid: "metrics-ds",
  tracesUid: "traces-ds",
  backends: healthOfKinds("victoriametrics", "jaeger"),
  spanMetrics: spanMetricsOf("jaeger"),
};

const ALERTS: AlertInput = alertInput();

const BACKENDS = [
  ["victoriametrics", "jaeger"],
  ["victoriametrics", "tempo"],
  ["prometheus", "jaeger"],
  ["prometheus", "tempo"],
] as const;

/** Error nodes (`⚠`) of lezer-promql's tree, with the text they cover. */
function parseErrors(expr: string): string[] {
  const errors: string[] = [];
  parser.parse(expr).iterate({
    enter(node) {
      if (node.type.isError) errors.push(`at ${node.from}: ${JSON.stringify(expr.slice(node.from, Math.max(node.to, node.from + 1)))}`);
    },
  });
  return errors;
}

/** Metric names selected by an expression (identifiers of vector selectors, not functions or labels). */
function selectedMetrics(expr: string): string[] {
  const names: string[] = [];
  parser.parse(expr).iterate({
    enter(node) {
      if (node.name === "Identifier" && node.node.parent?.name === "VectorSelector") names.push(expr.slice(node.from, node.to));
    },
  });
  return names;
}

function exprsFor(metrics: string, traces: string) {
  const backends = healthOfKinds(metrics, traces);
  return allPromQL({ ...DASH, backends, spanMetrics: spanMetricsOf(traces) }, { ...ALERTS, backends });
}

describe("PromQL validity (lezer-promql, the parser of Prometheus' own UI)", () => {
  it("GIVEN a broken expression WHEN checked THEN the parser check must report it (the check can fail)", () => {
    expect(parseErrors("sum(rate(scotty_http_requests_total[5m])")).not.toEqual([]);
    expect(parseErrors("rate(scotty_http_requests_total[5m]) >")).not.toEqual([]);
    expect(parseErrors('up{job="x"')).not.toEqual([]);
  });

  it("GIVEN an expression still holding $__rate_interval WHEN checked THEN it must fail, and substitution makes it pass", () => {
    const raw = "sum(rate(scotty_http_requests_total[$__rate_interval]))";
    expect(parseErrors(raw)).not.toEqual([]);
    expect(parseErrors(substituteGrafanaVariables(raw))).toEqual([]);
  });

  it.each(BACKENDS)(
    "GIVEN backends %s + %s WHEN every dashboard, alert and seed expression is parsed THEN none has an error node",
    (m, t) => {
      const exprs = exprsFor(m, t);
      expect(exprs.length).toBeGreaterThan(50);
      const failures = exprs
        .map((e) => ({ ...e, errors: parseErrors(e.expr) }))
        .filter((e) => e.errors.length > 0)
        .map((e) => `${e.source}: ${e.expr}\n    ${e.errors.join(", ")}`);
      expect(failures, failures.join("\n")).toEqual([]);
    },
  );

  it.each(BACKENDS)(
    "GIVEN backends %s + %s WHEN expressions are listed THEN no Grafana variable is left and every source is named once",
    (m, t) => {
      const exprs = exprsFor(m, t);
      for (const e of exprs) expect(e.expr, e.source).not.toContain("$");
      const sources = exprs.map((e) => e.source);
      expect(new Set(sources).size).toBe(sources.length);
      expect(sources.filter((s) => s.startsWith("seed example"))).toHaveLength(5);
      expect(sources.filter((s) => s.startsWith("alert "))).toHaveLength(11);
    },
  );
});

describe("grouping labels (what the integration tier checks on every result)", () => {
  it.each([
    ["sum by (status) (rate(x_total[5m]))", ["status"]],
    ["histogram_quantile(0.95, sum by (le, route) (rate(x_bucket[1m])))", ["route"]],
    ["histogram_quantile(0.95, rate(x_bucket[5m]))", []],
    ['sum by (tier) (rate(x{decision="denied"}[1m])) / clamp_min(sum by (tier) (rate(x[1m])), 1e-9)', ["tier"]],
    ["sum by (exporter) (rate(a[5m])) or (sum by (exporter) (rate(b[5m])) * 0)", ["exporter"]],
    ["sum by (exporter) (rate(a[5m])) or on() vector(0)", []],
    ["deriv(x[10m])", []],
  ])("GIVEN %s WHEN its grouping labels are derived THEN they are %j", (expr, labels) => {
    expect(groupingLabels(expr)).toEqual(labels);
  });

  it("GIVEN every app dashboard, alert and seed expression WHEN its grouping labels are derived THEN each is an attribute the application sets on every metric it selects (or job)", () => {
    const catalog = catalogFor("scotty");
    const byName = new Map(
      catalog.list.flatMap((m) => seriesNames({ name: m.otelName, kind: m.kind, unit: m.unit }).map((n) => [n, m] as const)),
    );
    const problems: string[] = [];
    for (const e of exprsFor("victoriametrics", "jaeger")) {
      const metrics = selectedMetrics(e.expr).flatMap((n) => byName.get(n) ?? []);
      if (metrics.length === 0) continue;
      for (const label of groupingLabels(e.expr)) {
        for (const m of metrics) {
          if (label !== "job" && !m.attributes.map(prometheusLabel).includes(label))
            problems.push(`${e.source}: groups by ${label}, which ${m.promName} does not carry`);
        }
      }
    }
    expect(problems).toEqual([]);
  });
});

describe("catalog coverage of the app dashboard", () => {
  const catalog = catalogFor("scotty");
  const file = renderDashboards(DASH).find((f) => f.path === "scotty/scotty-metrics.json")!;
  const panels = (JSON.parse(file.json) as { panels: { type: string; title: string; panels?: unknown[]; targets?: { expr: string }[] }[] })
    .panels;

  /** Metric names queried per row title (open rows: panels follow their row). */
  const namesByRow = new Map<string, Set<string>>();
  let current = "";
  for (const p of panels) {
    if (p.type === "row") {
      current = p.title;
      namesByRow.set(current, new Set());
      continue;
    }
    for (const t of p.targets ?? []) selectedMetrics(substituteGrafanaVariables(t.expr)).forEach((n) => namesByRow.get(current)!.add(n));
  }

  it.each(catalog.list.map((m) => [m.promName, m.section, m] as const))(
    "GIVEN catalog metric %s (section %s) WHEN the dashboard is rendered THEN a panel of its section queries it",
    (_name, section, metric) => {
      const title = SECTIONS.find((s) => s.id === section)!.title;
      const queried = namesByRow.get(title) ?? new Set<string>();
      const series = seriesNames({ name: metric.otelName, kind: metric.kind, unit: metric.unit });
      expect(
        series.some((s) => queried.has(s)),
        `${title} queries: ${[...queried].join(", ")}`,
      ).toBe(true);
    },
  );

  it("GIVEN the app dashboard WHEN every queried name is collected THEN each one is a series of some catalog metric (no typo'd names)", () => {
    const known = new Set(catalog.list.flatMap((m) => seriesNames({ name: m.otelName, kind: m.kind, unit: m.unit })));
    const unknown = [...namesByRow.values()].flatMap((s) => [...s]).filter((n) => !known.has(n));
    expect(unknown).toEqual([]);
  });
});

describe("external metric names the stack-health dashboard and alerts assume", () => {
  it("GIVEN all backend combinations WHEN non-app metric names are collected THEN the list matches the snapshot (for the integration tier to verify)", () => {
    const names = new Set<string>();
    for (const [m, t] of BACKENDS) {
      for (const e of exprsFor(m, t))
        selectedMetrics(e.expr)
          .filter((n) => !n.startsWith("scotty_"))
          .forEach((n) => names.add(n));
    }
    expect([...names].sort()).toMatchSnapshot();
  });
});
