/**
 * The inputs of the dashboards package, validated once where they enter (renderDashboards,
 * renderAlerting). Types are inferred from the schemas: one source of truth for each shape.
 */
import { z } from "zod";
import { SIGNALS } from "../settings/names";
import { alertThresholds, appNameSchema as appName, environmentSchema } from "../settings/schema";

// Names and thresholds use the settings schema's own rules: one source for each.
const datasourceUid = z.string().regex(/^[a-zA-Z0-9_-]{1,40}$/, { error: "must be a Grafana uid (1-40 of a-z A-Z 0-9 _ -)" });

const promQuery = z.strictObject({
  expr: z.string().min(1),
  legendFormat: z.string(),
  exemplar: z.boolean().optional(),
  instant: z.boolean().optional(),
});

/**
 * What a deployed backend tells the stack-health dashboard (its row) and the stack alerts (its
 * down rule) about itself: plain data from its module (configs/backends), so neither renderer
 * knows any backend by name. What it measures is the backend's; how it is shown is ours.
 */
export const backendHealthSchema = z.strictObject({
  signal: z.enum(SIGNALS),
  /** Display name (row and panel titles, alert text). */
  title: z.string().min(1),
  /** The collector's scrape job for its own /metrics: `up{job=…}`. */
  job: z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_.-]*$/, { error: "must be a Prometheus job name" }),
  /** What it takes in per second (and refuses or drops). */
  ingestion: z.array(promQuery).min(1),
  /** Bytes it keeps on disk, where it reports them. */
  storage: z.array(promQuery).min(1).optional(),
  /** Its resident memory. */
  memory: promQuery,
});

export type BackendHealth = z.infer<typeof backendHealthSchema>;

/** Backends in the order their rows appear; one per signal at most (each signal has one backend). */
const backends = z.array(backendHealthSchema).refine((list) => new Set(list.map((b) => b.signal)).size === list.length, {
  error: "at most one backend per signal",
});

/**
 * The traces datasource's Explore queries that find a span-metrics series' traces, per service and
 * per service and operation, holding Grafana data-link variables for the values (services.ts,
 * TRACE_LINK_VALUES). From the traces backend's module: only it knows its datasource's query model.
 */
const traceSearch = z.strictObject({
  service: z.record(z.string(), z.unknown()),
  operation: z.record(z.string(), z.unknown()),
});

export type TraceSearch = z.infer<typeof traceSearch>;

export const dashboardInputSchema = z.strictObject({
  appName,
  metricsUid: datasourceUid,
  tracesUid: datasourceUid,
  logsUid: datasourceUid.optional(),
  backends,
  /** Set exactly when the collector writes span metrics (traces.spanMetrics): the "Services (from traces)" dashboard. */
  spanMetrics: z.strictObject({ traceSearch: traceSearch.optional() }).optional(),
});

export type DashboardInput = z.infer<typeof dashboardInputSchema>;

/**
 * A file Grafana reads the secret from (`$__file{...}`): an absolute path, and nothing that could
 * end the expansion early or be expanded itself (`}`, `$`, whitespace).
 */
const secretFile = z.string().regex(/^\/[A-Za-z0-9._/-]+$/, { error: "must be an absolute path of [A-Za-z0-9._/-]" });

const contactPoint = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("none") }),
  z.strictObject({ kind: z.enum(["webhook", "slack"]), urlFile: secretFile }),
  // `;` separates addresses in Grafana's email settings, so it cannot appear inside one.
  z.strictObject({ kind: z.literal("email"), addresses: z.array(z.email().refine((a) => !a.includes(";"))).min(1) }),
]);

export const alertInputSchema = z.strictObject({
  appName,
  environment: environmentSchema,
  metricsUid: datasourceUid,
  backends,
  thresholds: alertThresholds,
  contactPoint,
});

export type AlertInput = z.infer<typeof alertInputSchema>;
export type ContactPointInput = AlertInput["contactPoint"];

/** Parses or throws one error listing every problem (path, what was given, what is allowed). */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new Error(`${what}: invalid input\n${z.prettifyError(result.error)}`);
  return result.data;
}
