import { describe, expect, it } from "vitest";
import { byType, runProgram, stackFileConfig } from "./helpers/program";

const VOLUME = "docker:index/volume:Volume";

/** The data volumes (config volumes carry rendered files, are rebuilt on every change and never retained: checked below). */
async function volumes(config: Record<string, unknown>, stack: string) {
  const run = await runProgram(config, { stack });
  expect(run.error).toBeUndefined();
  const all = byType(run, VOLUME).map((v) => ({ name: v.inputs.name as string, retain: v.retainOnDelete, labels: v.inputs.labels }));
  const config_ = all.filter((v) => /-config-[0-9a-f]{12}$/.test(v.name));
  expect(config_.length).toBeGreaterThan(0);
  expect(config_.filter((v) => v.retain).map((v) => v.name)).toEqual([]);
  // Not labelled as the stack's data: destroy's kept volumes and --purge-data list data only.
  for (const v of config_) expect(v.labels, v.name).toEqual([{ label: "obs.stack.config", value: stack }]);
  return all.filter((v) => !config_.includes(v));
}

/**
 * Every operation that drops a volume from the program (destroy, a backend swap, traces.storage or
 * TLS mode changes, an environment rename) makes Pulumi delete it, unless it is retained. Under
 * mocks: which volumes each stack retains; the deploy tier shows the data surviving for real.
 */
describe("data volumes outlive deletion in prod, and only where asked elsewhere", () => {
  it("GIVEN Pulumi.prod.yaml WHEN registered THEN every volume (data, Grafana, queue, ACME) is retained on delete and labelled with its environment", async () => {
    const prod = await volumes(stackFileConfig("prod"), "prod");
    expect(prod.map((v) => v.name).sort()).toEqual([
      "prod-grafana-data",
      "prod-jaeger-data",
      "prod-otel-collector-queue",
      "prod-traefik-acme",
      "prod-victoriametrics-data",
    ]);
    for (const v of prod) {
      expect(v.retain, v.name).toBe(true);
      expect(v.labels, v.name).toEqual([{ label: "obs.stack", value: "prod" }]);
    }
  });

  it("GIVEN Pulumi.dev.yaml WHEN registered THEN volumes are deleted with the stack (dev data is disposable)", async () => {
    const dev = await volumes(stackFileConfig("dev"), "dev");
    expect(dev.length).toBeGreaterThan(0);
    expect(dev.every((v) => !v.retain)).toBe(true);
  });

  it("GIVEN data.keepOnDelete set either way WHEN registered THEN it overrides the environment's default", async () => {
    const prod = stackFileConfig("prod");
    expect((await volumes({ ...prod, data: { keepOnDelete: false } }, "prod")).every((v) => !v.retain)).toBe(true);
    expect((await volumes({ ...stackFileConfig("dev"), data: { keepOnDelete: true } }, "dev")).every((v) => v.retain)).toBe(true);
  });

  it("GIVEN prod swapped to Prometheus and memory traces WHEN registered THEN the dropped volumes' successors are retained too, and the old names are what a swap back asks for again", async () => {
    const prod = stackFileConfig("prod") as Record<string, any>;
    const swapped = await volumes(
      { ...prod, metrics: { ...prod.metrics, backend: "prometheus" }, traces: { ...prod.traces, storage: "memory" } },
      "prod",
    );
    expect(swapped.map((v) => v.name).sort()).toEqual([
      "prod-grafana-data",
      "prod-otel-collector-queue",
      "prod-prometheus-data",
      "prod-traefik-acme",
    ]);
    expect(swapped.every((v) => v.retain)).toBe(true);
    // Swapping back plans the same names as before: Docker hands the kept volumes back.
    const back = await volumes(prod, "prod");
    expect(back.map((v) => v.name)).toContain("prod-victoriametrics-data");
    expect(back.map((v) => v.name)).toContain("prod-jaeger-data");
  });
});
