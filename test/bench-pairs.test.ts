/** `npm run bench:pairs`: the interval, the verdicts and the section, from steps (bench/pairs.ts, bench/lib/stats.ts). */
import { describe, expect, it } from "vitest";
import {
  configFingerprint,
  poolFor,
  pooledSteps,
  renderPairsSection,
  ratesFrom,
  summarize,
  type PairStep,
  type PairsRun,
} from "../bench/pairs";
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
  it("GIVEN one value or more than 31 WHEN summarized THEN it says how many it takes", () => {
    expect(() => meanInterval([1])).toThrow("a 95 % interval takes 2 to 31 values; got 1");
    expect(() => meanInterval(Array.from({ length: 32 }, () => 1))).toThrow("got 32");
  });
  it("GIVEN 12 and 31 values WHEN summarized THEN the table's t for 11 and 30 degrees of freedom is used", () => {
    const spread = (n: number) => Array.from({ length: n }, (_, i) => (i % 2 === 0 ? 1 : 2));
    const half = (n: number) => {
      const i = meanInterval(spread(n));
      const sd = Math.sqrt(spread(n).reduce((a, v) => a + (v - i.mean) ** 2, 0) / (n - 1));
      return (i.high - i.mean) / (sd / Math.sqrt(n));
    };
    expect(half(12)).toBeCloseTo(2.201, 9);
    expect(half(31)).toBeCloseTo(2.042, 9);
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
    const doc = renderPairsSection([pairsRun()]);
    expect(doc).toContain("| metrics | 80,000/s | 2 / 2 of 2 | 65,750 / 64,250 |");
    expect(doc.match(/^\| (metrics|traces|logs) \| [12] \|/gm)).toHaveLength(6);
    expect(doc).toContain("| metrics | 1 | 66,000/s, 9.0 | 64,000/s, 8.5 | 1.03 | 1.06 |");
    expect(doc).toContain("Events: none");
    expect(doc).toContain("This run recorded no config fingerprints, so it pools with no other run.");
  });
});

const steps = [...pair(0, [66_000, 9], [64_000, 8.5]), ...pair(1, [65_500, 9.2], [64_500, 8.4])];
function pairsRun(over: Partial<PairsRun> = {}): PairsRun {
  return {
    started: "2026-12-07T04:00:00.000Z",
    commit: "abc1234",
    machine: { cpus: 2, model: "Xeon", memoryMb: 24_000, kernel: "6" },
    otelcol: "x",
    tier: "small",
    stepS: 10,
    rounds: 2,
    source: { started: "2026-12-07T02:47:31.209Z", commit: "9176ed1" },
    rates: { metrics: 80_000, traces: 80_000, logs: 80_000 },
    steps: { metrics: steps, traces: steps, logs: steps },
    events: [],
    loadAtStart: 0.5,
    loadAtEnd: 1,
    runtimeS: 600,
    ...over,
  };
}

describe("several bench:pairs runs (bench/pairs.ts)", () => {
  const config = (port: number, dir: string, queue = 1000) =>
    `receivers:\n  otlp:\n    endpoint: 127.0.0.1:${port}\nexporters:\n  x:\n    queue_size: ${queue}\n    directory: /tmp/obs-queue-${dir}/q\nservice:\n  telemetry:\n    metrics:\n      port: ${port + 1}\n`;

  it("GIVEN the same config on other ports and temp dirs WHEN fingerprinted THEN the same; a changed value or environment THEN another", () => {
    const a = configFingerprint(config(20_001, "AbC123"), { GOMEMLIMIT: "100MiB" });
    expect(configFingerprint(config(31_777, "xYz789"), { GOMEMLIMIT: "100MiB" })).toBe(a);
    expect(configFingerprint(config(20_001, "AbC123", 2000), { GOMEMLIMIT: "100MiB" })).not.toBe(a);
    expect(configFingerprint(config(20_001, "AbC123"), {})).not.toBe(a);
  });

  it("GIVEN runs with and without the newest run's configs WHEN pooled THEN only the same build and configs, newest first, up to 31 pairs", () => {
    const same = { "ours-no-pq": "aaa", baseline: "bbb" };
    const runs = [
      pairsRun({ started: "1", configs: same, rounds: 11 }),
      pairsRun({ started: "2" }),
      pairsRun({ started: "3", configs: same, rounds: 11 }),
      pairsRun({ started: "4", configs: { ...same, "ours-no-pq": "ccc" } }),
      pairsRun({ started: "5", configs: same, otelcol: "y" }),
      pairsRun({ started: "6", configs: same, rounds: 11 }),
      pairsRun({ started: "7", configs: same, rounds: 6 }),
    ];
    expect(poolFor(runs).map((r) => r.started)).toEqual(["7", "6", "3"]);
    expect(poolFor(runs.slice(0, 2)).map((r) => r.started)).toEqual(["2"]);
    expect(poolFor([])).toEqual([]);
  });

  it("GIVEN two runs with the same configs WHEN rendered THEN their pairs are pooled (rounds numbered on) and both runs are listed", () => {
    const same = { "ours-no-pq": "aaa", baseline: "bbb" };
    const older = pairsRun({ started: "2026-12-07T05:00:00.000Z", configs: same });
    const newer = pairsRun({
      started: "2026-12-07T06:00:00.000Z",
      configs: same,
      rates: { metrics: 70_000, traces: 80_000, logs: 80_000 },
    });
    expect(pooledSteps([newer, older], "metrics").map((s) => s.round)).toEqual([0, 0, 1, 1, 2, 2, 3, 3]);
    const doc = renderPairsSection([pairsRun(), older, newer]);
    expect(doc).toContain("The 2 newest runs that ran the same collector build (x)");
    expect(doc).toContain("| metrics | 70,000/s, 80,000/s | 4 / 4 of 4 |");
    expect(doc.match(/^\| 2026-12-07T0[456]:00:00.000Z \| abc1234 \|/gm)).toHaveLength(3);
    expect(doc).toContain("| 2026-12-07T04:00:00.000Z | abc1234 | not recorded | 2 |");
  });
});
