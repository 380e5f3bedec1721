import { NON_ROOT_UID } from "../../settings/names";
import { toYaml } from "../serialize";
import { defineBackend } from "./contract";
import { backendService, goHours, logsDatasource, otlpLogsExporter } from "./shared";

export const LOKI_CONFIG_PATH = "/etc/loki/config.yaml";

/**
 * Loki 3 single binary on the filesystem, OTLP logs in at /otlp (the `loki` exporter is gone from
 * the collector). Retention is enforced by the compactor. No healthcheck: the image's tools could
 * not be confirmed here; Grafana's datasource health shows it instead.
 */
export const loki = defineBackend("loki", {
  defaultPorts: { http: 3100, grpc: 9096 },
  grafanaPlugins: [],
  selfMetrics: { port: "http", path: "/metrics" },
  plan(input) {
    const { ports } = input;
    const base = `http://${input.host}:${ports.http}`;
    return {
      service: backendService(this.kind, input, {
        command: [`-config.file=${LOKI_CONFIG_PATH}`],
        ports: [{ name: "http", internal: ports.http! }],
        volumes: [{ name: "data", containerPath: "/loki", ownerUid: NON_ROOT_UID }],
        files: [{ path: LOKI_CONFIG_PATH, content: renderLokiConfig({ ports, retentionHours: input.retention.hours, dataPath: "/loki" }) }],
      }),
      // gzip, not zstd: Loki is never run here (AGPL), so no test could prove its OTLP endpoint takes zstd.
      exporter: otlpLogsExporter("endpoint", `${base}/otlp`, "gzip"),
      queryUrl: base,
      datasource: logsDatasource(this.displayName, "loki", base),
    };
  },
});

export function renderLokiConfig(input: { ports: Record<string, number>; retentionHours: number; dataPath: string }): string {
  const { ports, dataPath } = input;
  return toYaml({
    auth_enabled: false,
    server: { http_listen_port: ports.http, grpc_listen_port: ports.grpc, log_level: "info" },
    common: {
      instance_addr: "127.0.0.1",
      path_prefix: dataPath,
      storage: { filesystem: { chunks_directory: `${dataPath}/chunks`, rules_directory: `${dataPath}/rules` } },
      replication_factor: 1,
      ring: { kvstore: { store: "inmemory" } },
    },
    schema_config: {
      configs: [
        { from: "2024-01-01", store: "tsdb", object_store: "filesystem", schema: "v13", index: { prefix: "index_", period: "24h" } },
      ],
    },
    limits_config: { retention_period: goHours(input.retentionHours), allow_structured_metadata: true, volume_enabled: true },
    compactor: { working_directory: `${dataPath}/compactor`, retention_enabled: true, delete_request_store: "filesystem" },
    analytics: { reporting_enabled: false },
  });
}
