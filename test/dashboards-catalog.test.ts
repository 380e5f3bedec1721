import { SEED_SECTIONS } from "./fixtures/seed";
import { describe, expect, it } from "vitest";
import { SECTIONS, SEED_ONLY, catalogFor, seedExamples } from "../dashboards/catalog";
import { InstrumentKind } from "../dashboards/naming";

/**
 * The first oracle: seed 001's "Available Metrics" tables as printed (name, type, section), plus the
 * counter its "WebSocket Connection Churn" example queries. Where the application differs, the
 * catalog must say which name it emits instead (or that it emits none).
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

/**
 * The second oracle: Scotty's instruments as the application declares them (factorial-io/scotty,
 * `scotty/src/metrics/instruments.rs` at d771af76e61f; attributes from `otel_recorder.rs`,
 * `http.rs`, `app_list.rs`), with the dashboard section that shows each.
 */
const APP_INSTRUMENTS: readonly { otel: string; kind: InstrumentKind; unit: string; attributes?: string[]; section: string }[] = [
  { otel: "scotty.log_streams.active", kind: "gauge", unit: "", section: "Log Streaming" },
  { otel: "scotty.log_streams.total", kind: "counter", unit: "", section: "Log Streaming" },
  { otel: "scotty.log_stream.duration", kind: "histogram", unit: "s", section: "Log Streaming" },
  { otel: "scotty.log_stream.lines", kind: "counter", unit: "", section: "Log Streaming" },
  { otel: "scotty.log_stream.errors", kind: "counter", unit: "", section: "Log Streaming" },
  { otel: "scotty.shell_sessions.active", kind: "gauge", unit: "", section: "Shell Sessions" },
  { otel: "scotty.shell_sessions.total", kind: "counter", unit: "", section: "Shell Sessions" },
  { otel: "scotty.shell_session.duration", kind: "histogram", unit: "s", section: "Shell Sessions" },
  { otel: "scotty.shell_session.errors", kind: "counter", unit: "", section: "Shell Sessions" },
  { otel: "scotty.shell_session.timeouts", kind: "counter", unit: "", section: "Shell Sessions" },
  { otel: "scotty.websocket.connections", kind: "gauge", unit: "", section: "WebSocket & Tasks" },
  { otel: "scotty.websocket.messages_sent", kind: "counter", unit: "", section: "WebSocket & Tasks" },
  { otel: "scotty.websocket.messages_received", kind: "counter", unit: "", section: "WebSocket & Tasks" },
  { otel: "scotty.websocket.auth_failures", kind: "counter", unit: "", section: "WebSocket & Tasks" },
  { otel: "scotty.tasks.total", kind: "counter", unit: "", section: "WebSocket & Tasks" },
  { otel: "scotty.task.duration", kind: "histogram", unit: "s", section: "WebSocket & Tasks" },
  { otel: "scotty.task.failures", kind: "counter", unit: "", section: "WebSocket & Tasks" },
  { otel: "scotty.tasks.active", kind: "gauge", unit: "", section: "Task Output Streams" },
  { otel: "scotty.task.output_lines", kind: "counter", unit: "", section: "Task Output Streams" },
  { otel: "scotty.memory.rss_bytes", kind: "gauge", unit: "bytes", section: "Memory Usage" },
  { otel: "scotty.memory.virtual_bytes", kind: "gauge", unit: "bytes", section: "Memory Usage" },
  { otel: "scotty.tokio.workers.count", kind: "gauge", unit: "", section: "Tokio Runtime" },
  { otel: "scotty.tokio.tasks.active", kind: "gauge", unit: "", section: "Tokio Runtime" },
  { otel: "scotty.tokio.tasks.dropped", kind: "counter", unit: "", section: "Tokio Runtime" },
  { otel: "scotty.tokio.poll.count", kind: "counter", unit: "", section: "Tokio Runtime" },
  { otel: "scotty.tokio.poll.duration", kind: "histogram", unit: "s", section: "Tokio Runtime" },
  { otel: "scotty.tokio.poll.slow_count", kind: "counter", unit: "", section: "Tokio Runtime" },
  { otel: "scotty.tokio.idle.duration", kind: "histogram", unit: "s", section: "Tokio Runtime" },
  { otel: "scotty.tokio.scheduled.count", kind: "counter", unit: "", section: "Tokio Runtime" },
  { otel: "scotty.tokio.first_poll.delay", kind: "histogram", unit: "s", section: "Tokio Runtime" },
  { otel: "scotty.http.requests.total", kind: "counter", unit: "", attributes: ["method", "route", "status"], section: "HTTP Server" },
  { otel: "scotty.http.request.duration", kind: "histogram", unit: "s", attributes: ["method", "route", "status"], section: "HTTP Server" },
  { otel: "scotty.http.requests.active", kind: "updowncounter", unit: "", section: "HTTP Server" },
  { otel: "scotty.apps.total", kind: "gauge", unit: "", section: "Application Metrics" },
  { otel: "scotty.apps.by_status", kind: "gauge", unit: "", attributes: ["status"], section: "Application Metrics" },
  { otel: "scotty.app.services.count", kind: "histogram", unit: "", section: "Application Metrics" },
  { otel: "scotty.app.last_check.age", kind: "histogram", unit: "s", section: "Application Metrics" },
  { otel: "scotty.oauth.device_flow_sessions.active", kind: "gauge", unit: "", section: "OAuth" },
  { otel: "scotty.oauth.web_flow_sessions.active", kind: "gauge", unit: "", section: "OAuth" },
  { otel: "scotty.oauth.sessions.active", kind: "gauge", unit: "", section: "OAuth" },
  { otel: "scotty.oauth.sessions.expired_cleaned", kind: "counter", unit: "", section: "OAuth" },
  { otel: "scotty.oauth.device_flows.total", kind: "counter", unit: "", section: "OAuth" },
  { otel: "scotty.oauth.web_flows.total", kind: "counter", unit: "", section: "OAuth" },
  { otel: "scotty.oauth.flows.failures", kind: "counter", unit: "", section: "OAuth" },
  { otel: "scotty.oauth.token_validations.total", kind: "counter", unit: "", section: "OAuth" },
  { otel: "scotty.oauth.token_validation.duration", kind: "histogram", unit: "s", section: "OAuth" },
  { otel: "scotty.oauth.token_validations.failures", kind: "counter", unit: "", section: "OAuth" },
  { otel: "scotty.rate_limit.requests.total", kind: "counter", unit: "", attributes: ["tier", "decision"], section: "Rate Limiting" },
  { otel: "scotty.rate_limit.extractor.errors", kind: "counter", unit: "", section: "Rate Limiting" },
];

const catalog = catalogFor("scotty");
const sectionTitle = (id: string) => SECTIONS.find((s) => s.id === id)?.title;

describe("metrics catalog for appName scotty", () => {
  it("GIVEN the application's instruments WHEN the catalog is built THEN it holds exactly those, no more, no fewer", () => {
    expect(catalog.list.map((m) => m.otelName).sort()).toEqual(APP_INSTRUMENTS.map((r) => r.otel).sort());
  });

  it.each(APP_INSTRUMENTS)(
    "GIVEN application instrument $otel WHEN looked up THEN kind, unit, attributes and section are the application's",
    (row) => {
      const entry = catalog.list.find((m) => m.otelName === row.otel);
      expect(entry, `no catalog entry for ${row.otel}`).toBeDefined();
      expect([entry!.kind, entry!.unit, [...entry!.attributes]]).toEqual([row.kind, row.unit, row.attributes ?? []]);
      expect(sectionTitle(entry!.section)).toBe(row.section);
      expect(entry!.otelName).toBe(`scotty.${entry!.name}`);
    },
  );

  it.each(SEED_TABLE)(
    "GIVEN seed metric $prom ($type) WHEN looked up THEN the catalog derives it, or names the application's instrument for it, or says it is not emitted",
    (row) => {
      const derived = catalog.list.find((m) => m.promName === row.prom);
      const renamed = catalog.list.find((m) => m.seed?.promName === row.prom);
      const absent = SEED_ONLY.find((s) => s.promName === row.prom);
      expect(
        [derived, renamed, absent].filter((x) => x !== undefined),
        row.prom,
      ).toHaveLength(1);
      const entry = derived ?? renamed;
      if (entry) expect(entry.kind).toBe(KIND_OF_SEED_TYPE[row.type]);
      if (renamed) expect(renamed.promName).not.toBe(row.prom);
      if (absent) expect(absent.note).not.toBe("");
    },
  );

  it("GIVEN the differences users hit WHEN the catalog is read THEN it records the application's names and the seed's aliases", () => {
    const m = catalog.byKey;
    expect([m.websocketConnectionsActive.promName, m.websocketConnectionsActive.seed?.promName]).toEqual([
      "scotty_websocket_connections",
      "scotty_websocket_connections_active",
    ]);
    expect([m.tokioSlowPollCount.promName, m.tokioSlowPollCount.seed?.promName]).toEqual([
      "scotty_tokio_poll_slow_count_total",
      "scotty_tokio_slow_poll_count_total",
    ]);
    expect(SEED_ONLY.map((s) => s.promName)).toEqual(["scotty_websocket_connections_total"]);
    expect(m.httpRequests.seed?.attributes).toEqual({ path: "route" });
    // No `path` anywhere: a "by path" panel would group everything under an empty label.
    expect(catalog.list.some((x) => x.attributes.some((a: string) => a === "path"))).toBe(false);
  });

  it("GIVEN another app name WHEN the catalog is built THEN every OTel and Prometheus name carries that prefix", () => {
    const other = catalogFor("acme_api");
    expect(other.list.every((m) => m.otelName.startsWith("acme_api.") && m.promName.startsWith("acme_api_"))).toBe(true);
    expect(other.byKey.httpRequests.promName).toBe("acme_api_http_requests_total");
  });

  it.each(["", "Scotty", "1app", "app.name", "app name"])("GIVEN app name %j WHEN the catalog is built THEN it must be rejected", (bad) => {
    expect(() => catalogFor(bad)).toThrow(/appName/);
  });

  it("GIVEN the sections WHEN listed THEN the seed's seven keep its order and the application's own subsystems are added", () => {
    const titles = SECTIONS.map((s) => s.title);
    expect(titles.filter((t) => SEED_SECTIONS.includes(t))).toEqual(SEED_SECTIONS);
    expect(titles.filter((t) => !SEED_SECTIONS.includes(t))).toEqual(["Task Output Streams", "OAuth", "Rate Limiting"]);
    expect(titles.indexOf("Task Output Streams")).toBe(titles.indexOf("WebSocket & Tasks") + 1);
  });
});

describe("seed PromQL examples", () => {
  it("GIVEN appName scotty WHEN the examples are built from the catalog THEN they are the seed's, with the application's names", () => {
    expect(seedExamples("scotty").map(({ title, expr }) => ({ title, expr }))).toEqual([
      { title: "Request Rate by HTTP Status", expr: "sum by (status) (rate(scotty_http_requests_total[5m]))" },
      { title: "P95 Request Latency", expr: "histogram_quantile(0.95, rate(scotty_http_request_duration_seconds_bucket[5m]))" },
      // The seed's `rate(scotty_websocket_connections_total[5m])`: that counter does not exist.
      { title: "WebSocket Connection Churn", expr: "changes(scotty_websocket_connections[5m])" },
      { title: "Memory Growth Rate", expr: "deriv(scotty_memory_rss_bytes[10m])" },
      {
        title: "Active Resources Summary",
        expr: "scotty_log_streams_active + scotty_shell_sessions_active + scotty_websocket_connections + scotty_tasks_active",
      },
    ]);
    expect(
      seedExamples("scotty")
        .filter((e) => e.note)
        .map((e) => e.title),
    ).toEqual(["WebSocket Connection Churn", "Active Resources Summary"]);
  });

  it("GIVEN another app name WHEN the examples are built THEN no scotty name leaks in", () => {
    expect(seedExamples("acme").every((e) => !e.expr.includes("scotty") && e.expr.includes("acme_"))).toBe(true);
  });
});
