/**
 * docs/BENCHMARKS.md from the saved runs (bench/results/*.json): the two newest side by side, every
 * figure from those files; bench/deploy.ts's and bench/span-metrics.ts's sections (between their
 * markers) are kept as they are.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { TIER_NAMES as TIERS, type TierName } from "../settings";
import { BASELINE } from "./baseline";
import type { Signal } from "./lib/load";
import { SPANS_PER_CLIENT, SPANS_PER_TRACE } from "./lib/load";
import { onlyReasons, SLOW_ACKS } from "./lib/reasons";
import { CEILING_BISECTIONS } from "./lib/search";
import { COLLECTOR_GOGC, COLLECTOR_NON_HEAP_MB } from "../configs/collector";
import { CgroupStat, percentile } from "./lib/measure";
import { HTTP, SCOTTY_EXPORT_INTERVAL_MS, SCOTTY_INSTRUMENTS, SCOTTY_POINTS_PER_EXPORT, SCOTTY_ROWS_PER_EXPORT } from "./scotty";
import type { Variant } from "./lib/components";
import type { Ceiling, Outage, Overload, ScottyStep, StepResult } from "./steps";
import { SWARM_BEGIN, SWARM_END } from "./swarm-report";

export const RESULTS_DIR = path.join(__dirname, "results");
const DOC = path.resolve(__dirname, "..", "docs", "BENCHMARKS.md");
const README = path.resolve(__dirname, "..", "README.md");
const README_BEGIN = "<!-- bench-ceilings:begin (bench/report.ts) -->";
const README_END = "<!-- bench-ceilings:end -->";
const DEPLOY_BEGIN = "<!-- deploy-bench:begin (bench/deploy.ts) -->";
const DEPLOY_END = "<!-- deploy-bench:end -->";
/** The span-metrics scenario's section (`npm run bench:spanmetrics`), written by bench/span-metrics.ts. */
export const SPANMETRICS_BEGIN = "<!-- spanmetrics-bench:begin (bench/span-metrics.ts) -->";
export const SPANMETRICS_END = "<!-- spanmetrics-bench:end -->";
/** The CPU-profile section (`npm run bench:profile`), written by bench/profile.ts. */
export const PROFILE_BEGIN = "<!-- profile-bench:begin (bench/profile.ts) -->";
export const PROFILE_END = "<!-- profile-bench:end -->";
/** The paired repeats at the baseline's ceiling (`npm run bench:pairs`), written by bench/pairs.ts, kept below the ratio table. */
export const PAIRS_BEGIN = "<!-- pairs-bench:begin (bench/pairs.ts) -->";
export const PAIRS_END = "<!-- pairs-bench:end -->";
/** The collector testbed's published figure this benchmark is compared with (opentelemetry.io, collector benchmarks). */
const TESTBED = { spansPerSec: 10_000, cpuPctOfCore: 6, memoryMiB: "55–78" };

/** A section another script writes (between its markers), as it is in the current document; "" when absent. */
function keptSection(doc: string, begin: string, end: string): string {
  const start = doc.indexOf(begin);
  const stop = doc.indexOf(end);
  return start >= 0 && stop > start ? doc.slice(start, stop + end.length) : "";
}

export interface VariantResult {
  variant: Variant;
  tier: TierName;
  limitMb: number;
  loadBefore: number;
  loadAfter: number;
  idle: CgroupStat;
  delays: { metric: number[]; span: number[] };
  ceilings: Record<Signal, Ceiling>;
  overload?: Overload;
  scotty: ScottyStep[];
  outage: Outage;
  oomKills: number;
}

export interface RunMethod {
  /** Bisections after the doubling (bench/steps.ts CEILING_BISECTIONS). */
  bisections: number;
  /** A near miss (bench/steps.ts nearMiss) was offered once more at the same rate. */
  nearMissSecondTry: boolean;
  /** Spans/s per telemetrygen process (bench/lib/load.ts SPANS_PER_CLIENT). */
  spansPerClient: number;
  /** The configs' searches took turns step by step (bench/steps.ts findCeilings); before 2026-12-07 one config searched after another. */
  interleaved?: boolean;
}

const times = (n: number) => (n === 1 ? "once" : n === 2 ? "twice" : `${n} times`);

/** What the runs before `method` was recorded did. */
const EARLIER_METHOD = "double, bisect once; one config after another; all span workers in one telemetrygen process";
export const methodOf = (r: RunResult): string =>
  r.method
    ? `double, bisect ${times(r.method.bisections)}${r.method.nearMissSecondTry ? ", a near miss tried twice" : ""}; ${r.method.interleaved ? "configs take turns step by step" : "one config after another"}; one telemetrygen process per ${fmt(r.method.spansPerClient)} spans/s`
    : EARLIER_METHOD;

export interface RunResult {
  started: string;
  commit: string;
  machine: { cpus: number; model: string; memoryMb: number; kernel: string };
  quietWait?: { waitedS: number; load: number };
  loadAtStart: number;
  loadAtEnd: number;
  versions: Record<string, string>;
  stepS: number;
  /** How the ceilings were searched and loaded (runs before 2026-12-06T23:00 have none: bisect once, one span client). */
  method?: RunMethod;
  tiers: Partial<
    Record<
      TierName,
      {
        limitMb: number;
        /** The collector's CPU quota in cores (runs before 2026-12-06 had none). */
        cpus?: number;
        pageCache: { charged: CgroupStat; notCharged: CgroupStat; binaryMb: number };
        ours: VariantResult;
        /** Ours with `collector.persistentQueue: false` (runs before 2026-12-06 did not run it). */
        oursNoPq?: VariantResult;
        /** The seeds' config; the first tier only by default. */
        baseline?: VariantResult;
      }
    >
  >;
  /** Scotty's steps on another tier's collector (medium unless that tier ran in full). */
  scottyOtherTier?: { tier: TierName; limitMb: number; idle: CgroupStat; steps: ScottyStep[]; loadBefore: number; loadAfter: number };
  events: string[];
  runtimeS: number;
}

const fmt = (n: number | undefined, digits = 0) =>
  n === undefined || !Number.isFinite(n)
    ? "–"
    : n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined || !b ? "–" : `${(a / b).toFixed(2)}×`);
const UNIT: Record<Signal, string> = { metrics: "data points/s", traces: "spans/s", logs: "log records/s" };
const SIGNALS: Signal[] = ["metrics", "traces", "logs"];

type TierResult = NonNullable<RunResult["tiers"][TierName]>;
/** The configs a tier can hold, in the order tables show them. */
export const VARIANT_ORDER: Variant[] = ["ours", "ours-no-pq", "baseline"];
export const VARIANT_LABEL: Record<Variant, string> = {
  ours: "ours",
  "ours-no-pq": "ours, persistentQueue false",
  baseline: "baseline",
};
/** A config's result in a tier, if the run measured it. */
export function variantOf(t: TierResult, v: Variant): VariantResult | undefined {
  return v === "ours" ? t.ours : v === "ours-no-pq" ? t.oursNoPq : t.baseline;
}
const presentVariants = (t: TierResult) => VARIANT_ORDER.filter((v) => variantOf(t, v));

/** Issue 22's targets, on the same run: every ceiling ≥ 1.0× baseline, CPU per 10k items ≤ 1.2× baseline. */
export const TARGET = { ceiling: 1.0, cpuPer10k: 1.2 } as const;

/**
 * CPU per 10k items/s compared where the configs did the same work: the highest offered rate at which
 * every given config's step held (the searches share their doubling steps), each config's CPU there.
 */
export function cpuAtCommonRate(configs: VariantResult[], signal: Signal): { offered: number; per10k: number[] } | undefined {
  const held = configs.map((v) => new Map(v.ceilings[signal].steps.filter((x) => x.ok).map((x) => [x.offered, x])));
  const common = [...held[0]!.keys()].filter((rate) => held.every((m) => m.has(rate))).sort((a, b) => b - a)[0];
  if (common === undefined) return undefined;
  return { offered: common, per10k: held.map((m) => m.get(common)!.cpuPctPer10k) };
}

export interface RatioRow {
  signal: Signal;
  variant: Exclude<Variant, "baseline">;
  ceiling: number | undefined;
  baselineCeiling: number | undefined;
  ceilingRatio: number | undefined;
  /** Accepted/s at the highest offered rate both configs ran losing nothing (`throughputAtCommonRate`). */
  throughput?: { offered: number; ours: number; baseline: number; ratio: number };
  /** The common rate CPU was compared at, and both configs' CPU per 10k items/s there. */
  cpu?: { offered: number; ours: number; baseline: number; ratio: number };
  ceilingMet: boolean;
  cpuMet: boolean;
}

/** A step that lost, refused and dropped nothing: it held, or failed only because < 80 % of the asked rate got through. */
export const lostNothing = (s: StepResult): boolean => s.ok || onlyReasons(s.why, [SLOW_ACKS]);

/**
 * Accepted items/s where both configs were offered the same load and lost nothing: at the highest
 * such offered rate, each config's best try. Continuous where the ceiling is not: near the load
 * generator's limit on these 2 cores a step holds or fails on the 80 % line, so a 1–2 % difference in
 * acknowledgement speed can move a ceiling by a whole bisection step. Taken at a common offered rate
 * because the synchronous clients' throughput grows with the load offered (more workers).
 */
export function throughputAtCommonRate(configs: VariantResult[], signal: Signal): { offered: number; perSec: number[] } | undefined {
  const clean = configs.map((v) => {
    const best = new Map<number, number>();
    for (const x of v.ceilings[signal].steps.filter(lostNothing)) best.set(x.offered, Math.max(best.get(x.offered) ?? 0, x.acceptedPerSec));
    return best;
  });
  const common = [...clean[0]!.keys()].filter((rate) => clean.every((m) => m.has(rate))).sort((a, b) => b - a)[0];
  if (common === undefined) return undefined;
  return { offered: common, perSec: clean.map((m) => m.get(common)!) };
}

/** Ours (and ours without the persistent queue) over the same run's baseline, per signal. */
export function ratioRows(t: TierResult): RatioRow[] {
  const base = t.baseline;
  if (!base) return [];
  const rows: RatioRow[] = [];
  for (const variant of ["ours", "ours-no-pq"] as const) {
    const v = variantOf(t, variant);
    if (!v) continue;
    for (const signal of SIGNALS) {
      const ceiling = v.ceilings[signal].best?.acceptedPerSec;
      const baselineCeiling = base.ceilings[signal].best?.acceptedPerSec;
      const ceilingRatio = ceiling !== undefined && baselineCeiling ? ceiling / baselineCeiling : undefined;
      const common = cpuAtCommonRate([v, base], signal);
      const cpu = common
        ? { offered: common.offered, ours: common.per10k[0]!, baseline: common.per10k[1]!, ratio: common.per10k[0]! / common.per10k[1]! }
        : undefined;
      const same = throughputAtCommonRate([v, base], signal);
      rows.push({
        signal,
        variant,
        ceiling,
        baselineCeiling,
        ceilingRatio,
        throughput: same && {
          offered: same.offered,
          ours: same.perSec[0]!,
          baseline: same.perSec[1]!,
          ratio: same.perSec[0]! / same.perSec[1]!,
        },
        cpu,
        ceilingMet: ceilingRatio !== undefined && ceilingRatio >= TARGET.ceiling,
        cpuMet: cpu !== undefined && cpu.ratio <= TARGET.cpuPer10k,
      });
    }
  }
  return rows;
}

function ratiosSection(runs: RunResult[], tier: TierName): string[] {
  const withBoth = runs.filter((r) => r.tiers[tier]?.baseline).slice(-2);
  if (withBoth.length === 0) return [];
  const out: string[] = [
    `## ${tier} tier: ours over the seeds' baseline, same run`,
    "",
    `${withBoth.length === 1 ? "One run" : "Two runs side by side"}. Issue 22's targets: every zero-loss ceiling **≥ ${TARGET.ceiling.toFixed(1)}×** the baseline's and collector CPU per 10k items/s **≤ ${TARGET.cpuPer10k}×**. CPU is compared at the highest offered rate at which both configs' steps held (the searches share their doubling steps), so both did the same work; each config's own CPU at its ceiling is in its steps tables. **ours, persistentQueue false** is the same rendered config without the persistent queue and the remote-write WAL: the row that prices durability. **Throughput at the same load** is each config's accepted/s at the highest offered rate at which both lost, refused and dropped nothing, the 80 % rule aside: near the load generator's limit on these 2 cores a step holds or fails on that line, so a 1–2 % difference moves a ceiling by a whole bisection step. The targets stay on the ceiling.`,
    "",
    "| run | signal | config | ceiling / baseline's | ratio | throughput at the same load: config / baseline | ratio | CPU per 10k/s at the common rate: config / baseline | ratio | targets |",
    "|---|---|---|---:|---:|---:|---:|---:|---:|---|",
  ];
  for (const run of withBoth) {
    for (const row of ratioRows(run.tiers[tier]!)) {
      out.push(
        `| ${run.started} (${run.commit}) | ${row.signal} | ${VARIANT_LABEL[row.variant]} | ${fmt(row.ceiling)} / ${fmt(row.baselineCeiling)} | ${row.ceilingRatio === undefined ? "–" : `${row.ceilingRatio.toFixed(2)}×`} | ${row.throughput ? `${fmt(row.throughput.ours)} / ${fmt(row.throughput.baseline)} at ${fmt(row.throughput.offered)}/s | ${row.throughput.ratio.toFixed(2)}×` : "– | –"} | ${row.cpu ? `${fmt(row.cpu.ours, 1)} / ${fmt(row.cpu.baseline, 1)} at ${fmt(row.cpu.offered)}/s` : "no common rate held"} | ${row.cpu ? `${row.cpu.ratio.toFixed(2)}×` : "–"} | ceiling ${row.ceilingMet ? "met" : "**not met**"}, CPU ${row.cpuMet ? "met" : "**not met**"} |`,
      );
    }
  }
  out.push("");
  return out;
}

/** Ceilings and Scotty instances of every tier a run measured (ours), each tier's two newest runs, oldest first. */
function tiersSection(all: RunResult[]): string[] {
  const tiers = TIERS.filter((tier) => all.some((r) => r.tiers[tier]));
  if (tiers.length < 2) return [];
  const out: string[] = [
    "## Tiers compared (ours)",
    "",
    "Each tier's collector in its own container limits (memory cgroup at the tier's limit, CPU quota at its `limits.cpus.collector`), with the same backends and load generator on the same 2 cores. Figures: highest zero-loss rate per signal, and the most Scotty instances a step carried; one cell per run that measured it (the two newest, newest last; a run can take a tier's Scotty steps without its ceilings).",
    "",
    "| tier | collector limits | metrics (data points/s) | traces (spans/s) | logs (records/s) | Scotty instances | overload: recovery, acknowledged-but-lost |",
    "|---|---|---:|---:|---:|---:|---|",
  ];
  for (const tier of tiers) {
    const measured = runsOfTier(all, tier);
    const t = measured.at(-1)!.tiers[tier]!;
    const cell = (f: (t: TierResult) => string) => measured.map((r) => f(r.tiers[tier]!)).join(" / ");
    const scotty = all
      .map((r) => scottyOf(r, tier))
      .filter((x) => x !== undefined)
      .slice(-2)
      .map((steps) => {
        const carried = steps.filter((y) => y.ok).pop();
        return carried ? `${carried.instances}${carried === steps.at(-1) ? "+" : ""}` : "none";
      })
      .join(" / ");
    out.push(
      `| [${tier}](#${tier}-tier-ceilings) | ${t.limitMb} MB${t.cpus !== undefined ? `, ${t.cpus} core` : ", no CPU quota"} | ${SIGNALS.map((s) => cell((x) => fmt(x.ours.ceilings[s].best?.acceptedPerSec))).join(" | ")} | ${scotty} | ${cell((x) => (!x.ours.overload ? "not run" : `${x.ours.overload.recoveryS === undefined ? "did not recover" : `${x.ours.overload.recoveryS} s`}, ${x.ours.overload.witness.ackedButLost}`))} |`,
    );
  }
  out.push("", "`N+`: the largest Scotty step run held, so more may fit.", "");
  return out;
}

/**
 * The newest `n` saved runs that measured a tier's ceilings: a run measures the tiers BENCH_TIERS asked
 * for, so a small-only run does not hide the last medium and large ceilings.
 */
export function runsOfTier(all: RunResult[], tier: TierName, n = 2): RunResult[] {
  return all.filter((r) => r.tiers[tier]).slice(-n);
}

/** A run's Scotty steps on a tier: the tier's own (ours), or the Scotty-only steps a run took on it. */
export function scottyOf(run: RunResult, tier: TierName): ScottyStep[] | undefined {
  return run.tiers[tier]?.ours.scotty ?? (run.scottyOtherTier?.tier === tier ? run.scottyOtherTier.steps : undefined);
}

/** The newest run that took Scotty steps on a tier, with those steps. */
export function newestScotty(all: RunResult[], tier: TierName): { run: RunResult; steps: ScottyStep[] } | undefined {
  const run = all.filter((r) => scottyOf(r, tier)).at(-1);
  return run && { run, steps: scottyOf(run, tier)! };
}

/** The runs the document shows: the two newest of every tier, oldest first. */
export function shownRuns(all: RunResult[]): RunResult[] {
  const shown = new Set(TIERS.flatMap((tier) => runsOfTier(all, tier)));
  return all.filter((r) => shown.has(r));
}

export function loadRuns(): RunResult[] {
  if (!fs.existsSync(RESULTS_DIR)) return [];
  return (
    fs
      .readdirSync(RESULTS_DIR)
      // The collector runs are named by their start time; other scripts' results (spanmetrics-*.json,
      // deploy/, profiles/) sit beside them.
      .filter((f) => /^\d{4}-\d{2}-\d{2}T[\d-]+Z\.json$/.test(f))
      .sort()
      .map((f) => JSON.parse(fs.readFileSync(path.join(RESULTS_DIR, f), "utf8")) as RunResult)
  );
}

const peakOf = (v: VariantResult) =>
  Math.max(...SIGNALS.flatMap((s) => v.ceilings[s].steps.filter((x) => x.ok).map((x) => x.memory.peakMb)), 0);

function ceilingCell(c: Ceiling): string {
  const best = c.best ? `**${fmt(c.best.acceptedPerSec)}**` : "none held";
  const bad = c.firstBad ? `; fails at ${fmt(c.firstBad.offered)} (${c.firstBad.why})` : "; no failing step reached";
  return `${best}${bad}`;
}

/** A step's result cell; a near miss says it was tried again when the next step is that second try. */
function stepVerdict(s: StepResult, next: StepResult | undefined): string {
  const retried = next?.secondTry && next.offered === s.offered;
  return `${s.secondTry ? "second try: " : ""}${s.ok ? "ok" : `FAIL${retried ? " (near miss: tried again)" : ""}: ${s.why}`}`;
}

function stepsTable(steps: StepResult[]): string {
  return [
    "| offered/s | accepted/s | refused | failed exports | dropped by exporters | not in backend | collector CPU (% core) | % core per 10k/s | cgroup peak MB | anon MB | page cache MB | major faults | result |",
    "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ...steps.map(
      (s, i) =>
        `| ${fmt(s.offered)} | ${fmt(s.acceptedPerSec)} | ${fmt(s.refused)} | ${fmt(s.failedExports)} | ${fmt(s.sendFailed + s.enqueueFailed)} | ${fmt(s.notDelivered)} | ${fmt(s.cpuPct)} | ${fmt(s.cpuPctPer10k, 1)} | ${fmt(s.memory.peakMb, 1)} | ${fmt(s.memory.rssMb, 1)} | ${fmt(s.memory.cacheMb, 1)} | ${fmt(s.majorFaults)} | ${stepVerdict(s, steps[i + 1])} |`,
    ),
  ].join("\n");
}

function scottyTable(steps: ScottyStep[]): string {
  return [
    "| instances | OTLP points/s | rows/s | exports (failed) | refused | rows stored / expected | collector CPU (% core) | cgroup peak MB | anon / page cache (mapped) MB at the end | major faults | result |",
    "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ...steps.map(
      (s) =>
        `| ${s.instances} | ${fmt(s.pointsPerSec)} | ${fmt(s.rowsPerSec)} | ${s.exports} (${s.failedExports}) | ${fmt(s.refused)} | ${fmt(s.storedRows)} / ${fmt(s.expectedRows)} | ${fmt(s.cpuPct)} | ${fmt(s.peakMb, 1)} | ${fmt(s.rssMb, 1)} / ${fmt(s.cacheMb, 1)} (${fmt(s.mappedFileMb, 1)}) | ${fmt(s.majorFaults)} | ${s.ok ? "ok" : "FAIL"} |`,
    ),
  ].join("\n");
}

/** A failed Scotty step where the heap stayed below the limiter while pages were read back from disk = thrash. */
function scottyVerdict(limitMb: number, steps: ScottyStep[]): string {
  const bad = steps.find((s) => !s.ok);
  if (!bad) return "";
  const thrash = bad.majorFaults > 1000 && bad.rssMb < 0.8 * limitMb;
  return (
    ` In the first failing Scotty step (${bad.instances} instances, only ${fmt(bad.pointsPerSec)} OTLP points/s) the collector ended at ${fmt(bad.rssMb, 1)} MB anonymous and ${fmt(bad.cacheMb, 1)} MB page cache of which only ${fmt(bad.mappedFileMb, 1)} MB still mapped, with ${fmt(bad.majorFaults)} major faults during the step` +
    (thrash
      ? ": the heap stayed below the memory_limiter (so it never refused), and the binary's pages were evicted and read back again and again — **page-cache thrash at the limit, not heap**. The limit left too little room for the binary's working set next to the heap and the client connections."
      : ".")
  );
}

function memoryVerdict(limitMb: number, o: Overload | undefined, steps: StepResult[]): string {
  const failing = [...steps.filter((s) => !s.ok), ...(o ? [o.high] : [])];
  if (failing.length === 0) return "No step failed in this run.";
  const thrash = failing.filter((s) => s.majorFaults > 1000).sort((a, b) => b.majorFaults - a.majorFaults);
  const parts: string[] = [];
  for (const s of thrash) {
    parts.push(
      `${fmt(s.offered)} ${UNIT[s.signal]}: ${fmt(s.majorFaults)} major faults in the step, ending at ${fmt(s.memory.rssMb, 1)} MB anonymous and ${fmt(s.memory.cacheMb, 1)} MB page cache (${fmt(s.memory.mappedFileMb, 1)} MB of it still mapped)`,
    );
  }
  const heap = failing.filter((s) => s.memory.rssMb >= 0.75 * limitMb);
  return (
    (thrash.length
      ? `Failing steps with page-cache thrash (the binary's pages evicted and read back while the cgroup sits at its ${limitMb} MB limit): ${parts.join("; ")}. `
      : "No failing step thrashed (≤ 1,000 major faults each). ") +
    (heap.length
      ? `The heap itself reached ≥ 75 % of the limit only at ${heap.map((s) => `${fmt(s.offered)} ${UNIT[s.signal]} (${fmt(s.memory.rssMb, 1)} MB anonymous)`).join(", ")}${o && o.oomKills > 0 ? `, and the kernel OOM-killed the collector ${o.oomKills} time(s) in the run` : ""}.`
      : "The heap stayed below 75 % of the limit in every failing step.")
  );
}

function variantSection(run: RunResult, tier: TierName): string {
  const t = run.tiers[tier]!;
  const variants = presentVariants(t).map((v) => variantOf(t, v)!);
  const baseline = t.baseline;
  const lines: string[] = [];
  lines.push(
    `### ${tier} tier — ${variants.map((v) => VARIANT_LABEL[v.variant]).join(" vs ")} (run of ${run.started})`,
    "",
    `| figure | ${variants.map((v) => VARIANT_LABEL[v.variant]).join(" | ")} |${baseline ? " ours / baseline |" : ""}`,
    `|---|${variants.map(() => "---:").join("|")}|${baseline ? "---:|" : ""}`,
  );
  const row = (label: string, pick: (v: VariantResult) => number | undefined) => {
    const a = pick(t.ours);
    const b = baseline ? pick(baseline) : undefined;
    lines.push(
      `| ${label} | ${variants.map((v) => fmt(pick(v))).join(" | ")} |${baseline ? ` ${a === 0 && b === 0 ? "both 0" : ratio(a, b)} |` : ""}`,
    );
  };
  for (const s of SIGNALS) row(`${s} ceiling (${UNIT[s]}, zero loss)`, (v) => v.ceilings[s].best?.acceptedPerSec);
  for (const s of SIGNALS) row(`${s}: collector CPU at the ceiling, % of a core per 10k/s`, (v) => v.ceilings[s].best?.cpuPctPer10k);
  row("metric emit→queryable p50 (ms)", (v) => percentile(v.delays.metric, 50));
  row("metric emit→queryable p95 (ms)", (v) => percentile(v.delays.metric, 95));
  row("span emit→queryable p50 (ms)", (v) => percentile(v.delays.span, 50));
  row("span emit→queryable p95 (ms)", (v) => percentile(v.delays.span, 95));
  row("collector memory idle (cgroup MB)", (v) => v.idle.usageMb);
  row("collector memory peak over the passing ceiling steps (cgroup MB)", peakOf);
  row("30 s VictoriaMetrics outage: acknowledged witness points lost", (v) => v.outage.witness.ackedButLost);
  row("30 s VictoriaMetrics outage: accepted bulk points that never became rows", (v) => v.outage.shortfall);
  lines.push(
    "",
    `Outage step: ${fmt(t.ours.outage.rate)} data points/s of telemetrygen load plus a JS SDK witness (100 series every 500 ms, each acknowledged point looked up in VictoriaMetrics), VictoriaMetrics stopped ${t.ours.outage.outageS} s and started again. ` +
      variants
        .map(
          (v) =>
            `${VARIANT_LABEL[v.variant]}: witness ${fmt(v.outage.witness.acked)} acknowledged, ${fmt(v.outage.witness.ackedButLost)} lost; exporters dropped ${fmt(v.outage.sendFailed)}; refused ${fmt(v.outage.refused)}.`,
        )
        .join(" "),
    "",
  );
  for (const v of variants) {
    for (const s of SIGNALS) {
      lines.push(
        `#### ${VARIANT_LABEL[v.variant]}: ${s} steps (${run.stepS} s each; load average ${v.loadBefore} before this config, ${v.loadAfter} after)`,
        "",
        stepsTable(v.ceilings[s].steps),
        "",
      );
    }
  }
  return lines.join("\n");
}

/**
 * The README's throughput claims, between its markers: per tier, the ceilings of its two newest runs
 * (saved runs, oldest first) and its newest Scotty figure, nothing typed by hand.
 */
export function readmeClaims(all: RunResult[]): string {
  const lines = [README_BEGIN];
  for (const tier of TIERS) {
    const measured = runsOfTier(all, tier);
    const t = measured.at(-1)?.tiers[tier];
    const scotty = newestScotty(all, tier);
    const carried = scotty?.steps.filter((x) => x.ok).at(-1);
    const scottyClaim = carried ? `${carried.instances} Scotty instances` : "no Scotty step held";
    if (!t && scotty) {
      lines.push(
        `- **${tier}** (collector ${scotty.run.scottyOtherTier!.limitMb} MB): ${scottyClaim} ([measured](docs/BENCHMARKS.md#scottys-shape)); ceilings not measured yet.`,
      );
      continue;
    }
    if (!t) {
      lines.push(`- **${tier}**: not measured yet (\`BENCH_TIERS=${tier} npm run bench\`).`);
      continue;
    }
    const cell = (s: Signal) => measured.map((r) => fmt(r.tiers[tier]!.ours.ceilings[s].best?.acceptedPerSec)).join(" / ");
    const scottyWhen = scotty?.run === measured.at(-1) ? "" : ` (run of ${scotty!.run.started.slice(0, 16)})`;
    const limits = `collector at ${t.limitMb} MB${t.cpus !== undefined ? ` and ${t.cpus} core (CPU quota)` : ""} on 2 shared cores`;
    lines.push(
      `- **${tier}** ([measured](docs/BENCHMARKS.md#${tier}-tier-ceilings), ${measured.length} run${measured.length > 1 ? "s" : ""}, ${limits}): ` +
        `metrics ${cell("metrics")} data points/s, traces ${cell("traces")} spans/s, logs ${cell("logs")} records/s with zero loss; ` +
        `${scottyClaim}${scottyWhen}; ${!t.ours.overload ? "overload not run" : t.ours.overload.recoveryS === undefined ? "after 2× overload it did not recover without a restart" : `recovered ${t.ours.overload.recoveryS} s after a 2× overload`}, acknowledged-but-lost ${t.ours.overload?.witness.ackedButLost ?? "–"}.`,
    );
    const ratios = ratioRows(t);
    for (const variant of ["ours", "ours-no-pq"] as const) {
      const rows = ratios.filter((r) => r.variant === variant);
      if (rows.length === 0) continue;
      const ratio = (x: number | undefined) => (x === undefined ? "–" : `${x.toFixed(2)}×`);
      lines.push(
        `  - ${VARIANT_LABEL[variant]} over the seeds' baseline in the same run ([ratios](docs/BENCHMARKS.md#${tier}-tier-ours-over-the-seeds-baseline-same-run); targets ≥ ${TARGET.ceiling.toFixed(1)}× and ≤ ${TARGET.cpuPer10k}×): ` +
          rows
            .map(
              (r) =>
                `${r.signal} ceiling ${ratio(r.ceilingRatio)} (throughput at the same load ${ratio(r.throughput?.ratio)}), CPU per 10k/s ${ratio(r.cpu?.ratio)}`,
            )
            .join("; ") +
          ".",
      );
    }
  }
  lines.push(README_END);
  return lines.join("\n");
}

export function renderReport(): string {
  const all = loadRuns();
  const previous = fs.existsSync(DOC) ? fs.readFileSync(DOC, "utf8") : "";
  const pairs = keptSection(previous, PAIRS_BEGIN, PAIRS_END);
  const runs = shownRuns(all);
  const out: string[] = ["# Benchmarks", ""];
  if (runs.length === 0) {
    out.push("No run saved yet: `npm run bench`.");
  } else {
    const newest = runs.at(-1)!;
    out.push(
      `Generated by \`npm run bench\` (\`bench/run.ts\`, rendered by \`bench/report.ts\`) from the saved runs in \`bench/results/\`: each tier's two newest (a run measures the tiers \`BENCH_TIERS\` names), ${runs.length} run${runs.length > 1 ? "s" : ""} in all. Every figure below is read from those files; rerun to refresh.`,
      "",
      "## Runs and machine",
      "",
      "| | " + runs.map((_, i) => `run ${i + 1}`).join(" | ") + " |",
      "|---|" + runs.map(() => "---").join("|") + "|",
      `| started | ${runs.map((r) => r.started).join(" | ")} |`,
      `| commit | ${runs.map((r) => r.commit).join(" | ")} |`,
      `| waited for a quiet machine (1-min load < 0.8) | ${runs.map((r) => (r.quietWait ? `${r.quietWait.waitedS} s (load then ${r.quietWait.load})` : "not asked")).join(" | ")} |`,
      `| 1-min load average at start / end | ${runs.map((r) => `${r.loadAtStart} / ${r.loadAtEnd}`).join(" | ")} |`,
      `| runtime | ${runs.map((r) => `${fmt(r.runtimeS / 60, 1)} min`).join(" | ")} |`,
      `| ceiling search; span clients | ${runs.map(methodOf).join(" | ")} |`,
      `| CPUs / model | ${runs.map((r) => `${r.machine.cpus} × ${r.machine.model}`).join(" | ")} |`,
      `| memory / kernel | ${runs.map((r) => `${fmt(r.machine.memoryMb)} MB / ${r.machine.kernel}`).join(" | ")} |`,
      ...Object.keys(newest.versions).map((k) => `| ${k} | ${runs.map((r) => `\`${r.versions[k]}\``).join(" | ")} |`),
      `| events | ${runs.map((r) => (r.events.length ? r.events.join("; ") : "none")).join(" | ")} |`,
      "",
      "## Method",
      "",
      "- Local processes on 127.0.0.1, sharing the machine's cores with the load generator: VictoriaMetrics, Jaeger v2 (memory store) and VictoriaLogs with the flags/config the program plans (runs before 2026-12-05 used Loki); the collector with the tier's config, inside a cgroup-v1 memory cgroup limited to the tier's container limit (no swap) and, from 2026-12-06, a CFS CPU quota of the tier's `limits.cpus.collector` cores (the container's `--cpus`; earlier runs had no CPU quota). The collector runs a fresh copy of its binary, dropped from the page cache before the start, so the binary's pages are charged to its cgroup when it reads them, as a container's are (see *Memory* below).",
      `- **ours** = the config \`configs/collector.ts\` renders for the tier (persistent queue, WAL, exporter-side batching, \`GOMEMLIMIT\` and memory_limiter from the limit less ${COLLECTOR_NON_HEAP_MB} MB for the binary's pages, \`memoryLimits\`; from 2026-12-07 also \`GOGC=${COLLECTOR_GOGC}\` with the limiter forcing a GC at its soft limit before it refuses, \`memoryLimiterConfig\`). ` +
        "**ours, persistentQueue false** = the same rendered config with `collector.persistentQueue: false` (in-memory sending queues, no remote-write WAL): what durability costs, as its own row. " +
        `**baseline** = the seeds' config (\`bench/baseline.ts\`): \`batch\` ${BASELINE.batch.timeout} / ${BASELINE.batch.send_batch_size}, memory_limiter ${BASELINE.memoryLimiter.limit_percentage} % / ${BASELINE.memoryLimiter.spike_limit_percentage} % of the cgroup limit, in-memory queues, exporter defaults, no \`GOMEMLIMIT\`, same backends.`,
      `- Load: \`telemetrygen\` over OTLP/gRPC, rate-limited at ≤ 250 items/s per worker (many clients; metric and log workers send 100 records per synchronous request, span workers go through the SDK batch processor, whose exporter sends its 100-span requests one after another: one telemetrygen process per ${fmt(SPANS_PER_CLIENT)} spans/s, as services each run their own SDK; earlier runs put every span worker in one process, which measured that one exporter's round trips: see *ceiling search; span clients* above). Metrics: gauges with route/method/status attributes; traces: traces of ${SPANS_PER_TRACE} spans; logs: one-line records. Each step runs ${newest.stepS} s.`,
      "- A step **holds** when nothing was refused (`otelcol_receiver_refused_*`), no export failed (telemetrygen), no exporter dropped anything (`send_failed`/`enqueue_failed`), everything telemetrygen generated was accepted, ≥ 80 % of the asked rate got through (the clients wait for each acknowledgement, so a slowly answering collector lowers the rate), and within 30 s the backend's own counter covered everything accepted: VictoriaMetrics `vm_rows_inserted_total` ≥ accepted data points (each point is ≥ 1 row), Jaeger's `otelcol_receiver_accepted_spans` = accepted spans, VictoriaLogs' `vl_rows_ingested_total{type=~\"opentelemetry.*\"}` = accepted records (v1.52 labels OTLP protobuf rows `opentelemetry_protobuf`) (Loki's `loki_distributor_lines_received_total` in runs before 2026-12-05).",
      `- **Ceiling**: from a start rate, double until the first step that does not hold, then bisect ${times(CEILING_BISECTIONS)} between the highest rate that held and the lowest that failed above it (earlier runs: once); the ceiling is the highest step that held. The configs **take turns**: all of them are up, each with its own backends, and in every round each config whose search is not done takes its next step, the order rotating by round, so each config's steps are within a minute of the others' and drift on the shared machine falls on all of them alike (runs before 2026-12-07 searched one config after another, minutes apart, and the baseline's own metrics ceiling moved 49,005 → 64,610 between two of them). A **near miss** is tried once more at the same rate, and the rate holds if that second try holds: the collector refused, dropped and lost nothing, and only the clients fell short (items generated but never accepted ≤ 2 % of them, ≥ 75 % of the asked rate through). The generator, the backends and the collector share 2 cores, and at 40,000 spans/s the same config lost 0 or thousands of spans in repeated steps, the baseline as well as ours. Both tries are in the step tables. CPU = the collector's user+system time over the step; peak memory = the cgroup's \`max_usage_in_bytes\` over the step (what the container limit counts).`,
      "- **Exact witnesses** (JS SDK, `bench/probes.ts`): acknowledged = the SDK's exporter got a success; stored = the point (series, timestamp) is in VictoriaMetrics' export API / the span id is returned by Jaeger. Used for the emit→queryable delay (30 probes, 300 ms apart, polled every 100 ms), the overload and the outage steps.",
      "",
    );
    out.push(...ratiosSection(all, "small"), ...(pairs ? [pairs, ""] : []), ...tiersSection(all));
    for (const tier of TIERS) {
      const withTier = runsOfTier(all, tier);
      if (withTier.length === 0) continue;
      const newest = withTier.at(-1)!;
      out.push(
        `## ${tier} tier: ceilings`,
        "",
        `${withTier.length === 1 ? "One run" : "Two runs side by side"}; ${tier === "small" ? "" : "ours only unless the run was asked for more configs (`BENCH_OTHER_VARIANTS`); "}each config in the collector container's limits.`,
        "",
      );
      out.push(
        "| signal | " +
          withTier.map((_, i) => `run ${i + 1}: ours (highest zero-loss rate; first failing step)`).join(" | ") +
          " | ours: % of a core per 10k/s at the ceiling | ours: cgroup peak at the ceiling (MB) |",
        "|---|" + withTier.map(() => "---").join("|") + "|---:|---:|",
      );
      for (const s of SIGNALS) {
        const c = newest.tiers[tier]!.ours.ceilings[s].best;
        out.push(
          `| ${s} (${UNIT[s]}) | ${withTier.map((r) => ceilingCell(r.tiers[tier]!.ours.ceilings[s])).join(" | ")} | ${fmt(c?.cpuPctPer10k, 1)} | ${fmt(c?.memory.peakMb, 1)} |`,
        );
      }
      const traces = newest.tiers[tier]!.ours.ceilings.traces.best;
      out.push(
        "",
        `Compared with the collector testbed's published figure (${fmt(TESTBED.spansPerSec)} spans/s at ~${TESTBED.cpuPctOfCore} % of a core, ${TESTBED.memoryMiB} MiB): ours used ${fmt(traces?.cpuPctPer10k, 1)} % of a core per 10k spans/s and peaked at ${fmt(traces?.memory.peakMb, 1)} MB (cgroup, binary page cache included) at its traces ceiling. The testbed's collector has no persistent queue and does not share its cores with the load generator and three backends.`,
        "",
      );
      // Overload
      out.push("### Overload: ~2× the metrics ceiling for 30 s from the ceiling step's own clients, then ½", "");
      out.push("| | " + withTier.map((_, i) => `run ${i + 1}`).join(" | ") + " |", "|---|" + withTier.map(() => "---").join("|") + "|");
      const ov = (r: RunResult) => r.tiers[tier]!.ours.overload;
      const row = (label: string, f: (o: Overload) => string) =>
        out.push(`| ${label} | ${withTier.map((r) => (ov(r) ? f(ov(r)!) : "not run (no ceiling)")).join(" | ")} |`);
      row("offered high / low (data points/s)", (o) => `${fmt(o.highRate)} / ${fmt(o.lowRate)}`);
      row("accepted during the high phase (/s)", (o) => fmt(o.high.acceptedPerSec));
      row("refused during the high phase (backpressure)", (o) => fmt(o.high.refused));
      row("refused after the drop, per second", (o) =>
        o.refusedPerSecondAfterDrop.map((x) => (Number.isFinite(x) ? String(x) : "–")).join(" "),
      );
      row("recovery: seconds until 5 s without refusals at the low rate", (o) =>
        o.recoveryS === undefined ? "**did not recover**" : `**${o.recoveryS} s**`,
      );
      row("collector restarted before counting (dead or wedged after the low phase)", (o) =>
        o.restarted === undefined ? "not checked (counted while it was down)" : o.restarted ? "yes" : "no",
      );
      row("witness acknowledged / **acknowledged but lost**", (o) => `${fmt(o.witness.acked)} / **${fmt(o.witness.ackedButLost)}**`);
      row(
        "cgroup peak / anon / page cache during the high phase (MB)",
        (o) => `${fmt(o.high.memory.peakMb, 1)} / ${fmt(o.memoryDuringHigh.rssMb, 1)} / ${fmt(o.memoryDuringHigh.cacheMb, 1)}`,
      );
      row("major faults in the high phase; OOM kills in the run", (o) => `${fmt(o.high.majorFaults)}; ${o.oomKills}`);
      out.push("");
      // Outage, both runs
      out.push("### 30 s VictoriaMetrics outage (both runs)", "");
      out.push("| | " + withTier.map((_, i) => `run ${i + 1}`).join(" | ") + " |", "|---|" + withTier.map(() => "---").join("|") + "|");
      for (const v of VARIANT_ORDER) {
        if (!withTier.some((r) => variantOf(r.tiers[tier]!, v))) continue;
        const cell = (r: RunResult) => {
          const o = variantOf(r.tiers[tier]!, v)?.outage;
          if (!o) return "not run";
          const wedged = r.events.some((e) => e.startsWith(`${v} collector`) && e.includes("after the outage step"));
          return `${fmt(o.witness.acked)} acknowledged, **${fmt(o.witness.ackedButLost)}** not in VictoriaMetrics ${wedged ? "60 s after it came back (the collector was wedged then: see events)" : "after settling"}`;
        };
        out.push(`| ${VARIANT_LABEL[v]}: JS witness points | ${withTier.map(cell).join(" | ")} |`);
      }
      out.push("");
      // Memory
      const t = newest.tiers[tier]!;
      out.push(
        "### Memory: what the collector's cgroup counts",
        "",
        `- The collector binary is ${fmt(t.pageCache.binaryMb, 0)} MB. Idle, same config: **${fmt(t.pageCache.notCharged.usageMb, 1)} MB** when it executes the shared binary whose pages were (partly) cached by earlier readers (anon ${fmt(t.pageCache.notCharged.rssMb, 1)}, cache ${fmt(t.pageCache.notCharged.cacheMb, 1)}), **${fmt(t.pageCache.charged.usageMb, 1)} MB** when it executes a fresh uncached copy, read first from inside its cgroup (anon ${fmt(t.pageCache.charged.rssMb, 1)}, cache ${fmt(t.pageCache.charged.cacheMb, 1)}, of which mapped ${fmt(t.pageCache.charged.mappedFileMb, 1)}). ` +
          (t.pageCache.charged.cacheMb > 0.5 * t.pageCache.binaryMb
            ? "Either way the cgroup counts the page cache of the binary the collector reads (page cache is charged to the cgroup that first reads it, as for a container: the deploy section below shows the same gap between `docker stats`, which leaves cache out, and the cgroup); idle, the small tier's collector already sits at its limit, and every MB the heap takes must be taken from the binary's cached pages."
            : "In this run the binary's pages were not charged to the cgroup."),
        `- ${memoryVerdict(
          t.limitMb,
          t.ours.overload,
          SIGNALS.flatMap((s) => t.ours.ceilings[s].steps),
        )}${scottyVerdict(t.limitMb, t.ours.scotty)}`,
        "",
      );
      // Scotty
      const sc = t.ours.scotty;
      const carried = [...sc].filter((s) => s.ok).pop();
      const histograms = SCOTTY_INSTRUMENTS.filter(([, k]) => k === "histogram").length;
      out.push(
        "### Scotty's shape",
        "",
        `Scotty's ${SCOTTY_INSTRUMENTS.length} instruments (factorial-io/scotty \`scotty/src/metrics/instruments.rs\`; ${histograms} histograms; HTTP metrics labelled method × route × status, here ${HTTP.methods.length} × ${HTTP.routes} × ${HTTP.statuses.length}; apps by 4 statuses; rate limits by 2 tiers × 2 decisions) are ${SCOTTY_POINTS_PER_EXPORT} OTLP data points and ${SCOTTY_ROWS_PER_EXPORT} VictoriaMetrics rows per export, every ${SCOTTY_EXPORT_INTERVAL_MS / 1000} s per instance (its PeriodicReader interval). Each step runs N instances (JS SDK, one MeterProvider each, spread over the interval) for 3 intervals; it holds when every export was acknowledged, nothing refused, and VictoriaMetrics holds exactly the expected rows.`,
        "",
        scottyTable(sc),
        "",
        carried
          ? `**A ${tier} tier (collector ${t.limitMb} MB) carries ${carried.instances} Scotty instances**${carried === sc.at(-1) ? " (the largest step run; more may fit)" : ""} in this run.`
          : `No Scotty step held on the ${tier} tier (collector ${t.limitMb} MB) in this run.`,
        "",
      );
      // A run's Scotty-only steps on another tier (BENCH_MEDIUM): in that tier's section when they are
      // newer than its ceilings, in the first tier's when that tier has no ceilings yet.
      const otherRun = [...all]
        .reverse()
        .find((r) =>
          r.scottyOtherTier?.tier === tier
            ? r.started > newest.started
            : r.scottyOtherTier !== undefined &&
              tier === TIERS.find((x) => runsOfTier(all, x).length > 0) &&
              runsOfTier(all, r.scottyOtherTier.tier).length === 0,
        );
      const other = otherRun?.scottyOtherTier;
      if (other) {
        const held = other.steps.filter((s) => s.ok).pop();
        out.push(
          `The same steps on the **${other.tier}** tier's collector (run of ${otherRun!.started}; ${other.limitMb} MB, ours; idle ${fmt(other.idle.usageMb, 1)} MB in its cgroup; load average ${other.loadBefore} before, ${other.loadAfter} after):`,
          "",
          scottyTable(other.steps),
          "",
          held
            ? `**A ${other.tier} tier carries ${held.instances} Scotty instances**${held === other.steps.at(-1) ? " (the largest step run; more may fit)" : ""}.`
            : `No Scotty step held on the ${other.tier} tier.`,
          "",
        );
      }
      out.push(variantSection(newest, tier), "");
    }
    out.push(
      "## Caveats",
      "",
      "- The load generator, the JS witnesses and three backends share the same cores with the collector: a ceiling here is the stack's on this machine, and a failing step may be limited by the generator or a backend (its reason column says which counter moved).",
      "- The metrics check is one-sided (rows ≥ points): a loss smaller than the rows the self-scrape's histograms add could hide in the bulk count; the exact witnesses cover that in the overload and outage steps.",
      "- Jaeger's memory store and the logs backend run without a memory limit here; the deployed stack's limits are in the section below.",
      "",
    );
  }
  const kept = [
    keptSection(previous, DEPLOY_BEGIN, DEPLOY_END),
    keptSection(previous, SPANMETRICS_BEGIN, SPANMETRICS_END),
    keptSection(previous, PROFILE_BEGIN, PROFILE_END),
    keptSection(previous, SWARM_BEGIN, SWARM_END),
  ];
  fs.writeFileSync(DOC, `${out.join("\n").trimEnd()}\n${kept.flatMap((section) => (section ? [`\n${section}\n`] : [])).join("")}`);
  const readme = fs.readFileSync(README, "utf8");
  const a = readme.indexOf(README_BEGIN);
  const b = readme.indexOf(README_END);
  if (a >= 0 && b > a) fs.writeFileSync(README, readme.slice(0, a) + readmeClaims(all) + readme.slice(b + README_END.length));
  return DOC;
}
