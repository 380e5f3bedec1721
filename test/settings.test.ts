import { describe, expect, it } from "vitest";
import { ConfigError, DEFAULT_IMAGES, parseSettings, retentionHours, Secret, TIERS } from "../settings";
import { INVALID } from "./fixtures/invalid-configs";

const valid = { environment: "dev" };

describe("settings: defaults", () => {
  it("GIVEN only an environment WHEN parsed THEN every default comes from the schema and tier tables", () => {
    const s = parseSettings(valid);
    expect(s.tier).toBe("small");
    expect(s.domain).toBe("ddev.site");
    expect(s.metrics).toEqual({ backend: "victoriametrics", retention: "30d" });
    expect(s.traces).toEqual({ backend: "jaeger", retention: "72h", storage: "badger" });
    expect(s.logs.backend).toBe("none");
    expect(s.images).toEqual(DEFAULT_IMAGES);
    expect(s.exposure.bindAddress).toBe("127.0.0.1");
    expect(s.grafana.adminPassword).toBeUndefined();
  });

  it("GIVEN the seed's production table WHEN tiers are read THEN VM/collector/Grafana memory match it", () => {
    expect(
      [TIERS.small, TIERS.medium, TIERS.large].map((t) => [t.memoryMb.victoriametrics, t.memoryMb.collector, t.memoryMb.grafana]),
    ).toEqual([
      [256, 128, 256],
      [512, 256, 512],
      [1024, 512, 512],
    ]);
  });

  it("GIVEN a secret WHEN parsed THEN it is wrapped and refuses to serialise", () => {
    const s = parseSettings({ ...valid, grafana: { adminPassword: "hunter2-hunter2" } });
    expect(s.grafana.adminPassword).toBeInstanceOf(Secret);
    expect(s.grafana.adminPassword!.reveal()).toBe("hunter2-hunter2");
    expect(String(s.grafana.adminPassword)).toBe("[secret]");
    expect(() => JSON.stringify(s)).toThrow(/must not be serialised/);
  });

  it.each([
    ["72h", 72],
    ["30d", 720],
    ["2w", 336],
    ["1y", 8760],
  ])("GIVEN retention %s WHEN converted THEN it is %i hours", (text, hours) => {
    expect(retentionHours(text)).toBe(hours);
  });
});

describe("settings: invalid config fails with its own message", () => {
  it("has at least 25 cases", () => {
    expect(INVALID.length).toBeGreaterThanOrEqual(25);
  });

  it.each(INVALID)("GIVEN %s WHEN parsed THEN it must fail naming its key", (_title, overrides, key, message) => {
    const raw: Record<string, unknown> = { ...valid, ...overrides };
    for (const [k, v] of Object.entries(raw)) if (v === undefined) delete raw[k];
    let error: unknown;
    try {
      parseSettings(raw);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    const problem = problems.find((p) => p.path === key);
    expect(problem, `no problem reported for ${key}; got ${JSON.stringify(problems)}`).toBeDefined();
    expect(problem!.message).toMatch(message);
    expect((error as Error).message).toContain(`obs-stack:${key}:`);
  });

  it("GIVEN several mistakes in different keys WHEN parsed THEN every one is reported at once", () => {
    let error: ConfigError | undefined;
    try {
      parseSettings({
        environment: "prod",
        tier: "huge",
        metrics: { retention: "forever" },
        exposure: { ports: { otlpGrpc: 4317, otlpHttp: 4317 } },
        images: { jaeger: "jaegertracing/jaeger:latest" },
      });
    } catch (e) {
      error = e as ConfigError;
    }
    expect(error?.problems.map((p) => p.path).sort()).toEqual(
      ["exposure.ports.otlpHttp", "images.jaeger", "metrics.retention", "tier", "traefik.basicAuth", "traefik.tls.mode"].sort(),
    );
    expect(error?.message).toMatch(/6 problems/);
  });

  it("GIVEN a wrong secret WHEN reported THEN its value is never echoed", () => {
    let message = "";
    try {
      parseSettings({ ...valid, grafana: { adminPassword: 12345678 } });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain("grafana.adminPassword");
    expect(message).toContain("(secret)");
    expect(message).not.toContain("12345678");
  });
});
