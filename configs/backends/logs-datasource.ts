import { grafanaLiteral } from "../serialize";
import { DATASOURCE_UIDS, DatasourcePlan } from "../types";

/** A log line's `trace_id` (OTLP logs carry it as a field) links to the trace datasource. */
export function traceIdDerivedField() {
  return {
    name: "TraceID",
    matcherType: "label",
    matcherRegex: "trace_id",
    url: grafanaLiteral("${__value.raw}"),
    datasourceUid: DATASOURCE_UIDS.traces,
    urlDisplayLabel: "View trace",
  };
}

/** The logs datasource: stable uid, trace ids in log lines link to the traces datasource. */
export function logsDatasource(name: string, type: string, url: string): DatasourcePlan {
  return {
    name,
    type,
    uid: DATASOURCE_UIDS.logs,
    access: "proxy",
    url,
    isDefault: false,
    editable: false,
    jsonData: { derivedFields: [traceIdDerivedField()] },
  };
}
