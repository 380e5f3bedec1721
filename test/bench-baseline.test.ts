/** The bench's baseline is the seeds' collector config: only where to send comes from the program's plans (bench/baseline.ts). */
import * as yaml from "js-yaml";
import { describe, expect, it } from "vitest";
import { renderBaselineYaml } from "../bench/baseline";
import { planBackends } from "../configs/backends";
import { parseSettings } from "../settings";

describe("the seeds' baseline (bench/baseline.ts)", () => {
  const plans = planBackends(parseSettings({ environment: "dev", logs: { backend: "victorialogs" } }));
  const exporters = [plans.metrics, plans.traces, plans.logs!].map((b) => b.plan.exporter);
  const ports = { otlpGrpc: 1, otlpHttp: 2, health: 3, metrics: 4 };

  it("GIVEN the program's exporter plans (zstd to Jaeger and VictoriaLogs) WHEN the baseline is rendered THEN it keeps their endpoints and TLS and leaves compression at the default", () => {
    expect(exporters.map((e) => e.config.compression)).toEqual([undefined, "zstd", "zstd"]);
    const rendered = yaml.load(renderBaselineYaml(exporters, ports)) as any;
    expect(rendered.exporters).toEqual({
      "prometheus_remote_write/metrics": { endpoint: plans.metrics.plan.exporter.config.endpoint },
      "otlp_grpc/traces": { endpoint: plans.traces.plan.exporter.config.endpoint, tls: { insecure: true } },
      "otlp_http/logs": { logs_endpoint: plans.logs!.plan.exporter.config.logs_endpoint },
    });
    expect(rendered.processors.batch).toEqual({ timeout: "10s", send_batch_size: 1024 });
  });
});
