import * as yaml from "js-yaml";
import { describe, expect, it } from "vitest";
import { byType, CONTAINER, labelsOf, runProgram, uploadsOf } from "./helpers/program";

describe("Traefik modes under mocks", () => {
  it("GIVEN TLS from files and the dashboard WHEN registered THEN cert and key are secret uploads, the file provider serves them, and the dashboard sits behind basic auth", async () => {
    const run = await runProgram({
      environment: "stage",
      exposure: { bindAddress: "10.0.0.5", ports: { http: 80, https: 443 } },
      traefik: {
        tls: { mode: "files", certificate: "-----BEGIN CERTIFICATE-----x", key: "-----BEGIN PRIVATE KEY-----y" },
        basicAuth: true,
        dashboard: true,
      },
    });
    expect(run.error).toBeUndefined();
    const traefik = byType(run, CONTAINER).find((c) => c.name === "stage-traefik-container")!;
    const uploads = uploadsOf(traefik);
    expect(uploads["/etc/traefik/certs/tls.key"]).toBe("-----BEGIN PRIVATE KEY-----y");
    expect(traefik.secretPaths.some((p) => p.startsWith("uploads"))).toBe(true);
    const staticConfig = yaml.load(uploads["/etc/traefik/traefik.yml"]!) as any;
    expect(staticConfig.providers).toEqual({ file: { directory: "/etc/traefik/dynamic", watch: false } });
    expect(yaml.load(uploads["/etc/traefik/dynamic/tls.yml"]!)).toHaveProperty("tls.certificates");
    expect(staticConfig.entryPoints.web.http.redirections.entryPoint.to).toBe(":443"); // the published port, not the entrypoint's 8443
    expect(staticConfig.api).toEqual({ dashboard: true, insecure: false });
    expect(uploads["/etc/traefik/traefik.yml"]).not.toContain("PRIVATE KEY");
    const routes = yaml.load(uploads["/etc/traefik/dynamic/routes.yml"]!) as any;
    expect(routes.http.routers["stage-traefik"]).toMatchObject({ service: "api@internal", middlewares: ["stage-basic-auth"], tls: {} });
    // The host's 80/443 reach unprivileged ports: Traefik runs as nobody with no capability.
    expect(traefik.inputs.ports.map((p: any) => [p.internal, p.external, p.ip])).toEqual([
      [8000, 80, "10.0.0.5"],
      [8443, 443, "10.0.0.5"],
    ]);
    expect(traefik.inputs.user).toBe("65534:65534");
    expect(traefik.inputs.capabilities).toEqual({ drops: ["ALL"], adds: [] });
  });

  it("GIVEN an existing Traefik (external) WHEN registered THEN no Traefik container is created and routed services join its network with labels", async () => {
    const run = await runProgram({
      environment: "dev",
      exposure: { ports: { otlpGrpc: 4317 } },
      traefik: { mode: "external", network: "ddev_default" },
    });
    expect(run.error).toBeUndefined();
    const containers = byType(run, CONTAINER);
    expect(containers.find((c) => c.name === "dev-traefik-container")).toBeUndefined();
    const grafana = containers.find((c) => c.name === "dev-grafana-container")!;
    expect(grafana.inputs.networksAdvanced.map((n: any) => n.name)).toEqual(["obs-dev", "ddev_default"]);
    expect(labelsOf(grafana)["traefik.docker.network"]).toBe("ddev_default");
    const collector = containers.find((c) => c.name === "dev-collector-container")!;
    expect(collector.inputs.networksAdvanced.map((n: any) => n.name)).toEqual(["obs-dev"]);
  });

  it("GIVEN traefik mode none WHEN registered THEN no routing labels and no public URLs", async () => {
    const run = await runProgram({ environment: "dev", exposure: { ports: { otlpGrpc: 4317 } }, traefik: { mode: "none" } });
    expect(run.error).toBeUndefined();
    for (const c of byType(run, CONTAINER)) expect(Object.keys(labelsOf(c)).filter((l) => l.startsWith("traefik."))).toEqual([]);
    expect(Object.keys(run.outputs).filter((k) => k.endsWith("Url"))).toEqual([]);
  });
});
