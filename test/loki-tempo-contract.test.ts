/**
 * Loki and Tempo are AGPL: the project never fetches, builds or runs them, so their rendered
 * configs are checked against the documented configuration reference of the pinned versions
 * (test/fixtures/loki-tempo-reference.ts): every key path must be documented, every value must have
 * the documented type, and the documented constraints the program relies on must hold.
 */
import * as yaml from "js-yaml";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { planBackends, type BackendPlans } from "../configs/backends";
import { LOKI_CONFIG_PATH } from "../configs/backends/loki";
import { TEMPO_CONFIG_PATH } from "../configs/backends/tempo";
import { planStack } from "../configs/stack";
import { parseSettings, retentionHours, TIER_NAMES } from "../settings";
import {
  GO_DURATION_MAX_HOURS,
  LOKI_CONSTRAINTS,
  LOKI_REFERENCE,
  TEMPO_CONSTRAINTS,
  TEMPO_REFERENCE,
  type Reference,
} from "./fixtures/loki-tempo-reference";

// ---------------------------------------------------------------------------------------------
// The checker: one function for the rendered configs and for the negative cases.

const GO_DURATION = /^(0|([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+)$/;
const PROMETHEUS_DURATION = /^(0|([0-9]+(ms|s|m|h|d|w|y))+)$/;
const DAYTIME = /^\d{4}-\d{2}-\d{2}$/;

const isBlock = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Problems of one value against its documented type (empty when it fits). */
function typeProblem(ref: Reference, keyPath: string, value: unknown): string | undefined {
  const doc = ref.keys[keyPath]!;
  const t = doc.type;
  const cite = `(${ref.product} ${ref.version}: ${doc.says} — ${ref.sources[doc.source]})`;
  const bad = (what: string) => `${keyPath}: ${JSON.stringify(value)} is not ${what} ${cite}`;
  switch (t.kind) {
    case "block":
      return isBlock(value) ? undefined : bad("a block");
    case "listOfBlocks":
      return Array.isArray(value) && value.every(isBlock) ? undefined : bad("a list of blocks");
    case "boolean":
      return typeof value === "boolean" ? undefined : bad("a boolean");
    case "int":
      if (typeof value !== "number" || !Number.isInteger(value)) return bad("an int");
      if ((t.min !== undefined && value < t.min) || (t.max !== undefined && value > t.max)) return bad(`an int in ${t.min}..${t.max}`);
      return undefined;
    case "string":
      if (typeof value !== "string") return bad("a string");
      if (t.enum && !t.enum.includes(value)) return bad(`one of ${t.enum.join(", ")}`);
      if (t.pattern && !t.pattern.test(value)) return bad(`a string matching ${t.pattern}`);
      return undefined;
    case "duration": {
      const re = t.flavour === "go" ? GO_DURATION : PROMETHEUS_DURATION;
      return typeof value === "string" && re.test(value) ? undefined : bad(`a ${t.flavour} duration (e.g. 720h)`);
    }
    case "daytime":
      return typeof value === "string" && DAYTIME.test(value) ? undefined : bad("a YYYY-MM-DD date");
    case "stringMap":
      return isBlock(value) && Object.values(value).every((v) => typeof v === "string") ? undefined : bad("a map of strings");
    case "stringList":
      if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) return bad("a list of strings");
      if (t.enum && !value.every((v) => t.enum!.includes(v as string))) return bad(`a list of ${t.enum.join(", ")}`);
      return undefined;
    case "url":
      return typeof value === "string" && URL.canParse(value) ? undefined : bad("a URL");
  }
}

/** Every key path of a parsed config against the reference: unknown keys and wrong types. */
export function checkAgainstReference(ref: Reference, config: unknown): string[] {
  const problems: string[] = [];
  const defaultSource = Object.values(ref.sources)[0];
  const walk = (value: unknown, prefix: string) => {
    if (!isBlock(value)) return;
    for (const [key, child] of Object.entries(value)) {
      const keyPath = prefix ? `${prefix}.${key}` : key;
      if (!ref.keys[keyPath]) {
        problems.push(`${keyPath}: unknown key, not in the ${ref.product} ${ref.version} reference (${defaultSource})`);
        continue;
      }
      const problem = typeProblem(ref, keyPath, child);
      if (problem) {
        problems.push(problem);
        continue;
      }
      if (ref.keys[keyPath]!.type.kind === "listOfBlocks") (child as unknown[]).forEach((item) => walk(item, `${keyPath}[]`));
      else if (ref.keys[keyPath]!.type.kind === "block") walk(child, keyPath);
    }
  };
  walk(config, "");
  return problems;
}

/** Flags of a service command (`-name=value` or `-name`) against the documented ones. */
export function checkFlags(ref: Reference, command: readonly string[]): string[] {
  return command.flatMap((arg) => {
    const name = /^(-{1,2}[a-zA-Z0-9._-]+)(=|$)/.exec(arg)?.[1]?.replace(/^--/, "-");
    if (!name) return [`${arg}: not a flag`];
    return ref.flags[name]
      ? []
      : [`${arg}: flag ${name} is not documented for ${ref.product} ${ref.version} (${Object.values(ref.sources)[0]})`];
  });
}

// ---------------------------------------------------------------------------------------------
// Every variant the settings allow for these two backends.

/** Retentions across every unit and both ends of the allowed range (1h … MAX_RETENTION 100y). */
const RETENTIONS = ["1h", "72h", "7d", "30d", "2w", "1y", "100y"] as const;
const METRICS = ["victoriametrics", "prometheus"] as const;
const PROD = {
  environment: "prod",
  traefik: { tls: { mode: "acme", email: "ops@example.com" }, basicAuth: true },
  exposure: { ports: { http: 80, https: 443 } },
};

interface Variant {
  name: string;
  raw: Record<string, unknown>;
}

const variants: Variant[] = TIER_NAMES.flatMap((tier) =>
  RETENTIONS.flatMap((retention) =>
    METRICS.flatMap((metrics) =>
      [{ environment: "dev" }, PROD].map((env) => ({
        name: `${env.environment}/${tier}/${retention}/${metrics}`,
        raw: {
          ...env,
          tier,
          metrics: { backend: metrics, ...(metrics === "prometheus" ? { maxDiskGb: 20 } : {}) },
          traces: { backend: "tempo", retention, storage: "badger" },
          logs: { backend: "loki", retention },
        },
      })),
    ),
  ),
);

const planned = variants.map((v) => ({ ...v, plans: planBackends(parseSettings(v.raw)) }));
/** The integration tier's addressing: loopback and moved ports. */
const moved = planBackends(parseSettings({ environment: "dev", traces: { backend: "tempo" }, logs: { backend: "loki" } }), {
  host: () => "127.0.0.1",
  ports: (b) =>
    b.kind === "tempo"
      ? { http: 13200, grpc: 19095, "otlp-grpc": 14317, "otlp-http": 14318 }
      : b.kind === "loki"
        ? { http: 13100, grpc: 19096 }
        : undefined,
});

const configOf = (plans: BackendPlans, signal: "traces" | "logs", path: string) => {
  const file = plans[signal]!.plan.service.files.find((f) => f.path === path);
  return yaml.load(file!.content) as Record<string, any>;
};
const portOf = (plans: BackendPlans, signal: "traces" | "logs", name: string) =>
  plans[signal]!.plan.service.ports.find((p) => p.name === name)?.internal;

// ---------------------------------------------------------------------------------------------

describe("Loki/Tempo documented reference", () => {
  it("GIVEN settings/components.json WHEN the references are read THEN they are for exactly the pinned versions", () => {
    const components = JSON.parse(readFileSync(join(__dirname, "..", "settings", "components.json"), "utf8"));
    expect(LOKI_REFERENCE.version).toBe(components.loki.version);
    expect(TEMPO_REFERENCE.version).toBe(components.tempo.version);
    for (const plans of [planned[0]!.plans]) {
      expect(plans.logs!.plan.service.image).toBe(`${components.loki.image}:${components.loki.tag}`);
      expect(plans.traces.plan.service.image).toBe(`${components.tempo.image}:${components.tempo.tag}`);
    }
  });

  it("GIVEN the references WHEN every key is read THEN it cites a source and its parent is documented too", () => {
    for (const ref of [LOKI_REFERENCE, TEMPO_REFERENCE]) {
      for (const [keyPath, doc] of Object.entries(ref.keys)) {
        expect(Object.keys(ref.sources), `${keyPath} cites ${doc.source}`).toContain(doc.source);
        expect(doc.says.length).toBeGreaterThan(10);
        const parent = keyPath.replace(/(\[\])?\.[^.]+$/, "");
        if (parent !== keyPath) expect(ref.keys[parent], `${keyPath}'s parent ${parent}`).toBeDefined();
      }
    }
  });

  it("GIVEN the references WHEN unconfirmed entries are listed THEN only Tempo's stream_over_http_enabled and -config.file are (no copy of the 2.9.0 page was found)", () => {
    const unverified = (ref: Reference) => [
      ...Object.entries(ref.keys)
        .filter(([, d]) => d.verified === false)
        .map(([k]) => k),
      ...Object.entries(ref.flags)
        .filter(([, d]) => d.verified === false)
        .map(([k]) => k),
    ];
    expect(unverified(LOKI_REFERENCE)).toEqual([]);
    expect(unverified(TEMPO_REFERENCE)).toEqual(["stream_over_http_enabled", "-config.file"]);
  });
});

describe("Loki 3.7.8 rendered config contract", () => {
  it.each(planned.map((p) => [p.name, p] as const))(
    "GIVEN %s WHEN Loki's config is rendered THEN every key is documented, typed as documented, and retention is wired as documented",
    (_name, { plans, raw }) => {
      const config = configOf(plans, "logs", LOKI_CONFIG_PATH);
      expect(checkAgainstReference(LOKI_REFERENCE, config)).toEqual([]);
      expect(checkFlags(LOKI_REFERENCE, plans.logs!.plan.service.command ?? [])).toEqual([]);
      expect(plans.logs!.plan.service.command).toEqual([`-config.file=${LOKI_CONFIG_PATH}`]);

      // Retention: the settings' value, in hours, applied by the compactor (LOKI_CONSTRAINTS).
      const hours = retentionHours((raw.logs as { retention: string }).retention);
      expect(config.limits_config.retention_period, LOKI_CONSTRAINTS.retentionNeedsCompactor.says).toBe(`${hours}h`);
      expect(hours).toBeLessThanOrEqual(GO_DURATION_MAX_HOURS);
      expect(config.compactor.retention_enabled, LOKI_CONSTRAINTS.retentionNeedsCompactor.says).toBe(true);
      expect(config.compactor.delete_request_store, LOKI_CONSTRAINTS.retentionNeedsDeleteRequestStore.says).toBe(
        config.schema_config.configs[0].object_store,
      );
      for (const period of config.schema_config.configs) {
        expect(["tsdb", "boltdb-shipper"], LOKI_CONSTRAINTS.retentionNeedsDailyIndex.says).toContain(period.store);
        expect(period.index.period, LOKI_CONSTRAINTS.retentionNeedsDailyIndex.says).toBe("24h");
      }
      // Filesystem object store: chunks live under the common storage block's directory.
      expect(config.schema_config.configs[0].object_store).toBe("filesystem");
      const lokiVolume = plans.logs!.plan.service.volumes[0]!.containerPath;
      expect(config.common.storage.filesystem.chunks_directory).toMatch(new RegExp(`^${lokiVolume}/.+`));
      // Single binary: one replica on an in-memory ring; no tenant header (the exporter sends none).
      expect(config.common.replication_factor).toBe(1);
      expect(config.common.ring.kvstore.store).toBe("inmemory");
      expect(config.auth_enabled).toBe(false);
    },
  );

  it.each([
    ["the default plan", planned[0]!.plans],
    ["the integration tier's moved ports", moved],
  ] as const)(
    "GIVEN %s WHEN Loki is planned THEN the listen ports are the ones published, scraped and written to, and every path is on the data volume",
    (_name, plans) => {
      const config = configOf(plans, "logs", LOKI_CONFIG_PATH);
      const { service, exporter, queryUrl } = plans.logs!.plan;
      const http = portOf(plans, "logs", "http");
      expect(config.server.http_listen_port).toBe(http);
      expect(new URL(exporter.config.endpoint as string).port).toBe(String(http));
      expect(new URL(queryUrl).port).toBe(String(http));
      expect(plans.logs!.plan.scrape[0]!.target.endsWith(`:${http}`)).toBe(true);
      expect(config.server.grpc_listen_port).not.toBe(http);
      // No healthcheck: nothing to keep in step with the ports (the module says why).
      expect(service.healthcheck).toBeUndefined();
      const volume = service.volumes[0]!.containerPath;
      for (const dir of [
        config.common.path_prefix,
        config.common.storage.filesystem.chunks_directory,
        config.common.storage.filesystem.rules_directory,
        config.compactor.working_directory,
      ]) {
        expect(dir.startsWith(`${volume}/`) || dir === volume, dir).toBe(true);
      }
    },
  );
});

describe("Tempo 2.9.0 rendered config contract", () => {
  it.each(planned.map((p) => [p.name, p] as const))(
    "GIVEN %s WHEN Tempo's config is rendered THEN every key is documented, typed as documented, and retention sits in the compactor",
    (_name, { plans, raw }) => {
      const config = configOf(plans, "traces", TEMPO_CONFIG_PATH);
      expect(checkAgainstReference(TEMPO_REFERENCE, config)).toEqual([]);
      expect(checkFlags(TEMPO_REFERENCE, plans.traces.plan.service.command ?? [])).toEqual([]);
      expect(plans.traces.plan.service.command).toEqual([`-config.file=${TEMPO_CONFIG_PATH}`]);

      const hours = retentionHours((raw.traces as { retention: string }).retention);
      expect(hours).toBeLessThanOrEqual(GO_DURATION_MAX_HOURS);
      expect(config.compactor.compaction.block_retention, TEMPO_CONSTRAINTS.retentionInCompactor.says).toBe(`${hours}h`);
      expect(config.storage.trace.backend).toBe("local");
      // Both paths the local backend needs, on the data volume (a path elsewhere is lost with the container).
      const onVolume = new RegExp(`^${plans.traces.plan.service.volumes[0]!.containerPath}/.+`);
      expect(config.storage.trace.local.path, TEMPO_CONSTRAINTS.localBackendNeedsPaths.says).toMatch(onVolume);
      expect(config.storage.trace.wal.path, TEMPO_CONSTRAINTS.localBackendNeedsPaths.says).toMatch(onVolume);
      // The generator writes to the metrics backend the settings chose, with processors switched on.
      expect(config.metrics_generator.storage.remote_write.map((rw: { url: string }) => rw.url)).toEqual([
        plans.metrics.plan.remoteWriteUrl,
      ]);
      expect(config.overrides.defaults.metrics_generator.processors.length, TEMPO_CONSTRAINTS.processorsOffByDefault.says).toBeGreaterThan(
        0,
      );
      if (config.overrides.defaults.metrics_generator.processors.includes("local-blocks")) {
        expect(config.metrics_generator.traces_storage.path).toMatch(onVolume);
      }
    },
  );

  it.each([
    ["the default plan", planned[0]!.plans, { grpc: 4317, http: 4318 }],
    ["the integration tier's moved ports", moved, { grpc: 14317, http: 14318 }],
  ] as const)(
    "GIVEN %s WHEN Tempo is planned THEN the listen ports are the ones published, exported to and scraped, and every path is on the data volume",
    (_name, plans, otlpPorts) => {
      const config = configOf(plans, "traces", TEMPO_CONFIG_PATH);
      const { service, exporter, queryUrl, datasource } = plans.traces.plan;
      const http = portOf(plans, "traces", "http");
      expect(config.server.http_listen_port).toBe(http);
      expect(new URL(queryUrl).port).toBe(String(http));
      expect(new URL(datasource.url).port).toBe(String(http));
      expect(plans.traces.plan.scrape[0]!.target.endsWith(`:${http}`)).toBe(true);
      // The collector exports OTLP/gRPC to the receiver's port; OTLP/HTTP listens where planned.
      const otlp = config.distributor.receivers.otlp.protocols;
      const grpcPort = Number(otlp.grpc.endpoint.split(":").pop());
      expect(String(exporter.config.endpoint).endsWith(`:${grpcPort}`)).toBe(true);
      expect(grpcPort).toBe(otlpPorts.grpc);
      expect(Number(otlp.http.endpoint.split(":").pop())).toBe(otlpPorts.http);
      expect(new Set([http, config.server.grpc_listen_port, grpcPort, Number(otlp.http.endpoint.split(":").pop())]).size).toBe(4);
      expect(service.healthcheck).toBeUndefined();
      const volume = service.volumes[0]!.containerPath;
      for (const dir of [
        config.storage.trace.wal.path,
        config.storage.trace.local.path,
        config.metrics_generator.storage.path,
        config.metrics_generator.traces_storage.path,
      ]) {
        expect(dir.startsWith(`${volume}/`), dir).toBe(true);
      }
    },
  );
});

describe("Loki/Tempo variants the settings refuse", () => {
  it.each([
    ["a disk cap on Loki", { logs: { backend: "loki", maxDiskGb: 5 } }],
    ["memory storage with Tempo", { traces: { backend: "tempo", storage: "memory" } }],
    ["a retention past 100y", { traces: { backend: "tempo", retention: "101y" } }],
    ["a retention of 0", { logs: { backend: "loki", retention: "0h" } }],
  ])("GIVEN %s WHEN parsed THEN no config is rendered for it", (_name, raw) => {
    expect(() => parseSettings({ environment: "dev", ...raw })).toThrow();
  });

  it.each([
    ["dev", { environment: "dev" }],
    ["prod", PROD],
  ] as const)(
    "GIVEN a %s stack WHEN the whole stack is planned THEN its Loki and Tempo services are the ones checked above",
    (_name, env) => {
      const settings = parseSettings({ ...env, traces: { backend: "tempo" }, logs: { backend: "loki" } });
      const stack = planStack(settings);
      const byRole = (role: string) => stack.services.find((s) => s.role === role)!;
      const plans = planBackends(settings);
      expect(byRole("loki").files).toEqual(plans.logs!.plan.service.files);
      expect(byRole("tempo").files).toEqual(plans.traces.plan.service.files);
      expect(byRole("loki").command).toEqual(plans.logs!.plan.service.command);
      expect(byRole("tempo").command).toEqual(plans.traces.plan.service.command);
    },
  );
});

describe("the checker rejects what the docs do not allow", () => {
  const loki = () => configOf(planned[0]!.plans, "logs", LOKI_CONFIG_PATH);
  const tempo = () => configOf(planned[0]!.plans, "traces", TEMPO_CONFIG_PATH);

  it.each([
    [
      "Loki",
      "a misspelled limits key",
      LOKI_REFERENCE,
      (c: any) => ((c.limits_config.retention_perod = "720h"), c),
      /limits_config\.retention_perod: unknown key.*Loki 3\.7\.8.*configuration\.md/,
    ],
    ["Loki", "a key at the wrong level", LOKI_REFERENCE, (c: any) => ((c.retention_enabled = true), c), /^retention_enabled: unknown key/],
    [
      "Loki",
      "a boolean written as a string",
      LOKI_REFERENCE,
      (c: any) => ((c.compactor.retention_enabled = "true"), c),
      /compactor\.retention_enabled: "true" is not a boolean/,
    ],
    [
      "Loki",
      "a retention without a unit",
      LOKI_REFERENCE,
      (c: any) => ((c.limits_config.retention_period = 720), c),
      /retention_period: 720 is not a prometheus duration/,
    ],
    [
      "Loki",
      "a port as a string",
      LOKI_REFERENCE,
      (c: any) => ((c.server.http_listen_port = "3100"), c),
      /http_listen_port: "3100" is not an int/,
    ],
    [
      "Loki",
      "an unknown index store",
      LOKI_REFERENCE,
      (c: any) => ((c.schema_config.configs[0].store = "boltdb"), c),
      /configs\[\]\.store: "boltdb" is not one of tsdb, boltdb-shipper/,
    ],
    [
      "Loki",
      "a misspelled period key",
      LOKI_REFERENCE,
      (c: any) => ((c.schema_config.configs[0].index.perod = "24h"), c),
      /configs\[\]\.index\.perod: unknown key/,
    ],
    [
      "Tempo",
      "a misspelled compactor key",
      TEMPO_REFERENCE,
      (c: any) => ((c.compactor.compaction.block_retenton = "72h"), c),
      /compactor\.compaction\.block_retenton: unknown key.*Tempo 2\.9\.0/,
    ],
    [
      "Tempo",
      "retention under storage",
      TEMPO_REFERENCE,
      (c: any) => ((c.storage.trace.block_retention = "72h"), c),
      /storage\.trace\.block_retention: unknown key/,
    ],
    [
      "Tempo",
      "a day unit in a Go duration",
      TEMPO_REFERENCE,
      (c: any) => ((c.compactor.compaction.block_retention = "3d"), c),
      /block_retention: "3d" is not a go duration/,
    ],
    [
      "Tempo",
      "an unknown storage backend",
      TEMPO_REFERENCE,
      (c: any) => ((c.storage.trace.backend = "filesystem"), c),
      /storage\.trace\.backend: "filesystem" is not one of local, gcs, s3, azure/,
    ],
    [
      "Tempo",
      "an unknown processor",
      TEMPO_REFERENCE,
      (c: any) => (c.overrides.defaults.metrics_generator.processors.push("span-metric"), c),
      /processors: .* is not a list of service-graphs, span-metrics, local-blocks/,
    ],
    [
      "Tempo",
      "a list where a block goes",
      TEMPO_REFERENCE,
      (c: any) => ((c.metrics_generator.registry.external_labels = ["source"]), c),
      /external_labels: \["source"\] is not a map of strings/,
    ],
  ] as const)(
    "GIVEN %s config with %s WHEN checked THEN it is rejected naming the path and the doc",
    (product, _what, ref, mutate, expected) => {
      const problems = checkAgainstReference(ref, mutate(product === "Loki" ? loki() : tempo()));
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(expected);
    },
  );

  it.each([
    [LOKI_REFERENCE, ["-config.files=/etc/loki/config.yaml"], /flag -config\.files is not documented for Grafana Loki 3\.7\.8/],
    [
      TEMPO_REFERENCE,
      ["-config.file=/etc/tempo/tempo.yaml", "-storage.trace.backend=local"],
      /flag -storage\.trace\.backend is not documented/,
    ],
    [LOKI_REFERENCE, ["/etc/loki/config.yaml"], /not a flag/],
  ] as const)("GIVEN a command with an undocumented flag WHEN checked THEN it is rejected", (ref, command, expected) => {
    const problems = checkFlags(ref, command);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(expected);
  });
});
