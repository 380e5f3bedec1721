import { sleep } from "../../bench/lib/harness";

/** A loop of numbered rounds in the background; the first failure ends it and is rethrown to the caller. */
export interface Rounds {
  /** Rounds completed so far; throws the loop's failure, if any. */
  rounds(): number;
  /** Ends the loop after the current round; resolves to the rounds completed, or throws its failure. */
  stop(): Promise<number>;
}

/** Run `round(n)` every `everyMs` (or back to back when a round takes longer) until stopped. */
export function startRounds(everyMs: number, round: (n: number) => Promise<void>): Rounds {
  let done = 0;
  let stopped = false;
  let failure: unknown;
  const loop = (async () => {
    while (!stopped) {
      const began = Date.now();
      try {
        await round(done);
      } catch (error) {
        failure = error;
        return;
      }
      done += 1;
      await sleep(Math.max(0, everyMs - (Date.now() - began)));
    }
  })();
  return {
    rounds: () => {
      if (failure) throw failure;
      return done;
    },
    async stop() {
      stopped = true;
      await loop;
      if (failure) throw failure;
      return done;
    },
  };
}
