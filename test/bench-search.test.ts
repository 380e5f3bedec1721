/** The benches' ceiling search (bench/lib/search.ts) and the one-machine bench's near-miss rule (bench/steps.ts). */
import { describe, expect, it } from "vitest";
import { decided, nextRate, searchInTurns, turns, type SearchStep } from "../bench/lib/search";
import { nearMiss, type StepResult } from "../bench/steps";
import { benchStep } from "./helpers/bench-step";

const held = (offered: number): SearchStep => ({ offered, held: true });
const failed = (offered: number, near = false): SearchStep => ({ offered, held: false, nearMiss: near });
const local = { bisections: 2, retryNearMiss: true };

describe("the ceiling search with two bisections and second tries (npm run bench)", () => {
  it("GIVEN a failure after held steps WHEN asked THEN it bisects twice, toward the side that decided", () => {
    const h = [held(5000), held(10_000), held(20_000), failed(40_000)];
    expect(nextRate(h, 5000, 5, local)).toBe(30_000);
    expect(nextRate([...h, held(30_000)], 5000, 5, local)).toBe(35_000);
    expect(nextRate([...h, failed(30_000)], 5000, 5, local)).toBe(25_000);
    expect(nextRate([...h, held(30_000), failed(35_000)], 5000, 5, local)).toBeUndefined();
  });
  it("GIVEN a near miss WHEN asked THEN its rate is offered once more, and a held second try counts as held", () => {
    const h = [held(20_000), failed(40_000, true)];
    expect(nextRate(h, 20_000, 5, local)).toBe(40_000);
    expect(nextRate([...h, held(40_000)], 20_000, 5, local)).toBe(80_000);
    expect(decided([...h, held(40_000)])).toEqual([held(20_000), held(40_000)]);
  });
  it("GIVEN a near miss that failed again WHEN asked THEN it is not tried a third time and the search bisects", () => {
    const h = [held(20_000), failed(40_000, true), failed(40_000, true)];
    expect(nextRate(h, 20_000, 5, local)).toBe(30_000);
  });
  it("GIVEN a clear failure WHEN asked THEN it is not tried again", () => {
    expect(nextRate([held(20_000), failed(40_000)], 20_000, 5, local)).toBe(30_000);
  });
  it("GIVEN no retries asked for WHEN a near miss failed THEN the swarm's search bisects at once", () => {
    expect(nextRate([held(2000), failed(4000, true)], 2000, 5)).toBe(3000);
  });
  it("GIVEN maxSteps held rates WHEN asked THEN it stops: bisections and second tries do not use that budget", () => {
    expect(nextRate([held(1), held(2)], 1, 2, local)).toBeUndefined();
    const h = [held(5000), held(10_000), held(20_000), held(40_000), failed(80_000, true), failed(80_000)];
    expect(nextRate(h, 5000, 5, local)).toBe(60_000);
  });
  it("GIVEN the first rate failed WHEN asked THEN it halves, then bisects between the two", () => {
    expect(nextRate([failed(5000)], 5000, 5, local)).toBe(2500);
    expect(nextRate([failed(5000), held(2500)], 5000, 5, local)).toBe(3800);
  });
  it("GIVEN rates closer than the 100/s grid WHEN asked THEN it stops", () => {
    expect(nextRate([held(100), failed(200)], 100, 5, { bisections: 3 })).toBeUndefined();
  });
});

describe("configs taking turns (npm run bench searches ours, no-pq and the baseline interleaved)", () => {
  it("GIVEN three configs WHEN rounds pass THEN each goes first, second and third equally often", () => {
    expect([0, 1, 2, 3].map((round) => turns(3, round))).toEqual([
      [0, 1, 2],
      [1, 2, 0],
      [2, 0, 1],
      [0, 1, 2],
    ]);
    expect(turns(1, 7)).toEqual([0]);
  });

  /** A config that holds every rate up to `limit`; `near` rates fail as near misses once, then hold. */
  const machine = (limit: number, near: number[] = []) => {
    const tried = new Set<number>();
    return (rate: number): SearchStep => {
      const first = !tried.has(rate);
      tried.add(rate);
      if (near.includes(rate) && first) return failed(rate, true);
      return rate <= limit ? held(rate) : failed(rate);
    };
  };

  it("GIVEN configs with different ceilings WHEN searched in turns THEN each history is the one its own search takes alone", async () => {
    const configs = [machine(30_000), machine(50_000, [40_000]), machine(12_000)];
    const order: Array<[number, number]> = [];
    const together = await searchInTurns(3, 5000, 5, local, async (i, rate) => {
      order.push([i, rate]);
      return configs[i]!(rate);
    });
    const alone = async (c: (rate: number) => SearchStep) => searchInTurns(1, 5000, 5, local, async (_, rate) => c(rate));
    const fresh = [machine(30_000), machine(50_000, [40_000]), machine(12_000)];
    for (const [i, c] of fresh.entries()) expect(together[i]).toEqual((await alone(c))[0]);
    expect(together[1]!.filter((h) => h.offered === 40_000)).toEqual([failed(40_000, true), held(40_000)]);
    // Round 0 in order 0,1,2; round 1 starts with config 1; a config whose search ended drops out.
    expect(order.slice(0, 6)).toEqual([
      [0, 5000],
      [1, 5000],
      [2, 5000],
      [1, 10_000],
      [2, 10_000],
      [0, 10_000],
    ]);
    expect(order).toHaveLength(together.flat().length);
  });
});

/** The near miss of run 2026-12-06T19:23: no-pq at 40,000 spans/s, 160 spans never accepted. */
const step = (over: Partial<StepResult>): StepResult =>
  benchStep({ generated: 392_000, accepted: 391_840, acceptedPerSec: 39_184, ok: false, why: "160 generated but not accepted", ...over });

describe("a near miss (bench/steps.ts)", () => {
  it("GIVEN only the clients fell short, by ≤ 2 % WHEN judged THEN it is a near miss", () => {
    expect(nearMiss(step({}))).toBe(true);
    expect(
      nearMiss(
        step({
          acceptedPerSec: 31_000,
          why: "160 generated but not accepted; only 31000/s of 40000/s asked got through (slow acknowledgements)",
        }),
      ),
    ).toBe(true);
  });
  it("GIVEN the collector refused, dropped or lost anything WHEN judged THEN it is not", () => {
    expect(nearMiss(step({ refused: 100, why: "100 refused" }))).toBe(false);
    expect(nearMiss(step({ sendFailed: 1, why: "1 dropped by exporters" }))).toBe(false);
    expect(nearMiss(step({ notDelivered: 5, why: "5 not in the backend after 30 s" }))).toBe(false);
    expect(nearMiss(step({ why: "collector died" }))).toBe(false);
  });
  it("GIVEN the clients fell short by more WHEN judged THEN it is not", () => {
    expect(nearMiss(step({ accepted: 373_000, why: "19000 generated but not accepted" }))).toBe(false);
    expect(nearMiss(step({ acceptedPerSec: 29_000, why: "only 29000/s of 40000/s asked got through (slow acknowledgements)" }))).toBe(
      false,
    );
  });
  it("GIVEN a step that held WHEN judged THEN it is not a near miss", () => {
    expect(nearMiss(step({ ok: true, why: "", accepted: 392_000 }))).toBe(false);
  });
});
