/**
 * `npm run bench` (tsx bench/run.ts, then bench/deploy.ts and bench/swarm.ts): the collector's ceiling per signal, the
 * overload step, a 30 s backend outage and Scotty's shape, for OUR rendered collector config and the
 * seeds' BASELINE config, side by side, on the small tier (BENCH_TIERS=small,medium for more).
 *
 * Everything runs as local processes on 127.0.0.1 (bench/lib/components.ts): VictoriaMetrics, Jaeger
 * (memory store) and VictoriaLogs as the program plans them, the collector in a memory cgroup with its tier's
 * limit and its binary's page cache charged to it (as in a container). Load: telemetrygen; exact
 * witnesses: the JS SDK (bench/probes.ts).
 *
 * Each run is saved to bench/results/<start>.json; docs/BENCHMARKS.md is then rendered from the two
 * newest runs (bench/report.ts), keeping bench/deploy.ts's section.
 *
 * Env: BENCH_STEP_S (seconds per load step, default 10), BENCH_WAIT_QUIET=1 (wait up to BENCH_WAIT_MAX_S,
 * default 1200 s, for a 1-min load average below 0.8 before starting, polling every 30 s), BENCH_TIERS (default small), BENCH_REPORT_ONLY=1,
 * BENCH_MAX_STEPS (default 5) and BENCH_SCOTTY (instance counts, default 10,25,50,100,200,400,800) for short runs,
 * BENCH_MEDIUM=0 skips the medium tier's Scotty steps (run when medium is not in BENCH_TIERS).
 *
 * Configs per tier: the first tier of BENCH_TIERS runs BENCH_VARIANTS (default ours,ours-no-pq,baseline:
 * ours-no-pq is ours with `collector.persistentQueue: false`, the cost of durability as its own row);
 * the other tiers run BENCH_OTHER_VARIANTS (default ours). Every collector runs in its container's
 * limits: the tier's memory limit and its CPU quota (`limits.cpus.collector` cores, CFS quota). A
 * tier's configs are all up at once, each with its own backends, and their ceiling searches take turns
 * step by step (bench/steps.ts findCeilings); the other steps run one config at a time.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { TIERS, type TierName } from "../settings";
import { bringUp, type Running } from "./lib/bring-up";
import { startBackends, startCollectorProcess, Variant } from "./lib/components";
import { runBench, sleep } from "./lib/harness";
import { SPANS_PER_CLIENT } from "./lib/load";
import { CEILING_BISECTIONS } from "./lib/search";
import { cgroupStat, CgroupStat, load1, machineInfo, percentile, sh } from "./lib/measure";
import { saveJson } from "./lib/results";
import { loopbackStack } from "./lib/stack";
import { delays } from "./probes";
import { renderReport, RESULTS_DIR, RunResult, VariantResult } from "./report";
import { Ctx, ensureHealthy, findCeilings, metricsOutage, overload, ScottyStep, scottyStep, target } from "./steps";

const STEP_S = Number(process.env.BENCH_STEP_S ?? 10);
const TIER_LIST = (process.env.BENCH_TIERS?.split(",") ?? ["small"]) as TierName[];
/** First rate of each ceiling search, per tier (items/s); the search doubles from there. */
const START = { metrics: 20_000, traces: 5_000, logs: 5_000 } as const;
/** Same steady load for both configs during the backend outage. */
const OUTAGE_RATE = 5_000;
const SCOTTY_STEPS = (process.env.BENCH_SCOTTY ?? "10,25,50,100,200,400,800").split(",").map(Number);
/** Ceiling steps per signal before the bisection (development runs use fewer). */
const MAX_STEPS = Number(process.env.BENCH_MAX_STEPS ?? 5);
const VARIANTS = (process.env.BENCH_VARIANTS ?? "ours,ours-no-pq,baseline").split(",") as Variant[];
const OTHER_VARIANTS = (process.env.BENCH_OTHER_VARIANTS ?? "ours").split(",") as Variant[];
for (const v of [...VARIANTS, ...OTHER_VARIANTS])
  if (!["ours", "ours-no-pq", "baseline"].includes(v))
    throw new Error(`BENCH_VARIANTS / BENCH_OTHER_VARIANTS: "${v}" is not a config; allowed: ours, ours-no-pq, baseline`);

const runStarted = Date.now();
const log = (msg: string) => console.log(`[bench +${((Date.now() - runStarted) / 1000).toFixed(0)}s] ${msg}`);

async function waitForQuiet(): Promise<{ waitedS: number; load: number }> {
  const started = Date.now();
  const maxS = Number(process.env.BENCH_WAIT_MAX_S ?? 1200);
  while (Date.now() - started < maxS * 1000 && load1() >= 0.8) {
    log(`1-min load average ${load1()} >= 0.8: waiting (up to ${maxS} s)`);
    await sleep(30_000);
  }
  return { waitedS: Math.round((Date.now() - started) / 1000), load: load1() };
}

async function scottySteps(ctx: Ctx): Promise<ScottyStep[]> {
  const steps: ScottyStep[] = [];
  for (const n of SCOTTY_STEPS) {
    const s = await scottyStep(ctx, n);
    steps.push(s);
    if (!s.ok) break;
  }
  return steps;
}

/**
 * Every config of one tier: each brought up with its own backends, its delays measured, then the three
 * ceiling searches interleaved (the configs take turns step by step, `findCeilings`), then each
 * config's overload, outage and Scotty steps alone, one config after another, each stopped when done.
 */
async function runVariants(tier: TierName, variants: Variant[], events: string[]): Promise<Partial<Record<Variant, VariantResult>>> {
  const runs: Running[] = [];
  const results: Partial<Record<Variant, VariantResult>> = {};
  try {
    for (const variant of variants) runs.push(await bringUp({ tier, variant, events, log, stepS: STEP_S }));
    const delayed = [];
    for (const run of runs) {
      const variant = run.spec.variant;
      const d = await delays(target(run.ctx), 30, 300, variant === "baseline" ? 40_000 : 20_000);
      log(
        `${variant} delays p50/p95: metric ${percentile(d.metric, 50)}/${percentile(d.metric, 95)} ms, span ${percentile(d.span, 50)}/${percentile(d.span, 95)} ms`,
      );
      delayed.push(d);
    }
    const ctxs = runs.map((r) => r.ctx);
    const metrics = await findCeilings(ctxs, "metrics", START.metrics, MAX_STEPS);
    const traces = await findCeilings(ctxs, "traces", START.traces, MAX_STEPS);
    const logs = await findCeilings(ctxs, "logs", START.logs, MAX_STEPS);
    for (const [i, run] of runs.entries()) {
      const { ctx, spec } = run;
      const variant = spec.variant;
      const best = metrics[i]!.best;
      const over = variant === "ours" && best ? await overload(ctx, "metrics", best.offered, run.oomKills) : undefined;
      await ensureHealthy(ctx, "the overload step");
      const outage = await metricsOutage(ctx, OUTAGE_RATE);
      await ensureHealthy(ctx, "the outage step");
      // Last: a collector that thrashes here leaves nothing after it to spoil. On a fresh collector: the
      // overload and outage steps before it can leave a backlog in the queue (replayed after a restart)
      // and a grown heap, and the instance count is a tier's figure, not the aftermath of an overload.
      let scotty: ScottyStep[] = [];
      if (variant === "ours") {
        await run.fresh();
        scotty = await scottySteps(ctx);
      }
      results[variant] = {
        variant,
        tier,
        limitMb: spec.limitMb,
        loadBefore: run.loadBefore,
        loadAfter: load1(),
        idle: run.idle,
        delays: delayed[i]!,
        ceilings: { metrics: metrics[i]!, traces: traces[i]!, logs: logs[i]! },
        overload: over,
        scotty,
        outage,
        oomKills: run.oomKills(),
      };
      await run.stop();
    }
    return results;
  } finally {
    for (const run of runs) await run.stop();
  }
}

/** Scotty's steps alone on another tier's collector (how the instance count scales with its limit). */
async function scottyOnly(tier: TierName, events: string[]): Promise<NonNullable<RunResult["scottyOtherTier"]>> {
  const run = await bringUp({ tier, variant: "ours", events, log, stepS: STEP_S });
  try {
    return {
      tier,
      limitMb: run.spec.limitMb,
      idle: run.idle,
      steps: await scottySteps(run.ctx),
      loadBefore: run.loadBefore,
      loadAfter: load1(),
    };
  } finally {
    await run.stop();
  }
}

/**
 * Does the collector's cgroup count the page cache of its binary? The same config, idle, once with
 * the binary's pages charged elsewhere (already cached by another reader) and once read first from
 * inside the cgroup, as a container does with its image layer.
 */
async function pageCacheProbe(tier: TierName): Promise<{ charged: CgroupStat; notCharged: CgroupStat; binaryMb: number }> {
  const stack = await loopbackStack({ tier, traces: { storage: "memory" }, logs: { backend: "victorialogs", retention: "7d" } });
  const backends = await startBackends(stack);
  const base = {
    variant: "ours" as const,
    configPath: stack.collectorConfigPath,
    ports: stack.collectorPorts,
    limitMb: stack.plan.collector.memoryMb,
    cpus: stack.settings.limits.cpus.collector,
    env: stack.plan.collector.env,
  };
  try {
    const results: CgroupStat[] = [];
    for (const chargeBinary of [false, true]) {
      const c = await startCollectorProcess({ ...base, chargeBinary });
      results.push(cgroupStat(c.cgroupDir));
      await c.stop();
    }
    const binaryMb =
      fs.statSync(path.join(process.env.TOOLS_DIR ?? path.resolve(__dirname, "..", ".tools"), "bin", "otelcol")).size / 2 ** 20;
    return { notCharged: results[0]!, charged: results[1]!, binaryMb };
  } finally {
    await backends.stop();
  }
}

function versions(): Record<string, string> {
  const bin = path.join(process.env.TOOLS_DIR ?? path.resolve(__dirname, "..", ".tools"), "bin");
  const stamp = (name: string) => sh(`cat ${bin}/${name}.version`);
  return {
    otelcol: stamp("otelcol"),
    telemetrygen: stamp("telemetrygen"),
    jaeger: stamp("jaeger"),
    "victoria-metrics": stamp("victoria-metrics"),
    "victoria-logs": stamp("victoria-logs"),
    node: process.version,
  };
}

async function main(): Promise<void> {
  if (process.env.BENCH_REPORT_ONLY !== "1") {
    const quiet = process.env.BENCH_WAIT_QUIET === "1" ? await waitForQuiet() : undefined;
    const events: string[] = [];
    const result: RunResult = {
      started: new Date(runStarted).toISOString(),
      commit: sh("git describe --always --dirty --abbrev=7"), // "-dirty": uncommitted changes were measured
      machine: machineInfo(),
      quietWait: quiet,
      loadAtStart: load1(),
      versions: versions(),
      stepS: STEP_S,
      method: { bisections: CEILING_BISECTIONS, nearMissSecondTry: true, spansPerClient: SPANS_PER_CLIENT, interleaved: true },
      tiers: {},
      events,
      runtimeS: 0,
      loadAtEnd: 0,
    };
    for (const tier of TIER_LIST) {
      log(`tier ${tier}: page-cache probe`);
      const pageCache = await pageCacheProbe(tier);
      log(
        `page cache: not charged ${pageCache.notCharged.usageMb.toFixed(1)} MB, charged ${pageCache.charged.usageMb.toFixed(1)} MB (binary ${pageCache.binaryMb.toFixed(0)} MB)`,
      );
      const variants = tier === TIER_LIST[0] ? VARIANTS : OTHER_VARIANTS;
      const measured = await runVariants(tier, variants, events);
      if (!measured.ours) throw new Error(`tier ${tier}: the variants must include ours (${variants.join(",")})`);
      result.tiers[tier] = {
        limitMb: TIERS[tier].memoryMb.collector,
        cpus: TIERS[tier].cpus.collector,
        pageCache,
        ours: measured.ours,
        oursNoPq: measured["ours-no-pq"],
        baseline: measured.baseline,
      };
    }
    if (process.env.BENCH_MEDIUM !== "0" && !TIER_LIST.includes("medium")) result.scottyOtherTier = await scottyOnly("medium", events);
    result.runtimeS = Math.round((Date.now() - runStarted) / 1000);
    result.loadAtEnd = load1();
    fs.mkdirSync(RESULTS_DIR, { recursive: true });
    const file = path.join(RESULTS_DIR, `${result.started.replace(/[:.]/g, "-")}.json`);
    await saveJson(file, result);
    log(`saved ${path.relative(process.cwd(), file)}`);
  }
  const doc = renderReport();
  log(`wrote ${doc}`);
}

runBench(main);
