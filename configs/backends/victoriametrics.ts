import { jobGauge, jobRate, processMemory } from "../../dashboards";
import { NOBODY_UID } from "../../settings/names";
import { httpHealthcheck } from "../healthcheck";
import { defineBackend } from "./contract";
import { backendService, promqlBackend } from "./shared";

/** Its own metric families, as the collector scrapes them. */
const METRICS = { rowsInserted: "vm_rows_inserted_total", dataSize: "vm_data_size_bytes", freeDiskSpace: "vm_free_disk_space_bytes" };

/**
 * VictoriaMetrics single node. Receives Prometheus remote write from the collector.
 * Flags are the contract with the real binary: the integration tier starts it with exactly these.
 */
export const victoriaMetrics = defineBackend("victoriametrics", {
  defaultPorts: { http: 8428 },
  grafanaPlugins: [],
  selfMetrics: { port: "http", path: "/metrics" },
  health: (job) => ({
    ingestion: [jobRate(METRICS.rowsInserted, job, "{{type}}", ["type"])],
    storage: [jobGauge("sum", METRICS.dataSize, job, "data size"), jobGauge("min", METRICS.freeDiskSpace, job, "free disk space")],
    memory: processMemory(job),
  }),
  plan(input) {
    const port = input.ports.http!;
    return {
      service: backendService(this.kind, input, {
        command: victoriaMetricsFlags({
          port,
          retention: input.retention.text,
          memoryMb: input.memoryMb,
          dataPath: "/victoria-metrics-data",
        }),
        ports: [{ name: "http", internal: port }],
        // The image runs as root; nothing it does needs root, so it runs as nobody and the init job
        // hands it the data volume (an existing root-owned one too, on the first deploy after).
        user: `${NOBODY_UID}:${NOBODY_UID}`,
        volumes: [{ name: "data", containerPath: "/victoria-metrics-data", ownerUid: NOBODY_UID }],
        healthcheck: httpHealthcheck(port, "/health"),
        route: { subdomain: "vm", port, protectWithBasicAuth: true },
      }),
      ...promqlBackend(this.displayName, input.host, port),
    };
  },
});

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
