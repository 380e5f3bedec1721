import * as yaml from "js-yaml";
import { describe, expect, it } from "vitest";
import { planBackends } from "../configs/backends";
import {
  collectorInputFromSettings,
  collectorSecretFiles,
  collectorServicePlan,
  extraExporterPlans,
  COLLECTOR_NON_HEAP_MB,
  GRPC_READ_BUFFER_BYTES,
  memoryLimits,
  renderCollectorConfig,
  renderCollectorYaml,
} from "../configs/collector";
import { parseSettings, TIERS } from "../settings";

function collectorFor(raw: Record<string, unknown>) {
  const settings = parseSettings({ environment: "dev", ...raw });
  const backends = planBackends(settings);
  const chosen = [backends.metrics, backends.traces, ...(backends.logs ? [backends.logs] : [])];
  const input = collectorInputFromSettings(
    settings,
    TIERS[settings.tier],
    [...chosen.map((c) => c.plan.exporter), ...extraExporterPlans(settings.exporters, backends.logs !== undefined)],
    chosen.flatMap((c) => c.plan.scrape),
  );
  return { settings, input, config: renderCollectorConfig(input, settings.exporters) as any };
}

describe("collector config renderer", () => {
  it("GIVEN the default stack WHEN rendered THEN OTLP listens on 0.0.0.0 gRPC 4317 and HTTP 4318", () => {
    const { config } = collectorFor({});
    expect(config.receivers.otlp.protocols).toEqual({
      grpc: { endpoint: "0.0.0.0:4317", read_buffer_size: GRPC_READ_BUFFER_BYTES, max_recv_msg_size_mib: 32 },
      http: { endpoint: "0.0.0.0:4318" },
    });
    expect(config.extensions.health_check.endpoint).toBe("0.0.0.0:13133");
  });

  it("GIVEN the default stack WHEN rendered THEN metrics go to VictoriaMetrics by remote write and traces to Jaeger by OTLP gRPC", () => {
    const { config } = collectorFor({});
    expect(config.exporters["prometheus_remote_write/metrics"].http.endpoint).toBe("http://victoriametrics:8428/api/v1/write");
    expect(config.exporters["otlp_grpc/traces"]).toMatchObject({ endpoint: "jaeger:4317", tls: { insecure: true } });
    expect(config.service.pipelines.metrics.exporters).toEqual(["prometheus_remote_write/metrics"]);
    // The span_metrics connector (on by default) takes every span too, and feeds the metrics pipeline.
    expect(config.service.pipelines.traces.exporters).toEqual(["otlp_grpc/traces", "span_metrics"]);
    expect(config.service.pipelines.logs).toBeUndefined();
  });

  it.each(["small", "medium", "large"] as const)(
    "GIVEN tier %s WHEN rendered THEN memory_limiter leaves the binary's pages their share, sits below GOMEMLIMIT and is first in every pipeline",
    (tier) => {
      const { config, input } = collectorFor({ tier, logs: { backend: "victorialogs" } });
      const memory = TIERS[tier].memoryMb.collector;
      expect(input.memoryMb).toBe(memory);
      const l = memoryLimits(memory);
      expect(l.goMemLimitMib + COLLECTOR_NON_HEAP_MB).toBe(memory);
      // Its soft limit (a GC forced at once, then refusal) is below its hard limit, both under GOMEMLIMIT.
      expect(0).toBeLessThan(l.limitMib - l.spikeLimitMib);
      expect(l.limitMib).toBeLessThan(l.goMemLimitMib);
      expect(config.processors.memory_limiter).toEqual({
        check_interval: "1s",
        limit_mib: l.limitMib,
        spike_limit_mib: l.spikeLimitMib,
        min_gc_interval_when_soft_limited: "0s",
      });
      expect(config.receivers.otlp.protocols.grpc.read_buffer_size).toBe(GRPC_READ_BUFFER_BYTES);
      for (const pipeline of Object.values<any>(config.service.pipelines)) expect(pipeline.processors[0]).toBe("memory_limiter");
    },
  );

  it("GIVEN an environment WHEN rendered THEN deployment.environment is set on every resource and as a remote-write label", () => {
    const { config } = collectorFor({ environment: "staging" });
    expect(config.processors["resource/environment"].attributes).toContainEqual({
      key: "deployment.environment",
      value: "staging",
      action: "upsert",
    });
    expect(config.exporters["prometheus_remote_write/metrics"].external_labels).toEqual({ deployment_environment: "staging" });
    for (const pipeline of Object.values<any>(config.service.pipelines)) expect(pipeline.processors).toContain("resource/environment");
  });

  it("GIVEN a persistent queue WHEN rendered THEN OTLP exporters queue on file_storage/queue and remote write goes through its WAL", () => {
    const { config } = collectorFor({});
    expect(config.extensions["file_storage/queue"].directory).toBe("/var/lib/otelcol/queue");
    expect(config.service.extensions).toContain("file_storage/queue");
    expect(config.exporters["otlp_grpc/traces"].sending_queue).toMatchObject({ enabled: true, storage: "file_storage/queue" });
    expect(config.exporters["otlp_grpc/traces"].retry_on_failure.max_elapsed_time).toBe("10m");
    const prw = config.exporters["prometheus_remote_write/metrics"];
    // Exactly the keys the remote-write exporter reads: it ignores unknown ones silently at 0.160,
    // so `otelcol validate` cannot guard this shape.
    expect(Object.keys(prw).sort()).toEqual(["external_labels", "http", "remote_write_queue", "retry_on_failure", "wal"]);
    expect(prw.remote_write_queue).toEqual({ enabled: false });
    expect(prw.wal).toEqual({ directory: "/var/lib/otelcol/queue/wal-metrics", buffer_size: 100, truncate_frequency: "1s" });
    expect(prw.http).toEqual({
      endpoint: "http://victoriametrics:8428/api/v1/write",
      timeout: "10s",
      keepalive: { max_idle_conns_per_host: 8 },
    });
  });

  it("GIVEN persistentQueue false WHEN rendered THEN no storage extension, in-memory queues, and remote write may retry for the whole max_elapsed_time", () => {
    const { config } = collectorFor({ collector: { persistentQueue: false, retryMaxElapsed: "5m" } });
    expect(config.extensions["file_storage/queue"]).toBeUndefined();
    expect(config.exporters["otlp_grpc/traces"].sending_queue.storage).toBeUndefined();
    const prw = config.exporters["prometheus_remote_write/metrics"];
    expect(prw.wal).toBeUndefined();
    expect(prw.remote_write_queue).toEqual({ enabled: true, queue_size: 1000 });
    expect(prw.timeout).toBe("330s");
    // Nothing is durable on crash without the queue: the metrics pipeline batches before remote write,
    // at the tier's sizes (one write per batch, as the seeds' config does).
    expect(config.processors["batch/metrics"]).toEqual({ send_batch_size: 1024, send_batch_max_size: 2048, timeout: "1s" });
    expect(config.service.pipelines.metrics.processors).toEqual(["memory_limiter", "resource/environment", "batch/metrics"]);
    expect(config.service.pipelines.traces.processors).toEqual(["memory_limiter", "resource/environment"]);
  });

  it("GIVEN the persistent queue (the default) WHEN rendered THEN no processor batches: what is acknowledged is already in the WAL or the queue", () => {
    const { config } = collectorFor({});
    expect(Object.keys(config.processors)).toEqual(["memory_limiter", "resource/environment"]);
    for (const pipeline of Object.values(config.service.pipelines) as { processors: string[] }[])
      expect(pipeline.processors).toEqual(["memory_limiter", "resource/environment"]);
  });

  it("GIVEN the stack WHEN rendered THEN the collector scrapes itself on :8888 and every backend into the metrics pipeline", () => {
    const { config } = collectorFor({ logs: { backend: "victorialogs" } });
    const jobs = config.receivers["prometheus/self"].config.scrape_configs.map((j: any) => [j.job_name, j.static_configs[0].targets[0]]);
    expect(jobs).toEqual([
      ["otel-collector", "127.0.0.1:8888"],
      ["victoriametrics", "victoriametrics:8428"],
      ["jaeger", "jaeger:8888"],
      ["victorialogs", "victorialogs:9428"],
    ]);
    expect(config.service.pipelines.metrics.receivers).toEqual(["otlp", "prometheus/self", "span_metrics"]);
    expect(config.service.telemetry.metrics.readers[0].pull.exporter.prometheus).toEqual({ host: "0.0.0.0", port: 8888 });
  });

  it("GIVEN extra exporters with secret headers WHEN rendered THEN secrets are file references, never values", () => {
    const { config, settings, input } = collectorFor({
      exporters: [
        {
          name: "thanos",
          kind: "prometheusremotewrite",
          endpoint: "https://thanos.example.com/api/v1/write",
          headers: { "X-Scope-OrgID": "tenant-secret-1" },
        },
        {
          name: "vendor",
          kind: "otlphttp",
          endpoint: "https://otlp.vendor.example.com",
          basicAuth: { username: "me", password: "pw-secret-2" },
        },
      ],
    });
    const text = renderCollectorYaml(input, settings.exporters);
    expect(text).not.toContain("tenant-secret-1");
    expect(text).not.toContain("pw-secret-2");
    expect(config.exporters["prometheus_remote_write/extra.thanos"].http.headers).toEqual({
      "X-Scope-OrgID": "${file:/etc/otelcol-contrib/secrets/extra.thanos.header.x-scope-orgid}",
    });
    expect(config.extensions["basicauth/extra.vendor"].client_auth.password).toBe(
      "${file:/etc/otelcol-contrib/secrets/extra.vendor.basic-auth-password}",
    );
    expect(config.exporters["otlp_http/extra.vendor"].auth).toEqual({ authenticator: "basicauth/extra.vendor" });
    expect(config.service.pipelines.metrics.exporters).toEqual([
      "prometheus_remote_write/metrics",
      "prometheus_remote_write/extra.thanos",
      "otlp_http/extra.vendor",
    ]);
    expect(config.service.pipelines.traces.exporters).toEqual(["otlp_grpc/traces", "otlp_http/extra.vendor", "span_metrics"]);
    expect(collectorSecretFiles(input.exporters, settings.exporters).map((f) => f.secret)).toEqual([
      "exporters.thanos.X-Scope-OrgID",
      "exporters.vendor.basicAuth.password",
    ]);
  });

  it("GIVEN the service plan WHEN built THEN GOMEMLIMIT leaves the binary's pages their share, GOGC is the measured 200, no healthcheck (FROM scratch) and the queue volume is handed to uid 10001", () => {
    const { settings, input } = collectorFor({});
    const plan = collectorServicePlan({ image: settings.images.collector, config: input, extras: [] });
    expect(plan.env).toEqual({ GOMEMLIMIT: `${memoryLimits(192).goMemLimitMib}MiB`, GOGC: "200" });
    expect(plan.healthcheck).toBeUndefined();
    expect(plan.volumes).toEqual([{ name: "queue", containerPath: "/var/lib/otelcol", ownerUid: 10001 }]);
    expect(yaml.load(plan.files[0]!.content)).toEqual(renderCollectorConfig(input, []));
  });
});
