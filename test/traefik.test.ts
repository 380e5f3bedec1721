import * as yaml from "js-yaml";
import { describe, expect, it } from "vitest";
import { makeCertificates } from "./helpers/certificates";
import { byType, carrierOf, CONTAINER, labelsOf, runProgram, uploadsOf } from "./helpers/program";

// Real PEM files (openssl): traefik.tls is checked as ingest.tls is (types, parse, key match, names).
const CERTS = makeCertificates("*.obs.example.com", ["DNS:*.obs.example.com"]);

describe("Traefik modes under mocks", () => {
  it("GIVEN TLS from files and the dashboard WHEN registered THEN cert and key are secret uploads, the file provider serves them, and the dashboard sits behind basic auth", async () => {
    const run = await runProgram({
      environment: "stage",
      domain: "obs.example.com",
      exposure: { bindAddress: "10.0.0.5", ports: { http: 80, https: 443 } },
      traefik: {
        tls: { mode: "files", certificate: CERTS.cert, key: CERTS.key },
        basicAuth: true,
        dashboard: true,
      },
    });
    expect(run.error).toBeUndefined();
    const traefik = byType(run, CONTAINER).find((c) => c.name === "stage-traefik-container")!;
    const uploads = uploadsOf(traefik);
    expect(uploads["/etc/traefik/certs/tls.key"]).toBe(CERTS.key);
    expect(carrierOf(traefik).secretPaths.some((p) => p.startsWith("uploads"))).toBe(true);
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

  it("GIVEN an existing Traefik (external) WHEN registered THEN only the stack's unpublished gateway joins its network, with the router labels, and the external network is not created", async () => {
    const run = await runProgram({
      environment: "dev",
      exposure: { ports: { otlpGrpc: 4317 } },
      traefik: { mode: "external", network: "ddev_default" },
    });
    expect(run.error).toBeUndefined();
    const containers = byType(run, CONTAINER);
    const gateway = containers.find((c) => c.name === "dev-traefik-container")!;
    expect(gateway.inputs.networksAdvanced.map((n: any) => n.name)).toEqual(["obs-dev-routing", "ddev_default"]);
    expect(gateway.inputs.ports).toEqual([]);
    expect(labelsOf(gateway)["traefik.docker.network"]).toBe("ddev_default");
    expect(labelsOf(gateway)["traefik.http.routers.dev-grafana.rule"]).toBe("Host(`grafana.ddev.site`)");
    const grafana = containers.find((c) => c.name === "dev-grafana-container")!;
    expect(grafana.inputs.networksAdvanced.map((n: any) => n.name)).toEqual(["obs-dev-routing", "obs-dev-backend"]);
    expect(Object.keys(labelsOf(grafana)).filter((l) => l.startsWith("traefik."))).toEqual([]);
    const collector = containers.find((c) => c.name === "dev-collector-container")!;
    expect(collector.inputs.networksAdvanced.map((n: any) => n.name)).toEqual(["obs-dev", "obs-dev-backend"]);
    expect(byType(run, "docker:index/network:Network").map((n) => n.inputs.name)).not.toContain("ddev_default");
  });

  it("GIVEN traefik mode none WHEN registered THEN no routing labels and no public URLs", async () => {
    const run = await runProgram({ environment: "dev", exposure: { ports: { otlpGrpc: 4317 } }, traefik: { mode: "none" } });
    expect(run.error).toBeUndefined();
    for (const c of byType(run, CONTAINER)) expect(Object.keys(labelsOf(c)).filter((l) => l.startsWith("traefik."))).toEqual([]);
    expect(Object.keys(run.outputs).filter((k) => k.endsWith("Url"))).toEqual([]);
  });
});
