/**
 * The endings of a failed step's reasons (bench/steps.ts writes them, `; `-joined, into `why`) that
 * say only the clients fell short: the report and the near-miss rule read them back.
 */
export const SLOW_ACKS = "(slow acknowledgements)";
export const NEVER_ACCEPTED = " generated but not accepted";

/** Whether every reason in `why` ends with one of `endings`. */
export const onlyReasons = (why: string, endings: string[]): boolean => why.split("; ").every((w) => endings.some((e) => w.endsWith(e)));
