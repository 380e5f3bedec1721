import * as fs from "node:fs";
import { ROOT_CONTEXT, trace } from "@opentelemetry/api";
import { OTLPLogExporter } from "@opentelemetry/exporter-logs-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { LoggerProvider, SimpleLogRecordProcessor } from "@opentelemetry/sdk-logs";
import * as yaml from "js-yaml";
import { afterEach, describe, expect, it } from "vitest";
import { OtelClient } from "../../bench/lib/client";
import { promQuery, stopAll, waitFor } from "../../bench/lib/harness";
import { loopbackStack, startBackend, startCollector } from "../../bench/lib/stack";

/**
 * The swappable backends with data flowing, each at the version the program pins
 * (settings/components.json): Prometheus 3 (metrics), VictoriaLogs (logs). VictoriaMetrics and
 * Jaeger are covered by end-to-end.test.ts. Tempo and Loki are AGPL: never built or run by this
 * project; their rendered configs are checked against their documented configuration reference
 * (test/loki-tempo-contract.test.ts) and `otelcol validate` checks the exporters that feed them.
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

describe("logs.backend = victorialogs", () => {
  it("GIVEN the VictoriaLogs plan WHEN the SDK logs inside a span THEN VictoriaLogs returns the record with its trace_id under the rendered retention, and the datasources link both ways", async () => {
    const stack = await loopbackStack({ logs: { backend: "victorialogs", retention: "7d", maxDiskGb: 2 }, traces: { storage: "memory" } });
    await startBackend(stack, "metrics");
    await startBackend(stack, "traces");
    const logs = await startBackend(stack, "logs");
    await startCollector(stack);
    // The rendered flags are the ones the real binary started with (an unknown flag stops it).
    expect(logs.args).toEqual(expect.arrayContaining(["-retentionPeriod=7d", "-retention.maxDiskSpaceUsageBytes=2GB"]));
    const logsUrl = stack.plan.backends.logs!.plan.queryUrl;
    // Retention as the running VictoriaLogs reports it (its own flags page), not as we rendered it.
    const flags = await (await fetch(`${logsUrl}/flags`)).text();
    expect(flags).toMatch(/^-retentionPeriod="7d"$/m);

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

    const record = await waitFor(
      "the log record in VictoriaLogs",
      async () => {
        const params = new URLSearchParams({ query: `service.name:"scotty-logs"`, limit: "10" });
        const response = await fetch(`${logsUrl}/select/logsql/query?${params}`);
        if (!response.ok) return undefined;
        // One JSON object per line.
        const lines = (await response.text()).split("\n").filter(Boolean);
        return lines.length > 0 ? (JSON.parse(lines[0]!) as Record<string, string>) : undefined;
      },
      90_000,
      1_000,
    );
    expect(record._msg).toBe("log stream opened for app demo");
    // The collector ran an exporter that compresses with zstd (configs/backends/victorialogs.ts), so
    // the record's arrival proves the pinned VictoriaLogs takes zstd on its OTLP endpoint.
    const ran = yaml.load(fs.readFileSync(stack.collectorConfigPath, "utf8")) as any;
    expect(ran.exporters["otlp_http/logs"].compression).toBe("zstd");
    // The field the logs datasource's derived field matches: the trace id, as OTLP carried it.
    expect(record.trace_id).toBe(traceId);
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
