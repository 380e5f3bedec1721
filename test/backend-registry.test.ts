import * as yaml from "js-yaml";
import { beforeAll, describe, expect, it } from "vitest";
import type { BackendModule } from "../configs/backends";
import type { StackPlan } from "../configs/stack";
import { jobRate, processMemory } from "../dashboards";
import type { BackendDescriptor } from "../settings";
import { addComponentRows, testOnlyRow } from "./fixtures/fake-backend";
import { byName, CONTAINER, ProgramRun, runUnderMocks, stackFileConfig } from "./helpers/program";

/**
 * A traces backend that exists only in this test: its descriptor (what settings/backends.ts holds
 * per kind), its image row and a module written the way a real one is (configs/backends/*.ts),
 * registered in one line. Nothing in the program names it: if any place still switched on the
 * built-in kinds, it would miss it (or throw on an unknown kind) below.
 */
const fakeDescriptor: BackendDescriptor<"traces"> = {
  signal: "traces",
  displayName: "FakeTraces",
  isDefault: false,
  memoryMb: { small: 256 + 64, medium: 512 + 64, large: 1_024 + 64 },
  diskCap: false,
  memoryStore: false,
};
const fakeTraces: BackendModule = {
  defaultPorts: { http: 7280, "otlp-grpc": 7281, metrics: 7282 },
  grafanaPlugins: ["fake-traces-datasource@1.2.3"],
  selfMetrics: { port: "metrics", path: "/internal/metrics" },
  health: (job) => ({ ingestion: [jobRate("faketraces_spans_ingested_total", job, "ingested")], memory: processMemory(job) }),
  plan: (input) => ({
    service: {
      role: "faketraces",
      image: input.image,
      memoryMb: input.memoryMb,
      command: [`--retention-hours=${input.retention.hours}`],
      env: {},
      ports: [{ name: "http", internal: input.ports.http! }],
      volumes: [{ name: "data", containerPath: "/data" }],
      hostMounts: [],
      files: [],
      secretFiles: [],
      route: { subdomain: "faketraces", port: input.ports.http!, protectWithBasicAuth: true },
    },
    exporter: {
      id: "otlp_grpc/faketraces",
      type: "otlp_grpc",
      signals: ["traces"],
      config: { endpoint: `${input.host}:${input.ports["otlp-grpc"]}`, tls: { insecure: true } },
      secretFiles: [],
    },
    queryUrl: `http://${input.host}:${input.ports.http}`,
    datasource: {
      name: "FakeTraces",
      type: "fake-traces-datasource",
      uid: "traces",
      access: "proxy",
      url: `http://${input.host}:${input.ports.http}`,
      isDefault: false,
      editable: false,
      jsonData: {},
    },
  }),
};

const file = (plan: StackPlan, role: string, suffix: string) =>
  plan.services.find((s) => s.role === role)!.files.find((f) => f.path.endsWith(suffix))!.content;
const datasources = (plan: StackPlan) =>
  yaml.load(file(plan, "grafana", "/datasources.yaml")) as {
    datasources: { name: string; type: string; uid: string }[];
    deleteDatasources?: { name: string }[];
  };

let chosen: StackPlan;
let notChosen: StackPlan;
let run: ProgramRun;

beforeAll(async () => {
  // A fresh module graph under Pulumi's mocks: the plans and the component share one registry.
  run = await runUnderMocks(
    async () => {
      addComponentRows({ faketraces: testOnlyRow("example.org/faketraces", "1.0") });
      const { registerBackendKind } = await import("../settings/backends.js");
      registerBackendKind("faketraces", fakeDescriptor); // its descriptor, before the schema is built
      const backends = await import("../configs/backends/index.js");
      backends.registerBackend(backends.defineBackend("faketraces", fakeTraces)); // the registration line
      const { parseSettings } = await import("../settings/index.js");
      const { planStack } = await import("../configs/stack.js");
      const { ObservabilityStack } = await import("../components/stack.js");
      const dev = stackFileConfig("dev");
      // Chosen from stack config: the schema's enum is derived from the descriptors.
      chosen = planStack(parseSettings({ ...dev, traces: { ...(dev.traces as object), backend: "faketraces", storage: "badger" } }));
      notChosen = planStack(parseSettings(dev));
      return { ...new ObservabilityStack("dev", { plan: chosen }).outputs };
    },
    { stack: "dev" },
  );
});

describe("a backend is one module plus one registration line", () => {
  it("GIVEN the fake chosen for traces WHEN planned THEN its container runs with its image, tier memory, parsed retention and route, and no built-in traces backend remains", () => {
    const roles = chosen.services.map((s) => s.role);
    expect(roles).toContain("faketraces");
    expect(roles).not.toContain("jaeger");
    expect(roles).not.toContain("tempo");
    const service = chosen.services.find((s) => s.role === "faketraces")!;
    expect(service).toMatchObject({ image: "example.org/faketraces:1.0", memoryMb: 256 + 64, command: ["--retention-hours=72"] });
    expect(chosen.urls.traces).toBe("http://faketraces.ddev.site");
    expect(file(chosen, "traefik", "/routes.yml")).toContain("faketraces");
  });

  it("GIVEN the fake chosen WHEN the collector config is rendered THEN the traces pipeline exports only to it and its own metrics are scraped", () => {
    const config = yaml.load(file(chosen, "otel-collector", "/config.yaml")) as any;
    expect(config.exporters["otlp_grpc/faketraces"].endpoint).toBe("faketraces:7281");
    // Besides the span_metrics connector, which every traces pipeline feeds (traces.spanMetrics, default on).
    expect(config.service.pipelines.traces.exporters).toEqual(["otlp_grpc/faketraces", "span_metrics"]);
    expect(config.receivers["prometheus/self"].config.scrape_configs).toContainEqual(
      expect.objectContaining({
        job_name: "faketraces",
        metrics_path: "/internal/metrics",
        static_configs: [{ targets: ["faketraces:7282"] }],
      }),
    );
  });

  it("GIVEN the fake chosen WHEN Grafana is provisioned THEN its datasource and plugin are there and every built-in traces datasource is retired", () => {
    const provisioned = datasources(chosen);
    expect(provisioned.datasources.find((d) => d.uid === "traces")).toMatchObject({ name: "FakeTraces", type: "fake-traces-datasource" });
    expect(provisioned.deleteDatasources!.map((d) => d.name)).toEqual(expect.arrayContaining(["Jaeger", "Tempo"]));
    expect(chosen.grafana.env.GF_PLUGINS_PREINSTALL).toContain("fake-traces-datasource@1.2.3");
  });

  it("GIVEN the fake chosen WHEN the stack dashboard and alerts are rendered THEN it has its own row and its own down rule", () => {
    const dash = JSON.parse(file(chosen, "grafana", "/observability-stack-health.json")) as {
      panels: { type: string; title: string; targets?: { expr: string }[] }[];
    };
    const rowAt = dash.panels.findIndex((p) => p.type === "row" && p.title === "Traces backend: FakeTraces");
    expect(rowAt).toBeGreaterThan(-1);
    const exprs = dash.panels.slice(rowAt + 1).flatMap((p) => (p.targets ?? []).map((t) => t.expr));
    expect(exprs).toEqual(expect.arrayContaining(['up{job="faketraces"}', expect.stringContaining("faketraces_spans_ingested_total")]));
    const alerting = yaml.load(file(chosen, "grafana", "/alerting.yaml")) as any;
    const rule = alerting.groups.flatMap((g: any) => g.rules).find((r: any) => r.uid.endsWith("traces-backend-down"));
    expect(rule.data[0].model.expr).toBe('min(last_over_time(up{job="faketraces"}[2m])) or vector(0)');
  });

  it("GIVEN the fake registered but not chosen WHEN Grafana is provisioned THEN only its datasource name is retired; it appears nowhere else", () => {
    expect(datasources(notChosen).deleteDatasources!.map((d) => d.name)).toContain("FakeTraces");
    expect(JSON.stringify(notChosen.services)).not.toContain("faketraces");
  });

  it("GIVEN the fake chosen WHEN the stack component registers it under mocks THEN it is a Backend component with its container and volume", () => {
    expect(run.error).toBeUndefined();
    expect(byName(run, "dev-traces").type).toBe("obs:backend:FakeTraces");
    expect(byName(run, "dev-traces-image").inputs.name).toBe("example.org/faketraces:1.0");
    const container = byName(run, "dev-traces-container");
    expect(container.type).toBe(CONTAINER);
    expect(container.inputs.command).toEqual(["--retention-hours=72"]);
    expect(byName(run, "dev-traces-data").parent).toBe("dev-traces");
  });
});
