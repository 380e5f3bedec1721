import { grafanaLiteral } from "../serialize";
import { DATASOURCE_UIDS } from "../types";

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
