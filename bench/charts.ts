/**
 * SVG charts of a saved bench run (`npm run bench:charts`; `npm run bench` runs it after the run):
 * each ceiling search (offered vs accepted, collector CPU and cgroup memory per step, ours vs the
 * seeds' baseline) and the tier comparison (ceilings per signal, Scotty instances per tier), drawn by
 * vega-lite 6.5.0 compiled to a Vega spec and rendered headless by Vega 6.4.0's `view.toSVG()` (both
 * BSD-3-Clause) from the results JSON — nothing is drawn by hand.
 *
 * Written next to the results (bench/results/charts/<run>/) and to docs/charts/ (committed, shown by
 * docs/BENCHMARKS.md between the charts markers). The spec builders are pure (test/charts.test.ts).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { TIER_NAMES as TIERS, type TierName } from "../settings";
import type { Signal } from "./lib/load";
import type { Variant } from "./lib/components";
import { newestScotty, runsOfTier, variantOf, VARIANT_ORDER, type RunResult } from "./report";

export type { Variant };
const VARIANTS: Variant[] = VARIANT_ORDER;
const SIGNALS: Signal[] = ["metrics", "traces", "logs"];
const UNIT: Record<Signal, string> = { metrics: "data points/s", traces: "spans/s", logs: "log records/s" };
/** The same colour for a variant in every chart. */
const COLORS: Record<Variant, string> = { ours: "#1f77b4", "ours-no-pq": "#2ca02c", baseline: "#ff7f0e" };

/** A vega-lite spec as a plain object (the builders return data, the renderer compiles it). */
export type VegaLiteSpec = Record<string, unknown>;

export interface CeilingRow {
  variant: Variant;
  /** 1-based position in the search (doubling or halving, bisections, second tries of near misses). */
  step: number;
  offered: number;
  accepted: number;
  cpuPct: number;
  peakMb: number;
  result: "held" | "failed";
}

/** One row per step of a signal's ceiling search, both variants, in search order. */
export function ceilingRows(run: RunResult, tier: TierName, signal: Signal): CeilingRow[] {
  const t = run.tiers[tier];
  if (!t) throw new Error(`run ${run.started} has no ${tier} tier (it has: ${Object.keys(run.tiers).join(", ") || "none"})`);
  return VARIANTS.flatMap(
    (variant) =>
      variantOf(t, variant)?.ceilings[signal]?.steps.map((s, i) => ({
        variant,
        step: i + 1,
        offered: s.offered,
        accepted: Math.round(s.acceptedPerSec),
        cpuPct: Math.round(s.cpuPct * 10) / 10,
        peakMb: Math.round(s.memory.peakMb * 10) / 10,
        result: s.ok ? ("held" as const) : ("failed" as const),
      })) ?? [],
  );
}

/** The configs that have rows, in the fixed order, each in its fixed colour (a legend names only what is drawn). */
const colorScale = (rows: { variant: Variant }[]) => {
  const domain = VARIANTS.filter((v) => rows.some((r) => r.variant === v));
  return { domain, range: domain.map((v) => COLORS[v]) };
};
const offeredAxis = (signal: Signal) => ({
  field: "offered",
  type: "quantitative",
  scale: { type: "log", nice: false, padding: 12 },
  title: `offered (${UNIT[signal]}, log scale)`,
});

/** Offered vs accepted, CPU and memory per step of one signal's search: three panels, one x axis. */
export function ceilingSpec(run: RunResult, tier: TierName, signal: Signal): VegaLiteSpec {
  const rows = ceilingRows(run, tier, signal);
  const limitMb = run.tiers[tier]!.limitMb;
  const x = offeredAxis(signal);
  const color = { field: "variant", type: "nominal", scale: colorScale(rows), title: "config" };
  const shape = {
    field: "result",
    type: "nominal",
    scale: { domain: ["held", "failed"], range: ["circle", "cross"] },
    title: "step",
  };
  const perStep = (field: "accepted" | "cpuPct" | "peakMb", title: string, extra: VegaLiteSpec[] = []) => ({
    width: 460,
    height: 150,
    layer: [
      ...extra,
      { mark: { type: "line", opacity: 0.6 }, encoding: { x, y: { field, type: "quantitative", title }, color } },
      {
        mark: { type: "point", filled: true, size: 70 },
        encoding: {
          x,
          y: { field, type: "quantitative" },
          color,
          shape,
          tooltip: [{ field: "variant" }, { field: "step" }, { field: "offered" }, { field }, { field: "result" }],
        },
      },
    ],
  });
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: {
      text: `${tier} tier — ${signal} ceiling search, ${VARIANTS.filter((v) => variantOf(run.tiers[tier]!, v)).join(" vs ")}`,
      subtitle: `run ${run.started} (${run.commit}); ${run.stepS} s steps; collector cgroup limit ${limitMb} MB${run.tiers[tier]!.cpus !== undefined ? `, CPU quota ${run.tiers[tier]!.cpus} core` : ""}`,
    },
    data: { values: rows },
    vconcat: [
      perStep("accepted", `accepted (${UNIT[signal]})`, [
        // The diagonal: every offered item accepted.
        {
          mark: { type: "line", strokeDash: [4, 4], color: "#888", clip: true },
          encoding: { x, y: { field: "offered", type: "quantitative" } },
        },
      ]),
      perStep("cpuPct", "collector CPU (% of a core)"),
      perStep("peakMb", "cgroup peak (MB)", [
        {
          data: { values: [{ limitMb }] },
          mark: { type: "rule", strokeDash: [2, 2], color: "#c00" },
          encoding: { y: { field: "limitMb", type: "quantitative" } },
        },
      ]),
    ],
    resolve: { scale: { color: "shared", shape: "shared" } },
    config: { font: "sans-serif" },
  };
}

export interface TierCeilingRow {
  tier: TierName;
  signal: Signal;
  variant: Variant;
  /** The highest step that held (items/s); 0 when no step held. */
  ceiling: number;
}

export interface TierScottyRow {
  tier: TierName;
  /** The most Scotty instances a step carried with nothing lost. */
  instances: number;
}

/** Ceilings per tier, signal and variant, and Scotty instances per tier, from one run. */
export function tierRows(run: RunResult): { ceilings: TierCeilingRow[]; scotty: TierScottyRow[] } {
  const ceilings: TierCeilingRow[] = [];
  const scotty: TierScottyRow[] = [];
  for (const [tier, t] of Object.entries(run.tiers) as [TierName, NonNullable<RunResult["tiers"][TierName]>][]) {
    for (const variant of VARIANTS) {
      const v = variantOf(t, variant);
      if (!v) continue;
      for (const signal of SIGNALS) {
        const c = v.ceilings[signal];
        if (c) ceilings.push({ tier, signal, variant, ceiling: Math.round(c.best?.acceptedPerSec ?? 0) });
      }
    }
    const carried = t.ours.scotty.filter((s) => s.ok).map((s) => s.instances);
    if (carried.length) scotty.push({ tier, instances: Math.max(...carried) });
  }
  const other = run.scottyOtherTier;
  if (other && !scotty.some((s) => s.tier === other.tier)) {
    const carried = other.steps.filter((s) => s.ok).map((s) => s.instances);
    if (carried.length) scotty.push({ tier: other.tier, instances: Math.max(...carried) });
  }
  return { ceilings, scotty };
}

/**
 * The tier comparison across saved runs (oldest first): each tier's ceilings from the newest run that
 * measured them, its Scotty figure from the newest run that took its Scotty steps.
 */
export function tierRowsAcross(runs: RunResult[]): { ceilings: TierCeilingRow[]; scotty: TierScottyRow[]; sources: string[] } {
  const ceilings: TierCeilingRow[] = [];
  const scotty: TierScottyRow[] = [];
  const sources: string[] = [];
  for (const tier of TIERS) {
    const [ceilingRun] = runsOfTier(runs, tier, 1);
    if (ceilingRun) ceilings.push(...tierRows({ ...ceilingRun, tiers: { [tier]: ceilingRun.tiers[tier] } }).ceilings);
    const newest = newestScotty(runs, tier);
    const carried = newest?.steps.filter((s) => s.ok).map((s) => s.instances) ?? [];
    if (carried.length) scotty.push({ tier, instances: Math.max(...carried) });
    if (ceilingRun || newest)
      sources.push(
        `${tier} ${ceilingRun ? `ceilings ${ceilingRun.started.slice(0, 16)}` : "no ceilings"}${newest ? `, Scotty ${newest.run.started.slice(0, 16)}` : ""}`,
      );
  }
  return { ceilings, scotty, sources };
}

/** The tier comparison of one run: zero-loss ceilings per signal (ours vs baseline) and Scotty instances per tier. */
export function tierSpec(run: RunResult): VegaLiteSpec {
  return tierSpecOf(tierRows(run), `run ${run.started} (${run.commit}); a tier not in the run was not measured`);
}

/** The tier comparison drawn from rows (one run's, or each tier's newest: tierRowsAcross). */
export function tierSpecOf({ ceilings, scotty }: { ceilings: TierCeilingRow[]; scotty: TierScottyRow[] }, subtitle: string): VegaLiteSpec {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: { text: "Tiers compared", subtitle },
    hconcat: [
      {
        data: { values: ceilings },
        width: 90,
        height: 200,
        mark: { type: "bar" },
        encoding: {
          column: { field: "tier", type: "nominal", title: "zero-loss ceiling per tier", sort: TIERS },
          x: { field: "signal", type: "nominal", sort: SIGNALS, title: null },
          xOffset: { field: "variant", type: "nominal", sort: VARIANTS },
          y: { field: "ceiling", type: "quantitative", title: "items/s (data points, spans, log records)" },
          color: { field: "variant", type: "nominal", scale: colorScale(ceilings), title: "config" },
          tooltip: [{ field: "tier" }, { field: "signal" }, { field: "variant" }, { field: "ceiling", format: "," }],
        },
      },
      {
        data: { values: scotty },
        width: 140,
        height: 200,
        layer: [
          {
            mark: { type: "bar", color: COLORS.ours },
            encoding: {
              x: { field: "tier", type: "nominal", sort: TIERS, title: "tier (ours)" },
              y: { field: "instances", type: "quantitative", title: "Scotty instances carried" },
            },
          },
          {
            mark: { type: "text", dy: -8 },
            encoding: {
              x: { field: "tier", type: "nominal", sort: TIERS },
              y: { field: "instances", type: "quantitative" },
              text: { field: "instances", type: "quantitative" },
            },
          },
        ],
      },
    ],
    config: { font: "sans-serif" },
  };
}

export interface Chart {
  /** File name (docs/charts/<file>). */
  file: string;
  /** Alt text / caption. */
  title: string;
  spec: VegaLiteSpec;
  /** The results file the chart is drawn from (bench/results/<source>); the tier comparison: the newest. */
  source?: string;
}

/** Every chart of a run: a ceiling search per measured tier and signal, and the tier comparison. */
export function chartsFor(run: RunResult): Chart[] {
  const charts: Chart[] = [];
  for (const tier of Object.keys(run.tiers) as TierName[]) {
    for (const signal of SIGNALS) {
      if (ceilingRows(run, tier, signal).length === 0) continue;
      charts.push({
        file: `ceiling-${tier}-${signal}.svg`,
        title: `${tier} tier: ${signal} ceiling search`,
        spec: ceilingSpec(run, tier, signal),
      });
    }
  }
  charts.push({ file: "tiers.svg", title: "tiers compared", spec: tierSpec(run) });
  return charts;
}

export interface SavedRun {
  file: string;
  run: RunResult;
}

/**
 * The charts docs/BENCHMARKS.md shows, from the saved runs (oldest first): each tier's ceiling searches
 * from the newest run that measured that tier (a small-only run leaves medium's and large's as they
 * were), and the tier comparison across them.
 */
export function chartsAcross(saved: SavedRun[]): Chart[] {
  const charts: Chart[] = [];
  for (const tier of TIERS) {
    const [run] = runsOfTier(
      saved.map((x) => x.run),
      tier,
      1,
    );
    if (!run) continue;
    const { file } = saved.find((x) => x.run === run)!;
    charts.push(
      ...chartsFor({ ...run, tiers: { [tier]: run.tiers[tier] } })
        .filter((c) => c.file !== "tiers.svg")
        .map((c) => ({ ...c, source: file })),
    );
  }
  const across = tierRowsAcross(saved.map((x) => x.run));
  charts.push({
    file: "tiers.svg",
    title: "tiers compared",
    spec: tierSpecOf(across, `each tier from its newest run: ${across.sources.join("; ")}`),
    source: saved.at(-1)?.file,
  });
  return charts;
}

/** vega-lite → Vega → SVG, headless (no canvas: Vega estimates text widths). */
export async function renderSvg(spec: VegaLiteSpec): Promise<string> {
  // ESM-only packages: loaded here, so the spec builders (and their unit test) never load them.
  const [vega, vegaLite] = await Promise.all([import("vega"), import("vega-lite")]);
  const compiled = vegaLite.compile(spec as unknown as Parameters<typeof vegaLite.compile>[0]).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

const ROOT = path.resolve(__dirname, "..");
export const RESULTS_DIR = path.join(ROOT, "bench", "results");
const CHARTS_DIR = path.join(ROOT, "docs", "charts");
const DOC = path.join(ROOT, "docs", "BENCHMARKS.md");
export const CHARTS_BEGIN = "<!-- bench-charts:begin (bench/charts.ts) -->";
export const CHARTS_END = "<!-- bench-charts:end -->";

/** The collector runs in bench/results, oldest first (files with tiers; span-metrics and deploy results are not). */
export function savedRuns(dir = RESULTS_DIR): SavedRun[] {
  const runs = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .map((f) => ({ file: f, run: JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")) as RunResult }))
    .filter(({ run }) => run.tiers && typeof run.tiers === "object" && run.started)
    .sort((a, b) => a.run.started.localeCompare(b.run.started));
  if (runs.length === 0) throw new Error(`no bench run in ${dir}: run \`npm run bench\` first`);
  return runs;
}

/** The section docs/BENCHMARKS.md shows the charts in; each chart names the results file it is drawn from. */
export function chartsSection(saved: SavedRun[], charts: Chart[]): string {
  const sources = [...new Set(charts.map((c) => c.source).filter((f) => f !== undefined))];
  const describe = (file: string) => {
    const run = saved.find((x) => x.file === file)?.run;
    return `\`bench/results/${file}\`${run ? ` (run of ${run.started}, commit ${run.commit})` : ""}`;
  };
  return [
    CHARTS_BEGIN,
    "## Charts",
    "",
    `Drawn by \`npm run bench:charts\` (\`bench/charts.ts\`: vega-lite 6.5.0 rendered by Vega 6.4.0's headless SVG renderer) from each tier's newest saved run: ${sources.map(describe).join(", ")}; each chart's caption names its run.`,
    'Ceiling searches: each point is one step (● held, ✕ failed); the dashed diagonal is "everything offered was accepted", the red rule the collector\'s cgroup limit.',
    "",
    ...charts.flatMap((c) => {
      const run = saved.find((x) => x.file === c.source)?.run;
      return [`![${c.title}${run && c.file !== "tiers.svg" ? ` (run of ${run.started})` : ""}](charts/${c.file})`, ""];
    }),
    CHARTS_END,
  ].join("\n");
}

async function main(): Promise<void> {
  const saved = savedRuns();
  const charts = chartsAcross(saved);
  fs.mkdirSync(CHARTS_DIR, { recursive: true });
  for (const chart of charts) {
    const svg = await renderSvg(chart.spec);
    fs.writeFileSync(path.join(CHARTS_DIR, chart.file), svg);
    const nextToResults = path.join(RESULTS_DIR, "charts", chart.source!.replace(/\.json$/, ""));
    fs.mkdirSync(nextToResults, { recursive: true });
    fs.writeFileSync(path.join(nextToResults, chart.file), svg);
  }
  const doc = fs.readFileSync(DOC, "utf8");
  const section = chartsSection(saved, charts);
  const start = doc.indexOf(CHARTS_BEGIN);
  const stop = doc.indexOf(CHARTS_END);
  // bench/report.ts rewrites the document without this section: put it back after the runs table.
  const next =
    start >= 0 && stop > start
      ? doc.slice(0, start) + section + doc.slice(stop + CHARTS_END.length)
      : doc.replace(/\n## Method\n/, () => `\n${section}\n\n## Method\n`);
  if (next === doc && start < 0) throw new Error(`${DOC} has no "## Method" heading to put the charts before`);
  fs.writeFileSync(DOC, next);
  const sources = [...new Set(charts.map((c) => c.source))].join(", ");
  console.log(
    `wrote ${charts.length} charts (from ${sources}) to ${path.relative(ROOT, CHARTS_DIR)}/ and next to each run in bench/results/charts/`,
  );
}

if (require.main === module)
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
