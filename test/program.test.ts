import * as yaml from "js-yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { memoryLimits } from "../configs/collector";
import { planStack } from "../configs/stack";
import { ConfigError, DEFAULT_IMAGES, parseSettings, TIERS } from "../settings";
import { INVALID } from "./fixtures/invalid-configs";
import {
  byName,
  byType,
  carrierOf,
  CONTAINER,
  labelsOf,
  envOf,
  ProgramRun,
  Recorded,
  runProgram,
  stackFileConfig,
  uploadsOf,
} from "./helpers/program";
import { diffGraphs } from "./helpers/diff";

const SERVICES = ["otel-collector", "victoriametrics", "jaeger", "grafana", "traefik"] as const;
const COMPONENT_OF: Record<(typeof SERVICES)[number], string> = {
  "otel-collector": "collector",
  victoriametrics: "metrics",
  jaeger: "traces",
  grafana: "grafana",
  traefik: "traefik",
};

const runs: Partial<Record<"dev" | "prod", ProgramRun>> = {};

beforeAll(async () => {
  for (const stack of ["dev", "prod"] as const) runs[stack] = await runProgram(stackFileConfig(stack), { stack });
});

describe("Pulumi.prod.yaml: OTLP ingest", () => {
  const stack = "prod";
  const run = () => runs[stack]!;
  const settings = () => parseSettings(stackFileConfig(stack));
  const container = (role: string) => byName(run(), `${stack}-${COMPONENT_OF[role as keyof typeof COMPONENT_OF]}-container`);

  it("GIVEN prod WHEN registered THEN OTLP is not published: it is routed through Traefik's TLS and needs credentials", () => {
    const s = settings();
    // Nothing but Traefik publishes a port; OTLP/HTTP reaches the collector through it.
    for (const role of ["otel-collector", "victoriametrics", "jaeger", "grafana"]) expect(container(role).inputs.ports).toEqual([]);
    const routes = yaml.load(uploadsOf(container("traefik"))["/etc/traefik/dynamic/routes.yml"]!) as any;
    expect(routes.http.routers[`${stack}-otel-collector`]).toMatchObject({
      rule: `Host(\`otlp.${s.domain}\`)`,
      tls: { certResolver: "letsencrypt" },
    });
    expect(routes.http.services[`${stack}-otel-collector`].loadBalancer.servers).toEqual([{ url: "http://otel-collector:4318" }]);
    // The collector checks the credentials on both protocols, from a secret htpasswd file.
    const config = yaml.load(uploadsOf(container("otel-collector"))["/etc/otelcol-contrib/config.yaml"]!) as any;
    for (const protocol of ["grpc", "http"]) {
      expect(config.receivers.otlp.protocols[protocol].auth).toEqual({ authenticator: "basicauth/ingest" });
    }
    expect(config.extensions["basicauth/ingest"]).toEqual({ htpasswd: { file: "/etc/otelcol-contrib/secrets/ingest-htpasswd" } });
    expect(config.service.extensions).toContain("basicauth/ingest");
    const collector = carrierOf(container("otel-collector"));
    const index = collector.inputs.uploads.findIndex((u: any) => u.file === "/etc/otelcol-contrib/secrets/ingest-htpasswd");
    expect(collector.inputs.uploads[index].content).toMatch(/^otlp:\{SHA\}[A-Za-z0-9+/]{27}=$/);
    expect(collector.secretPaths).toContain("uploads");
  });
});

describe.each(["dev", "prod"] as const)("Pulumi.%s.yaml under mocks", (stack) => {
  const run = () => runs[stack]!;
  const settings = () => parseSettings(stackFileConfig(stack));
  const container = (role: string) => byName(run(), `${stack}-${COMPONENT_OF[role as keyof typeof COMPONENT_OF]}-container`);

  it("registers without error", () => expect(run().error).toBeUndefined());

  it("GIVEN the stack file WHEN run THEN its three networks and exactly the five services' containers (plus volume-init jobs, config carriers and the collector probe) exist", () => {
    const networks = byType(run(), "docker:index/network:Network").map((n) => [n.inputs.name, n.inputs.internal]);
    expect(networks.sort()).toEqual([
      [`obs-${stack}`, false],
      [`obs-${stack}-backend`, true],
      [`obs-${stack}-routing`, false],
    ]);
    const names = byType(run(), CONTAINER)
      .map((c) => c.inputs.name)
      .filter((n: string) => !n.endsWith("-init") && !n.endsWith("-config"))
      .sort();
    expect(names).toEqual([...SERVICES, "otel-collector-probe"].map((s) => `${stack}-${s}`).sort());
  });

  it.each(SERVICES)("GIVEN service %s WHEN registered THEN image, network alias, memory, restart and parent are right", (role) => {
    const c = container(role);
    const component = `${stack}-${COMPONENT_OF[role]}`;
    const image = byName(run(), `${component}-image`);
    const imageRole = role === "otel-collector" ? "collector" : role;
    expect(image.inputs.name).toBe(DEFAULT_IMAGES[imageRole as keyof typeof DEFAULT_IMAGES]);
    expect(c.inputs.image).toMatch(/^sha256:[0-9a-f]{64}$/);
    // Exactly the networks the plan says, in its order; only the collector is on the ingest network.
    const planned = planStack(settings()).wiring[role]!.networks.map((n) => ({ name: n.network, aliases: n.aliases }));
    expect(c.inputs.networksAdvanced).toEqual(planned);
    expect(c.inputs.networksAdvanced.some((n: any) => n.name === `obs-${stack}`)).toBe(role === "otel-collector");
    const tier = TIERS[settings().tier];
    expect(c.inputs.memory).toBe(tier.memoryMb[imageRole as keyof typeof tier.memoryMb]);
    expect(c.inputs.memorySwap).toBe(c.inputs.memory);
    expect(c.inputs.restart).toBe("unless-stopped");
    expect(c.inputs.securityOpts).toEqual(["no-new-privileges:true"]);
    expect(c.parent).toBe(component);
    expect(image.parent).toBe(component);
    expect(byName(run(), component).parent).toBe(stack);
  });

  it("GIVEN every service WHEN registered THEN a healthcheck exists where the image can run one (not the FROM-scratch collector), and pulumi waits for it", () => {
    for (const role of SERVICES) {
      const c = container(role);
      if (role === "otel-collector") {
        expect(c.inputs.healthcheck).toBeUndefined();
        expect(c.inputs.wait).toBe(false);
      } else {
        expect(c.inputs.healthcheck.tests[0]).toBe("CMD");
        expect(c.inputs.wait).toBe(true);
      }
    }
  });

  it("GIVEN the renderers WHEN the program uploads files THEN every upload equals the pure renderer's output", () => {
    const plan = planStack(settings());
    for (const service of plan.services) {
      const c = byType(run(), CONTAINER).find((r) => r.inputs.name === `${stack}-${service.role}`)!;
      const uploads = uploadsOf(c);
      for (const file of service.files) expect(uploads[file.path], `${service.role}:${file.path}`).toBe(file.content);
      expect(Object.keys(uploads).sort()).toEqual([...service.files.map((f) => f.path), ...service.secretFiles.map((f) => f.path)].sort());
    }
  });

  it("GIVEN data volumes WHEN registered THEN VictoriaMetrics and Grafana keep data on named volumes", () => {
    const volumes = (role: string) =>
      container(role)
        .inputs.volumes.filter((v: any) => !v.readOnly)
        .map((v: any) => [v.volumeName, v.containerPath]);
    expect(volumes("victoriametrics")).toEqual([[`${stack}-victoriametrics-data`, "/victoria-metrics-data"]]);
    expect(volumes("grafana")).toEqual([[`${stack}-grafana-data`, "/var/lib/grafana"]]);
    expect(volumes("otel-collector")).toEqual([[`${stack}-otel-collector-queue`, "/var/lib/otelcol"]]);
    // The rendered files arrive on a read-only config volume, named after the set of paths.
    const config = (role: string) => container(role).inputs.volumes.filter((v: any) => v.readOnly);
    expect(config("grafana")).toEqual([
      {
        volumeName: expect.stringMatching(new RegExp(`^${stack}-grafana-config-[0-9a-f]{12}$`)),
        containerPath: "/etc/grafana",
        readOnly: true,
      },
    ]);
  });

  it("GIVEN the settings WHEN registered THEN retention and tier are applied to the containers", () => {
    const s = settings();
    expect(container("victoriametrics").inputs.command).toContain(`-retentionPeriod=${s.metrics.retention.text}`);
    const collectorYaml = uploadsOf(container("otel-collector"))["/etc/otelcol-contrib/config.yaml"]!;
    const limits = memoryLimits(TIERS[s.tier].memoryMb.collector);
    expect(collectorYaml).toContain(`limit_mib: ${limits.limitMib}`);
    expect(envOf(container("otel-collector")).GOMEMLIMIT).toBe(`${limits.goMemLimitMib}MiB`);
    expect(envOf(container("otel-collector")).GOGC).toBe("200");
  });

  it("GIVEN Traefik routing WHEN registered THEN each UI has a Host rule on the stack's domain in the rendered routes, and no container is labelled for Traefik", () => {
    const s = settings();
    const routes = yaml.load(uploadsOf(container("traefik"))["/etc/traefik/dynamic/routes.yml"]!) as any;
    const rule = (role: string) => routes.http.routers[`${stack}-${role}`].rule;
    expect(rule("grafana")).toBe(`Host(\`grafana.${s.domain}\`)`);
    // Backends: only the paths a UI user needs (issue 20 item 1).
    expect(rule("jaeger")).toBe(`Host(\`jaeger.${s.domain}\`) && !(PathPrefix(\`/api/archive\`))`);
    expect(rule("victoriametrics")).toMatch(
      new RegExp(`^Host\\(\`vm\\.${s.domain.replace(/\./g, "\\.")}\`\\) && \\(Path\\(\`/\`\\) \\|\\| PathPrefix\\(\`/vmui\`\\)`),
    );
    expect(routes.http.services[`${stack}-victoriametrics`].loadBalancer.servers).toEqual([{ url: "http://victoriametrics:8428" }]);
    for (const c of byType(run(), CONTAINER)) expect(Object.keys(labelsOf(c)).filter((l) => l.startsWith("traefik."))).toEqual([]);
  });

  it("GIVEN the program's own Traefik WHEN registered THEN it has no Docker socket", () => {
    expect(container("traefik").inputs.volumes ?? []).not.toContainEqual(expect.objectContaining({ hostPath: "/var/run/docker.sock" }));
  });

  it("GIVEN the outputs WHEN read THEN URLs and OTLP endpoints are set and the admin password is a secret", () => {
    const outputs = run().outputs;
    const s = settings();
    const scheme = s.traefik.tls.mode === "none" ? "http" : "https";
    expect(outputs.grafanaUrl!.value).toBe(`${scheme}://grafana.${s.domain}`);
    expect(outputs.tracesUrl!.value).toBe(`${scheme}://jaeger.${s.domain}`);
    expect(outputs.metricsUrl!.value).toBe(`${scheme}://vm.${s.domain}`);
    if (stack === "dev") {
      // Published on loopback only: no credentials needed, none exported.
      expect(outputs.otlpGrpcEndpoint!.value).toBe(`${s.exposure.bindAddress}:4317`);
      expect(outputs.otlpHttpEndpoint!.value).toBe(`http://${s.exposure.bindAddress}:4318`);
      expect(outputs.otlpHeaders).toBeUndefined();
    } else {
      expect(outputs.otlpGrpcEndpoint).toBeUndefined();
      expect(outputs.otlpHttpEndpoint!.value).toBe(`https://otlp.${s.domain}`);
      expect(outputs.otlpHeaders!.secret).toBe(true);
      expect(String(outputs.otlpHeaders!.value)).toMatch(/^Authorization=Basic%20[A-Za-z0-9%]+$/);
    }
    expect(outputs.grafanaAdminPassword!.secret).toBe(true);
    expect(String(outputs.grafanaAdminPassword!.value)).toMatch(/^generated-/);
  });

  // `pulumi up` printed "warning: Undefined value (logsUrl) will not show as a stack output" on
  // every run: an output is exported only when it has a value.
  it("GIVEN no logs backend WHEN the outputs are read THEN every exported output has a value and logsUrl is not exported", () => {
    const outputs = run().outputs;
    expect(
      Object.entries(outputs)
        .filter(([, o]) => o.value === undefined || o.value === null)
        .map(([k]) => k),
    ).toEqual([]);
    expect(Object.keys(outputs)).not.toContain("logsUrl");
    expect(Object.keys(outputs).includes("basicAuthPassword")).toBe(settings().traefik.basicAuth);
  });

  it("GIVEN every probed container WHEN registered THEN Docker can only call it unhealthy after its start period plus all retries, and before Pulumi's wait ends", () => {
    const seconds = (d: string) => {
      const [, m = "0", sec = "0"] = /^(?:(\d+)m)?(?:(\d+)s)?$/.exec(d)!;
      return Number(m) * 60 + Number(sec);
    };
    for (const c of byType(run(), CONTAINER).filter((c) => c.inputs.healthcheck)) {
      const h = c.inputs.healthcheck;
      const unhealthyAfter = seconds(h.startPeriod) + h.retries * seconds(h.interval);
      expect(seconds(h.startPeriod), c.name).toBeGreaterThanOrEqual(60);
      expect(unhealthyAfter, c.name).toBeLessThan(c.inputs.waitTimeout);
    }
  });

  // Found by the deploy tier: a retention change replaced the VictoriaMetrics container by creating
  // the new one first, and Docker refused the second container of the same name.
  it("GIVEN Docker objects with fixed names WHEN registered THEN each is deleted before it is replaced", () => {
    const named = run().resources.filter((r) =>
      ["docker:index/container:Container", "docker:index/volume:Volume", "docker:index/network:Network"].includes(r.type),
    );
    expect(named.length).toBeGreaterThan(5);
    expect(named.filter((r) => !r.deleteBeforeReplace).map((r) => r.name)).toEqual([]);
  });

  it("GIVEN generated secrets WHEN registered THEN they only travel as Pulumi secrets", () => {
    const password = String(run().outputs.grafanaAdminPassword!.value);
    const grafana = carrierOf(container("grafana"));
    const index = grafana.inputs.uploads.findIndex((u: any) => u.file === "/etc/grafana/secrets/admin-password");
    expect(grafana.inputs.uploads[index].content).toBe(password);
    expect(grafana.secretPaths.some((p) => p === `uploads[${index}].content` || p === "uploads" || p.startsWith(`uploads[${index}]`))).toBe(
      true,
    );
    // Never in env, labels or any other (non-secret) input.
    for (const r of run().resources) {
      const visible = JSON.stringify({ ...r.inputs, uploads: undefined });
      expect(visible.includes(password), `${r.name} shows the password`).toBe(false);
    }
    expect(envOf(container("grafana")).GF_SECURITY_ADMIN_PASSWORD__FILE).toBe("/etc/grafana/secrets/admin-password");
  });
});

describe("prod vs dev", () => {
  it("GIVEN the prod tier WHEN compared with dev THEN every service gets at least as much memory and most get more", () => {
    const memory = (run: ProgramRun) =>
      Object.fromEntries(
        byType(run, CONTAINER)
          .filter((c) => !c.inputs.name.endsWith("-init") && !c.inputs.name.endsWith("-config"))
          .map((c) => [c.inputs.name.split("-").slice(1).join("-"), c.inputs.memory]),
      );
    const dev = memory(runs.dev!);
    const prod = memory(runs.prod!);
    for (const role of SERVICES) expect(prod[role]).toBeGreaterThanOrEqual(dev[role]);
    expect(SERVICES.filter((role) => prod[role] > dev[role]).length).toBeGreaterThanOrEqual(4);
  });

  it("GIVEN prod WHEN registered THEN UIs without a login are behind basic auth over TLS with a bcrypt users file held as a secret", () => {
    const traefik = byName(runs.prod!, "prod-traefik-container");
    const uploads = uploadsOf(traefik);
    const routes = yaml.load(uploads["/etc/traefik/dynamic/routes.yml"]!) as any;
    expect(routes.http.routers["prod-jaeger"].middlewares).toEqual(["prod-basic-auth"]);
    expect(routes.http.routers["prod-jaeger"].tls).toEqual({ certResolver: "letsencrypt" });
    expect(routes.http.routers["prod-grafana"].middlewares).toBeUndefined();
    expect(routes.http.middlewares["prod-basic-auth"]).toEqual({ basicAuth: { usersFile: "/etc/traefik/secrets/basic-auth-users" } });
    expect(uploads["/etc/traefik/secrets/basic-auth-users"]).toMatch(/^admin:\$2a\$10\$/);
    expect(uploads["/etc/traefik/dynamic/routes.yml"]).not.toContain("$2a$");
    expect(carrierOf(traefik).secretPaths.some((p) => p.startsWith("uploads"))).toBe(true);
    expect(runs.prod!.outputs.basicAuthPassword!.secret).toBe(true);
  });
});

describe("invalid config registers nothing", () => {
  // settings.test.ts runs every invalid config through the parser; under mocks three kinds are
  // enough to show the program stops before any resource: a field check, a cross-field rule, a secret.
  const THROUGH_MOCKS = ["unknown tier", "prod without TLS", "empty Grafana password"];
  it.each(INVALID.filter(([title]) => THROUGH_MOCKS.includes(title)))(
    "GIVEN %s WHEN the program runs THEN it must fail before any resource, naming %s",
    async (_title, overrides, key, message) => {
      const raw: Record<string, unknown> = { environment: "dev", ...overrides };
      for (const [k, v] of Object.entries(raw)) if (v === undefined) delete raw[k];
      const run = await runProgram(raw, { stack: "dev" });
      expect(run.error).toBeDefined();
      expect(run.error!.name).toBe("ConfigError");
      const problem = (run.error as ConfigError).problems.find((p) => p.path === key);
      expect(problem?.message).toMatch(message);
      expect(run.resources).toEqual([]);
    },
  );
});

describe("a change re-creates only what depends on it", () => {
  const changed = (a: ProgramRun, b: ProgramRun) =>
    diffGraphs(a.resources, b.resources)
      .map((d) => d.name)
      .sort();

  it("GIVEN dev WHEN metrics.retention changes THEN only the VictoriaMetrics container changes", async () => {
    const base = stackFileConfig("dev");
    const after = await runProgram({ ...base, metrics: { ...(base.metrics as object), retention: "14d" } }, { stack: "dev" });
    expect(changed(runs.dev!, after)).toEqual(["dev-metrics-container"]);
  });

  it("GIVEN dev WHEN the tier changes THEN only service containers change: network, images, volumes and init jobs stay", async () => {
    const after = await runProgram({ ...stackFileConfig("dev"), tier: "large" }, { stack: "dev" });
    const diff = diffGraphs(runs.dev!.resources, after.resources);
    // The containers, and the carriers of the files that follow the tier: the collector's memory limits, Jaeger's memory-store bound.
    expect(diff.map((d) => d.name).sort()).toEqual(
      [...SERVICES.map((s) => `dev-${COMPONENT_OF[s]}-container`), "dev-collector-config-carrier", "dev-traces-config-carrier"].sort(),
    );
    for (const d of diff)
      expect(
        d.keys.every((k) => ["memory", "memorySwap", "envs", "uploads", "command"].includes(k)),
        `${d.name}: ${d.keys}`,
      ).toBe(true);
  });
});

export type { Recorded };
