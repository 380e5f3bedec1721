import { describe, expect, it } from "vitest";
import { planStack } from "../configs/stack";
import { unifiedDiff } from "../scripts/plan-summary";
import { parseSettings } from "../settings";
import { stackFileConfig } from "./helpers/program";

/**
 * Snapshots of every file the program uploads: a change to a renderer shows up here as a reviewable
 * diff before it reaches `pulumi preview`. Each file is snapshotted once, as Pulumi.dev.yaml renders
 * it (the only snapshot of the dashboards and of the alerting file); Pulumi.prod.yaml's files are
 * snapshotted as their difference from dev's, which is what prod's settings change.
 */
const filesOf = (stack: "dev" | "prod") =>
  new Map(
    planStack(parseSettings(stackFileConfig(stack))).services.flatMap((service) =>
      service.files.map((file) => [`${service.role}:${file.path}`, file.content] as const),
    ),
  );
const dev = filesOf("dev");
const prod = filesOf("prod");

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
