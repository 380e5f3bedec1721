/**
 * `npm run bench:pairs` (tsx bench/pairs.ts): issue 22's targets for the row that prices durability,
 * asked with repeats instead of one search. `npm run bench` finds each config's ceiling once; on these
 * 2 shared cores a step at the top holds or fails on the 80 % line by a few %, so one ceiling ratio can
 * land anywhere between 0.8× and 1.2× for configs that are alike.
 *
 * Here ours with `collector.persistentQueue: false` and the seeds' baseline are both up (each with its
 * own backends, small tier, as in `npm run bench`), and per signal both are offered the same rate,
 * BENCH_PAIRS_ROUNDS times (default 6), taking turns in an order that alternates by round. The rate is
 * the baseline's own ceiling rate in the newest `npm run bench` run: can the config carry what the
 * baseline carries? Each round gives one pair, scored by the main bench's loadStep; the ratios of the
 * pairs (accepted/s, collector CPU per 10k items/s accepted) get a mean and a 95 % interval, and a
 * target is met only when the whole interval is on its side (bench/lib/stats.ts).
 *
 * Saved to bench/results/pairs-<start>.json; written into docs/BENCHMARKS.md between its markers
 * (bench/report.ts keeps that section, below the ratio table, when it re-renders the rest).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { TierName } from "../settings";
import { bringUp, type Running } from "./lib/bring-up";
import type { Variant } from "./lib/components";
import { runBench } from "./lib/harness";
import type { Signal } from "./lib/load";
import { load1, machineInfo, sh } from "./lib/measure";
import { turns } from "./lib/search";
import { saveJson, withSection } from "./lib/results";
import { INTERVAL_VALUES, meanInterval, verdict, type Interval, type Verdict } from "./lib/stats";
import { loadRuns, PAIRS_BEGIN, PAIRS_END, RESULTS_DIR, TARGET, VARIANT_LABEL, type RunResult } from "./report";
import { stepThenRecover, type StepResult } from "./steps";

const ROUNDS = Number(process.env.BENCH_PAIRS_ROUNDS ?? 6);
const STEP_S = Number(process.env.BENCH_STEP_S ?? 10);
const TIER: TierName = "small";
const SIGNALS: Signal[] = ["metrics", "traces", "logs"];
/** The config judged, then the one it is judged against. */
export const PAIR: [Variant, Variant] = ["ours-no-pq", "baseline"];
const DOC = path.resolve(__dirname, "..", "docs", "BENCHMARKS.md");

export interface PairStep {
  round: number;
  variant: Variant;
  step: StepResult;
}

export interface PairsRun {
  started: string;
  commit: string;
  machine: ReturnType<typeof machineInfo>;
  otelcol: string;
  tier: TierName;
  stepS: number;
  rounds: number;
  /** The `npm run bench` run whose baseline ceilings set the rates. */
  source: { started: string; commit: string };
  rates: Record<Signal, number>;
  steps: Record<Signal, PairStep[]>;
  events: string[];
  loadAtStart: number;
  loadAtEnd: number;
  runtimeS: number;
}

/** Per signal: the rate each config is offered, the baseline's highest held rate in the newest run that measured it. */
export function ratesFrom(run: RunResult): Record<Signal, number> {
  const baseline = run.tiers[TIER]?.baseline;
  if (!baseline) throw new Error(`the newest npm run bench run (${run.started}) has no ${TIER}-tier baseline: run npm run bench first`);
  const rate = (signal: Signal) => {
    const best = baseline.ceilings[signal].best;
    if (!best) throw new Error(`run ${run.started}: the baseline held no ${signal} step, so there is no rate to repeat`);
    return best.offered;
  };
  return { metrics: rate("metrics"), traces: rate("traces"), logs: rate("logs") };
}

export interface PairSummary {
  signal: Signal;
  rate: number;
  /** How many of the rounds each config held (bench/steps.ts: nothing lost or refused, ≥ 80 % through). */
  held: Record<Variant, number>;
  meanAccepted: Record<Variant, number>;
  meanCpuPer10k: Record<Variant, number>;
  /** accepted/s of the judged config over the baseline's, pair by pair. */
  throughput: Interval;
  cpuPer10k: Interval;
  throughputVerdict: Verdict;
  cpuVerdict: Verdict;
}

/** Only complete pairs count: a round where either step has no accepted rate (collector died) is left out and said so. */
export function summarize(signal: Signal, rate: number, steps: PairStep[]): PairSummary & { incomplete: number[] } {
  const [judged, against] = PAIR;
  const rounds = [...new Set(steps.map((s) => s.round))].sort((a, b) => a - b);
  const of = (round: number, v: Variant) => steps.find((s) => s.round === round && s.variant === v)?.step;
  const complete = rounds.filter((r) => [judged, against].every((v) => (of(r, v)?.acceptedPerSec ?? 0) > 0));
  const ratio = (pick: (s: StepResult) => number) => complete.map((r) => pick(of(r, judged)!) / pick(of(r, against)!));
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const per = <T>(f: (v: Variant) => T) => ({ [judged]: f(judged), [against]: f(against) }) as Record<Variant, T>;
  const throughput = meanInterval(ratio((s) => s.acceptedPerSec));
  const cpuPer10k = meanInterval(ratio((s) => s.cpuPctPer10k));
  return {
    signal,
    rate,
    held: per((v) => steps.filter((s) => s.variant === v && s.step.ok).length),
    meanAccepted: per((v) => mean(complete.map((r) => of(r, v)!.acceptedPerSec))),
    meanCpuPer10k: per((v) => mean(complete.map((r) => of(r, v)!.cpuPctPer10k))),
    throughput,
    cpuPer10k,
    throughputVerdict: verdict(throughput, { atLeast: TARGET.ceiling }),
    cpuVerdict: verdict(cpuPer10k, { atMost: TARGET.cpuPer10k }),
    incomplete: rounds.filter((r) => !complete.includes(r)),
  };
}

const n0 = (x: number) => Math.round(x).toLocaleString("en-US");
const x2 = (i: Interval) => `**${i.mean.toFixed(2)}×** (${i.low.toFixed(2)}–${i.high.toFixed(2)})`;
const VERDICT_TEXT: Record<Verdict, string> = {
  met: "met",
  "not met": "**not met**",
  undecided: "undecided (the interval holds the target)",
};

/** The docs section: every figure from the run's file. */
export function renderPairsSection(run: PairsRun): string {
  const [judged, against] = PAIR;
  const summaries = SIGNALS.map((signal) => summarize(signal, run.rates[signal], run.steps[signal]));
  const lines = [
    PAIRS_BEGIN,
    `## small tier: ${VARIANT_LABEL[judged]} against the baseline, repeated at the baseline's ceiling`,
    "",
    `\`npm run bench:pairs\` (bench/pairs.ts), run of ${run.started} at commit ${run.commit}, ${n0(run.runtimeS / 60)} min; 1-min load average ${run.loadAtStart} at the start, ${run.loadAtEnd} at the end; ${run.machine.cpus} × ${run.machine.model}. ` +
      `Both configs up (each with its own backends, ${run.tier} tier, as in \`npm run bench\`); per signal both were offered the **baseline's own ceiling rate** from the \`npm run bench\` run of ${run.source.started} (${run.source.commit}), ${run.rounds} rounds of ${run.stepS} s steps, taking turns in an order that alternates by round. ` +
      `Each round is one pair; the ratios are ${VARIANT_LABEL[judged]} over the baseline within a pair, given as their mean and 95 % interval (t distribution). ` +
      `A target (throughput **≥ ${TARGET.ceiling.toFixed(1)}×**, the ceiling target asked at the baseline's ceiling; CPU per 10k items/s **≤ ${TARGET.cpuPer10k}×**) is met when the whole interval is on its side, not met when the whole interval is on the other, and undecided when the interval holds it: the two configs are then not told apart by ${run.rounds} rounds on this machine.`,
    "",
    `| signal | rate offered | held: ${VARIANT_LABEL[judged]} / baseline | accepted/s, mean: ${VARIANT_LABEL[judged]} / baseline | throughput ratio (95 % interval) | target ≥ ${TARGET.ceiling.toFixed(1)}× | CPU per 10k/s, mean: ${VARIANT_LABEL[judged]} / baseline | CPU ratio (95 % interval) | target ≤ ${TARGET.cpuPer10k}× |`,
    "|---|---:|---:|---:|---:|---|---:|---:|---|",
    ...summaries.map(
      (s) =>
        `| ${s.signal} | ${n0(s.rate)}/s | ${s.held[judged]} / ${s.held[against]} of ${run.rounds} | ${n0(s.meanAccepted[judged])} / ${n0(s.meanAccepted[against])} | ${x2(s.throughput)} | ${VERDICT_TEXT[s.throughputVerdict]} | ${s.meanCpuPer10k[judged].toFixed(1)} / ${s.meanCpuPer10k[against].toFixed(1)} | ${x2(s.cpuPer10k)} | ${VERDICT_TEXT[s.cpuVerdict]} |`,
    ),
    "",
    ...summaries.flatMap((s) =>
      s.incomplete.length
        ? [`${s.signal}: round${s.incomplete.length > 1 ? "s" : ""} ${s.incomplete.join(", ")} left out (a step accepted nothing).`, ""]
        : [],
    ),
    "Every step (accepted/s, CPU per 10k/s; FAIL = the step did not hold, with its reason in the results file):",
    "",
    `| signal | round | ${VARIANT_LABEL[judged]} | baseline | throughput ratio | CPU ratio |`,
    "|---|---:|---|---|---:|---:|",
    ...SIGNALS.flatMap((signal) =>
      [...new Set(run.steps[signal].map((s) => s.round))].map((round) => {
        const of = (v: Variant) => run.steps[signal].find((s) => s.round === round && s.variant === v)?.step;
        const cell = (s?: StepResult) => (s ? `${n0(s.acceptedPerSec)}/s, ${s.cpuPctPer10k.toFixed(1)}${s.ok ? "" : " FAIL"}` : "—");
        const [a, b] = [of(judged), of(against)];
        const r = (pick: (s: StepResult) => number) => (a && b ? (pick(a) / pick(b)).toFixed(2) : "—");
        return `| ${signal} | ${round + 1} | ${cell(a)} | ${cell(b)} | ${r((s) => s.acceptedPerSec)} | ${r((s) => s.cpuPctPer10k)} |`;
      }),
    ),
    "",
    run.events.length ? `Events: ${run.events.join("; ")}.` : "Events: none (no collector died or wedged).",
    "",
    PAIRS_END,
  ];
  return lines.join("\n");
}

function writeSection(run: PairsRun): void {
  // First time: below the ratio table, where bench/report.ts keeps it.
  const doc = withSection(fs.readFileSync(DOC, "utf8"), PAIRS_BEGIN, PAIRS_END, renderPairsSection(run), "## Tiers compared");
  fs.writeFileSync(DOC, doc);
}

async function main(): Promise<void> {
  const started = Date.now();
  const log = (msg: string) => console.log(`[bench:pairs +${((Date.now() - started) / 1000).toFixed(0)}s] ${msg}`);
  const source = loadRuns()
    .filter((r) => r.tiers[TIER]?.baseline)
    .at(-1);
  if (!source) throw new Error(`no saved npm run bench run with a ${TIER}-tier baseline in bench/results: run npm run bench first`);
  const rates = ratesFrom(source);
  const bin = path.join(process.env.TOOLS_DIR ?? path.resolve(__dirname, "..", ".tools"), "bin");
  const events: string[] = [];
  const run: PairsRun = {
    started: new Date(started).toISOString(),
    commit: sh("git describe --always --dirty --abbrev=7"), // "-dirty": uncommitted changes were measured
    machine: machineInfo(),
    otelcol: sh(`cat ${bin}/otelcol.version`),
    tier: TIER,
    stepS: STEP_S,
    rounds: ROUNDS,
    source: { started: source.started, commit: source.commit },
    rates,
    steps: { metrics: [], traces: [], logs: [] },
    events,
    loadAtStart: load1(),
    loadAtEnd: 0,
    runtimeS: 0,
  };
  if (!Number.isInteger(ROUNDS) || ROUNDS < INTERVAL_VALUES.min || ROUNDS > INTERVAL_VALUES.max)
    throw new Error(
      `BENCH_PAIRS_ROUNDS: "${ROUNDS}" is not a round count a 95 % interval is given for; allowed: ${INTERVAL_VALUES.min}–${INTERVAL_VALUES.max}`,
    );
  log(`rates from ${source.started}: ${JSON.stringify(rates)}; ${ROUNDS} rounds`);
  const runs: Running[] = [];
  try {
    for (const variant of PAIR) runs.push(await bringUp({ tier: TIER, variant, events, log, stepS: STEP_S }));
    for (const signal of SIGNALS) {
      for (let round = 0; round < ROUNDS; round++) {
        for (const i of turns(runs.length, round)) {
          const { ctx, spec } = runs[i]!;
          run.steps[signal].push({ round, variant: spec.variant, step: await stepThenRecover(ctx, signal, rates[signal]) });
        }
      }
    }
  } finally {
    for (const r of runs) await r.stop();
  }
  run.loadAtEnd = load1();
  run.runtimeS = Math.round((Date.now() - started) / 1000);
  const file = path.join(RESULTS_DIR, `pairs-${run.started.replace(/[:.]/g, "-")}.json`);
  await saveJson(file, run);
  log(`saved ${path.relative(process.cwd(), file)}`);
  writeSection(run);
  log(`wrote ${path.relative(process.cwd(), DOC)}`);
}

if (require.main === module) runBench(main);
