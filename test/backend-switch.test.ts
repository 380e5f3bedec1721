import * as yaml from "js-yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { LOGS_BACKENDS, METRICS_BACKENDS, TRACES_BACKENDS } from "../configs/backends";
import { diffGraphs } from "./helpers/diff";
import { byType, CONTAINER, envOf, ProgramRun, runProgram, stackFileConfig, uploadsOf } from "./helpers/program";

const base = stackFileConfig("dev");
const withFlags = (flags: { metrics?: string; traces?: string; logs?: string; exporters?: unknown[] }) => ({
  ...base,
  metrics: { ...(base.metrics as object), backend: flags.metrics ?? "victoriametrics" },
  traces: { ...(base.traces as object), backend: flags.traces ?? "jaeger", ...(flags.traces === "tempo" ? { storage: "badger" } : {}) },
  logs: { backend: flags.logs ?? "none" },
  ...(flags.exporters ? { exporters: flags.exporters } : {}),
});

const EXTRAS = [
  {
    name: "thanos",
    kind: "prometheusremotewrite",
    endpoint: "https://thanos.example.com/api/v1/write",
    headers: { "X-Scope-OrgID": "tenant-a" },
  },
  {
    name: "vendor",
    kind: "otlphttp",
    endpoint: "https://otlp.vendor.example.com",
    basicAuth: { username: "acct", password: "vendor-password-1" },
  },
];

/** The reviewable shape of a graph: every resource and, for containers, what they run. */
function summary(run: ProgramRun) {
  return run.resources.map((r) => {
    if (r.type !== CONTAINER) return `${r.type} ${r.name} <- ${r.parent ?? "(root)"}`;
    const uploads = Object.keys(uploadsOf(r)).sort();
    return `${r.type} ${r.name} <- ${r.parent} | memory=${r.inputs.memory} | command=${JSON.stringify(r.inputs.command ?? [])} | uploads=${uploads.join(",")}`;
  });
}

const combos = Object.keys(METRICS_BACKENDS).flatMap((metrics) =>
  Object.keys(TRACES_BACKENDS).flatMap((traces) => ["none", ...Object.keys(LOGS_BACKENDS)].map((logs) => ({ metrics, traces, logs }))),
);

const runs = new Map<string, ProgramRun>();
const key = (c: { metrics: string; traces: string; logs: string; extras?: boolean }) =>
  `${c.metrics}/${c.traces}/${c.logs}${c.extras ? "+extras" : ""}`;

beforeAll(async () => {
  for (const c of combos) runs.set(key(c), await runProgram(withFlags(c), { stack: "dev" }));
  runs.set("victoriametrics/jaeger/none+extras", await runProgram(withFlags({ exporters: EXTRAS }), { stack: "dev" }));
});

describe("every backend combination under mocks", () => {
  it("covers 2 × 2 × 3 combinations plus extra exporters", () => expect(runs.size).toBe(13));

  it.each([...combos.map((c) => key(c)), "victoriametrics/jaeger/none+extras"])(
    "GIVEN %s WHEN registered THEN it succeeds and matches its snapshot",
    (k) => {
      const run = runs.get(k)!;
      expect(run.error).toBeUndefined();
      expect(summary(run)).toMatchSnapshot();
    },
  );

  it.each(combos)(
    "GIVEN metrics=$metrics traces=$traces logs=$logs WHEN registered THEN Grafana provisions exactly the chosen datasources",
    (c) => {
      const grafana = byType(runs.get(key(c))!, CONTAINER).find((r) => r.name === "dev-grafana-container")!;
      const datasources = (yaml.load(uploadsOf(grafana)["/etc/grafana/provisioning/datasources/datasources.yaml"]!) as any).datasources;
      const types = datasources.map((d: any) => d.type);
      expect(types[0]).toBe("prometheus");
      expect(datasources[0].name).toBe(c.metrics === "prometheus" ? "Prometheus" : "VictoriaMetrics");
      expect(types[1]).toBe(c.traces);
      expect(types[2]).toBe({ none: undefined, victorialogs: "victoriametrics-logs-datasource", loki: "loki" }[c.logs]);
      expect(envOf(grafana).GF_PLUGINS_PREINSTALL).toBe(c.logs === "victorialogs" ? "victoriametrics-logs-datasource@0.21.0" : undefined);
      const collector = byType(runs.get(key(c))!, CONTAINER).find((r) => r.name === "dev-collector-container")!;
      const config = yaml.load(uploadsOf(collector)["/etc/otelcol-contrib/config.yaml"]!) as any;
      expect(Object.keys(config.service.pipelines).sort()).toEqual(
        c.logs === "none" ? ["metrics", "traces"] : ["logs", "metrics", "traces"],
      );
    },
  );

  it("GIVEN extra exporters with secrets WHEN registered THEN the secret values only travel as Pulumi secrets", () => {
    const run = runs.get("victoriametrics/jaeger/none+extras")!;
    const collector = byType(run, CONTAINER).find((r) => r.name === "dev-collector-container")!;
    const uploads = uploadsOf(collector);
    expect(uploads["/etc/otelcol-contrib/secrets/extra.thanos.header.x-scope-orgid"]).toBe("tenant-a");
    expect(uploads["/etc/otelcol-contrib/secrets/extra.vendor.basic-auth-password"]).toBe("vendor-password-1");
    expect(uploads["/etc/otelcol-contrib/config.yaml"]).not.toContain("vendor-password-1");
    expect(collector.secretPaths.some((p) => p.startsWith("uploads"))).toBe(true);
    for (const r of run.resources) expect(JSON.stringify({ ...r.inputs, uploads: undefined }).includes("vendor-password-1")).toBe(false);
  });
});

describe("one flag changes only what must change", () => {
  const changes = (from: string, to: string) =>
    diffGraphs(runs.get(from)!.resources, runs.get(to)!.resources).map((d) => `${d.change} ${d.name}`);

  // What a backend switch may touch: that backend's own subtree, the collector (its exporter),
  // Grafana (datasource, dashboards and alerts follow the backend), and Traefik when a routed UI
  // comes or goes (its routes are a rendered file; Tempo and Loki have no route).
  const FOLLOWERS = ["changed dev-collector-container", "changed dev-grafana-container"];
  const ROUTED_FOLLOWERS = [...FOLLOWERS, "changed dev-traefik-container"];

  it("GIVEN VictoriaMetrics WHEN metrics.backend becomes prometheus THEN only the metrics backend is replaced and the collector and Grafana follow", () => {
    const diff = changes("victoriametrics/jaeger/none", "prometheus/jaeger/none");
    expect(diff.filter((d) => !/ dev-metrics(-|$)/.test(d)).sort()).toEqual(ROUTED_FOLLOWERS);
    // The component's type changes (obs:backend:VictoriaMetrics → obs:backend:Prometheus): Pulumi replaces it.
    expect(diff).toEqual(expect.arrayContaining(["removed dev-metrics", "added dev-metrics", "changed dev-metrics-container"]));
  });

  it("GIVEN Jaeger WHEN traces.backend becomes tempo THEN only the traces backend is replaced and the collector and Grafana follow", () => {
    const diff = changes("victoriametrics/jaeger/none", "victoriametrics/tempo/none");
    expect(diff.filter((d) => !/ dev-traces(-|$)/.test(d)).sort()).toEqual(ROUTED_FOLLOWERS);
    expect(diff).toContain("added dev-traces-data-init");
  });

  it.each(["victorialogs", "loki"])(
    "GIVEN no logs WHEN logs.backend becomes %s THEN a logs backend is added and only the collector and Grafana follow",
    (logs) => {
      const diff = changes("victoriametrics/jaeger/none", `victoriametrics/jaeger/${logs}`);
      expect(diff.filter((d) => !/ dev-logs(-|$)/.test(d)).sort()).toEqual([
        ...(logs === "victorialogs" ? ROUTED_FOLLOWERS : FOLLOWERS),
        // The traces datasource gains its trace → logs link, which lives in Grafana's file: already
        // counted; Jaeger itself must not change.
      ]);
      expect(diff.filter((d) => d.startsWith("added dev-logs")).length).toBeGreaterThanOrEqual(3);
    },
  );

  it("GIVEN no extra exporters WHEN two are added THEN only the collector changes", () => {
    expect(changes("victoriametrics/jaeger/none", "victoriametrics/jaeger/none+extras")).toEqual(["changed dev-collector-container"]);
  });
});
