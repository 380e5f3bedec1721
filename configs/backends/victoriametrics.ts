import { jobGauge, jobRate, processMemory } from "../../dashboards";
import { NOBODY_UID } from "../../settings/names";
import { httpHealthcheck } from "../healthcheck";
import type { GeneratedSecret, RoutePaths } from "../types";
import { defineBackend } from "./contract";
import { backendService, promqlBackend } from "./shared";

/**
 * The key every admin endpoint of VictoriaMetrics asks for (`?authKey=`): generated, uploaded as a
 * secret file the flags read with `file://` (so it is in no flag, env or label), handed to no one.
 * Nothing in the stack calls those endpoints; an operator reads the key from the container.
 */
export const VM_ADMIN_KEY: GeneratedSecret = { generate: { name: "victoriametrics-admin-key", length: 32 } };
export const VM_ADMIN_KEY_PATH = "/etc/victoriametrics/secrets/admin-auth-key";

/**
 * v1.151.0's auth-key flags (`victoria-metrics -help`) for every endpoint that changes data or
 * state (delete, snapshots, force merge/flush, cache resets, reload, the new-series log) or shows
 * more than a UI user needs (`/config`, `/flags`, pprof). Not `-metricsAuthKey`: the collector
 * scrapes `/metrics` inside the backend network (it is never routed). Not `-httpAuth.*`: the
 * collector's remote write and Grafana's queries would need it too.
 */
export const VM_AUTH_KEY_FLAGS = [
  "configAuthKey",
  "deleteAuthKey",
  "flagsAuthKey",
  "forceFlushAuthKey",
  "forceMergeAuthKey",
  "logNewSeriesAuthKey",
  "metricNamesStatsResetAuthKey",
  "pprofAuthKey",
  "reloadAuthKey",
  "search.resetCacheAuthKey",
  "snapshotAuthKey",
] as const;

/**
 * What Traefik routes to VictoriaMetrics: its index page, vmui and the read API vmui and PromQL
 * users call, bare and under vmui's `/prometheus` prefix. Never `/api/v1/write`, `/api/v1/import*`,
 * `/api/v1/admin/*`, `/snapshot/*`, `/internal/*`, the other ingest protocols, `/flags`, `/metrics`.
 */
export const VM_ROUTED_PATHS: RoutePaths = {
  allow: [
    { exact: "/" },
    { prefix: "/vmui" },
    { prefix: "/prometheus/vmui/" },
    {
      regexp:
        "^(/prometheus)?(/api/v1/(query|query_range|query_exemplars|series|series/count|labels|label/[^/]+/values|metadata|rules|alerts|export|export/csv|status/(buildinfo|tsdb|active_queries|top_queries|metric_names_stats))|/prettify-query|/expand-with-exprs|/vmui/(timezone|custom-dashboards))$",
    },
  ],
};

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
    const service = backendService(this.kind, input, {
      command: victoriaMetricsFlags({
        port,
        retention: input.retention.text,
        memoryMb: input.memoryMb,
        dataPath: "/victoria-metrics-data",
        adminKeyFile: VM_ADMIN_KEY_PATH,
      }),
      ports: [{ name: "http", internal: port }],
      // The image runs as root; nothing it does needs root, so it runs as nobody and the init job
      // hands it the data volume (an existing root-owned one too, on the first deploy after).
      user: `${NOBODY_UID}:${NOBODY_UID}`,
      volumes: [{ name: "data", containerPath: "/victoria-metrics-data", ownerUid: NOBODY_UID }],
      healthcheck: httpHealthcheck(port, "/health"),
      route: { subdomain: "vm", port, protectWithBasicAuth: true, paths: VM_ROUTED_PATHS },
    });
    return {
      service: { ...service, secretFiles: [{ path: VM_ADMIN_KEY_PATH, secret: "victoriametrics.adminKey", value: VM_ADMIN_KEY }] },
      ...promqlBackend(this.displayName, input.host, port),
    };
  },
});

export interface VictoriaMetricsFlagsInput {
  port: number;
  retention: string;
  memoryMb: number;
  dataPath: string;
  /** The file every admin auth-key flag reads (`file://`); the flag itself carries no secret. */
  adminKeyFile?: string;
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
    ...(input.adminKeyFile ? VM_AUTH_KEY_FLAGS.map((flag) => `-${flag}=file://${input.adminKeyFile}`) : []),
  ];
}
