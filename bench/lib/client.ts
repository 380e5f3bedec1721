import * as grpc from "@grpc/grpc-js";
import { ExportResult, ExportResultCode } from "@opentelemetry/core";
import { OTLPMetricExporter as GrpcMetricExporter } from "@opentelemetry/exporter-metrics-otlp-grpc";
import { OTLPMetricExporter as HttpMetricExporter } from "@opentelemetry/exporter-metrics-otlp-http";
import { OTLPTraceExporter as GrpcTraceExporter } from "@opentelemetry/exporter-trace-otlp-grpc";
import { OTLPTraceExporter as HttpTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { MeterProvider, MetricReader, PushMetricExporter, ResourceMetrics } from "@opentelemetry/sdk-metrics";
import { BasicTracerProvider, ReadableSpan, SimpleSpanProcessor, SpanExporter, SpanProcessor } from "@opentelemetry/sdk-trace-base";

/** Keeps ended spans for the test to export by hand (so it knows which ones were acknowledged). */
class CapturingProcessor implements SpanProcessor {
  spans: ReadableSpan[] = [];
  onStart(): void {}
  onEnd(span: ReadableSpan): void {
    this.spans.push(span);
  }
  async forceFlush(): Promise<void> {}
  async shutdown(): Promise<void> {}
}

export type Protocol = "grpc" | "http";

/** A reader the test drives by hand: collect now, export now, know whether the collector acked. */
class ManualReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

function exportMetrics(exporter: PushMetricExporter, metrics: ResourceMetrics): Promise<ExportResult> {
  return new Promise((resolve) => exporter.export(metrics, resolve));
}

function metadataOf(headers: Record<string, string>): grpc.Metadata {
  const metadata = new grpc.Metadata();
  for (const [key, value] of Object.entries(headers)) metadata.set(key.toLowerCase(), value);
  return metadata;
}

/**
 * The official OpenTelemetry JS SDK as a client of the collector: a MeterProvider with a manual
 * reader and OTLP exporters (gRPC or HTTP/protobuf-JSON), and a tracer provider.
 */
export class OtelClient {
  readonly meterProvider: MeterProvider;
  readonly tracerProvider: BasicTracerProvider;
  private readonly reader = new ManualReader();
  private readonly captured = new CapturingProcessor();
  private readonly metricExporter: PushMetricExporter;
  private readonly spanExporter: SpanExporter;
  /** Successful / failed metric exports (each is one collection of every instrument). */
  acked = 0;
  failed = 0;

  constructor(
    readonly options: {
      protocol: Protocol;
      grpcPort: number;
      httpPort: number;
      serviceName: string;
      attributes?: Record<string, string>;
      timeoutMillis?: number;
      /** Spans wait in memory until exportCapturedSpans() instead of being exported on end. */
      captureSpans?: boolean;
      /** Sent with every export (e.g. the stack's `otlpHeaders`: Authorization). */
      headers?: Record<string, string>;
      /** TLS: trust this CA (PEM) and connect over https / TLS gRPC. */
      caPem?: string;
    },
  ) {
    const resource = resourceFromAttributes({
      "service.name": options.serviceName,
      "service.instance.id": `${options.serviceName}-1`,
      ...options.attributes,
    });
    const timeoutMillis = options.timeoutMillis ?? 10_000;
    const scheme = options.caPem ? "https" : "http";
    const grpcOptions = {
      url: `${scheme}://127.0.0.1:${options.grpcPort}`,
      timeoutMillis,
      ...(options.caPem ? { credentials: grpc.credentials.createSsl(Buffer.from(options.caPem)) } : {}),
      ...(options.headers ? { metadata: metadataOf(options.headers) } : {}),
    };
    const httpOptions = (signal: string) => ({
      url: `${scheme}://127.0.0.1:${options.httpPort}/v1/${signal}`,
      timeoutMillis,
      ...(options.headers ? { headers: options.headers } : {}),
      ...(options.caPem ? { httpAgentOptions: { ca: options.caPem } } : {}),
    });
    this.metricExporter =
      options.protocol === "grpc" ? new GrpcMetricExporter(grpcOptions) : new HttpMetricExporter(httpOptions("metrics"));
    this.spanExporter = options.protocol === "grpc" ? new GrpcTraceExporter(grpcOptions) : new HttpTraceExporter(httpOptions("traces"));
    this.meterProvider = new MeterProvider({ resource, readers: [this.reader] });
    this.tracerProvider = new BasicTracerProvider({
      resource,
      spanProcessors: [options.captureSpans ? this.captured : new SimpleSpanProcessor(this.spanExporter)],
    });
  }

  meter(name = "it") {
    return this.meterProvider.getMeter(name);
  }

  tracer(name = "it") {
    return this.tracerProvider.getTracer(name);
  }

  /** Collect every instrument and export once; true when the collector acknowledged it. */
  async exportMetricsNow(): Promise<boolean> {
    return (await this.exportMetricsWithTimes()).ok;
  }

  /** Like exportMetricsNow, also giving the data points' timestamps (ms) that were sent. */
  async exportMetricsWithTimes(): Promise<{ ok: boolean; timesMs: number[] }> {
    const { resourceMetrics, errors } = await this.reader.collect();
    if (errors.length > 0) throw new Error(`collect failed: ${errors.join(", ")}`);
    const timesMs = resourceMetrics.scopeMetrics.flatMap((scope) =>
      scope.metrics.flatMap((metric) => metric.dataPoints.map((point) => point.endTime[0] * 1000 + Math.floor(point.endTime[1] / 1e6))),
    );
    const result = await exportMetrics(this.metricExporter, resourceMetrics);
    if (result.code === ExportResultCode.SUCCESS) this.acked += 1;
    else this.failed += 1;
    return { ok: result.code === ExportResultCode.SUCCESS, timesMs };
  }

  /** Export the spans captured since the last call; returns their span ids and whether they were acked. */
  async exportCapturedSpans(): Promise<{ ok: boolean; spanIds: string[] }> {
    const spans = this.captured.spans.splice(0);
    if (spans.length === 0) return { ok: true, spanIds: [] };
    const ok = await this.exportSpans(spans);
    return { ok, spanIds: spans.map((s) => s.spanContext().spanId) };
  }

  /** Take up to `count` of the spans captured so far (oldest first), to export them with exportSpans. */
  capturedSpans(count: number): ReadableSpan[] {
    return this.captured.spans.splice(0, count);
  }

  /** Export spans directly (bypassing the processor) to know which were acknowledged. */
  async exportSpans(spans: Parameters<SpanExporter["export"]>[0]): Promise<boolean> {
    const result = await new Promise<ExportResult>((resolve) => this.spanExporter.export(spans, resolve));
    return result.code === ExportResultCode.SUCCESS;
  }

  async flushSpans(): Promise<void> {
    await this.tracerProvider.forceFlush();
  }

  async shutdown(): Promise<void> {
    await Promise.allSettled([this.meterProvider.shutdown(), this.tracerProvider.shutdown()]);
  }
}
