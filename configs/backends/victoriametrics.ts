import { SCRAPE_JOBS } from "../../dashboards";
import { retentionHours } from "../../settings";
import { Backend, httpHealthcheck, portsOf } from "./contract";
import { promqlBackend } from "./prometheus-datasource";

/**
 * VictoriaMetrics single node. Receives Prometheus remote write from the collector.
 * Flags are the contract with the real binary: the integration tier starts it with exactly these.
 */
export const victoriaMetrics: Backend<"victoriametrics"> = {
  kind: "victoriametrics",
  displayName: "VictoriaMetrics",
  signal: "metrics",
  role: "victoriametrics",
  defaultPorts: { http: 8428 },
  grafanaPlugins: [],
  plan(ctx) {
    const ports = portsOf(this, ctx);
    const memoryMb = ctx.tier.memoryMb.victoriametrics;
    retentionHours(ctx.settings.metrics.retention); // validated already; throws on a bug
    return {
      service: {
        role: this.role,
        image: ctx.settings.images.victoriametrics,
        command: victoriaMetricsFlags({
          port: ports.http!,
          retention: ctx.settings.metrics.retention,
          memoryMb,
          dataPath: "/victoria-metrics-data",
        }),
        env: {},
        memoryMb,
        ports: [{ name: "http", internal: ports.http! }],
        volumes: [{ name: "data", containerPath: "/victoria-metrics-data" }],
        hostMounts: [],
        files: [],
        secretFiles: [],
        healthcheck: httpHealthcheck(ports.http!, "/health"),
        route: { subdomain: "vm", port: ports.http!, protectWithBasicAuth: true },
      },
      ...promqlBackend({ name: this.displayName, job: SCRAPE_JOBS.victoriametrics, host: ctx.host, port: ports.http! }),
    };
  },
};

export interface VictoriaMetricsFlagsInput {
  port: number;
  retention: string;
  memoryMb: number;
  dataPath: string;
}

export function victoriaMetricsFlags(input: VictoriaMetricsFlagsInput): string[] {
  return [
    `-storageDataPath=${input.dataPath}`,
    `-retentionPeriod=${input.retention}`,
    `-httpListenAddr=:${input.port}`,
    // Caches get 60 % of the container limit, stated in bytes so it holds outside a cgroup too.
    `-memory.allowedBytes=${Math.floor(input.memoryMb * 0.6)}MB`,
    // The collector flushes at least every second; 30 s (the default) made fresh data look missing
    // on a 5 s-refresh dashboard. 5 s still covers a flush plus a retry (docs/BENCHMARKS.md).
    "-search.latencyOffset=5s",
    // Retries after a crash or an outage resend samples already stored: drop exact duplicates
    // (same series, same timestamp) so at-least-once delivery does not double-count.
    "-dedup.minScrapeInterval=1ms",
  ];
}
