/** One ceiling step as bench/steps.ts records it, for the bench's unit tests: a held 10 s step unless told otherwise. */
import type { StepResult } from "../../bench/steps";

export function benchStep(over: Partial<StepResult> = {}): StepResult {
  const offered = over.offered ?? 40_000;
  const acceptedPerSec = over.acceptedPerSec ?? offered;
  const cpuPct = over.cpuPct ?? 50;
  return {
    signal: "traces",
    offered,
    durationS: 10,
    generated: offered * 10,
    accepted: acceptedPerSec * 10,
    acceptedPerSec,
    refused: 0,
    failedExports: 0,
    sendFailed: 0,
    enqueueFailed: 0,
    notDelivered: 0,
    backendErrors: 0,
    settleS: 1,
    cpuPct,
    cpuPctPer10k: (cpuPct / acceptedPerSec) * 10_000,
    memory: { usageMb: 120, peakMb: 129, rssMb: 40, cacheMb: 100, mappedFileMb: 60, pgmajfault: 0, failcnt: 0 },
    majorFaults: 0,
    ok: true,
    why: "",
    ...over,
  };
}
