import { describe, expect, it } from "vitest";
import { GRAFANA_DASHBOARDS_DIR } from "../configs/grafana";
import { planStack } from "../configs/stack";
import { parseSettings } from "../settings";
import { stackFileConfig } from "./helpers/program";

/**
 * Snapshots of every file the program uploads, for both stack files: a change to a renderer shows
 * up here as a reviewable diff before it reaches `pulumi preview`. Dashboards do not depend on the
 * stack file's environment or tier, so each is snapshotted once (dev) and prod must render the same.
 */
const filesOf = (stack: "dev" | "prod") =>
  planStack(parseSettings(stackFileConfig(stack))).services.flatMap((service) =>
    service.files.map((file) => [`${service.role}:${file.path}`, file.content] as const),
  );
const isDashboard = (name: string) => name.startsWith(`grafana:${GRAFANA_DASHBOARDS_DIR}/`);

describe.each(["dev", "prod"] as const)("rendered files of Pulumi.%s.yaml", (stack) => {
  const files = filesOf(stack);
  const snapshotted = stack === "dev" ? files : files.filter(([name]) => !isDashboard(name));

  it("renders the collector, backend, Grafana and Traefik files", () => {
    expect(files.map(([name]) => name.split(":")[0])).toEqual(expect.arrayContaining(["otel-collector", "jaeger", "grafana", "traefik"]));
  });

  it.each(snapshotted)("GIVEN %s WHEN rendered THEN it matches the snapshot", (name, content) => {
    expect(content).toMatchSnapshot();
    expect(content.length).toBeGreaterThan(0);
  });

  if (stack === "prod") {
    it("GIVEN prod WHEN its dashboards are rendered THEN they are dev's, byte for byte (snapshotted once, above)", () => {
      const dev = new Map(filesOf("dev").filter(([name]) => isDashboard(name)));
      const prod = files.filter(([name]) => isDashboard(name));
      expect(prod.length).toBeGreaterThan(0);
      for (const [name, content] of prod) expect(content).toBe(dev.get(name));
    });
  }
});
