/**
 * Scotty's metrics as the real application emits them (factorial-io/scotty, scotty/src/metrics/:
 * instruments.rs for the instrument set and units, otel_recorder.rs and http.rs for the labels,
 * init.rs for the 10 s PeriodicReader), emitted by the JS SDK for N simulated instances.
 *
 * Labels: the HTTP middleware labels requests with method, route (the raw URI path) and status; the
 * app list records apps by status; the rate limiter by tier and decision. Everything else is
 * unlabelled. The label-set counts below are this benchmark's assumption of a busy instance.
 */
import type { Meter } from "@opentelemetry/api";

type Kind = "counter" | "gauge" | "histogram" | "updown";

/** method × route × status combinations seen in one export interval: 3 methods, 10 routes, 2 statuses. */
export const HTTP = { methods: ["GET", "POST", "DELETE"], routes: 10, statuses: ["200", "404"] };
const HTTP_LABEL_SETS = (): number => HTTP.methods.length * HTTP.routes * HTTP.statuses.length;

/** [name, kind, unit, label sets] */
export const SCOTTY_INSTRUMENTS: Array<[string, Kind, string, number]> = [
  ["scotty.log_streams.active", "gauge", "", 1],
  ["scotty.log_streams.total", "counter", "", 1],
  ["scotty.log_stream.duration", "histogram", "s", 1],
  ["scotty.log_stream.lines", "counter", "", 1],
  ["scotty.log_stream.errors", "counter", "", 1],
  ["scotty.shell_sessions.active", "gauge", "", 1],
  ["scotty.shell_sessions.total", "counter", "", 1],
  ["scotty.shell_session.duration", "histogram", "s", 1],
  ["scotty.shell_session.errors", "counter", "", 1],
  ["scotty.shell_session.timeouts", "counter", "", 1],
  ["scotty.websocket.connections", "gauge", "", 1],
  ["scotty.websocket.messages_sent", "counter", "", 1],
  ["scotty.websocket.messages_received", "counter", "", 1],
  ["scotty.websocket.auth_failures", "counter", "", 1],
  ["scotty.tasks.active", "gauge", "", 1],
  ["scotty.tasks.total", "counter", "", 1],
  ["scotty.task.duration", "histogram", "s", 1],
  ["scotty.task.failures", "counter", "", 1],
  ["scotty.task.output_lines", "counter", "", 1],
  ["scotty.memory.rss_bytes", "gauge", "bytes", 1],
  ["scotty.memory.virtual_bytes", "gauge", "bytes", 1],
  ["scotty.tokio.workers.count", "gauge", "", 1],
  ["scotty.tokio.tasks.active", "gauge", "", 1],
  ["scotty.tokio.tasks.dropped", "counter", "", 1],
  ["scotty.tokio.poll.count", "counter", "", 1],
  ["scotty.tokio.poll.duration", "histogram", "s", 1],
  ["scotty.tokio.poll.slow_count", "counter", "", 1],
  ["scotty.tokio.idle.duration", "histogram", "s", 1],
  ["scotty.tokio.scheduled.count", "counter", "", 1],
  ["scotty.tokio.first_poll.delay", "histogram", "s", 1],
  ["scotty.http.requests.total", "counter", "", HTTP_LABEL_SETS()],
  ["scotty.http.request.duration", "histogram", "s", HTTP_LABEL_SETS()],
  ["scotty.http.requests.active", "updown", "", 1],
  ["scotty.apps.total", "gauge", "", 1],
  ["scotty.apps.by_status", "gauge", "", 4],
  ["scotty.app.services.count", "histogram", "", 1],
  ["scotty.app.last_check.age", "histogram", "s", 1],
  ["scotty.oauth.device_flow_sessions.active", "gauge", "", 1],
  ["scotty.oauth.web_flow_sessions.active", "gauge", "", 1],
  ["scotty.oauth.sessions.active", "gauge", "", 1],
  ["scotty.oauth.sessions.expired_cleaned", "counter", "", 1],
  ["scotty.oauth.device_flows.total", "counter", "", 1],
  ["scotty.oauth.web_flows.total", "counter", "", 1],
  ["scotty.oauth.flows.failures", "counter", "", 1],
  ["scotty.oauth.token_validations.total", "counter", "", 1],
  ["scotty.oauth.token_validation.duration", "histogram", "s", 1],
  ["scotty.oauth.token_validations.failures", "counter", "", 1],
  ["scotty.rate_limit.requests.total", "counter", "", 4],
  ["scotty.rate_limit.extractor.errors", "counter", "", 1],
];

/** Scotty's PeriodicReader interval (init.rs). */
export const SCOTTY_EXPORT_INTERVAL_MS = 10_000;

function labelSets(name: string, count: number): Record<string, string>[] {
  if (count === 1) return [{}];
  if (name.startsWith("scotty.http.")) {
    const sets: Record<string, string>[] = [];
    for (const method of HTTP.methods)
      for (let r = 0; r < HTTP.routes; r++)
        for (const status of HTTP.statuses) sets.push({ method, route: `/api/v1/apps/app-${r}`, status });
    return sets;
  }
  if (name === "scotty.apps.by_status") return ["running", "stopped", "creating", "failed"].map((status) => ({ status }));
  return ["anonymous", "authenticated"].flatMap((tier) => ["allowed", "denied"].map((decision) => ({ tier, decision })));
}

/**
 * Rows one export becomes in VictoriaMetrics (remote write): one per counter/gauge data point; a
 * histogram with the SDK's 15 default boundaries becomes 16 buckets (+Inf included), _sum and _count.
 */
export const SCOTTY_ROWS_PER_EXPORT = SCOTTY_INSTRUMENTS.reduce((n, [, kind, , sets]) => n + sets * (kind === "histogram" ? 18 : 1), 0);
export const SCOTTY_POINTS_PER_EXPORT = SCOTTY_INSTRUMENTS.reduce((n, [, , , sets]) => n + sets, 0);

/** Create Scotty's instruments on a meter; the returned function records one interval's worth on all of them. */
export function scottyInstruments(meter: Meter): () => void {
  const recorders = SCOTTY_INSTRUMENTS.map(([name, kind, unit, count]) => {
    const sets = labelSets(name, count);
    const options = unit ? { unit } : {};
    switch (kind) {
      case "counter": {
        const c = meter.createCounter(name, options);
        return () => sets.forEach((l) => c.add(1 + Math.floor(Math.random() * 5), l));
      }
      case "updown": {
        const c = meter.createUpDownCounter(name, options);
        return () => sets.forEach((l) => c.add(Math.random() < 0.5 ? 1 : -1, l));
      }
      case "gauge": {
        const g = meter.createGauge(name, options);
        return () => sets.forEach((l) => g.record(Math.floor(Math.random() * 100), l));
      }
      case "histogram": {
        const h = meter.createHistogram(name, options);
        return () => sets.forEach((l) => h.record(Math.random() * 2, l));
      }
      default: {
        const never: never = kind;
        throw new Error(`unknown instrument kind ${String(never)}`);
      }
    }
  });
  return () => recorders.forEach((r) => r());
}
