/**
 * `npm run bench:spanmetrics` (tsx bench/span-metrics.ts): what traces.spanMetrics costs the
 * collector. The same span load (telemetrygen, BENCH_SPANMETRICS_RATE spans/s, default 10,000, for
 * BENCH_STEP_S seconds, default 30) through our rendered collector with the span_metrics connector
 * on and off, alternated (off, on, off, on, … BENCH_SPANMETRICS_ROUNDS rounds, default 2) in one run
 * so both see the same machine; the collector runs in its small-tier memory cgroup as in the main
 * benchmark (bench/lib/components.ts), with fresh backends per step.
 *
 * Each step is scored by the main benchmark's loadStep (bench/steps.ts): collector CPU from
 * /proc/<pid>/stat over the load, in % of one core per 10k spans/s accepted; every span must be
 * accepted and reach Jaeger. With the connector on, the step also checks that it did the work: the
 * calls counters in VictoriaMetrics add up to the spans accepted.
 *
 * The result is saved to bench/results/spanmetrics-<start>.json and written into docs/BENCHMARKS.md
 * between its markers (bench/report.ts keeps that section when it re-renders the rest).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { SPAN_LABELS, SPAN_METRIC_NAMES } from "../dashboards";
import { TIERS, backendBinary, kindsOf } from "../settings";
import { startBackends, startCollectorProcess, type CollectorSpec } from "./lib/components";
import { promQuery, runBench, sleep, waitFor } from "./lib/harness";
import { load1, sh } from "./lib/measure";
import { saveJson, withSection } from "./lib/results";
import { loopbackStack } from "./lib/stack";
import { RESULTS_DIR, SPANMETRICS_BEGIN, SPANMETRICS_END } from "./report";
import { loadStep, type Ctx, type StepResult } from "./steps";

const RATE = Number(process.env.BENCH_SPANMETRICS_RATE ?? 10_000);
const STEP_S = Number(process.env.BENCH_STEP_S ?? 30);
const ROUNDS = Number(process.env.BENCH_SPANMETRICS_ROUNDS ?? 2);
const TIER = "small" as const;
const DOC = path.resolve(__dirname, "..", "docs", "BENCHMARKS.md");
/** The main benchmark's backends (bench/lib/components.ts) include a logs backend: the first one the real tiers run. */
const LOGS_KIND = kindsOf("logs").find((kind) => backendBinary(kind) !== undefined);

const started = Date.now();
const log = (msg: string) => console.log(`[bench:spanmetrics +${((Date.now() - started) / 1000).toFixed(0)}s] ${msg}`);

interface Step {
  spanMetrics: boolean;
  round: number;
  step: StepResult;
  /** Connector on: spans its calls counters counted for this step's service (must equal the spans accepted). */
  counted?: number;
  /** Connector on: the span-metric series this step's service created in VictoriaMetrics. */
  series?: number;
  loadBefore: number;
}

interface SpanMetricsRun {
  started: string;
  commit: string;
  machine: { cpus: number; model: string; memoryMb: number };
  otelcol: string;
  rate: number;
  stepS: number;
  tier: string;
  limitMb: number;
  steps: Step[];
  loadAtStart: number;
  loadAtEnd: number;
  /** Other processes' CPU on the machine while the run lasted: the load average says how busy it was. */
  runtimeS: number;
}

/** One step: fresh backends, our collector with the connector on or off, the load, the checks. */
async function runStep(spanMetrics: boolean, round: number): Promise<Step> {
  if (!LOGS_KIND)
    throw new Error("no logs backend has a binary the tiers run (settings/components.json): the benchmark's backends need one");
  const loadBefore = load1();
  const stack = await loopbackStack({
    tier: TIER,
    traces: { storage: "memory", spanMetrics: { enabled: spanMetrics } },
    logs: { backend: LOGS_KIND, retention: "7d" },
  });
  const rendered = fs.readFileSync(stack.collectorConfigPath, "utf8");
  if (rendered.includes("span_metrics") !== spanMetrics)
    throw new Error(`the rendered collector config does not match spanMetrics=${spanMetrics}`);
  const backends = await startBackends(stack);
  const spec: CollectorSpec = {
    variant: "ours",
    configPath: stack.collectorConfigPath,
    ports: stack.collectorPorts,
    limitMb: stack.plan.collector.memoryMb,
    env: stack.plan.collector.env,
    chargeBinary: true,
  };
  const ctx: Ctx = {
    collector: await startCollectorProcess(spec),
    backends,
    events: [],
    log,
    stepS: STEP_S,
    restartCollector: async () => {
      throw new Error("the collector died during the span-metrics step");
    },
  };
  try {
    const step = await loadStep(ctx, "traces", RATE, STEP_S);
    if (!step.ok) throw new Error(`spanMetrics=${spanMetrics} round ${round}: the step failed (${step.why}); lower BENCH_SPANMETRICS_RATE`);
    if (!spanMetrics) return { spanMetrics, round, step, loadBefore };
    // The connector flushes every 15 s: wait until the calls of this step's service add up.
    const service = `${SPAN_LABELS.service}=~"bench-ours-traces-.+"`;
    const counted = await waitFor(
      "span metrics of the step in VictoriaMetrics",
      async () => {
        const sum = Number((await promQuery(stack.metricsUrl, `sum(${SPAN_METRIC_NAMES.calls}{${service}})`))[0]?.value[1] ?? 0);
        return sum >= step.accepted ? sum : undefined;
      },
      60_000,
      2_000,
    ).catch(async () => Number((await promQuery(stack.metricsUrl, `sum(${SPAN_METRIC_NAMES.calls}{${service}})`))[0]?.value[1] ?? 0));
    const series = Number(
      (await promQuery(stack.metricsUrl, `count({__name__=~"${SPAN_METRIC_NAMES.calls}|${SPAN_METRIC_NAMES.duration}_.+", ${service}})`))[0]
        ?.value[1] ?? 0,
    );
    if (counted !== step.accepted) throw new Error(`the connector counted ${counted} spans of ${step.accepted} accepted`);
    return { spanMetrics, round, step, counted, series, loadBefore };
  } finally {
    await ctx.collector.stop();
    await backends.stop();
    for (const dir of [stack.queueDir, path.dirname(stack.collectorConfigPath)]) fs.rmSync(dir, { recursive: true, force: true });
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const fmt = (value: number, digits = 1) => value.toFixed(digits);

/** The docs section: every figure from the run's file. */
export function renderSection(run: SpanMetricsRun): string {
  const of = (on: boolean) => run.steps.filter((s) => s.spanMetrics === on);
  const cpu = (on: boolean) => median(of(on).map((s) => s.step.cpuPctPer10k));
  const peak = (on: boolean) => median(of(on).map((s) => s.step.memory.peakMb));
  const [off, on] = [cpu(false), cpu(true)];
  const series = of(true).map((s) => s.series ?? 0);
  const lines = [
    SPANMETRICS_BEGIN,
    "## Span metrics: collector CPU with the span_metrics connector on and off",
    "",
    `\`npm run bench:spanmetrics\` (bench/span-metrics.ts), run of ${run.started} at commit ${run.commit}: ${fmt(run.rate, 0)} spans/s ` +
      `(telemetrygen, traces of 50 spans) for ${run.stepS} s per step into our rendered collector (${run.tier} tier, ${run.limitMb} MB cgroup), ` +
      `\`traces.spanMetrics.enabled\` off and on alternated ${run.steps.length / 2} times in the same run, fresh backends per step. ` +
      `CPU is the collector's (user + system, /proc) over the load, in % of one core per 10k spans/s accepted. ` +
      `**The machine was shared** (${run.machine.cpus} cores, ${run.machine.model}; other work ran beside it: load average ${fmt(run.loadAtStart, 2)} at the start, ` +
      `${fmt(run.loadAtEnd, 2)} at the end), so read the ratio of the medians, measured side by side, rather than either absolute figure.`,
    "",
    "| step | span metrics | spans/s accepted | collector CPU (% of a core) | per 10k spans/s | peak cgroup MB | spans the connector counted | span-metric series | load avg before |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ...run.steps.map(
      (s, i) =>
        `| ${i + 1} | ${s.spanMetrics ? "on" : "off"} | ${s.step.acceptedPerSec.toLocaleString("en-US")} | ${fmt(s.step.cpuPct)} | ${fmt(s.step.cpuPctPer10k)} | ${fmt(s.step.memory.peakMb, 0)} | ${s.counted === undefined ? "—" : `${s.counted.toLocaleString("en-US")} of ${s.step.accepted.toLocaleString("en-US")}`} | ${s.series ?? "—"} | ${fmt(s.loadBefore, 2)} |`,
    ),
    "",
    `**Cost:** median ${fmt(off)} % of a core per 10k spans/s off, ${fmt(on)} % on: the connector adds ${fmt(on - off)} percentage points ` +
      `per 10k spans/s, **×${fmt(on / off, 2)}** the collector's CPU for the same spans. Peak cgroup memory (median) ${fmt(peak(false), 0)} MB off, ${fmt(peak(true), 0)} MB on. ` +
      `With it on, every accepted span was counted (calls counters in VictoriaMetrics = spans accepted), in ${median(series)} series per step ` +
      "(one service, telemetrygen's span names, one status).",
    "",
    SPANMETRICS_END,
  ];
  return lines.join("\n");
}

function writeSection(run: SpanMetricsRun): void {
  fs.writeFileSync(DOC, withSection(fs.readFileSync(DOC, "utf8"), SPANMETRICS_BEGIN, SPANMETRICS_END, renderSection(run)));
}

async function main(): Promise<void> {
  const run: SpanMetricsRun = {
    started: new Date(started).toISOString(),
    commit: sh("git describe --always --dirty --abbrev=7"), // "-dirty": uncommitted changes were measured
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? "n/a", memoryMb: Math.round(os.totalmem() / 2 ** 20) },
    otelcol: sh(`cat ${path.join(process.env.TOOLS_DIR ?? path.resolve(__dirname, "..", ".tools"), "bin", "otelcol.version")}`),
    rate: RATE,
    stepS: STEP_S,
    tier: TIER,
    limitMb: TIERS[TIER].memoryMb.collector,
    steps: [],
    loadAtStart: load1(),
    loadAtEnd: 0,
    runtimeS: 0,
  };
  for (let round = 1; round <= ROUNDS; round++) {
    for (const spanMetrics of [false, true]) {
      log(`round ${round}: span metrics ${spanMetrics ? "on" : "off"}, ${RATE} spans/s for ${STEP_S} s`);
      const step = await runStep(spanMetrics, round);
      log(
        `round ${round} ${spanMetrics ? "on" : "off"}: cpu ${fmt(step.step.cpuPct)}% (${fmt(step.step.cpuPctPer10k)}% per 10k spans/s), peak ${fmt(step.step.memory.peakMb, 0)} MB` +
          (step.counted === undefined ? "" : `, counted ${step.counted} of ${step.step.accepted}, ${step.series} series`),
      );
      run.steps.push(step);
      await sleep(2_000);
    }
  }
  run.loadAtEnd = load1();
  run.runtimeS = Math.round((Date.now() - started) / 1000);
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `spanmetrics-${run.started.replace(/[:.]/g, "-")}.json`);
  await saveJson(file, run);
  log(`saved ${path.relative(process.cwd(), file)}`);
  writeSection(run);
  log(`wrote ${path.relative(process.cwd(), DOC)}`);
}

if (require.main === module) runBench(main);
