import { SCRAPE_JOBS } from "../../dashboards";
import { toYaml } from "../serialize";
import { Backend, httpHealthcheck, portsOf } from "./contract";
import { promqlBackend } from "./prometheus-datasource";

export const PROMETHEUS_CONFIG_PATH = "/etc/prometheus/prometheus.yml";

/**
 * Prometheus as the metrics backend: remote-write receiver on, retention by time (and size when
 * `metrics.maxDiskGb` is set). Scraping stays in the collector, so prometheus.yml has no jobs.
 */
export const prometheus: Backend<"prometheus"> = {
  kind: "prometheus",
  displayName: "Prometheus",
  signal: "metrics",
  role: "prometheus",
  defaultPorts: { http: 9090 },
  grafanaPlugins: [],
  plan(ctx) {
    const ports = portsOf(this, ctx);
    return {
      service: {
        role: this.role,
        image: ctx.settings.images.prometheus,
        command: prometheusFlags({
          port: ports.http!,
          retention: ctx.settings.metrics.retention,
          maxDiskGb: ctx.settings.metrics.maxDiskGb,
          configPath: PROMETHEUS_CONFIG_PATH,
          dataPath: "/prometheus",
        }),
        env: {},
        memoryMb: ctx.tier.memoryMb.prometheus,
        ports: [{ name: "http", internal: ports.http! }],
        // /prometheus exists in the image owned by `nobody`, so the named volume inherits it.
        volumes: [{ name: "data", containerPath: "/prometheus" }],
        hostMounts: [],
        files: [{ path: PROMETHEUS_CONFIG_PATH, content: renderPrometheusConfig({ environment: ctx.settings.environment }) }],
        secretFiles: [],
        healthcheck: httpHealthcheck(ports.http!, "/-/healthy"),
        route: { subdomain: "prometheus", port: ports.http!, protectWithBasicAuth: true },
      },
      ...promqlBackend({ name: this.displayName, job: SCRAPE_JOBS.prometheus, host: ctx.host, port: ports.http! }),
    };
  },
};

export function renderPrometheusConfig(input: { environment: string }): string {
  return toYaml({
    global: { scrape_interval: "15s", evaluation_interval: "15s", external_labels: { stack: input.environment } },
    storage: {
      tsdb: {
        // Retries after an outage deliver samples older than the head; accept them for 30 min
        // instead of rejecting them as out of order.
        out_of_order_time_window: "30m",
      },
    },
    scrape_configs: [],
  });
}

export interface PrometheusFlagsInput {
  port: number;
  retention: string;
  maxDiskGb?: number;
  configPath: string;
  dataPath: string;
}

export function prometheusFlags(input: PrometheusFlagsInput): string[] {
  return [
    `--config.file=${input.configPath}`,
    `--storage.tsdb.path=${input.dataPath}`,
    `--storage.tsdb.retention.time=${input.retention}`,
    ...(input.maxDiskGb !== undefined ? [`--storage.tsdb.retention.size=${input.maxDiskGb}GB`] : []),
    `--web.listen-address=:${input.port}`,
    "--web.enable-remote-write-receiver",
  ];
}
