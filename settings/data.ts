import { z } from "zod";
import { isLocalDomain, isLoopbackIpv4 } from "./checks";

/**
 * What happens to the stack's Docker volumes (metrics, traces and logs data, the collector's queue,
 * ACME certificates) when Pulumi deletes them: on `destroy`, a backend swap, a `traces.storage` or
 * TLS-mode change, or an environment rename.
 */
export const dataSchema = z.strictObject({
  /**
   * true: Pulumi forgets a deleted volume but Docker keeps it (`retainOnDelete`), and a later `up`
   * that wants the same volume name takes it over with its data (swap back, re-deploy after
   * destroy). false: deleting means deleting. Default: true for a stack anyone else relies on
   * (keepDataByDefault), false otherwise. Purge kept volumes with `npm run destroy -- <stack> --yes --purge-data`.
   */
  keepOnDelete: z.boolean().optional(),
});

export type DataSettings = z.output<typeof dataSchema>;

/** The parts of the settings the default looks at. */
export interface KeepDataContext {
  environment: string;
  domain: string;
  data: DataSettings;
  exposure: { bindAddress: string };
  traefik: { mode: string; tls: { mode: string } };
  ingest: { route: boolean; tls: { mode: string } };
}

/**
 * Why a stack's data is kept by default, or undefined: a stack named prod*, or one anyone but its
 * own host's user relies on, which is what publishing off loopback, TLS (no one sets up
 * certificates for a throw-away stack), routed OTLP or a non-local external domain say.
 */
export function keepDataByDefault(s: Omit<KeepDataContext, "data">): string | undefined {
  if (/^prod/.test(s.environment)) return `environment '${s.environment}' is prod*`;
  if (!isLoopbackIpv4(s.exposure.bindAddress)) return `ports are published on ${s.exposure.bindAddress}`;
  if (s.traefik.mode !== "none" && s.traefik.tls.mode !== "none") return `traefik.tls is ${s.traefik.tls.mode}`;
  if (s.ingest.tls.mode !== "none") return `ingest.tls is ${s.ingest.tls.mode}`;
  if (s.ingest.route) return "OTLP is routed (ingest.route)";
  if (s.traefik.mode === "external" && !isLocalDomain(s.domain)) return `traefik.mode external serves ${s.domain}`;
  return undefined;
}

/** The one place the default is decided. */
export function keepDataOnDelete(s: KeepDataContext): boolean {
  return s.data.keepOnDelete ?? keepDataByDefault(s) !== undefined;
}
