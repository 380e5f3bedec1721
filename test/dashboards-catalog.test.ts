import { SEED_SECTIONS } from "./fixtures/seed";
import { describe, expect, it } from "vitest";
import { SECTIONS, catalogFor, seedExamples } from "../dashboards/catalog";
import { InstrumentKind } from "../dashboards/naming";

/**
 * The oracle: seed 001's "Available Metrics" tables as printed (name, type, section), plus the
 * counter its "WebSocket Connection Churn" example queries. Listed once; every check below reads it.
 */
const SEED_TABLE: readonly { prom: string; type: "Gauge" | "Counter" | "Histogram" | "UpDownCounter"; section: string }[] = [
  { prom: "scotty_log_streams_active", type: "Gauge", section: "Log Streaming" },
  { prom: "scotty_log_streams_total", type: "Counter", section: "Log Streaming" },
  { prom: "scotty_log_stream_duration_seconds", type: "Histogram", section: "Log Streaming" },
  { prom: "scotty_log_stream_lines_total", type: "Counter", section: "Log Streaming" },
  { prom: "scotty_log_stream_errors_total", type: "Counter", section: "Log Streaming" },
  { prom: "scotty_shell_sessions_active", type: "Gauge", section: "Shell Sessions" },
  { prom: "scotty_shell_sessions_total", type: "Counter", section: "Shell Sessions" },
  { prom: "scotty_shell_session_duration_seconds", type: "Histogram", section: "Shell Sessions" },
  { prom: "scotty_shell_session_errors_total", type: "Counter", section: "Shell Sessions" },
  { prom: "scotty_shell_session_timeouts_total", type: "Counter", section: "Shell Sessions" },
  { prom: "scotty_websocket_connections_active", type: "Gauge", section: "WebSocket & Tasks" },
  { prom: "scotty_websocket_messages_sent_total", type: "Counter", section: "WebSocket & Tasks" },
  { prom: "scotty_websocket_messages_received_total", type: "Counter", section: "WebSocket & Tasks" },
  { prom: "scotty_websocket_auth_failures_total", type: "Counter", section: "WebSocket & Tasks" },
  { prom: "scotty_websocket_connections_total", type: "Counter", section: "WebSocket & Tasks" },
  { prom: "scotty_tasks_active", type: "Gauge", section: "WebSocket & Tasks" },
  { prom: "scotty_tasks_total", type: "Counter", section: "WebSocket & Tasks" },
  { prom: "scotty_task_duration_seconds", type: "Histogram", section: "WebSocket & Tasks" },
  { prom: "scotty_task_failures_total", type: "Counter", section: "WebSocket & Tasks" },
  { prom: "scotty_task_output_lines_total", type: "Counter", section: "WebSocket & Tasks" },
  { prom: "scotty_http_requests_active", type: "UpDownCounter", section: "HTTP Server" },
  { prom: "scotty_http_requests_total", type: "Counter", section: "HTTP Server" },
  { prom: "scotty_http_request_duration_seconds", type: "Histogram", section: "HTTP Server" },
  { prom: "scotty_memory_rss_bytes", type: "Gauge", section: "Memory Usage" },
  { prom: "scotty_memory_virtual_bytes", type: "Gauge", section: "Memory Usage" },
  { prom: "scotty_apps_total", type: "Gauge", section: "Application Metrics" },
  { prom: "scotty_apps_by_status", type: "Gauge", section: "Application Metrics" },
  { prom: "scotty_app_services_count", type: "Histogram", section: "Application Metrics" },
  { prom: "scotty_app_last_check_age_seconds", type: "Histogram", section: "Application Metrics" },
  { prom: "scotty_tokio_workers_count", type: "Gauge", section: "Tokio Runtime" },
  { prom: "scotty_tokio_tasks_active", type: "Gauge", section: "Tokio Runtime" },
  { prom: "scotty_tokio_tasks_dropped_total", type: "Counter", section: "Tokio Runtime" },
  { prom: "scotty_tokio_poll_count_total", type: "Counter", section: "Tokio Runtime" },
  { prom: "scotty_tokio_poll_duration_seconds", type: "Histogram", section: "Tokio Runtime" },
  { prom: "scotty_tokio_slow_poll_count_total", type: "Counter", section: "Tokio Runtime" },
  { prom: "scotty_tokio_idle_duration_seconds", type: "Histogram", section: "Tokio Runtime" },
  { prom: "scotty_tokio_scheduled_count_total", type: "Counter", section: "Tokio Runtime" },
  { prom: "scotty_tokio_first_poll_delay_seconds", type: "Histogram", section: "Tokio Runtime" },
];

const KIND_OF_SEED_TYPE: Record<(typeof SEED_TABLE)[number]["type"], InstrumentKind> = {
  Gauge: "gauge",
  Counter: "counter",
  Histogram: "histogram",
  UpDownCounter: "updowncounter",
};

const catalog = catalogFor("scotty");
const sectionTitle = (id: string) => SECTIONS.find((s) => s.id === id)?.title;

describe("metrics catalog for appName scotty", () => {
  it("GIVEN the seed tables WHEN the catalog is built THEN it holds exactly the seed's metrics, no more, no fewer", () => {
    expect(catalog.list.map((m) => m.promName).sort()).toEqual(SEED_TABLE.map((r) => r.prom).sort());
  });

  it.each(SEED_TABLE)("GIVEN seed metric $prom ($type) WHEN derived from the catalog THEN name, kind and section match", (row) => {
    const entry = catalog.list.find((m) => m.promName === row.prom);
    expect(entry, `no catalog entry derives ${row.prom}`).toBeDefined();
    expect(entry!.kind).toBe(KIND_OF_SEED_TYPE[row.type]);
    expect(sectionTitle(entry!.section)).toBe(row.section);
    expect(entry!.otelName).toBe(`scotty.${entry!.name}`);
  });

  it("GIVEN the brief's named instruments WHEN looked up THEN they carry the expected OTel names and units", () => {
    const m = catalog.byKey;
    expect([m.httpRequests.name, m.httpRequests.kind, m.httpRequests.unit]).toEqual(["http.requests", "counter", "{request}"]);
    expect([m.httpRequestDuration.name, m.httpRequestDuration.kind, m.httpRequestDuration.unit]).toEqual(["http.request.duration", "histogram", "s"]);
    expect([m.memoryRss.name, m.memoryRss.kind, m.memoryRss.unit]).toEqual(["memory.rss", "gauge", "By"]);
    expect([m.appServicesCount.kind, m.appServicesCount.unit]).toEqual(["histogram", "{service}"]);
    expect(m.httpRequests.attributes).toEqual(["method", "path", "status"]);
    expect(m.appsByStatus.attributes).toEqual(["status"]);
  });

  it("GIVEN another app name WHEN the catalog is built THEN every OTel and Prometheus name carries that prefix", () => {
    const other = catalogFor("acme_api");
    expect(other.list.every((m) => m.otelName.startsWith("acme_api.") && m.promName.startsWith("acme_api_"))).toBe(true);
    expect(other.byKey.httpRequests.promName).toBe("acme_api_http_requests_total");
  });

  it.each(["", "Scotty", "1app", "app.name", "app name"])("GIVEN app name %j WHEN the catalog is built THEN it must be rejected", (bad) => {
    expect(() => catalogFor(bad)).toThrow(/appName/);
  });

  it("GIVEN the seven sections WHEN listed THEN they follow the seed's order", () => {
    expect(SECTIONS.map((s) => s.title)).toEqual(SEED_SECTIONS);
  });
});

describe("seed PromQL examples", () => {
  it("GIVEN appName scotty WHEN the examples are built from the catalog THEN they equal the seed's text", () => {
    expect(seedExamples("scotty")).toEqual([
      { title: "Request Rate by HTTP Status", expr: "sum by (status) (rate(scotty_http_requests_total[5m]))" },
      { title: "P95 Request Latency", expr: "histogram_quantile(0.95, rate(scotty_http_request_duration_seconds_bucket[5m]))" },
      { title: "WebSocket Connection Churn", expr: "rate(scotty_websocket_connections_total[5m])" },
      { title: "Memory Growth Rate", expr: "deriv(scotty_memory_rss_bytes[10m])" },
      {
        title: "Active Resources Summary",
        expr: "scotty_log_streams_active + scotty_shell_sessions_active + scotty_websocket_connections_active + scotty_tasks_active",
      },
    ]);
  });

  it("GIVEN another app name WHEN the examples are built THEN no scotty name leaks in", () => {
    expect(seedExamples("acme").every((e) => !e.expr.includes("scotty") && e.expr.includes("acme_"))).toBe(true);
  });
});
