import { describe, expect, it } from "vitest";
import { ConfigError, DEFAULT_IMAGES, parseSettings, retentionHours, Secret, TIERS } from "../settings";

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
    expect([TIERS.small, TIERS.medium, TIERS.large].map((t) => [t.memoryMb.victoriametrics, t.memoryMb.collector, t.memoryMb.grafana])).toEqual([
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

/** Each case: config (merged over a valid base), the key path that must be reported, a message fragment. */
const INVALID: [string, Record<string, unknown>, string, RegExp][] = [
  ["missing environment", { environment: undefined }, "environment", /is required/],
  ["environment with upper case", { environment: "Dev" }, "environment", /must start with a letter/],
  ["environment too long", { environment: "a".repeat(21) }, "environment", /at most 20/],
  ["unknown tier", { tier: "huge" }, "tier", /must be one of: "small", "medium", "large"/],
  ["domain without a dot", { domain: "localhost" }, "domain", /at least two labels/],
  ["domain with upper case", { domain: "Example.com" }, "domain", /lower-case DNS domain/],
  ["app name with a dash", { appName: "my-app" }, "appName", /lower-case identifier/],
  ["subnet not a CIDR", { network: { subnet: "172.28.0.0" } }, "network.subnet", /IPv4 CIDR/],
  ["subnet prefix too small", { network: { subnet: "10.0.0.0/30" } }, "network.subnet", /\/8 to \/29/],
  ["image tagged latest", { images: { grafana: "grafana/grafana:latest" } }, "images.grafana", /must be pinned/],
  ["image without a tag", { images: { collector: "otel/opentelemetry-collector-contrib" } }, "images.collector", /must be pinned/],
  ["unknown image role", { images: { mimir: "grafana/mimir:2.0.0" } }, "images.mimir", /not a known key/],
  ["unknown metrics backend", { metrics: { backend: "influxdb" } }, "metrics.backend", /"victoriametrics", "prometheus"/],
  ["retention with words", { metrics: { retention: "30 days" } }, "metrics.retention", /whole number followed by h, d, w or y/],
  ["retention zero", { metrics: { retention: "0d" } }, "metrics.retention", /whole number/],
  ["VictoriaMetrics retention under a day", { metrics: { retention: "12h" } }, "metrics.retention", /at least 1 day/],
  ["disk cap on VictoriaMetrics", { metrics: { maxDiskGb: 10 } }, "metrics.maxDiskGb", /no disk cap/],
  ["unknown traces backend", { traces: { backend: "zipkin" } }, "traces.backend", /"jaeger", "tempo"/],
  ["memory storage with Tempo", { traces: { backend: "tempo", storage: "memory" } }, "traces.storage", /Jaeger option/],
  ["unknown logs backend", { logs: { backend: "elasticsearch" } }, "logs.backend", /"none", "victorialogs", "loki"/],
  ["docker logs without a logs backend", { logs: { dockerLogs: true } }, "logs.dockerLogs", /needs a logs backend/],
  ["disk cap on Loki", { logs: { backend: "loki", maxDiskGb: 5 } }, "logs.maxDiskGb", /no disk cap/],
  ["typo in a section key", { metrics: { retenton: "30d" } }, "metrics.retenton", /not a known key/],
  ["unknown top-level key", { grafna: {} }, "grafna", /not a known key/],
  ["bind address not an IP", { exposure: { bindAddress: "localhost" } }, "exposure.bindAddress", /IPv4 address/],
  ["port out of range", { exposure: { ports: { otlpGrpc: 70000 } } }, "exposure.ports.otlpGrpc", /from 1 to 65535/],
  ["two services on one host port", { exposure: { ports: { otlpGrpc: 4317, otlpHttp: 4317 } } }, "exposure.ports.otlpHttp", /already used by exposure.ports.otlpGrpc/],
  ["prod without TLS", { environment: "prod", traefik: { basicAuth: true } }, "traefik.tls.mode", /TLS is required/],
  ["exposed without basic auth", { exposure: { bindAddress: "0.0.0.0", ports: { https: 443 } }, traefik: { tls: { mode: "acme", email: "ops@example.com" } } }, "traefik.basicAuth", /basic auth .* is required/],
  ["ACME without an email", { traefik: { tls: { mode: "acme" } } }, "traefik.tls.email", /email|required/],
  ["TLS without an https port", { traefik: { tls: { mode: "acme", email: "ops@example.com" } } }, "exposure.ports.https", /needs a published https port/],
  ["external Traefik without its network", { traefik: { mode: "external" }, exposure: { ports: { otlpGrpc: 4317 } } }, "traefik.network", /needs the name of the network/],
  ["entrypoint ports without a managed Traefik", { traefik: { mode: "none" } }, "exposure.ports.http", /traefik.mode is none/],
  ["Traefik dashboard without auth", { traefik: { dashboard: true } }, "traefik.dashboard", /only routed behind basic auth/],
  ["empty Grafana password", { grafana: { adminPassword: "" } }, "grafana.adminPassword", /must not be empty/],
  ["webhook contact point without URL", { alerting: { contactPoint: { kind: "webhook" } } }, "alerting.contactPoint.url", /required/],
  ["email contact point with a bad address", { alerting: { contactPoint: { kind: "email", addresses: ["not-an-email"] } } }, "alerting.contactPoint.addresses.0", /email/i],
  ["queue fill ratio of 1", { alerting: { thresholds: { queueFillRatio: 1 } } }, "alerting.thresholds.queueFillRatio", /less than 1|<1|too big/i],
  ["exporter with a bad URL", { exporters: [{ name: "thanos", kind: "prometheusremotewrite", endpoint: "ftp://x" }] }, "exporters.0.endpoint", /http\(s\) URL/],
  ["remote write exporter given traces", { exporters: [{ name: "thanos", kind: "prometheusremotewrite", endpoint: "https://t.example.com/api/v1/write", signals: ["traces"] }] }, "exporters.0.signals", /only takes metrics/],
  ["two exporters with one name", { exporters: [{ name: "a", kind: "otlphttp", endpoint: "https://a.example.com" }, { name: "a", kind: "otlphttp", endpoint: "https://b.example.com" }] }, "exporters.1.name", /must be unique/],
  ["retry forever", { collector: { retryMaxElapsed: "0s" } }, "collector.retryMaxElapsed", /duration like/],
];

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
