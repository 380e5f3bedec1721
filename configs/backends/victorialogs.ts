import { Backend, httpHealthcheck, portsOf } from "./contract";
import { logsDatasource } from "./logs-datasource";

/** VictoriaLogs: OTLP logs in; Grafana reads it through the VictoriaLogs plugin. */
export const victoriaLogs: Backend<"victorialogs"> = {
  kind: "victorialogs",
  displayName: "VictoriaLogs",
  signal: "logs",
  role: "victorialogs",
  defaultPorts: { http: 9428 },
  grafanaPlugins: ["victoriametrics-logs-datasource@0.21.0"],
  plan(ctx) {
    const ports = portsOf(this, ctx);
    const base = `http://${ctx.host}:${ports.http}`;
    const { retention, maxDiskGb } = ctx.settings.logs;
    return {
      service: {
        role: this.role,
        image: ctx.settings.images.victorialogs,
        command: [
          "-storageDataPath=/victoria-logs-data",
          `-retentionPeriod=${retention}`,
          `-httpListenAddr=:${ports.http}`,
          ...(maxDiskGb !== undefined ? [`-retention.maxDiskSpaceUsageBytes=${maxDiskGb}GB`] : []),
        ],
        env: {},
        memoryMb: ctx.tier.memoryMb.victorialogs,
        ports: [{ name: "http", internal: ports.http! }],
        volumes: [{ name: "data", containerPath: "/victoria-logs-data" }],
        hostMounts: [],
        files: [],
        secretFiles: [],
        healthcheck: httpHealthcheck(ports.http!, "/health"),
        route: { subdomain: "logs", port: ports.http!, protectWithBasicAuth: true },
      },
      exporter: {
        id: "otlp_http/logs",
        type: "otlp_http",
        signals: ["logs"],
        config: { logs_endpoint: `${base}/insert/opentelemetry/v1/logs` },
        secretFiles: [],
      },
      queryUrl: base,
      datasource: logsDatasource(this.displayName, "victoriametrics-logs-datasource", base),
      scrape: [{ job: "victorialogs", target: `${ctx.host}:${ports.http}`, path: "/metrics" }],
    };
  },
};
