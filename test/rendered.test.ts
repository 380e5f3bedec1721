import { describe, expect, it } from "vitest";
import { planStack } from "../configs/stack";
import { parseSettings } from "../settings";
import { stackFileConfig } from "./helpers/program";

/**
 * Snapshots of every file the program uploads, for both stack files: a change to a renderer shows
 * up here as a reviewable diff before it reaches `pulumi preview`.
 */
describe.each(["dev", "prod"] as const)("rendered files of Pulumi.%s.yaml", (stack) => {
  const plan = planStack(parseSettings(stackFileConfig(stack)));
  const files = plan.services.flatMap((service) => service.files.map((file) => [`${service.role}:${file.path}`, file.content] as const));

  it("renders the collector, backend, Grafana and Traefik files", () => {
    expect(files.map(([name]) => name.split(":")[0])).toEqual(expect.arrayContaining(["otel-collector", "jaeger", "grafana", "traefik"]));
  });

  it.each(files)("GIVEN %s WHEN rendered THEN it matches the snapshot", (name, content) => {
    expect(content).toMatchSnapshot();
    expect(content.length).toBeGreaterThan(0);
  });
});
