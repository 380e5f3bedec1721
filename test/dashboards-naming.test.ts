import { describe, expect, it } from "vitest";
import {
  GRAFANA_UID_MAX,
  InstrumentKind,
  grafanaUid,
  prometheusLabel,
  prometheusName,
  seriesNames,
  unitSuffixes,
} from "../dashboards/naming";

describe("prometheusName (OTel -> Prometheus, remote-write default translation)", () => {
  it.each([
    // The spec's own examples (REFERENCE.md, "OpenTelemetry -> Prometheus names").
    ["counter", "scotty.http.requests", "{request}", "scotty_http_requests_total"],
    ["histogram", "scotty.http.request.duration", "s", "scotty_http_request_duration_seconds"],
    ["updowncounter", "scotty.http.requests.active", "{request}", "scotty_http_requests_active"],
  ] as const)("GIVEN the spec example %s %s (unit %s) WHEN named THEN it is %s", (kind, name, unit, expected) => {
    expect(prometheusName({ name, kind, unit })).toBe(expected);
  });

  it("GIVEN the spec's histogram example WHEN its series are listed THEN they are _bucket, _sum and _count of the base name", () => {
    expect(seriesNames({ name: "scotty.http.request.duration", kind: "histogram", unit: "s" })).toEqual([
      "scotty_http_request_duration_seconds_bucket",
      "scotty_http_request_duration_seconds_sum",
      "scotty_http_request_duration_seconds_count",
    ]);
  });

  it.each<[string, InstrumentKind, string, string, string]>([
    ["dots and dashes become one underscore", "gauge", "app.queue-depth", "", "app_queue_depth"],
    ["repeated underscores collapse", "gauge", "app__queue...depth", "", "app_queue_depth"],
    ["leading and trailing separators vanish", "gauge", "_app.depth_", "", "app_depth"],
    ["a leading digit gets an underscore", "gauge", "5xx.count", "", "_5xx_count"],
    ["colons are legal and kept", "gauge", "app:depth", "", "app:depth"],
    ["ms -> milliseconds", "histogram", "app.latency", "ms", "app_latency_milliseconds"],
    ["min -> minutes", "gauge", "app.uptime", "min", "app_uptime_minutes"],
    ["h -> hours", "gauge", "app.uptime", "h", "app_uptime_hours"],
    ["d -> days", "gauge", "app.cert.validity", "d", "app_cert_validity_days"],
    ["By -> bytes", "gauge", "app.heap", "By", "app_heap_bytes"],
    ["KiBy -> kibibytes", "gauge", "app.heap", "KiBy", "app_heap_kibibytes"],
    ["MiBy -> mebibytes", "gauge", "app.heap", "MiBy", "app_heap_mebibytes"],
    ["% -> percent", "gauge", "app.cpu", "%", "app_cpu_percent"],
    ["By/s -> bytes_per_second", "gauge", "app.throughput", "By/s", "app_throughput_bytes_per_second"],
    ["/s alone -> per_second", "gauge", "app.events", "/s", "app_events_per_second"],
    ["{thing}/s keeps only per_second", "gauge", "app.events", "{event}/s", "app_events_per_second"],
    ["an unknown unit is used as it is", "gauge", "app.distance", "furlong", "app_distance_furlong"],
    ["an annotation unit adds nothing", "counter", "app.jobs", "{job}", "app_jobs_total"],
    ["an empty unit adds nothing", "gauge", "app.jobs", "", "app_jobs"],
    ["unit already at the end is not repeated", "histogram", "app.duration.seconds", "s", "app_duration_seconds"],
    ["unit token anywhere in the name is not repeated", "counter", "app.seconds.spent", "s", "app_seconds_spent_total"],
    ["counter already ending in total gets one _total", "counter", "app.connections.total", "{connection}", "app_connections_total"],
    ["a total token moves to the end for counters", "counter", "app.total.errors", "{error}", "app_errors_total"],
    ["gauge named ..total keeps it (no type suffix)", "gauge", "apps.total", "{app}", "apps_total"],
    ["up-down counter gets no _total", "updowncounter", "app.inflight", "{request}", "app_inflight"],
    ["gauge with unit 1 -> _ratio", "gauge", "app.cache.hit", "1", "app_cache_hit_ratio"],
    ["gauge already ending in ratio gets one _ratio", "gauge", "app.hit.ratio", "1", "app_hit_ratio"],
    ["counter with unit 1 gets no _ratio (translator limits it to gauges)", "counter", "app.retries", "1", "app_retries_total"],
    ["up-down counter with unit 1 gets no _ratio", "updowncounter", "app.share", "1", "app_share"],
    ["counter with a unit: unit before _total", "counter", "app.cpu.time", "s", "app_cpu_time_seconds_total"],
    ["histogram: base name only, no type suffix", "histogram", "app.payload", "By", "app_payload_bytes"],
  ])("GIVEN %s (%s %s, unit %s) WHEN named THEN it is %s", (_why, kind, name, unit, expected) => {
    expect(prometheusName({ name, kind, unit })).toBe(expected);
  });

  it("GIVEN a name made only of invalid characters WHEN named THEN naming must fail", () => {
    expect(() => prometheusName({ name: "...", kind: "gauge", unit: "" })).toThrow(/no valid characters/);
  });
});

describe("unitSuffixes", () => {
  it.each([
    ["s", { main: "seconds", per: "" }],
    ["By/s", { main: "bytes", per: "per_second" }],
    ["{request}", { main: "", per: "" }],
    ["1", { main: "", per: "" }],
    ["m/h", { main: "meters", per: "per_hour" }],
  ])("GIVEN unit %s WHEN split THEN the words are %o", (unit, expected) => {
    expect(unitSuffixes(unit)).toEqual(expected);
  });
});

describe("prometheusLabel", () => {
  it.each([
    ["status", "status"],
    ["http.method", "http_method"],
    ["1st", "key_1st"],
    ["_private", "key_private"],
    ["__reserved", "__reserved"],
  ])("GIVEN attribute %s WHEN converted THEN the label is %s", (attribute, expected) => {
    expect(prometheusLabel(attribute)).toBe(expected);
  });
});

describe("grafanaUid", () => {
  it("GIVEN short parts WHEN joined THEN the uid is readable and unchanged", () => {
    expect(grafanaUid("scotty", "prod", "http-5xx")).toBe("scotty-prod-http-5xx");
  });

  it("GIVEN parts longer than 40 characters WHEN joined THEN the uid is cut to 40 with a hash, and two long names stay distinct", () => {
    const a = grafanaUid("a-very-long-application-name-indeed", "production", "export-failed-metrics");
    const b = grafanaUid("a-very-long-application-name-indeed", "production", "export-failed-traces");
    expect(a.length).toBeLessThanOrEqual(GRAFANA_UID_MAX);
    expect(b.length).toBeLessThanOrEqual(GRAFANA_UID_MAX);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^[a-zA-Z0-9_-]+$/);
  });
});
