import { SEED_SECTIONS, healthOfKinds, spanMetricsOf } from "./fixtures/seed";
import { describe, expect, it } from "vitest";
import { DashboardInput, renderDashboards } from "../dashboards";
import { SECTIONS } from "../dashboards/catalog";
import { buildDashboard, prometheusDatasource } from "../dashboards/common";

const INPUT: DashboardInput = {
  appName: "scotty",
  metricsUid: "metrics-ds",
  tracesUid: "traces-ds",
  backends: healthOfKinds("victoriametrics", "jaeger"),
  spanMetrics: spanMetricsOf("jaeger"),
};

interface Target {
  refId?: string;
  expr?: string;
  datasource?: { type?: string; uid?: string };
  exemplar?: boolean;
  legendFormat?: string;
}
interface Panel {
  id?: number;
  type: string;
  title?: string;
  collapsed?: boolean;
  panels?: Panel[];
  targets?: Target[];
  datasource?: { type?: string; uid?: string };
  gridPos?: { x: number; y: number; w: number; h: number };
}
interface Dashboard {
  uid: string;
  title: string;
  refresh: string;
  time: { from: string; to: string };
  panels: Panel[];
}

function render(input: DashboardInput = INPUT): Record<string, Dashboard> {
  return Object.fromEntries(renderDashboards(input).map((f) => [f.path, JSON.parse(f.json) as Dashboard]));
}

/** Rows with their panels, whether the row holds them (collapsed) or they follow it (open). */
function rowsOf(dash: Dashboard): { title: string; panels: Panel[] }[] {
  const rows: { title: string; panels: Panel[] }[] = [];
  for (const p of dash.panels) {
    if (p.type === "row") rows.push({ title: p.title ?? "", panels: [...(p.panels ?? [])] });
    else rows.at(-1)?.panels.push(p);
  }
  return rows;
}

const allPanels = (dash: Dashboard) => rowsOf(dash).flatMap((r) => r.panels);

describe("renderDashboards", () => {
  it("GIVEN the input WHEN rendered THEN it writes the app, stack-health and span-metrics dashboards at stable relative paths", () => {
    expect(renderDashboards(INPUT).map((f) => f.path)).toEqual([
      "scotty/scotty-metrics.json",
      "stack/observability-stack-health.json",
      "services/services-from-traces.json",
    ]);
  });

  it("GIVEN span metrics off WHEN rendered THEN there is no span-metrics dashboard (its series would not exist)", () => {
    const { spanMetrics: _off, ...input } = INPUT;
    expect(renderDashboards(input).map((f) => f.path)).toEqual(["scotty/scotty-metrics.json", "stack/observability-stack-health.json"]);
  });

  it("GIVEN another app name WHEN rendered THEN the app dashboard's title, uid and path follow it", () => {
    const files = renderDashboards({ ...INPUT, appName: "billing_api" });
    expect(files[0]!.path).toBe("billing_api/billing_api-metrics.json");
    expect(JSON.parse(files[0]!.json)).toMatchObject({ title: "Billing Api Metrics", uid: "billing_api-metrics" });
  });

  it("GIVEN the app dashboard WHEN its rows are listed THEN there is one per catalog section: the seed's seven in its order plus the application's own subsystems", () => {
    const titles = rowsOf(render()["scotty/scotty-metrics.json"]!).map((r) => r.title);
    expect(titles).toEqual(SECTIONS.map((s) => s.title));
    expect(titles.filter((t) => SEED_SECTIONS.includes(t))).toEqual(SEED_SECTIONS);
    expect(titles).toEqual(expect.arrayContaining(["Task Output Streams", "OAuth", "Rate Limiting"]));
  });

  it("GIVEN the app dashboard WHEN every breakdown is read THEN it groups by attributes the application sets (route, never path) and legends name them", () => {
    const targets = allPanels(render()["scotty/scotty-metrics.json"]!).flatMap((p) => p.targets ?? []);
    const exprs = targets.map((t) => t.expr ?? "");
    expect(exprs.filter((e) => /\bpath\b/.test(e))).toEqual([]);
    expect(exprs).toContain("sum by (method, route) (rate(scotty_http_requests_total[$__rate_interval]))");
    expect(exprs).toContain("sum by (tier, decision) (rate(scotty_rate_limit_requests_total[$__rate_interval]))");
    for (const t of targets) {
      const grouped = /^sum by \(([^)]*)\)/.exec(t.expr ?? "")?.[1]?.split(", ") ?? [];
      for (const label of grouped) expect(t.legendFormat, t.expr).toContain(`{{${label}}}`);
    }
  });

  it("GIVEN any generated dashboard WHEN its targets are read THEN every one (and every panel) references the metrics datasource by the input uid", () => {
    for (const dash of Object.values(render())) {
      const panels = allPanels(dash);
      expect(panels.length).toBeGreaterThan(0);
      for (const panel of panels) {
        expect(panel.datasource, `${dash.uid} / ${panel.title}`).toEqual({ type: "prometheus", uid: INPUT.metricsUid });
        expect(panel.targets?.length, `${dash.uid} / ${panel.title} has no target`).toBeGreaterThan(0);
        for (const t of panel.targets ?? []) {
          expect(t.datasource, `${dash.uid} / ${panel.title} / ${t.refId}`).toEqual({ type: "prometheus", uid: INPUT.metricsUid });
        }
      }
    }
  });

  it("GIVEN any generated dashboard WHEN ids, refIds and grid positions are checked THEN ids are unique, refIds unique per panel, and no panel leaves the 24-column grid or overlaps another", () => {
    for (const dash of Object.values(render())) {
      const ids = dash.panels.flatMap((p) => [p.id, ...(p.panels ?? []).map((c) => c.id)]);
      expect(new Set(ids).size, dash.uid).toBe(ids.length);
      const cells = new Set<string>();
      for (const panel of allPanels(dash)) {
        const refIds = (panel.targets ?? []).map((t) => t.refId);
        expect(new Set(refIds).size, `${dash.uid} / ${panel.title}`).toBe(refIds.length);
        const g = panel.gridPos!;
        expect(g.x + g.w, `${dash.uid} / ${panel.title}`).toBeLessThanOrEqual(24);
        for (let x = g.x; x < g.x + g.w; x++) {
          for (let y = g.y; y < g.y + g.h; y++) {
            const cell = `${x},${y}`;
            expect(cells.has(cell), `${dash.uid} / ${panel.title} overlaps at ${cell}`).toBe(false);
            cells.add(cell);
          }
        }
      }
    }
  });

  it("GIVEN the app dashboard WHEN latency panels are read THEN their queries ask for exemplars (links to traces)", () => {
    const http = rowsOf(render()["scotty/scotty-metrics.json"]!).find((r) => r.title === "HTTP Server")!;
    const latency = http.panels.filter((p) => /latency/i.test(p.title ?? ""));
    expect(latency.length).toBeGreaterThan(0);
    for (const panel of latency)
      expect(
        panel.targets!.every((t) => t.exemplar === true),
        panel.title,
      ).toBe(true);
  });

  it.each([
    ["victoriametrics", "jaeger", "Metrics backend: VictoriaMetrics", "Traces backend: Jaeger", /vm_rows_inserted_total/, /job="jaeger"/],
    [
      "prometheus",
      "tempo",
      "Metrics backend: Prometheus",
      "Traces backend: Tempo",
      /prometheus_tsdb_head_samples_appended_total/,
      /tempo_distributor_spans_received_total/,
    ],
  ] as const)(
    "GIVEN the health of backends %s and %s WHEN the stack dashboard is rendered THEN it shows their rows and metrics",
    (metrics, traces, metricsRow, tracesRow, metricsPattern, tracesPattern) => {
      const dash = render({ ...INPUT, backends: healthOfKinds(metrics, traces) })["stack/observability-stack-health.json"]!;
      const rows = rowsOf(dash);
      expect(rows.map((r) => r.title)).toEqual(["Collector: receive", "Collector: export", "Collector: process", metricsRow, tracesRow]);
      const exprs = (title: string) =>
        rows.find((r) => r.title === title)!.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr ?? ""));
      expect(exprs(metricsRow).some((e) => metricsPattern.test(e))).toBe(true);
      expect(exprs(tracesRow).some((e) => tracesPattern.test(e))).toBe(true);
    },
  );

  it("GIVEN a backend's health with and without storage WHEN its row is laid out THEN the up stat takes 4 columns and its panels share the other 20", () => {
    const rows = rowsOf(render()["stack/observability-stack-health.json"]!);
    const widths = (title: string) => rows.find((r) => r.title === title)!.panels.map((p) => [p.title, p.gridPos!.w]);
    expect(widths("Metrics backend: VictoriaMetrics")).toEqual([
      ["VictoriaMetrics up", 4],
      ["Samples ingested / s", 7],
      ["Storage", 7],
      ["VictoriaMetrics memory (RSS)", 6],
    ]);
    expect(widths("Traces backend: Jaeger")).toEqual([
      ["Jaeger up", 4],
      ["Spans in / s", 10],
      ["Jaeger memory (RSS)", 10],
    ]);
  });

  it("GIVEN the stack dashboard WHEN collector panels are read THEN every collector query is pinned to job otel-collector (Jaeger v2 exposes the same otelcol_* names)", () => {
    const dash = render()["stack/observability-stack-health.json"]!;
    const collectorExprs = rowsOf(dash)
      .filter((r) => r.title.startsWith("Collector"))
      .flatMap((r) => r.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr ?? "")));
    for (const expr of collectorExprs) expect(expr).toContain('job="otel-collector"');
  });

  it.each([
    ["without a logs backend", {}, ["Metric points", "Spans"], 12],
    ["with a logs backend (logsUid)", { logsUid: "logs-ds" }, ["Metric points", "Spans", "Log records"], 8],
  ] as const)(
    "GIVEN a stack %s WHEN the stack dashboard is rendered THEN the collector rows show exactly the signals it has pipelines for",
    (_why, patch, signals, width) => {
      const rows = rowsOf(render({ ...INPUT, ...patch })["stack/observability-stack-health.json"]!);
      const receive = rows.find((r) => r.title === "Collector: receive")!.panels;
      expect(receive.map((p) => p.title)).toEqual(signals.map((s) => `${s} accepted / refused / s`));
      expect(receive.every((p) => p.gridPos?.w === width)).toBe(true);
      const exported = rows.find((r) => r.title === "Collector: export")!.panels.map((p) => p.title);
      expect(exported.filter((t) => t?.endsWith("sent / failed / s"))).toEqual(signals.map((s) => `${s} sent / failed / s`));
      const exprs = rows.flatMap((r) => r.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr ?? "")));
      expect(exprs.some((e) => e.includes("log_records"))).toBe(signals.length === 3);
    },
  );

  it("GIVEN the stack dashboard WHEN a failure panel is read THEN it falls back to 0 per sending exporter (the collector has no failure series before a failure)", () => {
    const rows = rowsOf(render()["stack/observability-stack-health.json"]!);
    const spans = rows.find((r) => r.title === "Collector: export")!.panels.find((p) => p.title === "Spans sent / failed / s")!;
    expect(spans.targets!.map((t) => t.expr)).toEqual([
      'sum by (exporter) (rate(otelcol_exporter_sent_spans_total{job="otel-collector"}[$__rate_interval]))',
      'sum by (exporter) (rate(otelcol_exporter_send_failed_spans_total{job="otel-collector"}[$__rate_interval])) or (sum by (exporter) (rate(otelcol_exporter_sent_spans_total{job="otel-collector"}[$__rate_interval])) * 0)',
    ]);
  });

  it("GIVEN the stack dashboard with Jaeger WHEN memory panels are read THEN each component's RSS has the name it really exports (collector 0.160 without unit suffix, Jaeger 2.13 with)", () => {
    const panels = allPanels(render()["stack/observability-stack-health.json"]!);
    const expr = (title: string) => panels.find((p) => p.title === title)!.targets![0]!.expr;
    expect(expr("Collector memory (RSS)")).toBe('otelcol_process_memory_rss{job="otel-collector"}');
    expect(expr("Jaeger memory (RSS)")).toBe('otelcol_process_memory_rss_bytes{job="jaeger"}');
    expect(expr("VictoriaMetrics memory (RSS)")).toBe('process_resident_memory_bytes{job="victoriametrics"}');
  });

  it.each([
    ["an app name with upper case", { appName: "Scotty" }, /appName/],
    ["an empty metrics datasource uid", { metricsUid: "" }, /metricsUid/],
    ["two backends for one signal", { backends: healthOfKinds("victoriametrics", "prometheus") }, /backends/],
    ["a backend whose scrape job is no job name", { backends: [{ ...healthOfKinds("jaeger")[0]!, job: 'x"}' }] }, /job/],
    ["a backend without a memory query", { backends: [{ ...healthOfKinds("jaeger")[0]!, memory: undefined }] }, /memory/],
    ["an unexpected key", { extra: true }, /extra/],
  ])("GIVEN %s WHEN rendering THEN rendering must fail naming the field", (_why, patch, message) => {
    expect(() => renderDashboards({ ...INPUT, ...patch } as unknown as DashboardInput)).toThrow(message);
  });
});

describe("buildDashboard (shared defaults)", () => {
  type Sections = Parameters<typeof buildDashboard>[0]["sections"];
  const TWO_ROWS: Sections = [
    { title: "One", panels: [{ kind: "stat", title: "a", unit: "short", queries: [{ expr: "up", legendFormat: "" }] }] },
    { title: "Two", panels: [{ kind: "timeseries", title: "b", unit: "short", queries: [{ expr: "up", legendFormat: "" }] }] },
  ];
  const build = (collapsedRows: boolean, sections: Sections = TWO_ROWS) =>
    buildDashboard({
      uid: "t",
      title: "T",
      description: "",
      tags: [],
      refresh: "5s",
      time: { from: "now-1h", to: "now" },
      datasource: prometheusDatasource("ds"),
      collapsedRows,
      sections,
    });
  const spec = (collapsedRows: boolean) => build(collapsedRows) as unknown as Dashboard;

  it("GIVEN folded rows WHEN built THEN the top level holds only rows and each row carries its panels", () => {
    const dash = spec(true);
    expect(dash.panels.map((p) => [p.type, p.title, p.collapsed, p.panels?.map((c) => c.title)])).toEqual([
      ["row", "One", true, ["a"]],
      ["row", "Two", true, ["b"]],
    ]);
  });

  it("GIVEN open rows WHEN built THEN each row is followed by its panels", () => {
    const dash = spec(false);
    expect(dash.panels.map((p) => [p.type, p.title])).toEqual([
      ["row", "One"],
      ["stat", "a"],
      ["row", "Two"],
      ["timeseries", "b"],
    ]);
  });

  it("GIVEN a panel wider than the grid WHEN built THEN building must fail", () => {
    expect(() =>
      build(false, [{ title: "One", panels: [{ kind: "stat", title: "wide", unit: "short", width: 30, queries: [] }] }]),
    ).toThrow(/width 30/);
  });
});
