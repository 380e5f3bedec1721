import { DatasourcePlan, DATASOURCE_UIDS } from "../types";
import type { BackendPlan } from "./contract";

/** Both metrics backends speak PromQL: one datasource shape, exemplars linked to the traces uid. */
export function prometheusDatasource(name: string, url: string, tracesUid: string): DatasourcePlan {
  return {
    name,
    type: "prometheus",
    uid: DATASOURCE_UIDS.metrics,
    access: "proxy",
    url,
    isDefault: true,
    editable: false,
    jsonData: {
      httpMethod: "POST",
      timeInterval: "15s",
      exemplarTraceIdDestinations: [{ name: "trace_id", datasourceUid: tracesUid }],
    },
  };
}

/**
 * The part of the contract every PromQL backend shares: Prometheus remote write in at
 * `/api/v1/write`, PromQL out at the base URL, its own /metrics scraped under `job`.
 */
export function promqlBackend(input: { name: string; job: string; host: string; port: number }): Omit<BackendPlan, "service"> {
  const base = `http://${input.host}:${input.port}`;
  return {
    exporter: {
      id: "prometheus_remote_write/metrics",
      type: "prometheus_remote_write",
      signals: ["metrics"],
      config: { endpoint: `${base}/api/v1/write` },
      secretFiles: [],
    },
    remoteWriteUrl: `${base}/api/v1/write`,
    queryUrl: base,
    datasource: prometheusDatasource(input.name, base, DATASOURCE_UIDS.traces),
    scrape: [{ job: input.job, target: `${input.host}:${input.port}`, path: "/metrics" }],
  };
}
