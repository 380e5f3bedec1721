/**
 * One benchmark config brought up for one tier: fresh backends (bench/lib/components.ts) as the program
 * plans them, and the collector (ours, ours with `collector.persistentQueue: false`, or the seeds'
 * baseline) in its container's memory and CPU limits. Used by `npm run bench` (bench/run.ts) and
 * `npm run bench:pairs` (bench/pairs.ts).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { TierName } from "../../settings";
import { renderBaselineYaml } from "../baseline";
import type { Ctx } from "../steps";
import type { CollectorSpec, Variant } from "./components";
import { collectorPorts, runtimeEnvOf, startBackends, startCollectorProcess, writeConfig } from "./components";
import { load1, type CgroupStat } from "./measure";
import { loopbackStack } from "./stack";

export interface BringUpOptions {
  tier: TierName;
  variant: Variant;
  /** Collected across the run: restarts, wedges. */
  events: string[];
  log(message: string): void;
  /** Seconds per load step. */
  stepS: number;
}

export interface Running {
  ctx: Ctx;
  spec: CollectorSpec;
  loadBefore: number;
  /** The first collector's cgroup, idle, before any load. */
  idle: CgroupStat;
  oomKills(): number;
  /** A new collector process with an empty queue directory, as after a fresh deploy (same backends). */
  fresh(): Promise<void>;
  /** Stop the collector and its backends; again is a no-op. */
  stop(): Promise<void>;
}

/** Fresh backends and a collector (ours or the baseline) for one tier. */
export async function bringUp({ tier, variant, events, log, stepS }: BringUpOptions): Promise<Running> {
  const loadBefore = load1();
  const stack = await loopbackStack({
    tier,
    traces: { storage: "memory" },
    logs: { backend: "victorialogs", retention: "7d" },
    ...(variant === "ours-no-pq" ? { collector: { persistentQueue: false } } : {}),
  });
  const ours = variant !== "baseline";
  const rendered = fs.readFileSync(stack.collectorConfigPath, "utf8");
  const backends = await startBackends(stack);
  const ports = ours ? stack.collectorPorts : await collectorPorts();
  const spec: CollectorSpec = {
    variant,
    configPath: ours ? stack.collectorConfigPath : writeConfig("baseline", renderBaselineYaml(stack.plan.collectorConfig.exporters, ports)),
    ports,
    limitMb: stack.plan.collector.memoryMb,
    // Every config gets the container's CPU quota: the program's `--cpus` for the collector.
    cpus: stack.settings.limits.cpus.collector,
    env: runtimeEnvOf(stack, variant, rendered),
    chargeBinary: true,
  };
  let earlierOomKills = 0;
  const ctx: Ctx = {
    collector: await startCollectorProcess(spec),
    backends,
    events,
    log,
    stepS,
    restartCollector: async () => {
      earlierOomKills += oomKills(ctx.collector.cgroupDir);
      await ctx.collector.stop();
      ctx.collector = await startCollectorProcess(spec);
    },
  };
  const idle = ctx.collector.idle;
  log(
    `${tier}/${variant}: collector idle: cgroup ${idle.usageMb.toFixed(1)} MB (rss ${idle.rssMb.toFixed(1)}, cache ${idle.cacheMb.toFixed(1)})`,
  );
  let stopped = false;
  return {
    ctx,
    spec,
    loadBefore,
    idle,
    oomKills: () => earlierOomKills + oomKills(ctx.collector.cgroupDir),
    fresh: async () => {
      earlierOomKills += oomKills(ctx.collector.cgroupDir);
      await ctx.collector.stop();
      for (const entry of fs.readdirSync(stack.queueDir)) fs.rmSync(path.join(stack.queueDir, entry), { recursive: true, force: true });
      ctx.collector = await startCollectorProcess(spec);
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await ctx.collector.stop();
      await ctx.backends.stop();
      for (const dir of [stack.queueDir, path.dirname(stack.collectorConfigPath)]) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

function oomKills(dir: string): number {
  try {
    return Number(/oom_kill (\d+)/.exec(fs.readFileSync(path.join(dir, "memory.oom_control"), "utf8"))?.[1] ?? 0);
  } catch {
    return 0;
  }
}
