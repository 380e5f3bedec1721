import { ROOT_CONTEXT, trace } from "@opentelemetry/api";
import { OTLPLogExporter } from "@opentelemetry/exporter-logs-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { LoggerProvider, SimpleLogRecordProcessor } from "@opentelemetry/sdk-logs";
import { afterEach, describe, expect, it } from "vitest";
import { OtelClient } from "../../bench/lib/client";
import { hasBinary, promQuery, stopAll, waitFor } from "../../bench/lib/harness";
import { loopbackStack, startBackend, startCollector } from "../../bench/lib/stack";

/**
 * The swappable backends with data flowing, for every backend whose binary can be built here:
 * Prometheus 3 (metrics), Loki 3 (logs). VictoriaMetrics and Jaeger are covered by
 * end-to-end.test.ts. Tempo and VictoriaLogs cannot be built: the Go module proxy answers 403 for
 * their modules; their configs are only checked by unit tests and `otelcol validate`.
 */
afterEach(async () => {
  await stopAll();
});

describe("metrics.backend = prometheus", () => {
  it("GIVEN the Prometheus plan WHEN the SDK sends a counter through the collector THEN Prometheus has it under its Prometheus name", async () => {
    const stack = await loopbackStack({ metrics: { backend: "prometheus", retention: "15d" }, traces: { storage: "memory" } });
    const prometheus = await startBackend(stack, "metrics");
    await startBackend(stack, "traces");
    await startCollector(stack);
    expect(prometheus.args).toContain("--storage.tsdb.retention.time=15d");
    expect(prometheus.args).toContain("--web.enable-remote-write-receiver");
    const client = new OtelClient({
      protocol: "grpc",
      grpcPort: stack.collectorPorts.otlpGrpc,
      httpPort: stack.collectorPorts.otlpHttp,
      serviceName: "scotty",
    });
    client.meter().createCounter("scotty.tasks").add(5, {});
    expect(await client.exportMetricsNow()).toBe(true);
    const result = await waitFor("scotty_tasks_total in Prometheus", async () => {
      const r = await promQuery(stack.metricsUrl, 'scotty_tasks_total{job="scotty",deployment_environment="it"}');
      return r.length > 0 ? r : undefined;
    });
    expect(Number(result[0]!.value[1])).toBe(5);
    await client.shutdown();
  });
});

describe.runIf(hasBinary("loki"))("logs.backend = loki", () => {
  it("GIVEN the Loki plan WHEN the SDK logs inside a span THEN Loki returns the line with its trace_id, and Grafana links both ways", async () => {
    const stack = await loopbackStack({ logs: { backend: "loki", retention: "7d" }, traces: { storage: "memory" } });
    await startBackend(stack, "metrics");
    await startBackend(stack, "traces");
    await startBackend(stack, "logs");
    await startCollector(stack);

    const resource = resourceFromAttributes({ "service.name": "scotty-logs" });
    const loggerProvider = new LoggerProvider({
      resource,
      processors: [
        new SimpleLogRecordProcessor({
          exporter: new OTLPLogExporter({ url: `http://127.0.0.1:${stack.collectorPorts.otlpHttp}/v1/logs` }),
        }),
      ],
    });
    const client = new OtelClient({
      protocol: "grpc",
      grpcPort: stack.collectorPorts.otlpGrpc,
      httpPort: stack.collectorPorts.otlpHttp,
      serviceName: "scotty-logs",
    });
    const span = client.tracer().startSpan("log_stream_handler");
    const traceId = span.spanContext().traceId;
    // No global context manager in a test: hand the span's context to the record explicitly.
    loggerProvider.getLogger("it").emit({
      body: "log stream opened for app demo",
      severityText: "INFO",
      context: trace.setSpan(ROOT_CONTEXT, span),
    });
    span.end();
    await loggerProvider.forceFlush();
    await client.flushSpans();

    const logsUrl = stack.plan.backends.logs!.plan.queryUrl;
    const stream = await waitFor(
      "the log line in Loki",
      async () => {
        const params = new URLSearchParams({
          query: '{service_name="scotty-logs"}',
          start: String((Date.now() - 600_000) * 1e6),
          limit: "10",
        });
        const response = await fetch(`${logsUrl}/loki/api/v1/query_range?${params}`);
        if (!response.ok) return undefined;
        const body = (await response.json()) as {
          data: { result: { stream: Record<string, string>; values: [string, string, Record<string, string>?][] }[] };
        };
        return body.data.result[0];
      },
      90_000,
      1_000,
    );
    expect(stream.values[0]![1]).toBe("log stream opened for app demo");
    // The trace id arrives as structured metadata (or a label): what the derived field matches.
    const metadata = { ...stream.stream, ...(stream.values[0]![2] ?? {}) };
    expect(metadata.trace_id).toBe(traceId);
    // The other direction: the trace is in Jaeger, and the datasources point at each other.
    await waitFor("the trace in Jaeger", async () => ((await fetch(`${stack.tracesUrl}/api/traces/${traceId}`)).ok ? true : undefined));
    const logsDs = stack.plan.backends.logs!.plan.datasource.jsonData as any;
    expect(logsDs.derivedFields[0]).toMatchObject({ matcherType: "label", matcherRegex: "trace_id", datasourceUid: "traces" });
    const tracesDs = stack.plan.backends.traces.plan.datasource.jsonData as any;
    expect(tracesDs.tracesToLogsV2).toMatchObject({ datasourceUid: "logs", filterByTraceID: true });
    await loggerProvider.shutdown();
    await client.shutdown();
  });
});
