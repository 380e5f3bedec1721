/** `npm run bench:pairs`: the interval, the verdicts and the section, from steps (bench/pairs.ts, bench/lib/stats.ts). */
import { describe, expect, it } from "vitest";
import { renderPairsSection, ratesFrom, summarize, type PairStep, type PairsRun } from "../bench/pairs";
import type { RunResult } from "../bench/report";
import { meanInterval, verdict } from "../bench/lib/stats";
import { benchStep } from "./helpers/bench-step";

describe("a mean with its 95 % interval (bench/lib/stats.ts)", () => {
  it("GIVEN 1, 2, 3 WHEN summarized THEN mean 2 and half-width t(0.975, 2) · s / √n = 4.303 · 1 / √3", () => {
    const i = meanInterval([1, 2, 3]);
    expect(i.mean).toBe(2);
    expect(i.high - i.mean).toBeCloseTo(4.303 / Math.sqrt(3), 6);
    expect(i.mean - i.low).toBeCloseTo(i.high - i.mean, 9);
  });
  it("GIVEN identical values WHEN summarized THEN the interval is the value", () => {
    expect(meanInterval([1.1, 1.1, 1.1, 1.1])).toEqual({ n: 4, mean: 1.1, low: 1.1, high: 1.1 });
  });
  it("GIVEN one value or more than 11 WHEN summarized THEN it says how many it takes", () => {
    expect(() => meanInterval([1])).toThrow("a 95 % interval takes 2 to 11 values; got 1 (BENCH_PAIRS_ROUNDS sets how many)");
    expect(() => meanInterval(Array.from({ length: 12 }, () => 1))).toThrow("got 12");
  });
  it("GIVEN an interval WHEN judged THEN met only with all of it on the target's side", () => {
    const i = (low: number, high: number) => ({ n: 6, mean: (low + high) / 2, low, high });
    expect(verdict(i(1.01, 1.1), { atLeast: 1 })).toBe("met");
    expect(verdict(i(0.95, 1.03), { atLeast: 1 })).toBe("undecided");
    expect(verdict(i(0.8, 0.99), { atLeast: 1 })).toBe("not met");
    expect(verdict(i(1.0, 1.2), { atMost: 1.2 })).toBe("met");
    expect(verdict(i(1.1, 1.3), { atMost: 1.2 })).toBe("undecided");
    expect(verdict(i(1.21, 1.5), { atMost: 1.2 })).toBe("not met");
  });
});

const pair = (round: number, noPq: [number, number, boolean?], baseline: [number, number, boolean?]): PairStep[] => [
  { round, variant: "ours-no-pq", step: benchStep({ acceptedPerSec: noPq[0], cpuPctPer10k: noPq[1], ok: noPq[2] ?? true }) },
  { round, variant: "baseline", step: benchStep({ acceptedPerSec: baseline[0], cpuPctPer10k: baseline[1], ok: baseline[2] ?? true }) },
];

describe("the pairs of one signal (bench/pairs.ts summarize)", () => {
  it("GIVEN a config a little faster in every round WHEN summarized THEN throughput is met and the CPU ratio is the pairs' mean", () => {
    const steps = [
      ...pair(0, [66_000, 9, true], [64_000, 8.5]),
      ...pair(1, [65_500, 9.2, true], [64_500, 8.4]),
      ...pair(2, [66_200, 8.8, true], [63_900, 8.6]),
    ];
    const s = summarize("metrics", 80_000, steps);
    expect(s.throughputVerdict).toBe("met");
    expect(s.throughput.low).toBeGreaterThan(1);
    expect(s.cpuPer10k.mean).toBeCloseTo((9 / 8.5 + 9.2 / 8.4 + 8.8 / 8.6) / 3, 9);
    expect(s.cpuVerdict).toBe("met");
    expect(s.held).toEqual({ "ours-no-pq": 3, baseline: 3 });
    expect(s.incomplete).toEqual([]);
  });
  it("GIVEN ratios on both sides of 1 WHEN summarized THEN undecided, and failed steps are counted as not held", () => {
    const steps = [...pair(0, [62_000, 7, false], [65_000, 7]), ...pair(1, [66_000, 7], [63_000, 7, false])];
    const s = summarize("logs", 80_000, steps);
    expect(s.throughputVerdict).toBe("undecided");
    expect(s.held).toEqual({ "ours-no-pq": 1, baseline: 1 });
  });
  it("GIVEN a round where a collector accepted nothing WHEN summarized THEN that round is left out and named", () => {
    const steps = [
      ...pair(0, [40_000, 12], [40_000, 11]),
      ...pair(1, [0, NaN, false], [40_000, 11]),
      ...pair(2, [39_000, 12], [40_000, 11]),
    ];
    const s = summarize("traces", 40_000, steps);
    expect(s.incomplete).toEqual([1]);
    expect(s.throughput.n).toBe(2);
  });
});

describe("the rates and the section (bench/pairs.ts)", () => {
  const ceiling = (offered: number) => ({ best: benchStep({ offered }) });
  const source = {
    started: "2026-12-07T02:47:31.209Z",
    commit: "9176ed1",
    tiers: { small: { baseline: { ceilings: { metrics: ceiling(80_000), traces: ceiling(40_000), logs: ceiling(80_000) } } } },
  } as unknown as RunResult;

  it("GIVEN the newest bench run WHEN asked THEN each signal's rate is the baseline's highest held offered rate", () => {
    expect(ratesFrom(source)).toEqual({ metrics: 80_000, traces: 40_000, logs: 80_000 });
  });
  it("GIVEN a run without a baseline or without a held step WHEN asked THEN it says which", () => {
    expect(() => ratesFrom({ ...source, tiers: {} } as unknown as RunResult)).toThrow("has no small-tier baseline");
    const noLogs = {
      ...source,
      tiers: { small: { baseline: { ceilings: { metrics: ceiling(80_000), traces: ceiling(40_000), logs: { best: undefined } } } } },
    } as unknown as RunResult;
    expect(() => ratesFrom(noLogs)).toThrow("the baseline held no logs step");
  });
  it("GIVEN a run WHEN rendered THEN one row per signal with its verdicts, and every step listed", () => {
    const steps = [...pair(0, [66_000, 9], [64_000, 8.5]), ...pair(1, [65_500, 9.2], [64_500, 8.4])];
    const run = {
      started: "2026-12-07T04:00:00.000Z",
      commit: "abc1234",
      machine: { cpus: 2, model: "Xeon", memoryMb: 24_000, kernel: "6" },
      otelcol: "x",
      tier: "small",
      stepS: 10,
      rounds: 2,
      source: { started: source.started, commit: source.commit },
      rates: { metrics: 80_000, traces: 80_000, logs: 80_000 },
      steps: { metrics: steps, traces: steps, logs: steps },
      events: [],
      loadAtStart: 0.5,
      loadAtEnd: 1,
      runtimeS: 600,
    } satisfies PairsRun;
    const doc = renderPairsSection(run);
    expect(doc).toContain("| metrics | 80,000/s | 2 / 2 of 2 | 65,750 / 64,250 |");
    expect(doc.match(/^\| (metrics|traces|logs) \| [12] \|/gm)).toHaveLength(6);
    expect(doc).toContain("| metrics | 1 | 66,000/s, 9.0 | 64,000/s, 8.5 | 1.03 | 1.06 |");
    expect(doc).toContain("Events: none");
  });
});
