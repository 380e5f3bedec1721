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
 * (bench/report.ts keeps that section, below the ratio table, when it re-renders the rest) with the
 * newest run whole, the pairs of every run with the same configs pooled (a single run moves with the
 * host's state), and every run's ratios side by side. BENCH_PAIRS_REPORT_ONLY=1 only re-renders it.
 */
import { createHash } from "node:crypto";
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
  /**
   * Each config's fingerprint (configFingerprint): runs with the same collector build and the same two
   * fingerprints are pooled. Runs before it was recorded have none and pool with nothing.
   */
  configs?: Partial<Record<Variant, string>>;
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

/**
 * A collector config, without what differs from one bring-up to the next (loopback ports, temp
 * directories), and its environment: the same fingerprint, the same config.
 */
export function configFingerprint(configYaml: string, env: NodeJS.ProcessEnv = {}): string {
  const normalised = configYaml
    .replace(/127\.0\.0\.1:\d+/g, "127.0.0.1:PORT")
    .replace(/^(\s*port:\s*)\d+$/gm, "$1PORT")
    .replace(/(obs-[a-z0-9-]+?)-[A-Za-z0-9]{6}(?=\/|$)/gm, "$1");
  const environment = Object.keys(env)
    .sort()
    .map((k) => `${k}=${env[k]}`)
    .join("\n");
  return createHash("sha256").update(`${normalised}\n--\n${environment}`).digest("hex").slice(0, 12);
}

/** Runs pool when they ran the same collector build and the same two configs. */
export function poolKey(run: PairsRun): string | undefined {
  const [judged, against] = PAIR;
  const [a, b] = [run.configs?.[judged], run.configs?.[against]];
  return a && b ? `${run.otelcol} ${a} ${b}` : undefined;
}

/** The newest run and, newest first, the earlier runs with its key, as many as one 95 % interval takes. */
export function poolFor(runs: PairsRun[]): PairsRun[] {
  const newest = runs.at(-1);
  if (!newest) return [];
  const key = poolKey(newest);
  if (key === undefined) return [newest];
  const pool: PairsRun[] = [];
  let rounds = 0;
  for (const run of [...runs].reverse()) {
    if (poolKey(run) !== key) continue;
    if (rounds + run.rounds > INTERVAL_VALUES.max) break;
    pool.push(run);
    rounds += run.rounds;
  }
  return pool;
}

/** One signal's steps of several runs, rounds numbered on across them (pairs stay within their run). */
export function pooledSteps(pool: PairsRun[], signal: Signal): PairStep[] {
  let offset = 0;
  return pool.flatMap((run) => {
    const steps = run.steps[signal].map((s) => ({ ...s, round: offset + s.round }));
    offset += run.rounds;
    return steps;
  });
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

/** The summary table's rows: one per signal. */
function summaryTable(summaries: (PairSummary & { rates: string; pairs: string })[]): string[] {
  const [judged, against] = PAIR;
  return [
    `| signal | rate offered | held: ${VARIANT_LABEL[judged]} / baseline | accepted/s, mean: ${VARIANT_LABEL[judged]} / baseline | throughput ratio (95 % interval) | target ≥ ${TARGET.ceiling.toFixed(1)}× | CPU per 10k/s, mean: ${VARIANT_LABEL[judged]} / baseline | CPU ratio (95 % interval) | target ≤ ${TARGET.cpuPer10k}× |`,
    "|---|---:|---:|---:|---:|---|---:|---:|---|",
    ...summaries.map(
      (s) =>
        `| ${s.signal} | ${s.rates} | ${s.held[judged]} / ${s.held[against]} of ${s.pairs} | ${n0(s.meanAccepted[judged])} / ${n0(s.meanAccepted[against])} | ${x2(s.throughput)} | ${VERDICT_TEXT[s.throughputVerdict]} | ${s.meanCpuPer10k[judged].toFixed(1)} / ${s.meanCpuPer10k[against].toFixed(1)} | ${x2(s.cpuPer10k)} | ${VERDICT_TEXT[s.cpuVerdict]} |`,
    ),
  ];
}

const incompleteNotes = (summaries: (PairSummary & { incomplete: number[] })[]): string[] =>
  summaries.flatMap((s) =>
    s.incomplete.length
      ? [
          `${s.signal}: round${s.incomplete.length > 1 ? "s" : ""} ${s.incomplete.map((r) => r + 1).join(", ")} left out (a step accepted nothing).`,
          "",
        ]
      : [],
  );

const configsText = (run: PairsRun): string => {
  const [judged, against] = PAIR;
  return run.configs?.[judged] && run.configs[against] ? `\`${run.configs[judged]}\` / \`${run.configs[against]}\`` : "not recorded";
};

/** The docs section: every figure from the runs' files (oldest first; the newest is shown whole). */
export function renderPairsSection(runs: PairsRun[]): string {
  const run = runs.at(-1);
  if (!run) throw new Error("no bench:pairs run to render");
  const [judged, against] = PAIR;
  const summaries = SIGNALS.map((signal) => ({
    ...summarize(signal, run.rates[signal], run.steps[signal]),
    rates: `${n0(run.rates[signal])}/s`,
    pairs: String(run.rounds),
  }));
  const pool = poolFor(runs);
  const pooled = SIGNALS.map((signal) => {
    const steps = pooledSteps(pool, signal);
    const rates = [...new Set(pool.map((r) => r.rates[signal]))].sort((a, b) => a - b);
    return {
      ...summarize(signal, rates[0]!, steps),
      rates: rates.map((r) => `${n0(r)}/s`).join(", "),
      pairs: String(pool.reduce((a, r) => a + r.rounds, 0)),
    };
  });
  const cell = (s: PairSummary) => `${x2(s.throughput)}, ${s.throughputVerdict}; CPU ${x2(s.cpuPer10k)}, ${s.cpuVerdict}`;
  const lines = [
    PAIRS_BEGIN,
    `## small tier: ${VARIANT_LABEL[judged]} against the baseline, repeated at the baseline's ceiling`,
    "",
    `\`npm run bench:pairs\` (bench/pairs.ts), run of ${run.started} at commit ${run.commit}, ${n0(run.runtimeS / 60)} min; 1-min load average ${run.loadAtStart} at the start, ${run.loadAtEnd} at the end; ${run.machine.cpus} × ${run.machine.model}. ` +
      `Both configs up (each with its own backends, ${run.tier} tier, as in \`npm run bench\`); per signal both were offered the **baseline's own ceiling rate** from the \`npm run bench\` run of ${run.source.started} (${run.source.commit}), ${run.rounds} rounds of ${run.stepS} s steps, taking turns in an order that alternates by round. ` +
      `Each round is one pair; the ratios are ${VARIANT_LABEL[judged]} over the baseline within a pair, given as their mean and 95 % interval (t distribution). ` +
      `A target (throughput **≥ ${TARGET.ceiling.toFixed(1)}×**, the ceiling target asked at the baseline's ceiling; CPU per 10k items/s **≤ ${TARGET.cpuPer10k}×**) is met when the whole interval is on its side, not met when the whole interval is on the other, and undecided when the interval holds it: the two configs are then not told apart by ${run.rounds} rounds on this machine.`,
    "",
    ...summaryTable(summaries),
    "",
    ...incompleteNotes(summaries),
    `### Across runs: the pairs of every run with these configs, pooled`,
    "",
    pool.length > 1
      ? `The ${pool.length} newest runs that ran the same collector build (${run.otelcol}) and the same two configs (fingerprints ${configsText(run)}: bench/pairs.ts configFingerprint, the rendered config without its ports and temp paths, plus its environment): ${pool
          .map((r) => r.started)
          .reverse()
          .join(
            ", ",
          )}. Their pairs taken together, each still a pair from one round of one run; a single run moves with the host's state, so this is the verdict to read.`
      : poolKey(run) === undefined
        ? "This run recorded no config fingerprints, so it pools with no other run."
        : `No earlier run ran the same collector build and the same two configs (fingerprints ${configsText(run)}), so there is nothing to pool yet: the verdict is this run's.`,
    "",
    ...(pool.length > 1 ? [...summaryTable(pooled), "", ...incompleteNotes(pooled)] : []),
    "### Every bench:pairs run",
    "",
    `Ratio of ${VARIANT_LABEL[judged]} over the baseline (mean, 95 % interval, verdict), throughput then CPU per 10k items/s. Configs: each config's fingerprint, ${VARIANT_LABEL[judged]} / baseline.`,
    "",
    `| run | commit | configs | rounds | ${SIGNALS.join(" | ")} |`,
    `|---|---|---|---:|${SIGNALS.map(() => "---").join("|")}|`,
    ...runs.map(
      (r) =>
        `| ${r.started} | ${r.commit} | ${configsText(r)} | ${r.rounds} | ${SIGNALS.map((signal) => cell(summarize(signal, r.rates[signal], r.steps[signal]))).join(" | ")} |`,
    ),
    "",
    `Every step of the run of ${run.started} (accepted/s, CPU per 10k/s; FAIL = the step did not hold, with its reason in the results file):`,
    "",
    `| signal | round | ${VARIANT_LABEL[judged]} | baseline | throughput ratio | CPU ratio |`,
    "|---|---:|---|---|---:|---:|",
    ...SIGNALS.flatMap((signal) =>
      [...new Set(run.steps[signal].map((s) => s.round))].map((round) => {
        const of = (v: Variant) => run.steps[signal].find((s) => s.round === round && s.variant === v)?.step;
        const stepCell = (s?: StepResult) => (s ? `${n0(s.acceptedPerSec)}/s, ${s.cpuPctPer10k.toFixed(1)}${s.ok ? "" : " FAIL"}` : "—");
        const [a, b] = [of(judged), of(against)];
        const r = (pick: (s: StepResult) => number) => (a && b ? (pick(a) / pick(b)).toFixed(2) : "—");
        return `| ${signal} | ${round + 1} | ${stepCell(a)} | ${stepCell(b)} | ${r((s) => s.acceptedPerSec)} | ${r((s) => s.cpuPctPer10k)} |`;
      }),
    ),
    "",
    run.events.length ? `Events: ${run.events.join("; ")}.` : "Events: none (no collector died or wedged).",
    "",
    PAIRS_END,
  ];
  return lines.join("\n");
}

/** Every saved bench:pairs run, oldest first. */
export function loadPairsRuns(dir = RESULTS_DIR): PairsRun[] {
  return fs
    .readdirSync(dir)
    .filter((f) => /^pairs-.*\.json$/.test(f))
    .sort()
    .map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")) as PairsRun);
}

function writeSection(runs: PairsRun[]): void {
  // First time: below the ratio table, where bench/report.ts keeps it.
  const doc = withSection(fs.readFileSync(DOC, "utf8"), PAIRS_BEGIN, PAIRS_END, renderPairsSection(runs), "## Tiers compared");
  fs.writeFileSync(DOC, doc);
}

async function main(): Promise<void> {
  if (process.env.BENCH_PAIRS_REPORT_ONLY === "1") {
    writeSection(loadPairsRuns());
    console.log(`wrote ${path.relative(process.cwd(), DOC)} from the saved bench:pairs runs`);
    return;
  }
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
    run.configs = Object.fromEntries(
      runs.map(({ spec }) => [spec.variant, configFingerprint(fs.readFileSync(spec.configPath, "utf8"), spec.env)]),
    );
    log(`config fingerprints: ${JSON.stringify(run.configs)}`);
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
  writeSection(loadPairsRuns());
  log(`wrote ${path.relative(process.cwd(), DOC)}`);
}

if (require.main === module) runBench(main);
