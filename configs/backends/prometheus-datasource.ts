import { DatasourcePlan, DATASOURCE_UIDS } from "../types";

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
