import { SPAN_METRICS_DURATION_UNIT, SPAN_METRICS_PROMETHEUS_NAMESPACE, collectorFlow, collectorMemory, signal } from "../../dashboards";
import { NON_ROOT_UID } from "../../settings/names";
import { OTLP_MAX_MESSAGE_MIB } from "../collector";
import { httpHealthcheck } from "../healthcheck";
import { toYaml } from "../serialize";
import { DATASOURCE_UIDS } from "../types";
import { defineBackend } from "./contract";
import { backendService, goHours, otlpTracesExporter, tracesDatasource } from "./shared";

export const JAEGER_CONFIG_PATH = "/etc/jaeger/config.yaml";
const BADGER_DIR = "/badger";
/**
 * Jaeger 2.13 embeds collector v0.140, whose Prometheus reader still appends unit suffixes: its RSS
 * arrives as `otelcol_process_memory_rss_bytes`. Every other family it exposes has the collector's
 * name (told apart by job), so its span intake is the collector's receiver flow.
 */
const MEMORY_RSS = "otelcol_process_memory_rss_bytes";
/** The metrics storage Jaeger's Monitor tab (Service Performance Monitoring) reads. */
const SPM_STORAGE = "spm";

/**
 * Jaeger v2 (collector-based; v1 all-in-one is end-of-life). Takes OTLP from our collector.
 * Storage is always bounded: badger with a TTL of `traces.retention`, or memory with the tier's
 * `maxTraces`.
 */
export const jaeger = defineBackend("jaeger", {
  defaultPorts: { query: 16686, "query-grpc": 16685, "otlp-grpc": 4317, "otlp-http": 4318, health: 13133, metrics: 8888 },
  grafanaPlugins: [],
  selfMetrics: { port: "metrics", path: "/metrics" },
  health: (job) => ({
    ingestion: [collectorFlow(job, signal("traces"), "accepted"), collectorFlow(job, signal("traces"), "refused")],
    memory: collectorMemory(job, MEMORY_RSS),
  }),
  // The Jaeger datasource's search query (Grafana's jaeger plugin: queryType search, service, operation).
  traceSearch: (search) => ({
    datasource: { type: "jaeger", uid: DATASOURCE_UIDS.traces },
    queryType: "search",
    service: search.service,
    ...(search.operation !== undefined ? { operation: search.operation } : {}),
  }),
  plan(input) {
    const { ports } = input;
    const url = `http://${input.host}:${ports.query}`;
    const storage: JaegerConfigInput["storage"] = input.memoryStore
      ? { kind: "memory", maxTraces: input.memoryStore.maxTraces }
      : { kind: "badger", directory: BADGER_DIR, ttlHours: input.retention.hours };
    return {
      service: backendService(this.kind, input, {
        command: ["--config", JAEGER_CONFIG_PATH],
        ports: [{ name: "query", internal: ports.query! }],
        volumes: storage.kind === "badger" ? [{ name: "data", containerPath: BADGER_DIR, ownerUid: NON_ROOT_UID }] : [],
        files: [
          {
            path: JAEGER_CONFIG_PATH,
            content: renderJaegerConfig({
              storage,
              ports,
              bind: "0.0.0.0",
              ...(input.spanMetrics ? { metrics: { url: input.metricsQueryUrl } } : {}),
            }),
          },
        ],
        healthcheck: httpHealthcheck(ports.health!, "/status"),
        // Only the query port is routed (never OTLP); on it, archiving a trace is the one write.
        route: { subdomain: "jaeger", port: ports.query!, protectWithBasicAuth: true, paths: { deny: [{ prefix: "/api/archive" }] } },
      }),
      exporter: otlpTracesExporter(input.host, ports["otlp-grpc"]!, "zstd"),
      queryUrl: url,
      datasource: tracesDatasource({
        name: this.displayName,
        type: "jaeger",
        url,
        appName: input.appName,
        logsEnabled: input.logsEnabled,
        spanMetrics: input.spanMetrics,
        extra: {},
      }),
    };
  },
});

export interface JaegerConfigInput {
  storage: { kind: "memory"; maxTraces: number } | { kind: "badger"; directory: string; ttlHours: number };
  ports: Record<string, number>;
  /** Bind address inside the container. */
  bind: string;
  /**
   * The metrics backend's PromQL URL, where the collector writes span metrics (traces.spanMetrics):
   * the Monitor tab's storage. Absent: no metrics storage, no Monitor tab data.
   */
  metrics?: { url: string };
}

/**
 * Jaeger's Prometheus-compatible metrics storage, told the names the collector writes. Its reader
 * (internal/storage/metricstore/prometheus, v2.12.0) queries `<metric_namespace>_calls` plus
 * `_total` with normalize_calls, and `<metric_namespace>_duration` plus `_seconds`/`_milliseconds`
 * (latency_unit) with normalize_duration: the suffixes the remote-write exporter appends. So the
 * namespace is the connector's, as a Prometheus name, and the unit the connector's histogram unit.
 */
export function jaegerMetricsStorage(url: string): Record<string, unknown> {
  return {
    prometheus: {
      endpoint: url,
      metric_namespace: SPAN_METRICS_PROMETHEUS_NAMESPACE,
      latency_unit: SPAN_METRICS_DURATION_UNIT,
      normalize_calls: true,
      normalize_duration: true,
    },
  };
}

export function renderJaegerConfig(input: JaegerConfigInput): string {
  const { ports, bind } = input;
  const store =
    input.storage.kind === "memory"
      ? { memory: { max_traces: input.storage.maxTraces } }
      : {
          badger: {
            directories: { keys: `${input.storage.directory}/keys`, values: `${input.storage.directory}/values` },
            ephemeral: false,
            ttl: { spans: goHours(input.storage.ttlHours) },
          },
        };
  return toYaml({
    service: {
      extensions: ["jaeger_storage", "jaeger_query", "healthcheckv2"],
      pipelines: {
        traces: { receivers: ["otlp"], processors: ["batch"], exporters: ["jaeger_storage_exporter"] },
      },
      telemetry: {
        resource: { "service.name": "jaeger" },
        metrics: { level: "detailed", readers: [{ pull: { exporter: { prometheus: { host: bind, port: ports.metrics } } } }] },
        logs: { level: "info" },
      },
    },
    extensions: {
      healthcheckv2: { use_v2: true, http: { endpoint: `${bind}:${ports.health}` } },
      jaeger_query: {
        storage: { traces: "main", ...(input.metrics ? { metrics: SPM_STORAGE } : {}) },
        http: { endpoint: `${bind}:${ports.query}` },
        grpc: { endpoint: `${bind}:${ports["query-grpc"]}` },
      },
      jaeger_storage: {
        backends: { main: store },
        ...(input.metrics ? { metric_backends: { [SPM_STORAGE]: jaegerMetricsStorage(input.metrics.url) } } : {}),
      },
    },
    receivers: {
      otlp: {
        protocols: {
          // The collector's batches of large spans are over gRPC's default 4 MiB (OTLP_MAX_MESSAGE_MIB).
          grpc: { endpoint: `${bind}:${ports["otlp-grpc"]}`, max_recv_msg_size_mib: OTLP_MAX_MESSAGE_MIB },
          http: { endpoint: `${bind}:${ports["otlp-http"]}` },
        },
      },
    },
    processors: { batch: {} },
    exporters: { jaeger_storage_exporter: { trace_storage: "main" } },
  });
}
