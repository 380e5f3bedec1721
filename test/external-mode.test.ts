import { describe, expect, it } from "vitest";
import { planStack } from "../configs/stack";
import { ConfigError, parseSettings } from "../settings";

const EXTERNAL = { environment: "dev", traefik: { mode: "external", network: "ddev_default" }, exposure: { ports: { otlpGrpc: 4317 } } };

function problems(raw: Record<string, unknown>): string[] {
  try {
    parseSettings(raw);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((p) => `${p.path}: ${p.message}`);
    throw error;
  }
}

/** The roles that join a network, by its name. */
const membersOf = (plan: ReturnType<typeof planStack>, name: string) =>
  Object.entries(plan.wiring)
    .filter(([, w]) => w.networks.some((n) => n.network === name))
    .map(([role]) => role)
    .sort();

describe("traefik.mode external: an existing Traefik routes the UIs through the stack's gateway", () => {
  it("GIVEN a local domain (ddev) WHEN validated THEN plain HTTP without basic auth is fine, as on a laptop", () => {
    expect(problems({ ...EXTERNAL, domain: "ddev.site" })).toEqual([]);
    expect(problems({ ...EXTERNAL, domain: "obs.localhost" })).toEqual([]);
    // .test, .internal, .local, .lan resolve on a LAN: not local any more (issue 20 item 4)
    expect(problems({ ...EXTERNAL, domain: "obs.test" })).not.toEqual([]);
  });

  it("GIVEN a public domain WHEN validated THEN TLS and basic auth are required, as in prod, and the message says why", () => {
    expect(problems({ ...EXTERNAL, domain: "obs.example.com" })).toEqual([
      expect.stringMatching(
        /^traefik\.tls\.mode: TLS is required for traefik\.mode external with domain 'obs\.example\.com' \(local domains: \*\.ddev\.site/,
      ),
      expect.stringMatching(
        /^traefik\.basicAuth: basic auth in front of Jaeger .* required for traefik\.mode external with domain 'obs\.example\.com'/,
      ),
    ]);
  });

  it("GIVEN no basic auth WHEN planned THEN only the gateway joins the external network, it routes only Grafana, and no URL names an unrouted UI", () => {
    const plan = planStack(parseSettings({ ...EXTERNAL, domain: "ddev.site" }));
    expect(membersOf(plan, "ddev_default")).toEqual(["traefik"]);
    expect(plan.traefik!.ports.map((p) => p.name)).toEqual(["http"]);
    expect(plan.wiring.traefik!.publish).toEqual({});
    const labels = plan.wiring.traefik!.labels;
    expect(Object.keys(labels).filter((l) => l.endsWith(".rule"))).toEqual(["traefik.http.routers.dev-grafana.rule"]);
    expect(labels["traefik.http.services.dev-gateway.loadbalancer.server.port"]).toBe("8000");
    // Backends and Grafana stay on the stack's own networks; the backends carry no labels at all.
    for (const role of ["victoriametrics", "jaeger", "grafana", "otel-collector"]) expect(plan.wiring[role]!.labels).toEqual({});
    expect(plan.urls).toEqual({ grafana: "http://grafana.ddev.site", traces: undefined, metrics: undefined, logs: undefined });
  });

  it("GIVEN basic auth WHEN planned THEN the gateway routes the backends too, checks the password from a secret file, and no label carries it", () => {
    const plan = planStack(parseSettings({ ...EXTERNAL, domain: "ddev.site", traefik: { ...EXTERNAL.traefik, basicAuth: true } }));
    expect(membersOf(plan, "ddev_default")).toEqual(["traefik"]);
    expect(membersOf(plan, "obs-dev-routing")).toEqual(["grafana", "jaeger", "traefik", "victoriametrics"]);
    const labels = plan.wiring.traefik!.labels;
    expect(
      Object.keys(labels)
        .filter((l) => l.endsWith(".rule"))
        .sort(),
    ).toEqual([
      "traefik.http.routers.dev-grafana.rule",
      "traefik.http.routers.dev-jaeger.rule",
      "traefik.http.routers.dev-victoriametrics.rule",
    ]);
    expect(Object.keys(labels).some((l) => /basicauth|middlewares/i.test(l))).toBe(false);
    expect(plan.traefik!.secretFiles.map((f) => f.path)).toEqual(["/etc/traefik/secrets/basic-auth-users"]);
    expect(plan.urls.metrics).toBe("http://vm.ddev.site");
    // The collector has no route: it joins neither the routing nor the external network.
    expect(plan.wiring["otel-collector"]!.networks.map((n) => n.network)).toEqual(["obs-dev", "obs-dev-backend"]);
  });
});
