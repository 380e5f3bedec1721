import { describe, expect, it } from "vitest";
import { registeredBackends } from "../configs/backends";
import { planStack } from "../configs/stack";
import { unifiedDiff } from "../scripts/plan-summary";
import { parseSettings } from "../settings";
import { stackFileConfig } from "./helpers/program";

/**
 * Snapshots of every file the program uploads: a change to a renderer shows up here as a reviewable
 * diff before it reaches `pulumi preview`. Each file is snapshotted once, as Pulumi.dev.yaml renders
 * it (the only snapshot of the dashboards and of the alerting file); Pulumi.prod.yaml's files, and
 * dev's with each other backend kind switched in, are snapshotted as their difference from dev's,
 * which is what those settings change.
 */
const filesOf = (raw: Record<string, unknown>) =>
  new Map(
    planStack(parseSettings(raw)).services.flatMap((service) =>
      service.files.map((file) => [`${service.role}:${file.path}`, file.content] as const),
    ),
  );
const devRaw = stackFileConfig("dev");
const dev = filesOf(devRaw);
const prod = filesOf(stackFileConfig("prod"));
describe("rendered files of Pulumi.dev.yaml", () => {
  it.each([...dev])("GIVEN %s WHEN rendered THEN it matches the snapshot", (_name, content) => {
    expect(content).toMatchSnapshot();
  });
});

describe("rendered files of Pulumi.prod.yaml, as their difference from dev's", () => {
  const names = [...new Set([...dev.keys(), ...prod.keys()])];
  it.each(names)("GIVEN %s WHEN rendered THEN its difference from dev's matches the snapshot", (name) => {
    // Context 1: enough to place each change, without repeating what dev's snapshot already shows.
    expect(unifiedDiff(name, dev.get(name), prod.get(name), 1)).toMatchSnapshot();
  });

  it("GIVEN dev and prod WHEN their dashboards are compared THEN they are identical (environment and tier do not reach them)", () => {
    const dashboards = [...prod.keys()].filter((name) => name.startsWith("grafana:") && name.endsWith(".json"));
    expect(dashboards.length).toBeGreaterThan(0);
    for (const name of dashboards) expect(unifiedDiff(name, dev.get(name), prod.get(name)), name).toBe("");
  });
});

/**
 * Every backend kind dev does not run, switched in on its own (one signal's settings changed, the
 * rest dev's). Tempo has no in-memory store, so its switch also sets traces.storage to badger.
 */
const SWITCHES = [
  { signal: "metrics", backend: "prometheus" },
  { signal: "traces", backend: "tempo", storage: "badger" },
  { signal: "logs", backend: "victorialogs" },
  { signal: "logs", backend: "loki" },
] as const;

describe("rendered files of Pulumi.dev.yaml with one other backend, as their difference from dev's", () => {
  it("GIVEN the registry WHEN its kinds are listed THEN each is dev's own or has a switch here (every renderer is snapshotted)", () => {
    const devKinds = (["metrics", "traces", "logs"] as const).map((signal) => (devRaw[signal] as { backend: string }).backend);
    const kinds = registeredBackends()
      .map((b) => b.kind)
      .filter((kind) => !devKinds.includes(kind));
    expect(SWITCHES.map((s) => s.backend).sort()).toEqual(kinds.sort());
  });

  it.each(SWITCHES)("GIVEN the $signal backend $backend WHEN rendered THEN the difference from dev's matches the snapshot", (change) => {
    const { signal, ...fields } = change;
    const switched = filesOf({ ...devRaw, [signal]: { ...(devRaw[signal] as object), ...fields } });
    const names = [...new Set([...dev.keys(), ...switched.keys()])].sort();
    // One snapshot per kind: every file it changes, in `diff -u` form with context 1 (as prod's).
    expect(names.map((name) => unifiedDiff(name, dev.get(name), switched.get(name), 1)).join("")).toMatchSnapshot();
  });
});
