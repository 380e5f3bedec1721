import fc from "fast-check";
import * as yaml from "js-yaml";
import { describe, expect, it } from "vitest";
import { registeredBackends } from "../configs/backends";
import { planStack } from "../configs/stack";
import { DATASOURCE_UIDS } from "../configs/types";
import { parseSettings, SettingsInput, TIER_NAMES } from "../settings";
import { ENVIRONMENT_PATTERN } from "../settings/names";

/**
 * Invariants of the renderers over generated stack configs (fast-check): what must hold for every
 * valid config, not just the two stack files.
 */
const RUNS = { numRuns: 40 };

const kinds = (signal: "metrics" | "traces" | "logs") => registeredBackends(signal).map((b) => b.kind);

const environment = fc.stringMatching(ENVIRONMENT_PATTERN);
const exporterName = fc.stringMatching(/^[a-z][a-z0-9_-]{0,10}$/);
const extraExporter = fc.oneof(
  fc.record({ kind: fc.constant("prometheusremotewrite"), endpoint: fc.constant("https://rw.example.com/api/v1/write") }),
  fc.record({
    kind: fc.constant("otlphttp"),
    endpoint: fc.constant("https://otlp.example.com"),
    signals: fc.option(fc.subarray(["metrics", "traces", "logs"] as const, { minLength: 1 }), { nil: undefined }),
    basicAuth: fc.option(fc.record({ username: fc.constant("u"), password: fc.constant("p") }), { nil: undefined }),
  }),
);

/** A valid config: any backend combination, collector switches and extra exporters. */
const config = fc
  .record({
    environment,
    tier: fc.constantFrom(...TIER_NAMES),
    metrics: fc.constantFrom(...kinds("metrics")),
    traces: fc.constantFrom(...kinds("traces")),
    logs: fc.constantFrom("none", ...kinds("logs")),
    dockerLogs: fc.boolean(),
    persistentQueue: fc.boolean(),
    debug: fc.boolean(),
    spanMetrics: fc.boolean(),
    exporters: fc.uniqueArray(fc.tuple(exporterName, extraExporter), { maxLength: 3, selector: ([name]) => name }),
  })
  .map((c): SettingsInput => ({
    environment: c.environment,
    tier: c.tier,
    metrics: { backend: c.metrics as "prometheus" },
    traces: { backend: c.traces as "jaeger", spanMetrics: { enabled: c.spanMetrics } },
    logs: { backend: c.logs as "none", dockerLogs: c.logs !== "none" && c.dockerLogs },
    collector: { persistentQueue: c.persistentQueue, debug: c.debug },
    exporters: c.exporters.map(([name, e]) => ({ name, ...e }) as NonNullable<SettingsInput["exporters"]>[number]),
  }));

const uploads = (plan: ReturnType<typeof planStack>, role: string, path: string) =>
  yaml.load(plan.services.find((s) => s.role === role)!.files.find((f) => f.path === path)!.content) as any;

describe("renderer invariants (property tests)", () => {
  it("GIVEN any valid config WHEN the collector config is rendered THEN every pipeline and the service reference only defined components", () => {
    fc.assert(
      fc.property(config, (input) => {
        const plan = planStack(parseSettings(input));
        const c = uploads(plan, "otel-collector", "/etc/otelcol-contrib/config.yaml");
        for (const ext of c.service.extensions) expect(c.extensions).toHaveProperty([ext]);
        for (const [, pipeline] of Object.entries<any>(c.service.pipelines)) {
          expect(pipeline.exporters.length).toBeGreaterThan(0);
          // A connector is the exporter of one pipeline and the receiver of another.
          for (const id of pipeline.receivers) expect({ ...c.receivers, ...c.connectors }).toHaveProperty([id]);
          for (const id of pipeline.processors) expect(c.processors).toHaveProperty([id]);
          for (const id of pipeline.exporters) expect({ ...c.exporters, ...c.connectors }).toHaveProperty([id]);
        }
        // The collector refuses a connector that is not both: exporter of one pipeline, receiver of another.
        const pipelines = Object.values<any>(c.service.pipelines);
        for (const id of Object.keys(c.connectors ?? {})) {
          expect(pipelines.some((p) => p.exporters.includes(id))).toBe(true);
          expect(pipelines.some((p) => p.receivers.includes(id))).toBe(true);
        }
        expect(Object.keys(c.connectors ?? {})).toEqual(input.traces?.spanMetrics?.enabled ? ["span_metrics"] : []);
        for (const exporter of Object.values<any>(c.exporters)) {
          const auth = exporter.auth?.authenticator ?? exporter.http?.auth?.authenticator;
          if (auth) expect(c.service.extensions).toContain(auth);
          if (exporter.sending_queue?.storage) expect(c.service.extensions).toContain(exporter.sending_queue.storage);
        }
        // Each deployed backend receives its signal.
        for (const chosen of [plan.backends.metrics, plan.backends.traces, plan.backends.logs]) {
          if (chosen) expect(c.service.pipelines[chosen.backend.signal].exporters).toContain(chosen.plan.exporter.id);
        }
        // Every secret file the config reads is one the container is given.
        const secretPaths = new Set(plan.collector.secretFiles.map((f) => f.path));
        for (const [, path] of plan.collector.files[0]!.content.matchAll(/\$\{file:([^}]+)\}/g)) expect(secretPaths).toContain(path);
      }),
      RUNS,
    );
  });

  it("GIVEN any backend combination WHEN Grafana is provisioned THEN there is exactly one datasource per deployed signal, one default, the other backends' are deleted, and only the needed plugins are installed", () => {
    fc.assert(
      fc.property(config, (input) => {
        const plan = planStack(parseSettings(input));
        const provisioning = uploads(plan, "grafana", "/etc/grafana/provisioning/datasources/datasources.yaml");
        const uids = provisioning.datasources.map((d: any) => d.uid).sort();
        const signals = ["metrics", "traces", ...(input.logs?.backend !== "none" ? ["logs"] : [])];
        expect(uids).toEqual(signals.map((s) => DATASOURCE_UIDS[s as keyof typeof DATASOURCE_UIDS]).sort());
        expect(provisioning.datasources.filter((d: any) => d.isDefault)).toHaveLength(1);
        const deleted = (provisioning.deleteDatasources ?? []).map((d: any) => d.name);
        for (const d of provisioning.datasources) expect(deleted).not.toContain(d.name);
        expect(deleted.length + provisioning.datasources.length).toBe(registeredBackends().length);
        // Grafana preinstalls exactly the plugins the deployed backends' datasources need.
        const plugins = [plan.backends.metrics, plan.backends.traces, plan.backends.logs].flatMap((c) => c?.backend.grafanaPlugins ?? []);
        expect(plan.grafana.env.GF_PLUGINS_PREINSTALL?.split(",") ?? []).toEqual(plugins);
      }),
      RUNS,
    );
  });

  it("GIVEN any valid environment WHEN planned THEN container, volume, network and router names stay valid Docker and Traefik names", () => {
    const DOCKER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
    fc.assert(
      fc.property(environment, fc.constantFrom("managed", "external", "none"), (env, mode) => {
        const plan = planStack(
          parseSettings({
            environment: env,
            traefik: { mode: mode as "managed", ...(mode === "external" ? { network: "edge" } : {}) },
            exposure: mode === "managed" ? {} : { ports: { otlpGrpc: 4317 } },
          }),
        );
        expect(plan.network.name).toMatch(DOCKER_NAME);
        const roles = new Set<string>();
        for (const service of plan.services) {
          expect(roles.has(service.role)).toBe(false);
          roles.add(service.role);
          expect(`${env}-${service.role}`).toMatch(DOCKER_NAME);
          for (const volume of service.volumes) expect(`${env}-${service.role}-${volume.name}`).toMatch(DOCKER_NAME);
          for (const label of Object.keys(plan.wiring[service.role]!.labels)) expect(label).toMatch(/^traefik\.[a-zA-Z0-9_.@-]+$/);
        }
        expect(Object.keys(plan.wiring).sort()).toEqual([...roles].sort());
      }),
      RUNS,
    );
  });
});
