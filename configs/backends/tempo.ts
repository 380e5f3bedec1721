import { SCRAPE_JOBS } from "../../dashboards";
import { retentionHours } from "../../settings";
import { NON_ROOT_UID } from "../../settings/names";
import { toYaml } from "../serialize";
import { DATASOURCE_UIDS } from "../types";
import { Backend, goHours, portsOf } from "./contract";
import { otlpTracesExporter, tracesDatasource } from "./jaeger";

export const TEMPO_CONFIG_PATH = "/etc/tempo/tempo.yaml";

/**
 * Grafana Tempo 2.x, monolithic, local block storage. Its metrics generator pushes service-graph
 * and span metrics into the metrics backend, which the datasource's service map reads.
 * No healthcheck: we could not confirm a probe tool in the image (the Go module cannot be fetched
 * here to check); Grafana's datasource health shows it instead.
 */
export const tempo: Backend<"tempo"> = {
  kind: "tempo",
  displayName: "Tempo",
  signal: "traces",
  role: "tempo",
  defaultPorts: { http: 3200, grpc: 9095, "otlp-grpc": 4317, "otlp-http": 4318 },
  grafanaPlugins: [],
  plan(ctx) {
    const ports = portsOf(this, ctx);
    const url = `http://${ctx.host}:${ports.http}`;
    return {
      service: {
        role: this.role,
        image: ctx.settings.images.tempo,
        command: [`-config.file=${TEMPO_CONFIG_PATH}`],
        env: {},
        memoryMb: ctx.tier.memoryMb.tempo,
        ports: [{ name: "http", internal: ports.http! }],
        volumes: [{ name: "data", containerPath: "/var/tempo", ownerUid: NON_ROOT_UID }],
        hostMounts: [],
        files: [
          {
            path: TEMPO_CONFIG_PATH,
            content: renderTempoConfig({
              ports,
              retentionHours: retentionHours(ctx.settings.traces.retention),
              remoteWriteUrl: ctx.metricsRemoteWriteUrl,
              dataPath: "/var/tempo",
            }),
          },
        ],
        secretFiles: [],
        route: undefined,
      },
      exporter: otlpTracesExporter(ctx.host, ports["otlp-grpc"]!),
      queryUrl: url,
      datasource: tracesDatasource({
        name: this.displayName,
        type: "tempo",
        url,
        appName: ctx.settings.appName,
        logsEnabled: ctx.logsEnabled,
        extra: { serviceMap: { datasourceUid: DATASOURCE_UIDS.metrics }, search: { hide: false } },
      }),
      scrape: [{ job: SCRAPE_JOBS.tempo, target: `${ctx.host}:${ports.http}`, path: "/metrics" }],
    };
  },
};

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
