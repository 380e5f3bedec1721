import { parser } from "@prometheus-io/lezer-promql";
import * as yaml from "js-yaml";
import { describe, expect, it } from "vitest";
import { planStack } from "../configs/stack";
import { DATASOURCE_UIDS } from "../configs/types";
import { allPromQL, renderDashboards } from "../dashboards";
import { SERVICES_DASHBOARD_UID, TRACE_LINK_VALUES, exploreUrl } from "../dashboards/services";
import {
  SERIES_PER_COMBINATION,
  SPAN_LABELS,
  SPAN_METRIC_NAMES,
  SPAN_METRICS_BUCKETS_SECONDS,
  SPAN_SERIES,
  spanLinkQueries,
} from "../dashboards/span-metrics";
import { parseSettings, TIERS } from "../settings";
import { alertInput, groupingLabels, healthOfKinds, spanMetricsOf } from "./fixtures/seed";

const planFor = (raw: Record<string, unknown> = {}) => planStack(parseSettings({ environment: "dev", ...raw }));
const fileOf = (plan: ReturnType<typeof planFor>, role: string, path: string) => {
  const file = plan.services.find((s) => s.role === role)?.files.find((f) => f.path.endsWith(path));
  if (!file) throw new Error(`no ${path} in ${role}`);
  return file.content;
};
const collectorOf = (plan: ReturnType<typeof planFor>) => yaml.load(fileOf(plan, "otel-collector", "/config.yaml")) as any;
const jaegerOf = (plan: ReturnType<typeof planFor>) => yaml.load(fileOf(plan, "jaeger", "/config.yaml")) as any;
const datasourcesOf = (plan: ReturnType<typeof planFor>) =>
  (yaml.load(fileOf(plan, "grafana", "/datasources/datasources.yaml")) as { datasources: any[] }).datasources;

function parseErrors(expr: string): string[] {
  const errors: string[] = [];
  parser.parse(expr).iterate({
    enter(node) {
      if (node.type.isError) errors.push(`at ${node.from}`);
    },
  });
  return errors;
}

function selectedMetrics(expr: string): string[] {
  const names: string[] = [];
  parser.parse(expr).iterate({
    enter(node) {
      if (node.name === "Identifier" && node.node.parent?.name === "VectorSelector") names.push(expr.slice(node.from, node.to));
    },
  });
  return names;
}

describe("span metrics: the names the collector writes are the names Jaeger and the dashboards read", () => {
  it("GIVEN the connector's instruments WHEN named by the remote-write rules THEN they are traces_span_metrics_calls_total and traces_span_metrics_duration_milliseconds", () => {
    expect(SPAN_METRIC_NAMES).toEqual({ calls: "traces_span_metrics_calls_total", duration: "traces_span_metrics_duration_milliseconds" });
    expect(SPAN_LABELS).toEqual({
      service: "service_name",
      operation: "span_name",
      kind: "span_kind",
      status: "status_code",
      overflow: "otel_metric_overflow",
    });
  });

  it("GIVEN the rendered Jaeger metrics storage WHEN its names are built as Jaeger v2.12's reader builds them THEN they are the collector's", () => {
    const storage = jaegerOf(planFor()).extensions.jaeger_storage.metric_backends.spm.prometheus;
    // internal/storage/metricstore/prometheus/metricstore/reader.go: buildFullCallsMetricName / buildFullLatencyMetricName.
    const unitWord: Record<string, string> = { ms: "milliseconds", s: "seconds" };
    const calls = `${storage.metric_namespace}_calls${storage.normalize_calls ? "_total" : ""}`;
    const latency = `${storage.metric_namespace}_duration${storage.normalize_duration ? `_${unitWord[storage.latency_unit]}` : ""}`;
    expect(calls).toBe(SPAN_METRIC_NAMES.calls);
    expect(latency).toBe(SPAN_METRIC_NAMES.duration);
    // The collector's histogram unit is the one Jaeger is told (it picks the name, and the Monitor tab shows ms).
    expect(collectorOf(planFor()).connectors.span_metrics.histogram.unit).toBe(storage.latency_unit);
  });

  it("GIVEN the bucket bounds WHEN counted THEN one combination costs a calls series, a series per bucket and +Inf, the sum and the count: 15", () => {
    expect(SPAN_METRICS_BUCKETS_SECONDS).toHaveLength(11);
    expect(SERIES_PER_COMBINATION).toBe(15);
    expect(SPAN_SERIES).toEqual([
      "traces_span_metrics_calls_total",
      "traces_span_metrics_duration_milliseconds_bucket",
      "traces_span_metrics_duration_milliseconds_sum",
      "traces_span_metrics_duration_milliseconds_count",
    ]);
  });
});

describe("span metrics in the rendered collector config", () => {
  it("GIVEN the defaults WHEN rendered THEN the span_metrics connector is the traces pipeline's exporter and the metrics pipeline's receiver, bounded and flushed every 15 s", () => {
    const config = collectorOf(planFor());
    expect(config.connectors).toEqual({
      span_metrics: {
        namespace: "traces.span.metrics",
        aggregation_temporality: "AGGREGATION_TEMPORALITY_CUMULATIVE",
        histogram: {
          unit: "ms",
          explicit: { buckets: ["5ms", "10ms", "25ms", "50ms", "100ms", "250ms", "500ms", "1s", "2500ms", "5s", "10s"] },
        },
        dimensions: [],
        aggregation_cardinality_limit: 100,
        // The small tier's 1,000 combinations over 100 per service instance.
        resource_metrics_cache_size: 10,
        metrics_flush_interval: "15s",
        series_expiration: "1h",
        metrics_expiration: "1h",
      },
    });
    expect(config.service.pipelines.traces.exporters).toContain("span_metrics");
    expect(config.service.pipelines.metrics.receivers).toContain("span_metrics");
    // Its metrics go where every metric goes: the metrics backend's exporter.
    expect(config.service.pipelines.metrics.exporters).toEqual(["prometheus_remote_write/metrics"]);
  });

  it("GIVEN extra dimensions and a limit WHEN rendered THEN exactly those attributes become dimensions, with that limit", () => {
    const config = collectorOf(
      planFor({ traces: { spanMetrics: { dimensions: ["http.request.method", "http.route"], cardinalityLimit: 40 } } }),
    );
    expect(config.connectors.span_metrics.dimensions).toEqual([{ name: "http.request.method" }, { name: "http.route" }]);
    expect(config.connectors.span_metrics.aggregation_cardinality_limit).toBe(40);
  });

  it.each([
    ["small", 100, 10],
    ["small", 1_000, 1],
    ["small", 300, 3],
    ["medium", 100, 15],
    ["large", 100, 35],
    ["large", 3_500, 1],
  ])(
    "GIVEN tier %s and %i combinations per service instance WHEN rendered THEN the connector tracks %i instances: never more combinations in all than the tier holds",
    (tier, cardinalityLimit, instances) => {
      const config = collectorOf(planFor({ tier, traces: { spanMetrics: { cardinalityLimit } } }));
      const connector = config.connectors.span_metrics;
      expect(connector.resource_metrics_cache_size).toBe(instances);
      expect(connector.resource_metrics_cache_size * connector.aggregation_cardinality_limit).toBeLessThanOrEqual(
        TIERS[tier as keyof typeof TIERS].spanMetricsCombinations,
      );
    },
  );

  it("GIVEN a per-instance limit above the tier's total WHEN parsed THEN it is refused on that tier and taken on a larger one", () => {
    expect(() => parseSettings({ environment: "dev", traces: { spanMetrics: { cardinalityLimit: 2_500 } } })).toThrow(
      /traces\.spanMetrics\.cardinalityLimit.*small tier's collector keeps over all services \(1000 combinations/s,
    );
    expect(
      parseSettings({ environment: "dev", tier: "large", traces: { spanMetrics: { cardinalityLimit: 2_500 } } }).traces.spanMetrics
        .cardinalityLimit,
    ).toBe(2_500);
    // Span metrics off: the limit is not used, so it is not held against the tier.
    expect(() => parseSettings({ environment: "dev", traces: { spanMetrics: { enabled: false, cardinalityLimit: 2_500 } } })).not.toThrow();
  });

  it.each(["victoriametrics", "prometheus"])(
    "GIVEN metrics backend %s WHEN Jaeger is planned THEN its Monitor tab's storage is that backend's query URL",
    (backend) => {
      const plan = planFor({ metrics: { backend } });
      const jaeger = jaegerOf(plan);
      expect(jaeger.extensions.jaeger_query.storage).toEqual({ traces: "main", metrics: "spm" });
      expect(jaeger.extensions.jaeger_storage.metric_backends.spm.prometheus.endpoint).toBe(plan.backends.metrics.plan.queryUrl);
      expect(plan.backends.metrics.plan.queryUrl).toMatch(new RegExp(`^http://${backend}:\\d+$`));
    },
  );

  it("GIVEN traces.spanMetrics.enabled false WHEN planned THEN no connector, no Jaeger metrics storage, no dashboard, and trace → metrics links use the app's own metrics", () => {
    const plan = planFor({ traces: { spanMetrics: { enabled: false } } });
    const config = collectorOf(plan);
    expect(config.connectors).toBeUndefined();
    for (const pipeline of Object.values<any>(config.service.pipelines)) {
      expect([...pipeline.receivers, ...pipeline.exporters]).not.toContain("span_metrics");
    }
    const jaeger = jaegerOf(plan);
    expect(jaeger.extensions.jaeger_query.storage).toEqual({ traces: "main" });
    expect(jaeger.extensions.jaeger_storage.metric_backends).toBeUndefined();
    expect(plan.grafana.files.map((f) => f.path).filter((p) => p.includes("services-from-traces"))).toEqual([]);
    const traces = datasourcesOf(plan).find((d) => d.uid === DATASOURCE_UIDS.traces);
    expect(traces.jsonData.tracesToMetrics.tags).toEqual([{ key: "service.name", value: "job" }]);
    expect(JSON.stringify(traces.jsonData.tracesToMetrics.queries)).toContain("scotty_http_requests_total");
  });
});

describe("trace → metrics links of the traces datasource", () => {
  it.each(["jaeger", "tempo"])(
    "GIVEN traces backend %s WHEN provisioned THEN its span links query the span metrics of the span's service and operation",
    (backend) => {
      const plan = planFor({ traces: { backend, storage: "badger" } });
      const links = datasourcesOf(plan).find((d) => d.uid === DATASOURCE_UIDS.traces).jsonData.tracesToMetrics;
      expect(links.datasourceUid).toBe(DATASOURCE_UIDS.metrics);
      expect(links.tags).toEqual([{ key: "service.name", value: "service_name" }]);
      expect(links.queries.map((q: { name: string }) => q.name)).toEqual([
        "Request rate by status (this operation)",
        "Error ratio (this operation)",
        "p95 latency (this operation)",
      ]);
      // Provisioning escapes `$` (Grafana would expand ${…} itself); every query names the span's operation.
      for (const q of links.queries) expect(q.query).toContain('span_name="$${__span.name}"');
    },
  );

  it("GIVEN the link queries WHEN Grafana's variables are filled in as Grafana would THEN each is valid PromQL over span-metric series only", () => {
    for (const { name, query } of spanLinkQueries()) {
      const filled = query.split("$__tags").join('service_name="checkout"').split("${__span.name}").join("POST /orders");
      expect(parseErrors(filled), `${name}: ${filled}`).toEqual([]);
      for (const metric of selectedMetrics(filled)) expect(SPAN_SERIES, name).toContain(metric);
    }
  });
});

describe("the Services (from traces) dashboard", () => {
  const input = {
    appName: "scotty",
    metricsUid: "metrics-ds",
    tracesUid: "traces-ds",
    backends: healthOfKinds("victoriametrics", "jaeger"),
    spanMetrics: spanMetricsOf("jaeger"),
  };
  const exprs = allPromQL(input, alertInput()).filter((e) => e.source.startsWith(`dashboard ${SERVICES_DASHBOARD_UID} `));
  const dashboard = JSON.parse(renderDashboards(input).find((f) => f.path === "services/services-from-traces.json")!.json);
  const panels = (dashboard.panels as any[]).filter((p) => p.type !== "row");

  it("GIVEN its queries WHEN listed THEN there are rate, error ratio and p50/p95/p99 per service and per operation, plus its cost and bound", () => {
    expect(panels.map((p) => p.title)).toEqual([
      "Request rate",
      "Error ratio",
      "Latency p50 / p95 / p99",
      "Request rate by operation",
      "Error ratio by operation",
      "Latency p50 by operation",
      "Latency p95 by operation",
      "Latency p99 by operation",
      "Span-metric series",
      "Spans over the cardinality limit / s",
    ]);
    expect(exprs).toHaveLength(12);
  });

  it("GIVEN every query WHEN parsed (variables at their defaults) THEN it is valid PromQL, selects only span-metric series and groups only by service and operation", () => {
    for (const { source, expr } of exprs) {
      expect(parseErrors(expr), `${source}: ${expr}`).toEqual([]);
      expect(expr, source).not.toContain("$");
      for (const metric of selectedMetrics(expr)) expect(SPAN_SERIES, source).toContain(metric);
      for (const label of groupingLabels(expr)) expect([SPAN_LABELS.service, SPAN_LABELS.operation], source).toContain(label);
    }
    // The defaults: every service, the spans that are requests into one (server, consumer).
    const rate = exprs.find((e) => e.source.includes("'Request rate' /"))!.expr;
    expect(rate).toBe(
      'sum by (service_name) (rate(traces_span_metrics_calls_total{service_name=~".+", span_kind=~"(SPAN_KIND_SERVER|SPAN_KIND_CONSUMER)"}[1m]))',
    );
  });

  it("GIVEN an operation without errors WHEN its error ratio is computed THEN the query yields 0 for it (0 × calls), not a missing series", () => {
    const ratio = exprs.find((e) => e.source.includes("'Error ratio by operation'"))!.expr;
    expect(ratio).toMatch(
      /^\(sum by \(service_name, span_name\) \(rate\(traces_span_metrics_calls_total\{.*status_code="STATUS_CODE_ERROR"\}\[1m\]\)\) or 0 \* sum by/,
    );
    expect(groupingLabels(ratio)).toEqual(["service_name", "span_name"]);
  });

  it("GIVEN its variables WHEN read THEN service comes from the span metrics and span kind defaults to server and consumer", () => {
    const variables = Object.fromEntries((dashboard.templating.list as any[]).map((v) => [v.name, v]));
    expect(variables.service).toMatchObject({
      type: "query",
      query: "label_values(traces_span_metrics_calls_total, service_name)",
      allValue: ".+",
    });
    expect(variables.span_kind.current.value).toEqual(["SPAN_KIND_SERVER", "SPAN_KIND_CONSUMER"]);
  });

  it("GIVEN a panel per operation WHEN its data link is followed THEN it opens the traces datasource in Explore, searching that service and operation", () => {
    const perOperation = panels.find((p) => p.title === "Latency p95 by operation");
    const [link] = perOperation.fieldConfig.defaults.links;
    expect(link.title).toBe("Traces of ${__field.labels.service_name} ${__field.labels.span_name}");
    expect(link.url).toMatch(/^\/explore\?schemaVersion=1&orgId=1&panes=/);
    // Grafana fills the variables in (percent-encoded), then the pane is plain JSON.
    const filled = link.url
      .split(TRACE_LINK_VALUES.service)
      .join("check%20out")
      .split(TRACE_LINK_VALUES.operation)
      .join("POST%20%2Forders")
      .replace("${__from}", "1000")
      .replace("${__to}", "2000");
    const pane = JSON.parse(decodeURIComponent(new URL(filled, "http://grafana").searchParams.get("panes")!));
    expect(pane).toEqual({
      traces: {
        datasource: "traces-ds",
        queries: [
          {
            refId: "A",
            datasource: { type: "jaeger", uid: DATASOURCE_UIDS.traces },
            queryType: "search",
            service: "check out",
            operation: "POST /orders",
          },
        ],
        range: { from: "1000", to: "2000" },
      },
    });
    // Per service: no operation in the search.
    const perService = panels.find((p) => p.title === "Request rate").fieldConfig.defaults.links[0];
    expect(perService.url).not.toContain("operation");
  });

  it("GIVEN no trace search from the traces backend WHEN rendered THEN the panels carry no links", () => {
    const bare = exploreUrl("t", { q: TRACE_LINK_VALUES.service });
    expect(bare).toContain(TRACE_LINK_VALUES.service);
    const without = JSON.parse(renderDashboards({ ...input, spanMetrics: {} }).find((f) => f.path.startsWith("services/"))!.json);
    for (const panel of (without.panels as any[]).filter((p) => p.type !== "row")) expect(panel.fieldConfig.defaults.links).toBeUndefined();
  });
});
