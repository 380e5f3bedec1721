import { beforeAll, describe, expect, it } from "vitest";
import { backendDescriptor, backendDescriptors, defaultKindOf } from "../settings/backends";
import { diffGraphs } from "./helpers/diff";
import { byType, carrierOf, CONTAINER, ProgramRun, runProgram, stackFileConfig, uploadsOf } from "./helpers/program";

const base = stackFileConfig("dev");
const withFlags = (flags: { metrics?: string; traces?: string; logs?: string; exporters?: unknown[] }) => ({
  ...base,
  metrics: { ...(base.metrics as object), backend: flags.metrics ?? defaultKindOf("metrics") },
  // The dev stack keeps traces in memory: a backend without a memory store gets badger.
  traces: {
    ...(base.traces as object),
    backend: flags.traces ?? defaultKindOf("traces"),
    ...(flags.traces && !backendDescriptor(flags.traces).memoryStore ? { storage: "badger" } : {}),
  },
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

/**
 * One mock run per graph the switch tests compare: each backend swapped in on its own from the dev
 * stack, and extra exporters. Every other combination differs only in its plan, which the renderer
 * and property tests cover without the Pulumi runtime (backends.test.ts, properties.test.ts).
 */
const DEFAULTS = { metrics: defaultKindOf("metrics")!, traces: defaultKindOf("traces")!, logs: "none" };
const CASES: { metrics: string; traces: string; logs: string; extras?: boolean }[] = [
  DEFAULTS,
  // Every other described kind, in the descriptors' order (settings/backends.ts).
  ...backendDescriptors()
    .filter(([kind, d]) => !d.isDefault && kind !== DEFAULTS[d.signal])
    .map(([kind, d]) => ({ ...DEFAULTS, [d.signal]: kind })),
  { ...DEFAULTS, extras: true },
];

const runs = new Map<string, ProgramRun>();
const key = (c: { metrics: string; traces: string; logs: string; extras?: boolean }) =>
  `${c.metrics}/${c.traces}/${c.logs}${c.extras ? "+extras" : ""}`;

beforeAll(async () => {
  for (const c of CASES)
    runs.set(key(c), await runProgram(withFlags({ ...c, exporters: c.extras ? EXTRAS : undefined }), { stack: "dev" }));
});

describe("backend switches under mocks", () => {
  it.each(CASES.map(key))("GIVEN %s WHEN registered THEN it succeeds and matches its snapshot", (k) => {
    const run = runs.get(k)!;
    expect(run.error).toBeUndefined();
    expect(summary(run)).toMatchSnapshot();
  });

  it("GIVEN extra exporters with secrets WHEN registered THEN the secret values only travel as Pulumi secrets", () => {
    const run = runs.get("victoriametrics/jaeger/none+extras")!;
    const collector = byType(run, CONTAINER).find((r) => r.name === "dev-collector-container")!;
    const uploads = uploadsOf(collector);
    expect(uploads["/etc/otelcol-contrib/secrets/extra.thanos.header.x-scope-orgid"]).toBe("tenant-a");
    expect(uploads["/etc/otelcol-contrib/secrets/extra.vendor.basic-auth-password"]).toBe("vendor-password-1");
    expect(uploads["/etc/otelcol-contrib/config.yaml"]).not.toContain("vendor-password-1");
    expect(carrierOf(collector).secretPaths.some((p) => p.startsWith("uploads"))).toBe(true);
    for (const r of run.resources) expect(JSON.stringify({ ...r.inputs, uploads: undefined }).includes("vendor-password-1")).toBe(false);
  });
});

describe("one flag changes only what must change", () => {
  const changes = (from: string, to: string) =>
    diffGraphs(runs.get(from)!.resources, runs.get(to)!.resources).map((d) => `${d.change} ${d.name}`);

  // What a backend switch may touch: that backend's own subtree, the collector (its exporter),
  // Grafana (datasource, dashboards and alerts follow the backend), and Traefik when a routed UI
  // comes or goes (its routes are a rendered file; Tempo and Loki have no route). Their files travel
  // in their config carriers: a changed carrier replaces its service (a new carrier id in its label,
  // which mocks cannot show: their ids are names).
  const FOLLOWERS = ["changed dev-collector-config-carrier", "changed dev-grafana-config-carrier"];
  const ROUTED_FOLLOWERS = [...FOLLOWERS, "changed dev-traefik-config-carrier"];

  it("GIVEN VictoriaMetrics WHEN metrics.backend becomes prometheus THEN only the metrics backend is replaced and the collector and Grafana follow", () => {
    const diff = changes("victoriametrics/jaeger/none", "prometheus/jaeger/none");
    // Jaeger's Monitor tab reads the span metrics from the metrics backend: its config follows too (only its config).
    // VictoriaMetrics' generated admin key goes with it (Prometheus' admin API is off).
    expect(diff.filter((d) => !/ dev-metrics(-|$)/.test(d)).sort()).toEqual(
      [...ROUTED_FOLLOWERS, "changed dev-traces-config-carrier", "removed dev-victoriametrics-admin-key"].sort(),
    );
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
      expect(diff.filter((d) => !/ dev-logs(-|$)/.test(d)).sort()).toEqual(
        [
          ...(logs === "victorialogs"
            ? // Routed, with its generated admin key, and a Grafana plugin to preinstall (env).
              [...ROUTED_FOLLOWERS, "added dev-victorialogs-admin-key", "changed dev-grafana-container"]
            : FOLLOWERS),
          // The traces datasource gains its trace → logs link, which lives in Grafana's file: already
          // counted; Jaeger itself must not change.
        ].sort(),
      );
      expect(diff.filter((d) => d.startsWith("added dev-logs")).length).toBeGreaterThanOrEqual(3);
    },
  );

  it("GIVEN no extra exporters WHEN two are added THEN only the collector changes", () => {
    // New secret files: new config paths (a new config volume for the container), and the carrier's upload.
    expect(changes("victoriametrics/jaeger/none", "victoriametrics/jaeger/none+extras")).toEqual([
      "changed dev-collector-config",
      "changed dev-collector-config-carrier",
      "changed dev-collector-container",
    ]);
  });
});
