import { z } from "zod";

/**
 * What happens to the stack's Docker volumes (metrics, traces and logs data, the collector's queue,
 * ACME certificates) when Pulumi deletes them: on `destroy`, a backend swap, a `traces.storage` or
 * TLS-mode change, or an environment rename.
 */
export const dataSchema = z.strictObject({
  /**
   * true: Pulumi forgets a deleted volume but Docker keeps it (`retainOnDelete`), and a later `up`
   * that wants the same volume name takes it over with its data (swap back, re-deploy after
   * destroy). false: deleting means deleting. Default: true for environments named prod*, false
   * otherwise. Purge kept volumes with `npm run destroy -- <stack> --yes --purge-data`.
   */
  keepOnDelete: z.boolean().optional(),
});

export type DataSettings = z.output<typeof dataSchema>;

/** The one place the default is decided. */
export function keepDataOnDelete(s: { environment: string; data: DataSettings }): boolean {
  return s.data.keepOnDelete ?? /^prod/.test(s.environment);
}
