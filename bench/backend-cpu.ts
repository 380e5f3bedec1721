/**
 * CPU of every backend the real tiers run, at the collector's small-tier ceilings (docs/BENCHMARKS.md:
 * metrics 66,948 data points/s, traces 30,000 spans/s, logs 19,709 records/s, run 2026-12-04T19:49).
 * The same local processes and flags as the integration tier (the program's plans on 127.0.0.1),
 * telemetrygen as the load; each signal's step runs 20 s and every process's user+system CPU over it
 * is printed as % of one core. settings/tiers.ts cites these figures for its CPU limits.
 *
 *   TOOLS_DIR=… npx tsx bench/backend-cpu.ts          # needs scripts/install-components.sh telemetrygen
 */
import * as os from "node:os";
import { backendBinary, defaultKindOf, kindsOf } from "../settings/backends";
import { cpuSeconds } from "./lib/measure";
import { runTelemetrygen } from "./lib/load";
import { Proc, sleep, stopAll } from "./lib/harness";
import { loopbackStack, startBackend, startCollector } from "./lib/stack";

const CEILINGS = { metrics: 66_948, traces: 30_000, logs: 19_709 } as const;
const DURATION_S = 20;

/** The kinds the real tiers run (a binary built for them), the signal's default first. */
const runnable = (signal: "metrics" | "traces" | "logs"): string[] =>
  (kindsOf(signal) as string[])
    .filter((kind) => backendBinary(kind) !== undefined)
    .sort((a, b) => Number(b === defaultKindOf(signal)) - Number(a === defaultKindOf(signal)));

async function measure(metricsBackend: string): Promise<void> {
  // Kinds by name from the descriptor table; parseSettings checks them like any stack config.
  const stack = await loopbackStack({
    tier: "small",
    metrics: { backend: metricsBackend },
    traces: { backend: runnable("traces")[0], storage: "memory" },
    logs: { backend: runnable("logs")[0] },
  } as Record<string, unknown>);
  const procs: Record<string, Proc> = {};
  for (const signal of ["metrics", "traces", "logs"] as const) {
    procs[stack.plan.backends[signal]!.backend.kind] = (await startBackend(stack, signal)).proc;
  }
  procs.collector = await startCollector(stack);
  await sleep(5_000);
  for (const signal of ["metrics", "traces", "logs"] as const) {
    const before = Object.fromEntries(Object.entries(procs).map(([k, p]) => [k, cpuSeconds(p.pid)]));
    const t0 = Date.now();
    const load = await runTelemetrygen({
      signal,
      itemsPerSec: CEILINGS[signal],
      durationS: DURATION_S,
      grpcPort: stack.collectorPorts.otlpGrpc,
      service: `cpu-${signal}`,
    });
    // The backends finish what the collector queued: count 5 s after the load too.
    await sleep(5_000);
    const seconds = (Date.now() - t0) / 1000;
    const pct = Object.entries(procs).map(([k, p]) => `${k} ${(((cpuSeconds(p.pid) - before[k]!) / seconds) * 100).toFixed(0)}%`);
    console.log(
      `${metricsBackend} stack, ${signal} at ${CEILINGS[signal]}/s for ${DURATION_S} s (+5 s): generated ${load.generated}, failed exports ${load.failedExports}; CPU over ${seconds.toFixed(1)} s: ${pct.join(", ")}; load average ${os.loadavg()[0]!.toFixed(2)}`,
    );
  }
  await stopAll();
}

async function main(): Promise<void> {
  console.log(`${os.cpus().length} × ${os.cpus()[0]?.model}; load average at start ${os.loadavg()[0]!.toFixed(2)}`);
  for (const kind of runnable("metrics")) await measure(kind);
}

main().catch(async (error) => {
  console.error(error);
  await stopAll();
  process.exit(1);
});
