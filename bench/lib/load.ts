/**
 * Load from the OpenTelemetry ecosystem's own generator, telemetrygen (contrib, built by
 * `scripts/install-components.sh telemetrygen`): Go, rate-limited per worker, batching 100 records
 * per OTLP request, so the generator costs far less CPU than the JS SDK the earlier benchmark used.
 */
import type { Signal } from "../../settings/names";
import { binary, start } from "./harness";

export type { Signal };

export interface LoadSpec {
  signal: Signal;
  /** Items per second over all workers: data points, spans or log records. */
  itemsPerSec: number;
  durationS: number;
  /** OTLP/gRPC port of the collector on 127.0.0.1. */
  grpcPort: number;
  /** service.name of the generated data: each step has its own, so backends can tell steps apart. */
  service: string;
  /** Override the items/s per worker: fewer per worker = more concurrent clients (the overload step). */
  perWorker?: number;
}

export interface LoadResult {
  /** Items telemetrygen reports it generated. */
  generated: number;
  /** Export calls that failed (each is a batch of up to 100 records, or a span batch). */
  failedExports: number;
  /** Non-zero when the generator itself failed. */
  exitCode: number | null;
  tail: string;
}

/** Spans per trace: a root and its children. Jaeger's memory store is bounded in traces, so traces are large. */
export const SPANS_PER_TRACE = 50;
/**
 * Items per second per worker (Go rate limiter, burst 1): many slow workers, like many clients. Metric
 * and log workers export each batch of 100 synchronously and lose rate while they wait; every worker
 * also loses rate to timer slack when its limiter waits less than a few ms (measured: one span worker
 * asked for 1,667 spans/s produced ~1,270/s). For traces, telemetrygen's --rate counts spans (the
 * limiter is waited on for every span, children included).
 */
export const PER_WORKER: Record<Signal, number> = { metrics: 250, logs: 250, traces: 250 };

/**
 * Attributes on every item for realistic label sets: an HTTP server's route/method/status. Metrics get
 * one series per worker (a `worker` attribute is not possible per worker in telemetrygen; the workers
 * share the series), which is the hard case for the backend: many samples per series.
 */
const ATTRIBUTES = ['http.route="/api/v1/apps/{name}"', 'http.request.method="GET"', "http.response.status_code=200"];

export function telemetrygenArgs(spec: LoadSpec): string[] {
  const workers = Math.max(1, Math.ceil(spec.itemsPerSec / (spec.perWorker ?? PER_WORKER[spec.signal])));
  const args = [
    spec.signal,
    "--otlp-endpoint",
    `127.0.0.1:${spec.grpcPort}`,
    "--otlp-insecure",
    "--rate",
    (spec.itemsPerSec / workers).toFixed(3),
    "--workers",
    String(workers),
    "--duration",
    `${spec.durationS}s`,
    "--service",
    spec.service,
    "--allow-export-failures",
    ...ATTRIBUTES.flatMap((a) => ["--telemetry-attributes", a]),
  ];
  if (spec.signal === "metrics") args.push("--metric-type", "Gauge", "--otlp-metric-name", "bench.load");
  if (spec.signal === "traces") args.push("--child-spans", String(SPANS_PER_TRACE - 1));
  if (spec.signal === "logs") args.push("--body", "GET /api/v1/apps/demo 200 12ms");
  return args;
}

/**
 * Span load comes from one telemetrygen process per SPANS_PER_CLIENT spans/s. A process is one SDK: one
 * batch span processor whose exporter sends its 100-span requests one after another, and drops spans
 * once its 2,048-span queue is full. From one process, 40,000 spans/s is 400 requests/s in series,
 * 2.5 ms each including the collector's answer: a limit of that one client, not of the collector.
 * Services each run their own SDK; so do these clients. This alone did not make 40,000 spans/s hold on
 * this 2-core machine (2026-12-06, 10 s steps: in one process the no-pq config lost 2,060–7,534 spans
 * and the baseline 0 or 18,132; in four, 4,255 and 6,256): the generator, Jaeger and the collector
 * share the cores there.
 */
export const SPANS_PER_CLIENT = 10_000;

/** The telemetrygen processes for one load: one for metrics and logs, one per SPANS_PER_CLIENT spans/s. */
export function clientSpecs(spec: LoadSpec): LoadSpec[] {
  const clients = spec.signal === "traces" ? Math.max(1, Math.ceil(spec.itemsPerSec / SPANS_PER_CLIENT)) : 1;
  return Array.from({ length: clients }, () => ({ ...spec, itemsPerSec: spec.itemsPerSec / clients }));
}

/** Run the load's telemetrygen processes to completion and add up what they say they did. */
export async function runTelemetrygen(spec: LoadSpec): Promise<LoadResult> {
  const results = await Promise.all(clientSpecs(spec).map(runOne));
  return {
    generated: results.reduce((sum, r) => sum + r.generated, 0),
    failedExports: results.reduce((sum, r) => sum + r.failedExports, 0),
    exitCode: results.some((r) => r.exitCode !== 0) ? results.find((r) => r.exitCode !== 0)!.exitCode : 0,
    tail: results.map((r) => r.tail).join("\n"),
  };
}

async function runOne(spec: LoadSpec): Promise<LoadResult> {
  const proc = start(`telemetrygen-${spec.signal}`, binary("telemetrygen"), telemetrygenArgs(spec));
  await new Promise<void>((resolve) => (proc.exited() ? resolve() : proc.child.once("exit", () => resolve())));
  const out = proc.output();
  const key = { metrics: "metrics", traces: "traces", logs: "logs" }[spec.signal];
  let units = 0;
  let failedExports = 0;
  for (const line of out.split("\n")) {
    const generated = new RegExp(`${key} generated.*?"${key}":\\s*(\\d+)`).exec(line);
    if (generated) units += Number(generated[1]);
    if (/exporter failed|failed to export|export.*error|traces export:/i.test(line)) failedExports += 1;
  }
  return {
    generated: units * (spec.signal === "traces" ? SPANS_PER_TRACE : 1),
    failedExports,
    exitCode: proc.child.exitCode,
    tail: out.slice(-1200),
  };
}
