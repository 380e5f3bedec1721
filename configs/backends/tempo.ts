import { jobRate, processMemory } from "../../dashboards";
import { NON_ROOT_UID } from "../../settings/names";
import { toYaml } from "../serialize";
import { DATASOURCE_UIDS } from "../types";
import { defineBackend } from "./contract";
import { backendService, goHours, otlpTracesExporter, tracesDatasource } from "./shared";

export const TEMPO_CONFIG_PATH = "/etc/tempo/tempo.yaml";

/**
 * Grafana Tempo 2.x, monolithic, local block storage. Its metrics generator pushes service-graph
 * and span metrics into the metrics backend, which the datasource's service map reads.
 * No healthcheck: we could not confirm a probe tool in the image (the Go module cannot be fetched
 * here to check); Grafana's datasource health shows it instead.
 */
export const tempo = defineBackend("tempo", {
  defaultPorts: { http: 3200, grpc: 9095, "otlp-grpc": 4317, "otlp-http": 4318 },
  grafanaPlugins: [],
  selfMetrics: { port: "http", path: "/metrics" },
  health: (job) => ({
    ingestion: [
      jobRate("tempo_distributor_spans_received_total", job, "received"),
      jobRate("tempo_discarded_spans_total", job, "discarded {{reason}}", ["reason"]),
    ],
    memory: processMemory(job),
  }),
  // The Tempo datasource's TraceQL search (not run by our tests: no Tempo binary here).
  traceSearch: (search) => ({
    datasource: { type: "tempo", uid: DATASOURCE_UIDS.traces },
    queryType: "traceql",
    query: `{resource.service.name="${search.service}"${search.operation !== undefined ? ` && name="${search.operation}"` : ""}}`,
  }),
  plan(input) {
    const { ports } = input;
    const url = `http://${input.host}:${ports.http}`;
    return {
      service: backendService(this.kind, input, {
        command: [`-config.file=${TEMPO_CONFIG_PATH}`],
        ports: [{ name: "http", internal: ports.http! }],
        volumes: [{ name: "data", containerPath: "/var/tempo", ownerUid: NON_ROOT_UID }],
        files: [
          {
            path: TEMPO_CONFIG_PATH,
            content: renderTempoConfig({
              ports,
              retentionHours: input.retention.hours,
              remoteWriteUrl: input.metricsRemoteWriteUrl,
              dataPath: "/var/tempo",
            }),
          },
        ],
      }),
      // gzip, not zstd: Tempo is never run here (AGPL), so no test could prove its receiver takes zstd.
      exporter: otlpTracesExporter(input.host, ports["otlp-grpc"]!, "gzip"),
      queryUrl: url,
      datasource: tracesDatasource({
        name: this.displayName,
        type: "tempo",
        url,
        appName: input.appName,
        logsEnabled: input.logsEnabled,
        spanMetrics: input.spanMetrics,
        extra: { serviceMap: { datasourceUid: DATASOURCE_UIDS.metrics }, search: { hide: false } },
      }),
    };
  },
});

export function renderTempoConfig(input: {
  ports: Record<string, number>;
  retentionHours: number;
  remoteWriteUrl: string;
  dataPath: string;
}): string {
  const { ports, dataPath } = input;
  return toYaml({
    stream_over_http_enabled: true,
    server: { http_listen_port: ports.http, grpc_listen_port: ports.grpc, log_level: "info" },
    distributor: {
      receivers: {
        otlp: {
          protocols: {
            grpc: { endpoint: `0.0.0.0:${ports["otlp-grpc"]}` },
            http: { endpoint: `0.0.0.0:${ports["otlp-http"]}` },
          },
        },
      },
    },
    ingester: { max_block_duration: "5m" },
    compactor: { compaction: { block_retention: goHours(input.retentionHours) } },
    metrics_generator: {
      registry: { external_labels: { source: "tempo" } },
      storage: { path: `${dataPath}/generator/wal`, remote_write: [{ url: input.remoteWriteUrl, send_exemplars: true }] },
      traces_storage: { path: `${dataPath}/generator/traces` },
    },
    storage: {
      trace: { backend: "local", wal: { path: `${dataPath}/wal` }, local: { path: `${dataPath}/blocks` } },
    },
    overrides: { defaults: { metrics_generator: { processors: ["service-graphs", "span-metrics", "local-blocks"] } } },
  });
}
