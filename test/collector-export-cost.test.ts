import { describe, expect, it } from "vitest";
import { planBackends } from "../configs/backends";
import { collectorInputFromSettings, extraExporterPlans, renderCollectorConfig } from "../configs/collector";
import { parseSettings, TIERS } from "../settings";

function exportersFor(raw: Record<string, unknown>): Record<string, any> {
  const settings = parseSettings({ environment: "dev", ...raw });
  const backends = planBackends(settings);
  const chosen = [backends.metrics, backends.traces, ...(backends.logs ? [backends.logs] : [])];
  const input = collectorInputFromSettings(
    settings,
    TIERS[settings.tier],
    [...chosen.map((c) => c.plan.exporter), ...extraExporterPlans(settings.exporters, backends.logs !== undefined)],
    chosen.flatMap((c) => c.plan.scrape),
  );
  return (renderCollectorConfig(input, settings.exporters) as any).exporters;
}

describe("what exporting costs the collector (bench/profile.ts findings)", () => {
  const raw = {
    logs: { backend: "victorialogs" },
    exporters: [
      { name: "vendor", kind: "otlphttp", endpoint: "https://otlp.example.com" },
      { name: "thanos", kind: "prometheusremotewrite", endpoint: "https://thanos.example.com/api/v1/write" },
    ],
  };

  it("GIVEN the HTTP exporters WHEN rendered THEN each keeps at least as many idle connections per backend as it sends requests at once", () => {
    const exporters = exportersFor(raw);
    for (const id of ["prometheus_remote_write/metrics", "prometheus_remote_write/extra.thanos"]) {
      // The remote-write exporter sends with 5 workers (remote_write_queue.num_consumers' default).
      expect(exporters[id].http.keepalive.max_idle_conns_per_host, id).toBeGreaterThanOrEqual(5);
    }
    for (const id of ["otlp_http/logs", "otlp_http/extra.vendor"]) {
      expect(exporters[id].keepalive.max_idle_conns_per_host, id).toBeGreaterThanOrEqual(exporters[id].sending_queue.num_consumers);
    }
  });
});
