/**
 * The ceiling search both benches use (bench/steps.ts on one machine, bench/swarm.ts on the swarm):
 * which rate to offer next, from the steps taken so far. Pure, so its rules are tested without load.
 */

/** `npm run bench`'s bisections after the doubling: the ceiling is known to ¼ of the last doubling (one bisection left ½). */
export const CEILING_BISECTIONS = 2;

export interface SearchStep {
  offered: number;
  held: boolean;
  /**
   * A failing step that the machine's noise may have decided (bench/steps.ts `nearMiss`): with
   * `retryNearMiss`, its rate is offered once more and holds if that second try holds.
   */
  nearMiss?: boolean;
}

export interface SearchOptions {
  /** Steps bisecting between the highest rate that held and the lowest that failed above it (default 1). */
  bisections?: number;
  /** Offer a near miss's rate a second time (default false). A rate is never tried more than twice. */
  retryNearMiss?: boolean;
}

/** Per rate, in the order first offered: held when any try at it held. */
export function decided(history: SearchStep[]): Array<{ offered: number; held: boolean }> {
  const byRate = new Map<number, boolean>();
  for (const h of history) byRate.set(h.offered, (byRate.get(h.offered) ?? false) || h.held);
  return [...byRate].map(([offered, held]) => ({ offered, held }));
}

/**
 * Double from `start` until a rate fails, then bisect `bisections` times between the highest rate that
 * held and the lowest that failed above it; if nothing held yet, halve. `maxSteps` bounds the rates
 * offered before bisecting (doubling or halving); bisections and second tries come on top.
 */
export function nextRate(history: SearchStep[], start: number, maxSteps: number, options: SearchOptions = {}): number | undefined {
  const last = history.at(-1);
  if (options.retryNearMiss && last && !last.held && last.nearMiss && history.filter((h) => h.offered === last.offered).length === 1)
    return last.offered;
  const rates = decided(history);
  if (rates.length === 0) return start;
  const firstFail = rates.findIndex((r) => !r.held);
  if (firstFail < 0) return rates.length >= maxSteps ? undefined : rates.at(-1)!.offered * 2;
  const good = rates.filter((r) => r.held).map((r) => r.offered);
  if (good.length === 0) return rates.length >= maxSteps ? undefined : Math.round(rates.at(-1)!.offered / 2);
  if (rates.length - 1 - firstFail >= (options.bisections ?? 1)) return undefined;
  const low = Math.max(...good);
  const high = Math.min(...rates.filter((r) => !r.held && r.offered > low).map((r) => r.offered));
  if (!Number.isFinite(high)) return undefined; // everything above the highest held rate held on a second try
  const mid = Math.round((low + high) / 2 / 100) * 100;
  return mid > low && mid < high ? mid : undefined;
}

/**
 * The order in which several configs take their steps in `round`: indices 0…count-1 rotated by the
 * round, so each config goes first, second, … equally often and drift on the shared machine falls on
 * every config alike.
 */
export function turns(count: number, round: number): number[] {
  const shift = ((round % count) + count) % count;
  return Array.from({ length: count }, (_, i) => (i + shift) % count);
}

/**
 * Several configs' searches, interleaved (`npm run bench`): in every round each config whose search is
 * not done takes its next step (`step`), in the order `turns` gives. Returns each config's history.
 */
export async function searchInTurns(
  count: number,
  start: number,
  maxSteps: number,
  options: SearchOptions,
  step: (config: number, rate: number) => Promise<SearchStep>,
): Promise<SearchStep[][]> {
  const histories: SearchStep[][] = Array.from({ length: count }, () => []);
  const next = (i: number) => nextRate(histories[i]!, start, maxSteps, options);
  for (let round = 0; ; round++) {
    const due = turns(count, round).filter((i) => next(i) !== undefined);
    if (due.length === 0) return histories;
    for (const i of due) histories[i]!.push(await step(i, next(i)!));
  }
}
