import { httpHealthcheck } from "../healthcheck";
import { defineBackend } from "./contract";
import { backendService, logsDatasource, otlpLogsExporter } from "./shared";

/** VictoriaLogs: OTLP logs in; Grafana reads it through the VictoriaLogs plugin. */
export const victoriaLogs = defineBackend("victorialogs", {
  defaultPorts: { http: 9428 },
  grafanaPlugins: ["victoriametrics-logs-datasource@0.21.0"],
  selfMetrics: { port: "http", path: "/metrics" },
  plan(input) {
    const port = input.ports.http!;
    const base = `http://${input.host}:${port}`;
    return {
      service: backendService(this.kind, input, {
        command: [
          "-storageDataPath=/victoria-logs-data",
          `-retentionPeriod=${input.retention.text}`,
          `-httpListenAddr=:${port}`,
          ...(input.maxDiskGb !== undefined ? [`-retention.maxDiskSpaceUsageBytes=${input.maxDiskGb}GB`] : []),
        ],
        ports: [{ name: "http", internal: port }],
        volumes: [{ name: "data", containerPath: "/victoria-logs-data" }],
        healthcheck: httpHealthcheck(port, "/health"),
        route: { subdomain: "logs", port, protectWithBasicAuth: true },
      }),
      exporter: otlpLogsExporter("logs_endpoint", `${base}/insert/opentelemetry/v1/logs`),
      queryUrl: base,
      datasource: logsDatasource(this.displayName, "victoriametrics-logs-datasource", base),
    };
  },
});
