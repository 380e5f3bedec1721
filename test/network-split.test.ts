import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { describe, expect, it } from "vitest";
import { COLLECTOR_INTERNAL_ALIAS } from "../configs/collector";
import { planStack, StackPlan } from "../configs/stack";
import { routeRule } from "../configs/traefik";
import type { PathMatch, RoutePaths } from "../configs/types";
import { readUserDashboards, UserDashboardError } from "../dashboards/custom";
import { ConfigError, parseSettings } from "../settings";
import { parseProcNetRoute, readHostRoutes } from "../settings/host-routes";
import { makeCertificates } from "./helpers/certificates";

/** Issue 20 items 1, 3, 4 and 9 as data: who joins which network, what is routed, what is written where. */

const DEV = { environment: "dev" };
const plan = (raw: Record<string, unknown>) => planStack(parseSettings({ ...DEV, ...raw }));
const network = (p: StackPlan, purpose: string) => p.networks.find((n) => n.purpose === purpose);
const members = (p: StackPlan, purpose: string) =>
  network(p, purpose)
    ?.members.map((m) => m.role)
    .sort();
const fileOf = (p: StackPlan, role: string, suffix: string) =>
  p.services.find((s) => s.role === role)!.files.find((f) => f.path.endsWith(suffix))!.content;

/** Traefik's matchers as the route data says them: what a rendered rule lets through. */
function lets(paths: RoutePaths, requestPath: string): boolean {
  const match = (m: PathMatch) =>
    "exact" in m ? requestPath === m.exact : "prefix" in m ? requestPath.startsWith(m.prefix) : new RegExp(m.regexp).test(requestPath);
  return "allow" in paths ? paths.allow.some(match) : !paths.deny.some(match);
}

const MODES: Record<string, Record<string, unknown>> = {
  managed: {},
  "managed with routed OTLP": { ingest: { route: true } },
  "external, no basic auth": { traefik: { mode: "external", network: "edge" }, exposure: { ports: { otlpGrpc: 4317 } } },
  "external, basic auth": { traefik: { mode: "external", network: "edge", basicAuth: true }, exposure: { ports: { otlpGrpc: 4317 } } },
  none: { traefik: { mode: "none" }, exposure: { ports: { otlpGrpc: 4317 } } },
};
const BACKENDS: Record<string, unknown>[] = [
  {},
  { metrics: { backend: "prometheus" }, logs: { backend: "victorialogs" } },
  { traces: { backend: "tempo" }, logs: { backend: "loki" } },
];

describe("item 1: the network plan", () => {
  const cases = Object.entries(MODES).flatMap(([mode, raw]) =>
    BACKENDS.map((b, i) => [`${mode} / backends #${i}`, { ...raw, ...b }] as const),
  );

  it.each(cases)(
    "GIVEN %s WHEN planned THEN apps' network holds the collector alone, the backend network is internal and private",
    (_title, raw) => {
      const p = plan(raw);
      const ingest = network(p, "ingest")!;
      expect(ingest).toMatchObject({ name: "obs-dev", internal: false, create: true });
      expect(p.networkName).toBe(ingest.name);
      expect(members(p, "ingest")).toEqual(["otel-collector"]);
      const backend = network(p, "backend")!;
      expect(backend).toMatchObject({ name: "obs-dev-backend", internal: true, create: true });
      expect(members(p, "backend")).toEqual(
        [
          ...Object.values(p.backends).flatMap((b) => (b ? [b.plan.service.role] : [])),
          "grafana",
          "otel-collector",
          "otel-collector-probe",
        ].sort(),
      );
      // No Traefik (neither ours nor an external one) on the backend network; no app network but ingest.
      expect(members(p, "backend")).not.toContain("traefik");
      for (const n of p.networks.filter((n) => n.purpose !== "ingest")) expect(n.members.map((m) => m.role)).not.toContain(undefined);
      // Every service joins at least one network; the collector publishes through the ingest network (first).
      for (const s of p.services) expect(p.wiring[s.role]!.networks.length, s.role).toBeGreaterThan(0);
      expect(p.wiring["otel-collector"]!.networks[0]!.network).toBe("obs-dev");
    },
  );

  it.each(cases)("GIVEN %s WHEN planned THEN Traefik's network holds Traefik and exactly what it routes", (_title, raw) => {
    const p = plan(raw);
    const routing = network(p, "routing");
    if (!p.traefik) {
      expect(routing).toBeUndefined();
      // Grafana still gets a way out (plugins, contact points), and nothing else joins it.
      expect(members(p, "egress")).toEqual(["grafana"]);
      return;
    }
    const routes = (yaml.load(fileOf(p, "traefik", "/routes.yml")) as any).http.services ?? {};
    const routed = Object.values(routes).map((s: any) => new URL(s.loadBalancer.servers[0].url).hostname);
    expect(members(p, "routing")).toEqual([...routed, "traefik"].sort());
    expect(routing!.internal).toBe(false);
    const edge = network(p, "edge");
    if (p.routing && (raw as any).traefik?.mode === "external") {
      expect(edge).toMatchObject({ name: "edge", create: false, members: [{ role: "traefik", aliases: ["traefik"] }] });
      expect(p.wiring.traefik!.publish).toEqual({});
    } else expect(edge).toBeUndefined();
  });

  it("GIVEN the collector WHEN planned THEN its health and metrics endpoints bind to its backend-network alias, its OTLP receivers to every address", () => {
    const p = plan({});
    const config = yaml.load(fileOf(p, "otel-collector", "config.yaml")) as any;
    expect(config.extensions.health_check.endpoint).toBe(`${COLLECTOR_INTERNAL_ALIAS}:13133`);
    expect(config.service.telemetry.metrics.readers[0].pull.exporter.prometheus.host).toBe(COLLECTOR_INTERNAL_ALIAS);
    expect(config.receivers["prometheus/self"].config.scrape_configs[0].static_configs).toEqual([
      { targets: [`${COLLECTOR_INTERNAL_ALIAS}:8888`] },
    ]);
    expect(config.receivers.otlp.protocols.grpc.endpoint).toBe("0.0.0.0:4317");
    const backend = p.wiring["otel-collector"]!.networks.find((n) => n.network === "obs-dev-backend")!;
    expect(backend.aliases).toEqual(["otel-collector", COLLECTOR_INTERNAL_ALIAS]);
    // Only the backend network knows the alias.
    for (const n of p.wiring["otel-collector"]!.networks.filter((n) => n.network !== "obs-dev-backend"))
      expect(n.aliases).not.toContain(COLLECTOR_INTERNAL_ALIAS);
    // The re-render input the real tiers use stays address-free.
    expect(p.collectorConfig.internalHost).toBeUndefined();
  });

  it("GIVEN the names of the stack's networks WHEN traefik.network is one of them THEN it is refused", () => {
    let error: ConfigError | undefined;
    try {
      parseSettings({
        ...DEV,
        ...MODES["external, basic auth"],
        traefik: { mode: "external", network: "obs-dev-backend", basicAuth: true },
      });
    } catch (e) {
      error = e as ConfigError;
    }
    expect(error?.problems).toEqual([
      expect.objectContaining({
        path: "traefik.network",
        given: '"obs-dev-backend"',
        message: expect.stringMatching(/is one of the stack's own networks/),
      }),
    ]);
  });
});

describe("item 1: admin endpoints and routed paths", () => {
  const p = plan({ logs: { backend: "victorialogs" } });
  const vm = p.backends.metrics.plan.service;
  const vl = p.backends.logs!.plan.service;

  it("GIVEN VictoriaMetrics WHEN planned THEN every admin auth-key flag reads one generated key from a secret file, and no flag holds a value", () => {
    const keyFlags = vm.command!.filter((f) => /AuthKey=/.test(f));
    expect(keyFlags).toHaveLength(11);
    for (const flag of keyFlags) expect(flag).toMatch(/^-[A-Za-z.]+AuthKey=file:\/\/\/etc\/victoriametrics\/secrets\/admin-auth-key$/);
    expect(vm.secretFiles).toEqual([
      {
        path: "/etc/victoriametrics/secrets/admin-auth-key",
        secret: "victoriametrics.adminKey",
        value: { generate: { name: "victoriametrics-admin-key", length: 32 } },
      },
    ]);
    expect(keyFlags.some((f) => f.startsWith("-metricsAuthKey"))).toBe(false);
  });

  it.each([
    ["/", true],
    ["/vmui/", true],
    ["/vmui/static/js/main.js", true],
    ["/api/v1/query", true],
    ["/api/v1/query_range", true],
    ["/prometheus/api/v1/query", true],
    ["/api/v1/labels", true],
    ["/api/v1/label/__name__/values", true],
    ["/api/v1/series", true],
    ["/api/v1/status/tsdb", true],
    ["/prometheus/vmui/timezone", true],
    ["/api/v1/admin/tsdb/delete_series", false],
    ["/prometheus/api/v1/admin/tsdb/delete_series", false],
    ["/api/v1/import", false],
    ["/api/v1/import/prometheus", false],
    ["/api/v1/write", false],
    ["/prometheus/api/v1/write", false],
    ["/snapshot/create", false],
    ["/internal/force_merge", false],
    ["/influx/write", false],
    ["/opentelemetry/v1/metrics", false],
    ["/flags", false],
    ["/metrics", false],
    ["/debug/pprof/", false],
    ["/api/v1/label/a/values/extra", false],
    ["/tags/tagSeries", false],
  ])("GIVEN VictoriaMetrics' route WHEN %s is asked for THEN it is let through: %s", (requestPath, allowed) => {
    expect(lets(vm.route!.paths!, requestPath)).toBe(allowed);
  });

  it("GIVEN VictoriaLogs WHEN planned THEN it runs as nobody on a volume the init job hands it, its admin keys read a secret file, and only its read API is routed", () => {
    expect(vl.user).toBe("65534:65534");
    expect(vl.volumes).toEqual([{ name: "data", containerPath: "/victoria-logs-data", ownerUid: 65534 }]);
    expect(vl.command!.filter((f) => /AuthKey=/.test(f)).every((f) => f.endsWith("=file:///etc/victorialogs/secrets/admin-auth-key"))).toBe(
      true,
    );
    for (const [requestPath, allowed] of [
      ["/select/logsql/query", true],
      ["/select/vmui/", true],
      ["/", true],
      ["/insert/jsonline", false],
      ["/insert/opentelemetry/v1/logs", false],
      ["/internal/force_flush", false],
      ["/delete/run_task", false],
    ] as const)
      expect(lets(vl.route!.paths!, requestPath), requestPath).toBe(allowed);
  });

  it("GIVEN Jaeger and Prometheus WHEN routed THEN their write paths are not", () => {
    const jaeger = p.backends.traces.plan.service.route!;
    expect(lets(jaeger.paths!, "/api/archive/abc")).toBe(false);
    expect(lets(jaeger.paths!, "/api/traces/abc")).toBe(true);
    expect(lets(jaeger.paths!, "/search")).toBe(true);
    const prometheus = plan({ metrics: { backend: "prometheus" } }).backends.metrics.plan.service.route!;
    for (const denied of ["/api/v1/write", "/api/v1/otlp/v1/metrics"]) expect(lets(prometheus.paths!, denied)).toBe(false);
    expect(lets(prometheus.paths!, "/api/v1/query")).toBe(true);
  });

  it("GIVEN path filters WHEN rendered as a Traefik rule THEN allow-lists are or-ed after the host, deny-lists negated", () => {
    expect(routeRule("x.example.com", { allow: [{ exact: "/" }, { prefix: "/a/" }, { regexp: "^/b$" }] })).toBe(
      "Host(`x.example.com`) && (Path(`/`) || PathPrefix(`/a/`) || PathRegexp(`^/b$`))",
    );
    expect(routeRule("x.example.com", { deny: [{ prefix: "/w" }] })).toBe("Host(`x.example.com`) && !(PathPrefix(`/w`))");
    expect(() => routeRule("x.example.com", { allow: [] })).toThrow(/empty/);
    expect(() => routeRule("x.example.com", { allow: [{ exact: "/`) || Path(`/" }] })).toThrow(/backtick/);
  });
});

describe("item 3: ingest TLS on every listener, the Traefik hop included", () => {
  const certs = makeCertificates("otel-collector", ["DNS:otel-collector", "IP:127.0.0.1"]);
  const p = plan({ ingest: { route: true, tls: { mode: "files", certificate: certs.cert, key: certs.key, ca: certs.ca } } });

  it("GIVEN ingest.route with ingest.tls WHEN planned THEN Traefik reaches the collector over https, verifying it with the CA for its in-network name", () => {
    const routes = yaml.load(fileOf(p, "traefik", "/routes.yml")) as any;
    expect(routes.http.services["dev-otel-collector"].loadBalancer).toEqual({
      servers: [{ url: "https://otel-collector:4318" }],
      serversTransport: "dev-otel-collector",
    });
    expect(routes.http.serversTransports["dev-otel-collector"]).toEqual({
      serverName: "otel-collector",
      rootCAs: ["/etc/traefik/upstream-ca/otel-collector.crt"],
    });
    expect(fileOf(p, "traefik", "/upstream-ca/otel-collector.crt")).toBe(certs.ca);
    const config = yaml.load(fileOf(p, "otel-collector", "config.yaml")) as any;
    for (const protocol of ["grpc", "http"]) expect(config.receivers.otlp.protocols[protocol].tls).toBeDefined();
  });
});

describe("item 4: outputs name only what answers", () => {
  it.each([
    ["external without basic auth", { ...MODES["external, no basic auth"] }, { grafana: "http://grafana.ddev.site" }],
    ["traefik none", MODES.none, {}],
    ["managed", {}, { grafana: "http://grafana.ddev.site", metrics: "http://vm.ddev.site", traces: "http://jaeger.ddev.site" }],
  ])("GIVEN %s WHEN planned THEN the URLs are exactly the routed UIs", (_title, raw, urls) => {
    const defined = Object.fromEntries(Object.entries(plan(raw).urls).filter(([, v]) => v !== undefined));
    expect(defined).toEqual(urls);
  });

  it.each([
    ["a DNS name", ["DNS:otlp.example.com", "IP:127.0.0.1"], "otlp.example.com"],
    ["localhost first, then a DNS name", ["DNS:localhost", "DNS:obs.example.com"], "obs.example.com"],
    ["a wildcard", ["DNS:*.example.com"], "otlp.example.com"],
    ["only IPs", ["IP:127.0.0.1", "IP:10.0.0.5"], "10.0.0.5"],
  ])("GIVEN bindAddress 0.0.0.0 and a certificate with %s WHEN planned THEN the endpoints name %s, never 0.0.0.0", (_t, names, host) => {
    const c = makeCertificates("otlp", names);
    const p = plan({
      exposure: { bindAddress: "0.0.0.0", ports: { otlpGrpc: 4317, otlpHttp: 4318 } },
      traefik: { mode: "none" },
      ingest: { tls: { mode: "files", certificate: c.cert, key: c.key } },
    });
    expect(p.outputs.otlpGrpcEndpoint).toBe(`${host}:4317`);
    expect(p.outputs.otlpHttpEndpoint).toBe(`https://${host}:4318`);
  });
});

describe("item 7: traefik.tls covers the hosts it serves", () => {
  it("GIVEN a certificate naming only Grafana's host WHEN the backends' UIs are routed with it THEN planning stops, naming the uncovered hosts", () => {
    const c = makeCertificates("grafana.obs.example.com", ["DNS:grafana.obs.example.com"]);
    const settings = parseSettings({
      ...DEV,
      domain: "obs.example.com",
      exposure: { ports: { http: 80, https: 443 } },
      traefik: { tls: { mode: "files", certificate: c.cert, key: c.key } },
    });
    expect(() => planStack(settings)).toThrow(
      /traefik\.tls\.certificate does not cover vm\.obs\.example\.com, jaeger\.obs\.example\.com, which Traefik serves with it/,
    );
  });
});

describe("item 9: read-only root filesystems", () => {
  it("GIVEN every service of every backend kind WHEN planned THEN its files share one directory for its config volume, apart from its data volumes", () => {
    for (const raw of BACKENDS) {
      for (const s of plan(raw).services) {
        const files = [...s.files, ...s.secretFiles].map((f) => f.path);
        if (files.length === 0) continue;
        const dir = files.map((f) => f.split("/").slice(0, 3).join("/"));
        expect(new Set(dir).size, `${s.role}: ${files.join(", ")}`).toBe(1);
        for (const v of s.volumes)
          expect(
            files.some((f) => f.startsWith(`${v.containerPath}/`)),
            s.role,
          ).toBe(false);
      }
    }
  });
});

describe("low: dashboards/custom stays inside the repository and never echoes a file", () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "custom-sec-"));
  const outside = fs.mkdtempSync(path.join(os.tmpdir(), "outside-"));
  fs.writeFileSync(path.join(outside, "secret.json"), JSON.stringify({ password: "s3cr3t-outside" }));
  const fresh = (name: string) => {
    const dir = path.join(root, name);
    fs.mkdirSync(dir);
    return dir;
  };
  const errorOf = (dir: string) => {
    try {
      readUserDashboards(dir);
    } catch (e) {
      return e as Error;
    }
    return undefined;
  };

  it("GIVEN a link to a file outside the folder WHEN read THEN it is refused, naming the link and nothing of the target", () => {
    const dir = fresh("link-out");
    fs.symlinkSync(path.join(outside, "secret.json"), path.join(dir, "leak.json"));
    const error = errorOf(dir)!;
    expect(error).toBeInstanceOf(UserDashboardError);
    expect(error.message).toMatch(/^dashboards\/custom: leak\.json is a symbolic link to a path outside dashboards\/custom/);
    expect(error.message).not.toContain("s3cr3t");
    expect(error.message).not.toContain(outside);
  });

  it("GIVEN a link to a folder outside WHEN read THEN it is refused too (it was silently skipped, or followed)", () => {
    const dir = fresh("dirlink-out");
    fs.symlinkSync(outside, path.join(dir, "elsewhere"));
    expect(errorOf(dir)?.message).toMatch(/elsewhere is a symbolic link to a path outside/);
  });

  it("GIVEN a folder named x.json and a link to a folder inside WHEN read THEN both are walked as folders (no EISDIR), each file once", () => {
    const dir = fresh("dirs");
    fs.mkdirSync(path.join(dir, "team.json"));
    fs.writeFileSync(path.join(dir, "team.json", "a.json"), JSON.stringify({ title: "A" }));
    fs.symlinkSync(path.join(dir, "team.json"), path.join(dir, "again.json"));
    expect(readUserDashboards(dir).map((d) => d.path)).toEqual(["team.json/a.json"]);
  });

  it("GIVEN a JSON file with a syntax error around a secret WHEN read THEN the error gives line and column, not the text", () => {
    const dir = fresh("bad");
    fs.writeFileSync(path.join(dir, "bad.json"), '{\n  "a": tru s3cr3t-token\n}');
    const error = errorOf(dir)!;
    expect(error.message).toMatch(
      /^dashboards\/custom: bad\.json is not valid JSON( at line \d+, column \d+)?; allowed: a dashboard JSON file/,
    );
    expect(error.message).not.toContain("s3cr3t");
  });

  it("GIVEN a dangling link WHEN read THEN it is refused naming it", () => {
    const dir = fresh("dangling");
    fs.symlinkSync(path.join(dir, "gone.json"), path.join(dir, "dangling.json"));
    expect(errorOf(dir)?.message).toMatch(/dangling\.json is a symbolic link to nothing/);
  });
});

describe("low: a fixed subnet against the Docker host's own routes", () => {
  const PROC = [
    "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT",
    "eth0\t00000000\t0101A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0",
    "eth0\t0001A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0",
    "wg0\t0000000A\t00000000\t0001\t0\t0\t0\t000000FF\t0\t0\t0",
    "docker0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0",
    "br-1a2b3c4d5e6f\t00001CAC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0",
  ].join("\n");

  it("GIVEN /proc/net/route WHEN parsed THEN the host's routes remain, without the default route and Docker's own bridges", () => {
    expect(parseProcNetRoute(PROC)).toEqual([
      { cidr: "192.168.1.0/24", iface: "eth0" },
      { cidr: "10.0.0.0/8", iface: "wg0" },
    ]);
  });

  it("GIVEN a subnet on the host's VPN WHEN parsed for a deploy THEN it is refused naming the route; offline it is not judged (no host read)", () => {
    const raw = { ...DEV, network: { subnet: "10.20.0.0/16" } };
    let error: ConfigError | undefined;
    try {
      parseSettings(raw, "obs-stack", new Set(), { mode: "deploy", hostRoutes: parseProcNetRoute(PROC) });
    } catch (e) {
      error = e as ConfigError;
    }
    expect(error?.problems).toEqual([
      {
        path: "network.subnet",
        given: '"10.20.0.0/16"',
        message: expect.stringMatching(
          /^overlaps 10\.0\.0\.0\/8, a route of this Docker host \(via wg0\).*allowed: a private range no host route covers/,
        ),
      },
    ]);
    expect(() => parseSettings(raw, "obs-stack", undefined, { mode: "offline", hostRoutes: parseProcNetRoute(PROC) })).not.toThrow();
    expect(() =>
      parseSettings({ ...DEV, network: { subnet: "172.30.0.0/16" } }, "obs-stack", new Set(), { hostRoutes: parseProcNetRoute(PROC) }),
    ).not.toThrow();
  });

  it("GIVEN DOCKER_HOST on another machine WHEN the host's routes are read THEN none are (they would be this machine's, not the Docker host's)", () => {
    expect(readHostRoutes({ DOCKER_HOST: "tcp://10.0.0.9:2376" })).toEqual([]);
  });
});
