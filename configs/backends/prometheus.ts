import { jobGauge, jobRate, processMemory } from "../../dashboards";
import { httpHealthcheck } from "../healthcheck";
import { toYaml } from "../serialize";
import { defineBackend } from "./contract";
import { backendService, promqlBackend } from "./shared";

export const PROMETHEUS_CONFIG_PATH = "/etc/prometheus/prometheus.yml";

/**
 * Prometheus as the metrics backend: remote-write receiver on, retention by time (and size when
 * `metrics.maxDiskGb` is set). Scraping stays in the collector, so prometheus.yml has no jobs.
 */
export const prometheus = defineBackend("prometheus", {
  defaultPorts: { http: 9090 },
  grafanaPlugins: [],
  selfMetrics: { port: "http", path: "/metrics" },
  health: (job) => ({
    ingestion: [jobRate("prometheus_tsdb_head_samples_appended_total", job, "samples appended")],
    storage: [jobGauge("sum", "prometheus_tsdb_storage_blocks_bytes", job, "persisted blocks")],
    memory: processMemory(job),
  }),
  plan(input) {
    const port = input.ports.http!;
    return {
      service: backendService(this.kind, input, {
        command: prometheusFlags({
          port,
          retention: input.retention.text,
          maxDiskGb: input.maxDiskGb,
          configPath: PROMETHEUS_CONFIG_PATH,
          dataPath: "/prometheus",
        }),
        ports: [{ name: "http", internal: port }],
        // /prometheus exists in the image owned by `nobody`, so the named volume inherits it.
        volumes: [{ name: "data", containerPath: "/prometheus" }],
        files: [{ path: PROMETHEUS_CONFIG_PATH, content: renderPrometheusConfig({ environment: input.environment }) }],
        healthcheck: httpHealthcheck(port, "/-/healthy"),
        // Its UI has many client-side routes; the write paths are what is kept out (the admin API and
        // lifecycle endpoints are off: neither --web.enable-admin-api nor --web.enable-lifecycle is set).
        route: {
          subdomain: "prometheus",
          port,
          protectWithBasicAuth: true,
          paths: { deny: [{ prefix: "/api/v1/write" }, { prefix: "/api/v1/otlp" }] },
        },
      }),
      ...promqlBackend(this.displayName, input.host, port),
    };
  },
});

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
