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
import { catalogFor } from "../dashboards/catalog";

type Kind = "counter" | "gauge" | "histogram" | "updown";

/** method × route × status combinations seen in one export interval: 3 methods, 10 routes, 2 statuses. */
export const HTTP = { methods: ["GET", "POST", "DELETE"], routes: 10, statuses: ["200", "404"] };
const HTTP_LABEL_SETS = (): number => HTTP.methods.length * HTTP.routes * HTTP.statuses.length;

/** Label sets of one instrument per export interval, from the attribute keys the catalog says it carries. */
function labelSetCount(attributes: readonly string[]): number {
  if (attributes.includes("route")) return HTTP_LABEL_SETS(); // method × route × status
  if (attributes.includes("status")) return 4; // apps by status: running, stopped, creating, failed
  if (attributes.includes("tier")) return 4; // rate limits: 2 tiers × 2 decisions
  return 1;
}

/**
 * [name, kind, unit, label sets]: the application's instrument set, read from the one metric catalog
 * (dashboards/catalog.ts, which the dashboards and alerts are generated from), never typed again here.
 */
export const SCOTTY_INSTRUMENTS: Array<[string, Kind, string, number]> = catalogFor("scotty").list.map((m) => [
  m.otelName,
  m.kind === "updowncounter" ? "updown" : m.kind,
  m.unit,
  labelSetCount(m.attributes),
]);

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
