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

describe("traefik.mode external: an existing Traefik routes the UIs", () => {
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

  it("GIVEN no basic auth WHEN planned THEN only Grafana (its own login) joins the external network; the backends stay on the stack's", () => {
    const plan = planStack(parseSettings({ ...EXTERNAL, domain: "ddev.site" }));
    const joined = Object.entries(plan.wiring)
      .filter(([, w]) => w.extraNetworks.includes("ddev_default"))
      .map(([role]) => role);
    expect(joined).toEqual(["grafana"]);
    expect(plan.wiring.victoriametrics!.labels).toEqual({});
    expect(plan.wiring.jaeger!.labels).toEqual({});
  });

  it("GIVEN basic auth WHEN planned THEN the routed backends join too, each behind the basic-auth middleware", () => {
    const plan = planStack(parseSettings({ ...EXTERNAL, domain: "ddev.site", traefik: { ...EXTERNAL.traefik, basicAuth: true } }));
    const joined = Object.entries(plan.wiring)
      .filter(([, w]) => w.extraNetworks.includes("ddev_default"))
      .map(([role]) => role)
      .sort();
    expect(joined).toEqual(["grafana", "jaeger", "victoriametrics"]);
    expect(plan.wiring.victoriametrics!.labels["traefik.http.routers.dev-victoriametrics.middlewares"]).toBe("dev-basic-auth@docker");
    expect(plan.wiring.victoriametrics!.basicAuthUsers).toBe(true);
    // The collector has no route: it never joins.
    expect(plan.wiring["otel-collector"]!.extraNetworks).toEqual([]);
  });
});
