import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { beforeAll, describe, expect, it, vi } from "vitest";
import type { BackendModule } from "../configs/backends";
import { backendService } from "../configs/backends/shared";
import type { StackPlan } from "../configs/stack";
import type { BackendDescriptor, ConfigError, Settings } from "../settings";
import { BUILT_IN_BACKENDS } from "../settings/backends";
import { addComponentRows, testOnlyRow } from "./fixtures/fake-backend";
import { ROOT } from "./helpers/program";

/**
 * A logs backend kind that exists only in this test, added through exactly the pieces a new kind
 * needs: its descriptor (settings/backends.ts), its row in settings/components.json (data) and its
 * plan module (configs/backends/<kind>.ts) registered in one line. No other source file changes.
 */
const descriptor: BackendDescriptor<"logs"> = {
  signal: "logs",
  displayName: "FakeLogs",
  isDefault: false,
  memoryMb: { small: 96, medium: 192, large: 384 },
  minRetentionHours: 48,
  diskCap: true,
  memoryStore: false,
  logsQuery: "logsql",
};
const module: BackendModule = {
  defaultPorts: { http: 9999 },
  grafanaPlugins: [],
  selfMetrics: { port: "http", path: "/metrics" },
  plan(input) {
    const base = `http://${input.host}:${input.ports.http}`;
    return {
      service: backendService(this.kind, input, {
        command: [`-retention=${input.retention.text}`, `-max-disk=${input.maxDiskGb}GB`],
        ports: [{ name: "http", internal: input.ports.http! }],
        volumes: [{ name: "data", containerPath: "/data" }],
        route: { subdomain: "fakelogs", port: input.ports.http!, protectWithBasicAuth: true },
      }),
      exporter: { id: "otlp_http/logs", type: "otlp_http", signals: ["logs"], config: { endpoint: `${base}/otlp` }, secretFiles: [] },
      queryUrl: base,
      datasource: {
        name: this.displayName,
        type: "fake-logs-datasource",
        uid: "logs",
        access: "proxy",
        url: base,
        isDefault: false,
        editable: false,
        jsonData: {},
      },
    };
  },
};

let parse: (raw: Record<string, unknown>) => Settings;
let plan: StackPlan;
let settings: Settings;

beforeAll(async () => {
  // A fresh module graph: the descriptor and the image row are in place before settings/ loads.
  vi.resetModules();
  addComponentRows({ fakelogs: testOnlyRow("example.org/fakelogs", "1.2.3") });
  const { registerBackendKind } = await import("../settings/backends.js");
  registerBackendKind("fakelogs", descriptor);
  const backends = await import("../configs/backends/index.js");
  backends.registerBackend(backends.defineBackend("fakelogs", module));
  const { parseSettings } = await import("../settings/index.js");
  const { planStack } = await import("../configs/stack.js");
  parse = (raw) => parseSettings({ environment: "dev", ...raw });
  settings = parse({ tier: "medium", logs: { backend: "fakelogs", retention: "3d", maxDiskGb: 4 } });
  plan = planStack(settings);
});

const file = (role: string, suffix: string) =>
  plan.services.find((s) => s.role === role)!.files.find((f) => f.path.endsWith(suffix))!.content;
const problems = (raw: Record<string, unknown>) => {
  try {
    parse(raw);
  } catch (error) {
    return (error as ConfigError).problems.map((p) => `${p.path}: ${p.message}`);
  }
  return [];
};

describe("a backend kind is its descriptor, its image row and its plan module", () => {
  it("GIVEN the fake kind WHEN chosen in stack config THEN settings resolve its image and tier memory from its row and descriptor", () => {
    expect(settings.logs.backend).toBe("fakelogs");
    expect(settings.images).toMatchObject({ fakelogs: "example.org/fakelogs:1.2.3" });
    expect(settings.limits.memoryMb).toMatchObject({ fakelogs: 192 });
  });

  it("GIVEN an unknown logs backend WHEN parsed THEN the allowed list derived from the descriptors names the fake kind", () => {
    expect(problems({ logs: { backend: "elasticsearch" } })).toEqual([
      'logs.backend: must be one of: "none", "victorialogs", "loki", "fakelogs"',
    ]);
  });

  it("GIVEN its capabilities WHEN they are broken THEN the generic rules judge it by its descriptor", () => {
    expect(problems({ logs: { backend: "fakelogs", retention: "1d" } })).toEqual([
      "logs.retention: FakeLogs keeps at least 2 days; allowed: 2d or more",
    ]);
    // A disk cap on a backend without one now names the fake among the ones that take it.
    expect(problems({ logs: { backend: "loki", maxDiskGb: 4 } })).toEqual([
      "logs.maxDiskGb: Loki has no disk cap (only retention); remove it or use logs.backend victorialogs or fakelogs",
    ]);
    expect(problems({ logs: { dockerLogs: true } })).toEqual([
      "logs.dockerLogs: shipping container logs needs a logs backend; set logs.backend to victorialogs or loki or fakelogs",
    ]);
  });

  it("GIVEN it chosen WHEN planned THEN its container runs with its image, tier memory, retention and disk cap, and no built-in logs backend does", () => {
    const roles = plan.services.map((s) => s.role);
    expect(roles).toContain("fakelogs");
    expect(
      roles.filter((role) => role in BUILT_IN_BACKENDS && BUILT_IN_BACKENDS[role as keyof typeof BUILT_IN_BACKENDS].signal === "logs"),
    ).toEqual([]);
    expect(plan.backends.logs!.plan.service).toMatchObject({
      image: "example.org/fakelogs:1.2.3",
      memoryMb: 192,
      command: ["-retention=3d", "-max-disk=4GB"],
    });
    expect(plan.urls.logs).toBe("http://fakelogs.ddev.site");
  });

  it("GIVEN it chosen WHEN the files are rendered THEN the collector ships logs to it and scrapes it, Grafana reads it and Traefik routes to it", () => {
    const collector = yaml.load(file("otel-collector", "/config.yaml")) as any;
    expect(collector.exporters["otlp_http/logs"]).toMatchObject({ endpoint: "http://fakelogs:9999/otlp" });
    expect(collector.service.pipelines.logs.exporters).toEqual(["otlp_http/logs"]);
    expect(collector.receivers["prometheus/self"].config.scrape_configs).toContainEqual(
      expect.objectContaining({ job_name: "fakelogs", static_configs: [{ targets: ["fakelogs:9999"] }] }),
    );
    const datasources = yaml.load(file("grafana", "/datasources.yaml")) as { datasources: { name: string; uid: string }[] };
    expect(datasources.datasources.find((d) => d.uid === "logs")).toMatchObject({ name: "FakeLogs" });
    expect(file("traefik", "/routes.yml")).toContain("fakelogs.ddev.site");
  });
});

/**
 * The kinds' literals may appear in their descriptor table and their own module only. Every other
 * occurrence in non-test source is listed below with why it is not the backend kind.
 */
const KINDS = ["victoriametrics", "prometheus", "jaeger", "tempo", "victorialogs", "loki"] as const;
const SOURCE_DIRS = ["settings", "configs", "components", "dashboards", "deploy", "bench", "scripts"];
const ALLOWED: readonly { file: string; literal: string; count: number; why: string }[] = [
  { file: "configs/backends/shared.ts", literal: '"prometheus"', count: 1, why: "Grafana's datasource type for every PromQL backend" },
  { file: "dashboards/common.ts", literal: '"prometheus"', count: 2, why: "Grafana's datasource type the panels query" },
  { file: "dashboards/alerts.ts", literal: '"prometheus"', count: 2, why: "Grafana's datasource type the alert queries use" },
  {
    file: "configs/collector.ts",
    literal: "prometheus:",
    count: 1,
    why: "the collector telemetry's Prometheus pull exporter (a config key)",
  },
  {
    file: "configs/backends/jaeger.ts",
    literal: "prometheus:",
    count: 2,
    why: "Jaeger's own telemetry's Prometheus pull exporter, and its metrics storage's reader for any Prometheus-compatible store (config keys)",
  },
  {
    file: "bench/run.ts",
    literal: '"victorialogs"',
    count: 1,
    why: "the page-cache probe's stack config chooses the logs backend it measures",
  },
  {
    file: "bench/lib/bring-up.ts",
    literal: '"victorialogs"',
    count: 1,
    why: "the benchmark's stack config chooses the logs backend it measures",
  },
  { file: "bench/run.ts", literal: '"jaeger"', count: 1, why: "the file name of the Jaeger binary's version stamp" },
  { file: "bench/run.ts", literal: "jaeger:", count: 1, why: "the Jaeger binary's row in the benchmark's version report" },
  { file: "bench/baseline.ts", literal: "prometheus:", count: 1, why: "the baseline collector's Prometheus pull exporter (a config key)" },
];

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const rel = path.join(dir, entry.name);
    if (entry.isDirectory()) return dir === "scripts" || entry.name === "results" || entry.name === "custom" ? [] : sourceFiles(rel);
    return /\.ts$/.test(entry.name) && !/\.test\.ts$/.test(entry.name) ? [rel] : [];
  });
}

/** Code without comments (a comment may name a backend; it is not the program naming a kind). */
const code = (text: string) => text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`])\/\/.*$/gm, "$1");

describe("no source file but the descriptor table and the kind's own module names a kind", () => {
  it("GIVEN every non-test source file WHEN scanned for kind literals (strings, keys, properties) THEN only the listed exceptions remain", () => {
    const found: string[] = [];
    for (const file of SOURCE_DIRS.flatMap(sourceFiles)) {
      const text = code(fs.readFileSync(path.join(ROOT, file), "utf8"));
      for (const kind of KINDS) {
        if (file === "settings/backends.ts" || file === `configs/backends/${kind}.ts`) continue;
        // A string literal, an object key, a property access.
        const forms: [string, RegExp][] = [
          [`"${kind}"`, new RegExp(`["'\`]${kind}["'\`]`, "g")],
          [`${kind}:`, new RegExp(`(?<![\\w./"'-])${kind}\\s*:`, "g")],
          [`.${kind}`, new RegExp(`\\.${kind}(?![\\w-])`, "g")],
        ];
        for (const [literal, pattern] of forms) {
          const count = (text.match(pattern) ?? []).length;
          if (count > 0) found.push(`${file} ${literal} ×${count}`);
        }
      }
    }
    expect(found.sort()).toEqual(ALLOWED.map((a) => `${a.file} ${a.literal} ×${a.count}`).sort());
  });
});
