import { describe, expect, it } from "vitest";
import { nextRate } from "../bench/lib/search";
import {
  ceilingOf,
  parseTelemetrygen,
  ratioReason,
  sameRateTable,
  zeroLossMax,
  renderSwarmSection,
  replaceSection,
  SWARM_BEGIN,
  SWARM_END,
  verdict,
  type SwarmRun,
  type SwarmStep,
} from "../bench/swarm-report";

const step = (offered: number, held: boolean, achieved = offered): SwarmStep => ({
  offered,
  service: `s-${offered}`,
  generated: achieved * 10,
  failedExports: 0,
  stored: achieved * 10,
  achieved,
  durationS: 10,
  storedAfterS: 1,
  held,
  why: held ? "held" : "x",
  gatewayCpu: [{ node: "node1", cpuPct: 40 }],
  agentCpu: [
    { node: "node1", cpuPct: 30 },
    { node: "node2", cpuPct: 30 },
  ],
  load1: 2.5,
});

describe("the swarm bench's ceiling search", () => {
  it("GIVEN no step WHEN asked THEN it starts at the start rate", () => {
    expect(nextRate([], 2000, 5)).toBe(2000);
  });
  it("GIVEN steps that held WHEN asked THEN it doubles", () => {
    expect(nextRate([step(2000, true), step(4000, true)], 2000, 5)).toBe(8000);
  });
  it("GIVEN a failure after a held step WHEN asked THEN it bisects once, then stops", () => {
    const h = [step(2000, true), step(4000, false)];
    expect(nextRate(h, 2000, 5)).toBe(3000);
    expect(nextRate([...h, step(3000, true)], 2000, 5)).toBeUndefined();
  });
  it("GIVEN the first step failed WHEN asked THEN it halves until one holds", () => {
    expect(nextRate([step(2000, false)], 2000, 5)).toBe(1000);
    expect(nextRate([step(2000, false), step(1000, false)], 2000, 5)).toBe(500);
    expect(nextRate([step(2000, false), step(1000, true)], 2000, 5)).toBeUndefined();
  });
  it("GIVEN maxSteps steps WHEN asked THEN it stops", () => {
    expect(nextRate([step(1, true), step(2, true)], 1, 2)).toBeUndefined();
  });
  it("GIVEN steps WHEN the ceiling is taken THEN it is the highest achieved rate among those that held", () => {
    expect(ceilingOf([step(2000, true, 1900), step(4000, true, 3700), step(8000, false, 6000)])?.offered).toBe(4000);
    expect(ceilingOf([step(2000, false)])).toBeUndefined();
  });
});

describe("the swarm bench's step verdict", () => {
  it("GIVEN everything generated stored at the rate WHEN judged THEN it holds", () => {
    expect(verdict({ offered: 1000, generated: 10000, failedExports: 0, stored: 10000, achieved: 990 })).toEqual({
      held: true,
      why: "held",
    });
  });
  it("GIVEN loss, failed exports and a low rate WHEN judged THEN every problem is named", () => {
    const v = verdict({ offered: 1000, generated: 5000, failedExports: 3, stored: 4990, achieved: 500 });
    expect(v.held).toBe(false);
    expect(v.why).toBe("3 failed exports; 10 of 5000 not stored in time; achieved 500/s < 80 % of 1000/s");
  });
  it("GIVEN more stored than generated WHEN judged THEN duplicates fail the step", () => {
    expect(verdict({ offered: 100, generated: 1000, failedExports: 0, stored: 1002, achieved: 100 }).why).toBe(
      "1002 stored > 1000 generated (duplicates)",
    );
  });
});

describe("telemetrygen's output", () => {
  it("GIVEN one line per worker and an export error WHEN parsed THEN the counts add up", () => {
    const out = [
      '2026-12-06T04:00:00Z\tINFO\tlogs/worker.go:100\tlogs generated\t{"worker": 0, "logs": 1250}',
      '2026-12-06T04:00:00Z\tINFO\tlogs/worker.go:100\tlogs generated\t{"worker": 1, "logs": 1249}',
      "2026-12-06T04:00:00Z\tERROR\texporter failed\t{}",
    ].join("\n");
    expect(parseTelemetrygen(out)).toEqual({ generated: 2499, failedExports: 1 });
  });
});

describe("the swarm bench's docs section", () => {
  const run: SwarmRun = {
    started: "2026-12-06T04:00:00.000Z",
    commit: "abc1234",
    machine: { cpus: 2, model: "cpu", memoryMb: 8000, kernel: "6.1" },
    lab: { name: "bench", nodes: 2, dataNode: "node1", upS: 20, imagesS: 30 },
    tier: "small",
    stepS: 10,
    signal: "logs",
    loadAtStart: [1.5, 1, 1],
    loadAtEnd: [3, 2, 1],
    busiestAtStart: ["50.0 node"],
    nice: 10,
    idleAgentMemory: [{ node: "node1", usageMb: 60, peakMb: 70, rssMb: 40 }],
    phases: [
      {
        replicas: 1,
        gatewayNodes: ["node2"],
        upS: 60,
        steps: [step(2000, true), step(4000, false)],
        ceiling: step(2000, true),
        agentMemory: [],
        gatewayMemory: [],
      },
      {
        replicas: 2,
        gatewayNodes: ["node1", "node2"],
        upS: 30,
        steps: [step(2000, true)],
        ceiling: step(2000, true, 2400),
        agentMemory: [],
        gatewayMemory: [],
      },
    ],
    ratio: 1.2,
    runtimeS: 600,
    events: [],
  };
  it("GIVEN a run WHEN rendered THEN the section sits between its markers with the ratio, the ceilings and the load", () => {
    const section = renderSwarmSection([run]);
    expect(section.startsWith(SWARM_BEGIN)).toBe(true);
    expect(section.endsWith(SWARM_END)).toBe(true);
    expect(section).toContain("**Ratio 2 : 1 replicas = 1.20×** (ceilings; on the zero-loss maxima 0.50×).");
    expect(zeroLossMax(run.phases[0])).toBe(4000);
    expect(section).toContain(
      "| **ceiling** (log records/s, zero loss; achieved rate of the highest step that held) | **2,000** | **2,400** |",
    );
    expect(section).toContain("at the start 1.5 / 1 / 1");
  });
  it("GIVEN a gateway far from a core at the 1-replica ceiling WHEN the ratio is explained THEN it says so and names the failing step", () => {
    const reason = ratioReason(run);
    expect(reason).toContain("the gateway used only 40 % of a core at its ceiling (2,000 records/s): it was not the bottleneck");
    expect(reason).toContain("The first failing steps failed on: 1 replica at 4,000/s — x.");
    expect(reason).toContain("every record generated was stored and no export failed");
    expect(ratioReason({ ...run, ratio: undefined })).toBe("No ratio: a phase had no step that held.");
    expect(reason).not.toContain("did not spread");
    const lopsided = {
      ...step(2000, true),
      gatewayCpu: [
        { node: "node1", cpuPct: 3 },
        { node: "node2", cpuPct: 14 },
      ],
    };
    const uneven = ratioReason({ ...run, phases: [run.phases[0]!, { ...run.phases[1]!, ceiling: lopsided }] });
    expect(uneven).toContain("With 2 replicas the load did not spread evenly (gateway CPU per task at the ceiling: node1 3 %, node2 14 %)");
  });
  it("GIVEN rates both phases ran WHEN the same-rate table is built THEN it compares the gateway CPU per task at those rates only", () => {
    const rows = sameRateTable(run.phases[0], run.phases[1]);
    expect(rows.filter((l) => l.startsWith("| 2,000 "))).toEqual(["| 2,000 | node1 40 % (2,000/s) | node1 40 % (2,000/s) | 40 % |"]);
    expect(rows.some((l) => l.startsWith("| 4,000 "))).toBe(false);
  });
  it("GIVEN a doc with the section WHEN replaced THEN only the section changes; without it, it is appended", () => {
    const doc = `a\n${SWARM_BEGIN}\nold\n${SWARM_END}\nb\n`;
    expect(replaceSection(doc, `${SWARM_BEGIN}\nnew\n${SWARM_END}`)).toBe(`a\n${SWARM_BEGIN}\nnew\n${SWARM_END}\nb\n`);
    expect(replaceSection("a\n", "S")).toBe("a\n\nS\n");
  });
});
