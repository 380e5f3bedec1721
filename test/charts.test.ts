/**
 * The bench's chart specs (bench/charts.ts) carry the series of the results they are built from:
 * a small results fixture in, the rows and vega-lite layers that would be drawn out. No rendering
 * here (vega is loaded only by renderSvg): this stays a fast unit file.
 */
import { describe, expect, it } from "vitest";
import { ceilingRows, ceilingSpec, chartsAcross, chartsFor, chartsSection, tierRows, tierRowsAcross, tierSpec } from "../bench/charts";
import { benchStep } from "./helpers/bench-step";
import { cpuAtCommonRate, lostNothing, methodOf, ratioRows, readmeClaims, throughputAtCommonRate, type RunResult } from "../bench/report";

/** One step as bench/steps.ts records it; only what the charts read is meaningful. */
function step(signal: "metrics" | "traces" | "logs", offered: number, acceptedPerSec: number, cpuPct: number, peakMb: number, ok: boolean) {
  return benchStep({
    signal,
    offered,
    acceptedPerSec,
    cpuPct,
    memory: { usageMb: peakMb - 5, peakMb, rssMb: 40, cacheMb: 100, mappedFileMb: 60, pgmajfault: 0, failcnt: 0 },
    ok,
    why: ok ? "" : "slow acknowledgements",
  });
}

function variant(name: "ours" | "ours-no-pq" | "baseline", metricSteps: ReturnType<typeof step>[], scottyOk: number[]) {
  const best = [...metricSteps].filter((s) => s.ok).sort((a, b) => b.acceptedPerSec - a.acceptedPerSec)[0];
  return {
    variant: name,
    tier: "small",
    limitMb: 192,
    ceilings: {
      metrics: { signal: "metrics", steps: metricSteps, best, firstBad: metricSteps.find((s) => !s.ok) },
      traces: { signal: "traces", steps: [step("traces", 5000, 5000, 9, 150, true)], best: step("traces", 5000, 5000, 9, 150, true) },
      logs: { signal: "logs", steps: [step("logs", 5000, 4970, 7, 149, false)], best: undefined },
    },
    scotty: [10, 100, 200].map((instances) => ({ instances, ok: scottyOk.includes(instances) })),
  };
}

const RUN = {
  started: "2026-12-04T19:49:19.185Z",
  commit: "7706df5",
  stepS: 10,
  tiers: {
    small: {
      limitMb: 192,
      ours: variant(
        "ours",
        [
          step("metrics", 20_000, 19_582.4, 21.2, 158.8, true),
          step("metrics", 40_000, 37_940, 40, 168.1, true),
          step("metrics", 80_000, 66_948, 64, 191.8, false),
        ],
        [10, 100],
      ),
      baseline: variant(
        "baseline",
        [step("metrics", 20_000, 19_645, 12, 150.4, true), step("metrics", 40_000, 38_000, 22, 149, true)],
        [10],
      ),
    },
  },
  scottyOtherTier: { tier: "medium", limitMb: 256, steps: [10, 200, 400].map((instances) => ({ instances, ok: instances <= 200 })) },
} as unknown as RunResult;

describe("bench charts", () => {
  it("GIVEN a run WHEN a ceiling search is charted THEN each step of both configs is a row, in search order", () => {
    expect(ceilingRows(RUN, "small", "metrics")).toEqual([
      { variant: "ours", step: 1, offered: 20_000, accepted: 19_582, cpuPct: 21.2, peakMb: 158.8, result: "held" },
      { variant: "ours", step: 2, offered: 40_000, accepted: 37_940, cpuPct: 40, peakMb: 168.1, result: "held" },
      { variant: "ours", step: 3, offered: 80_000, accepted: 66_948, cpuPct: 64, peakMb: 191.8, result: "failed" },
      { variant: "baseline", step: 1, offered: 20_000, accepted: 19_645, cpuPct: 12, peakMb: 150.4, result: "held" },
      { variant: "baseline", step: 2, offered: 40_000, accepted: 38_000, cpuPct: 22, peakMb: 149, result: "held" },
    ]);
  });

  it("GIVEN the ceiling spec THEN its three panels plot accepted, CPU and memory against offered, coloured by config, with the limit drawn", () => {
    const spec = ceilingSpec(RUN, "small", "metrics") as any;
    expect(spec.data.values).toEqual(ceilingRows(RUN, "small", "metrics"));
    const panels = spec.vconcat as any[];
    const plotted = panels.map((p) =>
      p.layer.filter((l: any) => l.encoding.color).map((l: any) => [l.encoding.x.field, l.encoding.y.field]),
    );
    expect(plotted).toEqual([
      [
        ["offered", "accepted"],
        ["offered", "accepted"],
      ],
      [
        ["offered", "cpuPct"],
        ["offered", "cpuPct"],
      ],
      [
        ["offered", "peakMb"],
        ["offered", "peakMb"],
      ],
    ]);
    // The diagonal (everything offered accepted) and the cgroup limit as reference marks.
    expect(panels[0].layer[0].encoding.y.field).toBe("offered");
    expect(panels[2].layer[0].data.values).toEqual([{ limitMb: 192 }]);
    expect(panels[1].layer[1].encoding.color.scale.domain).toEqual(["ours", "baseline"]);
  });

  it("GIVEN a run WHEN tiers are compared THEN the ceilings are the best held step (0 when none held) and Scotty the most instances carried per tier", () => {
    const { ceilings, scotty } = tierRows(RUN);
    expect(ceilings).toEqual([
      { tier: "small", signal: "metrics", variant: "ours", ceiling: 37_940 },
      { tier: "small", signal: "traces", variant: "ours", ceiling: 5_000 },
      { tier: "small", signal: "logs", variant: "ours", ceiling: 0 },
      { tier: "small", signal: "metrics", variant: "baseline", ceiling: 38_000 },
      { tier: "small", signal: "traces", variant: "baseline", ceiling: 5_000 },
      { tier: "small", signal: "logs", variant: "baseline", ceiling: 0 },
    ]);
    expect(scotty).toEqual([
      { tier: "small", instances: 100 },
      { tier: "medium", instances: 200 },
    ]);
    const spec = tierSpec(RUN) as any;
    expect(spec.hconcat[0].data.values).toEqual(ceilings);
    expect(spec.hconcat[1].data.values).toEqual(scotty);
  });

  it("GIVEN a run WHEN every chart is listed THEN one per measured signal plus the tier comparison, each linked from the section", () => {
    const charts = chartsFor(RUN);
    expect(charts.map((c) => c.file)).toEqual([
      "ceiling-small-metrics.svg",
      "ceiling-small-traces.svg",
      "ceiling-small-logs.svg",
      "tiers.svg",
    ]);
    const section = chartsSection([{ file: "2026-12-04T19-49-19-185Z.json", run: RUN }], charts);
    for (const c of charts) expect(section).toContain(`](charts/${c.file})`);
  });

  it("GIVEN a tier the run did not measure WHEN charted THEN the error names the tiers it has", () => {
    expect(() => ceilingRows(RUN, "large", "metrics")).toThrow("run 2026-12-04T19:49:19.185Z has no large tier (it has: small)");
  });
});

/** RUN plus the same config without the persistent queue, and a medium tier measured with ours only. */
const RUN3 = {
  ...RUN,
  tiers: {
    small: {
      ...RUN.tiers.small!,
      oursNoPq: variant(
        "ours-no-pq",
        [
          step("metrics", 20_000, 19_700, 13, 150, true),
          step("metrics", 40_000, 39_000, 24, 160, true),
          step("metrics", 80_000, 70_000, 50, 180, true),
        ],
        [],
      ),
    },
    medium: { limitMb: 256, cpus: 1, ours: variant("ours", [step("metrics", 20_000, 19_900, 20, 200, true)], [10, 100, 200]) },
  },
} as unknown as RunResult;

describe("bench report ratios (issue 22's targets)", () => {
  const small = RUN3.tiers.small!;
  it("GIVEN two configs WHEN CPU is compared THEN it is at the highest rate both held, each config's own CPU there", () => {
    const common = cpuAtCommonRate([small.ours, small.baseline!], "metrics")!;
    expect(common.offered).toBe(40_000);
    expect(common.per10k[0]).toBeCloseTo((40 / 37_940) * 10_000, 6);
    expect(common.per10k[1]).toBeCloseTo((22 / 38_000) * 10_000, 6);
    // logs: no step held in either config.
    expect(cpuAtCommonRate([small.ours, small.baseline!], "logs")).toBeUndefined();
  });

  it("GIVEN ours, ours without the queue and the baseline WHEN ratios are taken THEN each is over the same run's baseline, with the targets judged", () => {
    const rows = ratioRows(small);
    expect(rows.map((r) => [r.variant, r.signal])).toEqual([
      ["ours", "metrics"],
      ["ours", "traces"],
      ["ours", "logs"],
      ["ours-no-pq", "metrics"],
      ["ours-no-pq", "traces"],
      ["ours-no-pq", "logs"],
    ]);
    const ours = rows[0]!;
    expect(ours.ceilingRatio).toBeCloseTo(37_940 / 38_000, 6);
    expect(ours.ceilingMet).toBe(false); // 0.998× < 1.0×
    expect(ours.cpu!.ratio).toBeCloseTo(((40 / 37_940) * 10_000) / ((22 / 38_000) * 10_000), 6);
    expect(ours.cpuMet).toBe(false); // 1.82× > 1.2×
    const noPq = rows[3]!;
    expect(noPq.ceilingRatio).toBeCloseTo(70_000 / 38_000, 6);
    expect(noPq.ceilingMet).toBe(true);
    expect(noPq.cpu!.offered).toBe(40_000);
    expect(noPq.cpu!.ratio).toBeCloseTo(((24 / 39_000) * 10_000) / ((22 / 38_000) * 10_000), 6); // 1.06×
    expect(noPq.cpuMet).toBe(true);
    // traces: equal ceilings (1.0×, met); logs: no ceiling on either side, so not met and no CPU.
    expect(rows[1]!.ceilingMet).toBe(true);
    expect(rows[2]).toMatchObject({ ceilingRatio: undefined, ceilingMet: false, cpu: undefined, cpuMet: false });
  });

  it("GIVEN a tier run without the baseline WHEN ratios are taken THEN there are none", () => {
    expect(ratioRows(RUN3.tiers.medium!)).toEqual([]);
  });

  it("GIVEN a tier with three configs and one with ours only WHEN charted THEN each legend names only the configs drawn, in fixed colours", () => {
    const small3 = (ceilingSpec(RUN3, "small", "metrics") as any).vconcat[0].layer[1].encoding.color.scale;
    expect(small3).toEqual({ domain: ["ours", "ours-no-pq", "baseline"], range: ["#1f77b4", "#2ca02c", "#ff7f0e"] });
    const medium = (ceilingSpec(RUN3, "medium", "metrics") as any).vconcat[0].layer[1].encoding.color.scale;
    expect(medium).toEqual({ domain: ["ours"], range: ["#1f77b4"] });
    expect(
      tierRows(RUN3)
        .ceilings.filter((c) => c.tier === "medium")
        .map((c) => c.variant),
    ).toEqual(["ours", "ours", "ours"]);
  });

  it("GIVEN an older run with small only and a newer one with small and medium WHEN the README's claims are written THEN each tier counts only the runs that measured it, with its limits and the newest ratios", () => {
    const lines = readmeClaims([RUN, RUN3]).split("\n");
    const small = lines.find((l) => l.startsWith("- **small**"))!;
    expect(small).toContain("2 runs, collector at 192 MB on 2 shared cores");
    expect(small).toContain("metrics 37,940 / 37,940 data points/s"); // ours' best held step of each run (80k failed)
    const medium = lines.find((l) => l.startsWith("- **medium**"))!;
    expect(medium).toContain("1 run, collector at 256 MB and 1 core (CPU quota)");
    expect(medium).toContain("metrics 19,900 data points/s");
    expect(medium).toContain("200 Scotty instances");
    const ratios = lines.filter((l) => l.startsWith("  - "));
    expect(ratios).toHaveLength(2); // ours and ours without the queue, small only (medium has no baseline)
    expect(ratios[0]).toMatch(
      /^ {2}- ours over the seeds' baseline .*metrics ceiling 1\.00× \(throughput at the same load 1\.00×\), CPU per 10k\/s 1\.82×/,
    );
    expect(ratios[1]).toMatch(
      /persistentQueue false over the seeds' baseline .*metrics ceiling 1\.84× \(throughput at the same load 1\.03×\), CPU per 10k\/s 1\.06×/,
    );
    expect(lines.find((l) => l.startsWith("- **large**"))).toContain("not measured yet");
  });
});

describe("each run's search method in the runs table (bench/report.ts methodOf)", () => {
  const method = { bisections: 2, nearMissSecondTry: true, spansPerClient: 10_000 };
  it("GIVEN a run whose configs took turns WHEN described THEN it says so", () => {
    expect(methodOf({ ...RUN, method: { ...method, interleaved: true } })).toBe(
      "double, bisect twice, a near miss tried twice; configs take turns step by step; one telemetrygen process per 10,000 spans/s",
    );
  });
  it("GIVEN runs from before the configs took turns WHEN described THEN one config searched after another", () => {
    expect(methodOf({ ...RUN, method })).toContain("; one config after another;");
    expect(methodOf(RUN)).toBe("double, bisect once; one config after another; all span workers in one telemetrygen process");
  });
});

describe("a newer run that measured fewer tiers", () => {
  /** RUN3 (small + medium), then a small-only run that took medium's Scotty steps, where 100 held and 200 did not. */
  const LATER = {
    ...RUN,
    started: "2026-12-06T19:23:29.013Z",
    tiers: { small: RUN.tiers.small },
    scottyOtherTier: { tier: "medium", limitMb: 256, steps: [10, 100, 200].map((instances) => ({ instances, ok: instances <= 100 })) },
  } as unknown as RunResult;
  const OLDER = { ...RUN3, scottyOtherTier: undefined } as unknown as RunResult;

  it("GIVEN a small-only newer run WHEN the README's claims are written THEN medium keeps its ceilings from the run that measured them and its Scotty figure is the newest", () => {
    const lines = readmeClaims([OLDER, LATER]).split("\n");
    const medium = lines.find((l) => l.startsWith("- **medium**"))!;
    expect(medium).toContain("1 run, collector at 256 MB and 1 core (CPU quota)");
    expect(medium).toContain("metrics 19,900 data points/s");
    expect(medium).toContain("100 Scotty instances (run of 2026-12-06T19:23)");
    expect(lines.find((l) => l.startsWith("- **small**"))).toContain("2 runs");
  });

  it("GIVEN a small-only newer run WHEN charted THEN small's searches come from it, medium's from the older run, and the tier comparison names both", () => {
    const charts = chartsAcross([
      { file: "older.json", run: OLDER },
      { file: "later.json", run: LATER },
    ]);
    expect(charts.map((c) => [c.file, c.source])).toEqual([
      ["ceiling-small-metrics.svg", "later.json"],
      ["ceiling-small-traces.svg", "later.json"],
      ["ceiling-small-logs.svg", "later.json"],
      ["ceiling-medium-metrics.svg", "older.json"],
      ["ceiling-medium-traces.svg", "older.json"],
      ["ceiling-medium-logs.svg", "older.json"],
      ["tiers.svg", "later.json"],
    ]);
    const across = tierRowsAcross([OLDER, LATER]);
    expect(across.ceilings.filter((c) => c.tier === "medium").map((c) => [c.signal, c.variant, c.ceiling])).toEqual([
      ["metrics", "ours", 19_900],
      ["traces", "ours", 5_000],
      ["logs", "ours", 0],
    ]);
    expect(across.scotty).toEqual([
      { tier: "small", instances: 100 },
      { tier: "medium", instances: 100 },
    ]);
    expect(across.sources).toEqual([
      "small ceilings 2026-12-06T19:23, Scotty 2026-12-06T19:23",
      "medium ceilings 2026-12-04T19:49, Scotty 2026-12-06T19:23",
    ]);
    const section = chartsSection(
      [
        { file: "older.json", run: OLDER },
        { file: "later.json", run: LATER },
      ],
      charts,
    );
    expect(section).toContain(
      "![medium tier: metrics ceiling search (run of 2026-12-04T19:49:19.185Z)](charts/ceiling-medium-metrics.svg)",
    );
  });
});

describe("throughput at the same load beside the ceiling (bench/report.ts)", () => {
  const slow = (offered: number, accepted: number) => ({
    ...step("logs", offered, accepted, 50, 190, false),
    why: `only ${accepted}/s of ${offered}/s asked got through (slow acknowledgements)`,
  });
  const config = (name: "ours-no-pq" | "baseline", steps: ReturnType<typeof step>[]) =>
    ({ ...variant(name, steps, []), ceilings: { metrics: { steps }, traces: { steps }, logs: { signal: "logs", steps } } }) as never;
  it("GIVEN one config failing only on the 80 % rule at a rate the other held WHEN compared THEN both count at that rate", () => {
    const ours = config("ours-no-pq", [
      step("logs", 40_000, 37_078, 30, 180, true),
      slow(80_000, 63_792),
      step("logs", 70_000, 59_063, 40, 180, true),
    ]);
    const base = config("baseline", [step("logs", 40_000, 36_997, 28, 150, true), step("logs", 80_000, 64_841, 45, 190, true)]);
    expect(throughputAtCommonRate([ours, base], "logs")).toEqual({ offered: 80_000, perSec: [63_792, 64_841] });
  });
  it("GIVEN a higher rate only one config was offered WHEN compared THEN it is not used: clients send more when offered more", () => {
    const ours = config("ours-no-pq", [step("logs", 40_000, 36_490, 30, 180, true), slow(80_000, 63_836)]);
    const base = config("baseline", [
      step("logs", 40_000, 37_173, 28, 150, true),
      step("logs", 80_000, 64_610, 45, 190, true),
      slow(160_000, 93_528),
    ]);
    expect(throughputAtCommonRate([ours, base], "logs")).toEqual({ offered: 80_000, perSec: [63_836, 64_610] });
  });
  it("GIVEN a step that lost or refused anything WHEN compared THEN it does not count, and a second try can", () => {
    const lost = {
      ...slow(80_000, 70_000),
      why: "12 generated but not accepted; only 70000/s of 80000/s asked got through (slow acknowledgements)",
    };
    const ours = config("ours-no-pq", [step("logs", 40_000, 37_000, 30, 180, true), lost, slow(80_000, 61_000)]);
    const base = config("baseline", [step("logs", 40_000, 36_000, 28, 150, true), { ...slow(80_000, 71_000), why: "5 refused" }]);
    expect(throughputAtCommonRate([ours, base], "logs")).toEqual({ offered: 40_000, perSec: [37_000, 36_000] });
    expect(lostNothing(lost)).toBe(false);
  });
});
