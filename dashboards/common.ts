/**
 * Shared panel defaults and dashboard assembly: every generated dashboard looks and behaves the
 * same, and the SDK's builders are used in this one place only.
 */
import * as common from "@grafana/grafana-foundation-sdk/common";
import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import * as prometheus from "@grafana/grafana-foundation-sdk/prometheus";
import * as stat from "@grafana/grafana-foundation-sdk/stat";
import * as timeseries from "@grafana/grafana-foundation-sdk/timeseries";
import { PromQuery } from "./queries";

export interface DatasourceRef {
  type: "prometheus";
  uid: string;
}

/** Datasources are referenced by uid (never by name): renaming one in Grafana keeps dashboards working. */
export function prometheusDatasource(uid: string): DatasourceRef {
  return { type: "prometheus", uid };
}

export interface PanelSpec {
  title: string;
  description?: string;
  kind: "timeseries" | "stat";
  /** Grafana unit id (`s`, `bytes`, `reqps`, `cps`, `short`, ...). */
  unit: string;
  queries: PromQuery[];
  /** Grid columns out of 24. @default 12 for time series, 6 for stats */
  width?: number;
  /** Grid rows. @default 8 */
  height?: number;
  /** Derivatives go negative; everything else is a count, a rate or a level and starts at 0. */
  allowNegative?: boolean;
  /** Stats only: map raw values to text (e.g. `up` 0/1 -> DOWN/UP). */
  mappings?: dashboard.ValueMapping[];
  /** Stats only: colour steps. @default one green step (Grafana's own default turns 80+ red). */
  thresholds?: dashboard.Threshold[];
  /** Data links on every series (URLs may hold Grafana's data-link variables, e.g. `${__field.labels.service_name}`). */
  links?: DataLinkSpec[];
}

export interface DataLinkSpec {
  title: string;
  url: string;
}

/**
 * A dashboard variable offering several values, "All" among them. Queries use it as a regex
 * (`label=~"$name"`): several values become an alternation, "All" becomes `allValue`.
 */
export interface VariableSpec {
  name: string;
  label: string;
  description: string;
  /** Its values: a PromQL `label_values(…)` query on the dashboard's datasource, or a fixed list. */
  source: { query: string } | { values: readonly string[] };
  /** Selected when the dashboard opens. */
  current: "all" | readonly string[];
  /** What "All" stands for in a query. */
  allValue: string;
}

export interface SectionSpec {
  title: string;
  panels: PanelSpec[];
}

export interface DashboardSpec {
  uid: string;
  title: string;
  description: string;
  tags: string[];
  refresh: string;
  time: { from: string; to: string };
  datasource: DatasourceRef;
  /** Rows start folded (panels nested in the row) or open (panels follow the row). Either way every row is collapsible. */
  collapsedRows: boolean;
  sections: SectionSpec[];
  /** Dashboard variables, in the order they are shown. @default none */
  variables?: VariableSpec[];
}

const GRID_COLUMNS = 24;
const DEFAULT_HEIGHT = 8;
const REF_IDS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";

const GREEN_ONLY: dashboard.Threshold[] = [{ value: null, color: "green" }];

function refId(index: number): string {
  const id = REF_IDS[index];
  if (id === undefined) throw new Error(`a panel may hold at most ${REF_IDS.length} queries`);
  return id;
}

function target(query: PromQuery, index: number, datasource: DatasourceRef, forStat: boolean): prometheus.DataqueryBuilder {
  const builder = new prometheus.DataqueryBuilder()
    .refId(refId(index))
    .datasource(datasource)
    .expr(query.expr)
    .legendFormat(query.legendFormat);
  if (query.instant || forStat) builder.instant();
  else builder.range();
  if (query.exemplar) builder.exemplar(true);
  return builder;
}

function dataLinks(links: readonly DataLinkSpec[]): dashboard.DashboardLinkBuilder[] {
  return links.map((link) =>
    new dashboard.DashboardLinkBuilder(link.title).type(dashboard.DashboardLinkType.Link).url(link.url).targetBlank(false),
  );
}

const ALL: dashboard.VariableOption = { text: "All", value: "$__all" };

function variable(spec: VariableSpec, datasource: DatasourceRef): dashboard.QueryVariableBuilder | dashboard.CustomVariableBuilder {
  const current: dashboard.VariableOption =
    spec.current === "all" ? { ...ALL, selected: true } : { text: [...spec.current], value: [...spec.current], selected: true };
  if ("query" in spec.source) {
    return new dashboard.QueryVariableBuilder(spec.name)
      .label(spec.label)
      .description(spec.description)
      .datasource(datasource)
      .query(spec.source.query)
      .definition(spec.source.query)
      .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
      .sort(dashboard.VariableSort.AlphabeticalAsc)
      .multi(true)
      .includeAll(true)
      .allValue(spec.allValue)
      .current(current);
  }
  const chosen = (value: string) => spec.current !== "all" && spec.current.includes(value);
  return new dashboard.CustomVariableBuilder(spec.name)
    .label(spec.label)
    .description(spec.description)
    .values(spec.source.values.join(","))
    .options([
      { ...ALL, selected: spec.current === "all" },
      ...spec.source.values.map((value) => ({ text: value, value, selected: chosen(value) })),
    ])
    .multi(true)
    .includeAll(true)
    .allValue(spec.allValue)
    .current(current);
}

function timeseriesPanel(spec: PanelSpec, datasource: DatasourceRef): timeseries.PanelBuilder {
  const builder = new timeseries.PanelBuilder()
    .unit(spec.unit)
    .lineWidth(1)
    .fillOpacity(10)
    .showPoints(common.VisibilityMode.Never)
    .spanNulls(false)
    .legend(
      new common.VizLegendOptionsBuilder()
        .showLegend(true)
        .displayMode(common.LegendDisplayMode.List)
        .placement(common.LegendPlacement.Bottom),
    )
    .tooltip(new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Multi).sort(common.SortOrder.Descending));
  if (!spec.allowNegative) builder.min(0);
  if (spec.links) builder.dataLinks(dataLinks(spec.links));
  spec.queries.forEach((q, i) => builder.withTarget(target(q, i, datasource, false)));
  return builder;
}

function statPanel(spec: PanelSpec, datasource: DatasourceRef): stat.PanelBuilder {
  const builder = new stat.PanelBuilder()
    .unit(spec.unit)
    .graphMode(common.BigValueGraphMode.None)
    .colorMode(common.BigValueColorMode.Value)
    .textMode(common.BigValueTextMode.Auto)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(["lastNotNull"]).values(false))
    .thresholds(new dashboard.ThresholdsConfigBuilder().mode(dashboard.ThresholdsMode.Absolute).steps(spec.thresholds ?? GREEN_ONLY));
  if (spec.mappings) builder.mappings(spec.mappings);
  if (spec.links) builder.dataLinks(dataLinks(spec.links));
  spec.queries.forEach((q, i) => builder.withTarget(target(q, i, datasource, true)));
  return builder;
}

type Positioned = { spec: PanelSpec; gridPos: dashboard.GridPos };

/** Left-to-right flow that wraps BEFORE a panel would overflow (the SDK only wraps after). */
function flow(panels: readonly PanelSpec[], startY: number): { placed: Positioned[]; nextY: number } {
  let x = 0;
  let y = startY;
  let lineHeight = 0;
  const placed = panels.map((spec) => {
    const w = spec.width ?? (spec.kind === "stat" ? 6 : 12);
    const h = spec.height ?? DEFAULT_HEIGHT;
    if (w < 1 || w > GRID_COLUMNS) throw new Error(`panel ${JSON.stringify(spec.title)}: width ${w} is not within 1..${GRID_COLUMNS}`);
    if (x + w > GRID_COLUMNS) {
      x = 0;
      y += lineHeight;
      lineHeight = 0;
    }
    const gridPos = { x, y, w, h };
    x += w;
    lineHeight = Math.max(lineHeight, h);
    return { spec, gridPos };
  });
  return { placed, nextY: y + lineHeight };
}

/**
 * Builds a dashboard with one row per section. Positions and ids are computed here, explicitly,
 * so the JSON is identical on every run (stable snapshots, no spurious Grafana diffs).
 */
export function buildDashboard(spec: DashboardSpec): dashboard.Dashboard {
  const builder = new dashboard.DashboardBuilder(spec.title)
    .uid(spec.uid)
    .description(spec.description)
    .tags(spec.tags)
    .refresh(spec.refresh)
    .time(spec.time)
    .timezone("browser")
    // A shared crosshair lines up a latency spike with the request rate and memory below it.
    .tooltip(dashboard.DashboardCursorSync.Crosshair);
  for (const v of spec.variables ?? []) builder.withVariable(variable(v, spec.datasource));

  let nextId = 1;
  let y = 0;
  for (const section of spec.sections) {
    const rowY = y;
    const { placed, nextY } = flow(section.panels, rowY + 1);
    y = nextY;
    const rowId = nextId++;
    const panels = placed.map(({ spec: panel, gridPos }) => {
      const built = panel.kind === "stat" ? statPanel(panel, spec.datasource) : timeseriesPanel(panel, spec.datasource);
      built.id(nextId++).title(panel.title).datasource(spec.datasource).gridPos(gridPos);
      if (panel.description) built.description(panel.description);
      return built;
    });
    const row = new dashboard.RowBuilder(section.title)
      .id(rowId)
      .collapsed(spec.collapsedRows)
      .gridPos({ x: 0, y: rowY, w: GRID_COLUMNS, h: 1 });
    if (spec.collapsedRows) {
      // A collapsed row carries its panels inside; Grafana lays them out when the row opens.
      panels.forEach((p) => row.withPanel(p));
      builder.withRow(row);
    } else {
      builder.withRow(row);
      panels.forEach((p) => builder.withPanel(p));
    }
  }
  return builder.build();
}

function isRow(panel: dashboard.Panel | dashboard.RowPanel): panel is dashboard.RowPanel {
  return panel.type === "row";
}

/** Every panel of a dashboard, whether it sits at the top level or inside a collapsed row. */
export function panelsOf(dash: dashboard.Dashboard): dashboard.Panel[] {
  return (dash.panels ?? []).flatMap((p) => (isRow(p) ? p.panels : [p]));
}
