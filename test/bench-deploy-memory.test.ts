/** The deploy bench's memory section is rendered from its saved results, and names the Grafana slot for what it ran (bench/deploy.ts). */
import { describe, expect, it } from "vitest";
import { renderMemory, type DeployMemory } from "../bench/deploy";

const run = (grafanaImage: string): DeployMemory => ({
  kind: "deploy-memory",
  started: "2026-12-07T12:00:00.000Z",
  commit: "abc1234",
  machine: { cpus: 2, model: "Test CPU", dockerEngine: "20.10.24+dfsg1" },
  images: { grafana: grafanaImage, collector: "obs-local/otelcol:0.160.0" },
  tiers: [
    {
      tier: "small",
      upMs: 19_600,
      previewMs: 1_400,
      changeSummary: { same: 40 },
      destroyMs: 8_100,
      load: { seconds: 30, acked: 120, failed: 0 },
      containers: {
        grafana: { limitMb: 256, idle: { statsMb: 20, cgroupMb: 30 }, peak: { statsMb: 21, cgroupMb: 31 } },
        "otel-collector": { limitMb: 192, idle: { statsMb: 30, cgroupMb: 110 }, peak: { statsMb: 45.55, cgroupMb: 128 } },
        "otel-collector-probe": { idle: { statsMb: 0.7, cgroupMb: 0.7 }, peak: { statsMb: 0.9, cgroupMb: NaN } },
      },
    },
  ],
});

describe("deploy bench: the memory section (renderMemory)", () => {
  it("GIVEN a saved run on the stand-in WHEN rendered THEN the Grafana slot is named a stand-in, and rows and totals come from the run", () => {
    const text = renderMemory(run("obs-local/grafana-standin:for-12.3.1"));
    expect(text).toContain("on 2026-12-07T12:00:00.000Z at commit abc1234");
    expect(text).toContain("the grafana row is the project's stand-in (`obs-local/grafana-standin:for-12.3.1`, NOT Grafana");
    expect(text).not.toContain("10.0 backend");
    expect(text).toContain('**19.6 s**; no-change `preview`: **1.4 s** (40 resources: {"same":40}); `destroy`: 8.1 s');
    expect(text).toContain("| otel-collector | 192 | 30.0 | 110.0 | 45.5 | 128.0 |");
    // No limit and an unreadable cgroup are shown as such, not as 0.
    expect(text).toContain("| otel-collector-probe | – | 0.7 | 0.7 | 0.9 | – |");
    expect(text).toContain("| **whole stack** | 448 | **50.7** | 140.7 | **67.5** | – |");
  });

  it("GIVEN a run on another Grafana image WHEN rendered THEN that image is named and not called a stand-in", () => {
    const text = renderMemory(run("grafana/grafana:12.3.1"));
    expect(text).toContain("grafana ran `grafana/grafana:12.3.1`");
    expect(text).not.toContain("stand-in");
  });
});
