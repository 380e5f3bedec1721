import { z } from "zod";

/**
 * `traces.spanMetrics`: request rate, errors and duration (RED) per service and operation, derived
 * from the spans themselves by the collector's span_metrics connector and written to the metrics
 * backend (Jaeger's Monitor tab and the "Services (from traces)" dashboard read them). Its own
 * module so the cardinality rules read in one place; settings/schema.ts mounts it under `traces`.
 *
 * What bounds the series it creates: every span becomes one combination of the built-in dimensions
 * (service, span name, kind, status code) and the extra `dimensions` below, and each combination
 * costs a fixed number of series (dashboards/span-metrics.ts, SERIES_PER_COMBINATION). The
 * extra dimensions are an allow-list of at most MAX_SPAN_METRICS_DIMENSIONS attributes, none of the
 * per-request ones; `cardinalityLimit` caps the combinations per service instance, past which the
 * connector counts spans under one overflow combination instead of creating new series.
 */

/** What every span metric carries anyway (the connector's own dimensions): not an extra one. */
export const SPAN_METRICS_BUILT_IN_DIMENSIONS = ["service.name", "span.name", "span.kind", "status.code", "collector.instance.id"] as const;

/** At most this many extra dimensions: each multiplies the series by its number of values. */
export const MAX_SPAN_METRICS_DIMENSIONS = 4;

/**
 * Attributes that hold a different value for (nearly) every request, user or connection: as a
 * dimension each would turn span metrics into one series per request. Semantic-convention names,
 * current and old.
 */
export const UNBOUNDED_SPAN_ATTRIBUTES = [
  "url.full",
  "url.path",
  "url.query",
  "url.original",
  "http.url",
  "http.target",
  "http.user_agent",
  "user_agent.original",
  "client.address",
  "client.port",
  "network.peer.address",
  "network.peer.port",
  "net.peer.ip",
  "net.peer.port",
  "net.sock.peer.addr",
  "net.sock.peer.port",
  "enduser.id",
  "user.id",
  "session.id",
  "db.statement",
  "db.query.text",
  "messaging.message.id",
  "exception.message",
  "exception.stacktrace",
] as const;

/**
 * The default per service instance: ~50 operations, each answering with two status codes, fit. The
 * tier's total (settings/tiers.ts spanMetricsCombinations) divided by it is how many service
 * instances the collector tracks at once: 20 on small.
 */
export const DEFAULT_SPAN_METRICS_CARDINALITY_LIMIT = 100;
/** The largest limit the schema takes; the tier's total bounds it further (settings/schema.ts). */
export const MAX_SPAN_METRICS_CARDINALITY_LIMIT = 10_000;

/** OpenTelemetry attribute keys as the semantic conventions write them (no `$`: the collector would expand it). */
const ATTRIBUTE_KEY = /^[A-Za-z][A-Za-z0-9_.-]{0,127}$/;

const dimension = z
  .string({ error: "must be a span attribute key (a string)" })
  .regex(ATTRIBUTE_KEY, {
    error: "must be a span attribute key: a letter, then letters, digits, '.', '_' or '-' (at most 128), e.g. http.request.method",
  })
  .superRefine((key, ctx) => {
    if ((SPAN_METRICS_BUILT_IN_DIMENSIONS as readonly string[]).includes(key)) {
      ctx.addIssue({
        code: "custom",
        input: key,
        message: `is one of the dimensions every span metric already carries (${SPAN_METRICS_BUILT_IN_DIMENSIONS.join(", ")}); remove it`,
      });
    }
    if ((UNBOUNDED_SPAN_ATTRIBUTES as readonly string[]).includes(key)) {
      ctx.addIssue({
        code: "custom",
        input: key,
        message:
          "holds a different value for (nearly) every request, so as a dimension it would create series per request; allowed: attributes with a small, fixed set of values (e.g. http.request.method, http.response.status_code, http.route, rpc.method)",
      });
    }
  });

export const spanMetricsSchema = z.strictObject({
  /** Derive RED metrics from spans in the collector (default on); false removes the connector, Jaeger's Monitor tab and the dashboard. */
  enabled: z.boolean({ error: "must be true or false" }).default(true),
  /** Extra span attributes to break the metrics down by, besides service, span name, kind and status code. */
  dimensions: z
    .array(dimension, { error: "must be a list of span attribute keys" })
    .max(MAX_SPAN_METRICS_DIMENSIONS, {
      error: `must have at most ${MAX_SPAN_METRICS_DIMENSIONS} entries: each extra dimension multiplies the series by its number of values; allowed: 0 to ${MAX_SPAN_METRICS_DIMENSIONS} attribute keys`,
    })
    .superRefine((keys, ctx) => {
      keys.forEach((key, index) => {
        if (keys.indexOf(key) !== index) {
          ctx.addIssue({ code: "custom", path: [index], input: key, message: "repeats an earlier dimension; list each attribute once" });
        }
      });
    })
    .default([]),
  /**
   * At most this many distinct combinations of dimensions per service instance (the connector's
   * aggregation_cardinality_limit); spans of new combinations past it are counted under one
   * overflow combination (label otel_metric_overflow="true"). At most the tier's
   * spanMetricsCombinations: the collector tracks that total divided by this many instances at once.
   */
  cardinalityLimit: z
    .number({ error: "must be a number" })
    .int({ error: "must be a whole number" })
    .min(1, { error: `must be from 1 to ${MAX_SPAN_METRICS_CARDINALITY_LIMIT}` })
    .max(MAX_SPAN_METRICS_CARDINALITY_LIMIT, {
      error: `must be at most ${MAX_SPAN_METRICS_CARDINALITY_LIMIT}: each combination costs a calls series and a whole histogram in the metrics backend; allowed: 1 to ${MAX_SPAN_METRICS_CARDINALITY_LIMIT}`,
    })
    .default(DEFAULT_SPAN_METRICS_CARDINALITY_LIMIT),
});
