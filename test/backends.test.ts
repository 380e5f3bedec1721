import * as yaml from "js-yaml";
import { describe, expect, it } from "vitest";
import { planBackends, registeredBackends } from "../configs/backends";
import { renderDatasources } from "../configs/grafana";
import { planStack } from "../configs/stack";
import { DATASOURCE_UIDS } from "../configs/types";
import { parseSettings, TIERS } from "../settings";

const plansFor = (raw: Record<string, unknown>) => planBackends(parseSettings({ environment: "dev", ...raw }));

describe("backend contract", () => {
  const kinds = (signal: "metrics" | "traces" | "logs") => registeredBackends(signal).map((b) => b.kind);
  const combos = kinds("metrics").flatMap((m) => kinds("traces").flatMap((t) => ["none", ...kinds("logs")].map((l) => [m, t, l] as const)));

  it.each(combos)(
    "GIVEN metrics=%s traces=%s logs=%s WHEN planned THEN datasources have stable uids, one default, and links only to what exists",
    (m, t, l) => {
      const plans = plansFor({ metrics: { backend: m }, traces: { backend: t }, logs: { backend: l } });
      const datasources = [plans.metrics, plans.traces, ...(plans.logs ? [plans.logs] : [])].map((c) => c.plan.datasource);
      expect(datasources.map((d) => d.uid)).toEqual(["metrics", "traces", ...(l === "none" ? [] : ["logs"])]);
      expect(datasources.filter((d) => d.isDefault).map((d) => d.uid)).toEqual(["metrics"]);
      const traces = plans.traces.plan.datasource.jsonData as any;
      expect(traces.tracesToMetrics.datasourceUid).toBe(DATASOURCE_UIDS.metrics);
      expect(traces.tracesToLogsV2?.datasourceUid).toBe(l === "none" ? undefined : DATASOURCE_UIDS.logs);
      if (plans.logs) {
        expect((plans.logs.plan.datasource.jsonData as any).derivedFields[0].datasourceUid).toBe(DATASOURCE_UIDS.traces);
      }
      expect(() => renderDatasources(datasources)).not.toThrow();
      // Every exporter id is unique and names its signal.
      const ids = [plans.metrics, plans.traces, ...(plans.logs ? [plans.logs] : [])].map((c) => c.plan.exporter.id);
      expect(new Set(ids).size).toBe(ids.length);
    },
  );
});

describe("OTLP compression to the backends", () => {
  it("GIVEN each OTLP backend WHEN planned THEN zstd goes to the ones whose pinned receiver runs in test/integration (Jaeger, VictoriaLogs), gzip to Tempo and Loki (never run here)", () => {
    const compression = (traces: string, logs: string) => {
      const plans = plansFor({ traces: { backend: traces }, logs: { backend: logs } });
      return [plans.traces.plan.exporter.config.compression, plans.logs!.plan.exporter.config.compression];
    };
    expect(compression("jaeger", "victorialogs")).toEqual(["zstd", "zstd"]);
    expect(compression("tempo", "loki")).toEqual(["gzip", "gzip"]);
  });
});

describe("VictoriaMetrics", () => {
  it.each([
    ["small", "30d", 153],
    ["large", "90d", 614],
  ] as const)(
    "GIVEN tier %s and retention %s WHEN planned THEN the flags carry retention and %iMB of cache",
    (tier, retention, cacheMb) => {
      const { metrics } = plansFor({ tier, metrics: { retention } });
      expect(metrics.plan.service.command).toEqual([
        "-storageDataPath=/victoria-metrics-data",
        `-retentionPeriod=${retention}`,
        "-httpListenAddr=:8428",
        `-memory.allowedBytes=${cacheMb}MB`,
        "-search.latencyOffset=5s",
        "-dedup.minScrapeInterval=1ms",
        // Every admin endpoint asks for the generated key, read from its secret file (issue 20 item 1).
        ...[
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
        ].map((flag) => `-${flag}=file:///etc/victoriametrics/secrets/admin-auth-key`),
      ]);
      expect(metrics.plan.service.memoryMb).toBe(TIERS[tier].memoryMb.victoriametrics);
      expect(metrics.plan.service.healthcheck?.test).toContain("http://127.0.0.1:8428/health");
    },
  );

  it("GIVEN loopback addressing WHEN planned THEN write and query URLs point there (how the integration tier runs it)", () => {
    const plans = planBackends(parseSettings({ environment: "dev" }), { host: () => "127.0.0.1", ports: () => ({ http: 18428 }) });
    expect(plans.metrics.plan.remoteWriteUrl).toBe("http://127.0.0.1:18428/api/v1/write");
    expect(plans.metrics.plan.service.command).toContain("-httpListenAddr=:18428");
  });
});

describe("Prometheus", () => {
  it("GIVEN prometheus with a disk cap WHEN planned THEN retention time and size flags and the remote-write receiver are set", () => {
    const { metrics } = plansFor({ metrics: { backend: "prometheus", retention: "15d", maxDiskGb: 20 } });
    expect(metrics.plan.service.command).toEqual(
      expect.arrayContaining([
        "--storage.tsdb.retention.time=15d",
        "--storage.tsdb.retention.size=20GB",
        "--web.enable-remote-write-receiver",
      ]),
    );
    const config = yaml.load(metrics.plan.service.files[0]!.content) as any;
    expect(config.storage.tsdb.out_of_order_time_window).toBe("30m");
    expect(metrics.plan.exporter.config.endpoint).toBe("http://prometheus:9090/api/v1/write");
  });
});

describe("Jaeger v2", () => {
  it("GIVEN memory storage WHEN planned THEN the store is bounded by the tier's maxTraces and there is no volume", () => {
    const { traces } = plansFor({ tier: "medium", traces: { storage: "memory" } });
    const config = yaml.load(traces.plan.service.files[0]!.content) as any;
    expect(config.extensions.jaeger_storage.backends.main).toEqual({ memory: { max_traces: TIERS.medium.maxTraces } });
    expect(traces.plan.service.volumes).toEqual([]);
  });

  it("GIVEN badger storage WHEN planned THEN traces live on a volume owned by uid 10001 with a TTL of the retention", () => {
    const { traces } = plansFor({ traces: { retention: "7d" } });
    const config = yaml.load(traces.plan.service.files[0]!.content) as any;
    expect(config.extensions.jaeger_storage.backends.main.badger.ttl.spans).toBe("168h");
    expect(config.extensions.jaeger_storage.backends.main.badger.ephemeral).toBe(false);
    expect(traces.plan.service.volumes).toEqual([{ name: "data", containerPath: "/badger", ownerUid: 10001 }]);
  });

  it("GIVEN jaeger WHEN planned THEN it binds 0.0.0.0, is probed on /status, and receives OTLP gRPC without TLS", () => {
    const { traces } = plansFor({});
    const config = yaml.load(traces.plan.service.files[0]!.content) as any;
    expect(config.receivers.otlp.protocols.grpc.endpoint).toBe("0.0.0.0:4317");
    expect(config.extensions.jaeger_query.http.endpoint).toBe("0.0.0.0:16686");
    expect(traces.plan.service.healthcheck?.test).toContain("http://127.0.0.1:13133/status");
    expect(traces.plan.exporter).toMatchObject({ type: "otlp_grpc", config: { endpoint: "jaeger:4317", tls: { insecure: true } } });
  });
});

describe("Grafana provisioning escapes literal $", () => {
  it("GIVEN trace→metrics queries with $__tags WHEN rendered THEN they are written $$__tags", () => {
    const { traces } = plansFor({});
    const text = renderDatasources([traces.plan.datasource, { ...traces.plan.datasource, uid: "x", isDefault: true }]);
    expect(text).toContain('{$$__tags, span_name="$${__span.name}"}');
    expect(text).not.toMatch(/[^$]\$__tags/);
    expect(text).not.toMatch(/[^$]\$\{__span/);
  });
});

describe("Grafana datasources across a backend swap", () => {
  const provisioned = (raw: Record<string, unknown>) => {
    const plan = planStack(parseSettings({ environment: "dev", ...raw }));
    const file = plan.grafana.files.find((f) => f.path.endsWith("/datasources/datasources.yaml"))!;
    return yaml.load(file.content) as {
      deleteDatasources?: { name: string; orgId: number }[];
      datasources: { name: string; uid: string }[];
    };
  };

  // Grafana matches provisioned datasources by name: a new name with the signal's old uid is an
  // insert that fails ("data source with the same uid already exists") and Grafana never gets healthy.
  it.each([
    [{ metrics: { backend: "prometheus" } }, ["Jaeger", "Prometheus"], ["Loki", "Tempo", "VictoriaLogs", "VictoriaMetrics"]],
    [
      { metrics: { backend: "victoriametrics" }, logs: { backend: "loki" } },
      ["Jaeger", "Loki", "VictoriaMetrics"],
      ["Prometheus", "Tempo", "VictoriaLogs"],
    ],
    [{ traces: { backend: "tempo" } }, ["Tempo", "VictoriaMetrics"], ["Jaeger", "Loki", "Prometheus", "VictoriaLogs"]],
  ])("GIVEN %j WHEN Grafana is provisioned THEN every other backend's datasource is deleted by name first", (raw, kept, deleted) => {
    const file = provisioned(raw);
    expect(file.datasources.map((d) => d.name).sort()).toEqual(kept);
    expect(file.deleteDatasources).toEqual(deleted.map((name) => ({ name, orgId: 1 })));
  });

  it.each(registeredBackends().map((b) => [b.signal, b.kind, b] as const))(
    "GIVEN the %s backend %s WHEN planned THEN its datasource carries its display name (what the deletions name)",
    (signal, kind, backend) => {
      const plans = plansFor({ [signal]: { backend: kind }, ...(signal === "logs" ? {} : { logs: { backend: "none" } }) });
      expect(plans[signal]!.backend).toBe(backend);
      expect(plans[signal]!.plan.datasource.name).toBe(backend.displayName);
    },
  );
});
