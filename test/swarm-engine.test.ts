import { createHash } from "node:crypto";
import * as yaml from "js-yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { planStack } from "../configs/stack";
import { swarmDuration } from "../components/engine-swarm";
import { AGENT_ROLE, GATEWAY_ROLE } from "../configs/swarm";
import { TRAEFIK_DYNAMIC_ROUTES_PATH } from "../configs/traefik";
import { verifyTargetFor } from "../deploy/verify-target";
import { parseSettings } from "../settings";
import { makeCertificates } from "./helpers/certificates";
import { byType, CONTAINER, ProgramRun, Recorded, runProgram } from "./helpers/program";

/**
 * The swarm engine (issue 19) under Pulumi mocks: the resource graph `engine: swarm` registers
 * (services, modes, content-named configs, secrets, placement, overlays) and that docker mode is
 * untouched. The real swarm runs in test/swarm/stack.test.ts.
 */
const SERVICE = "docker:index/service:Service";
const SERVICE_CONFIG = "docker:index/serviceConfig:ServiceConfig";
const SECRET = "docker:index/secret:Secret";
const NETWORK = "docker:index/network:Network";
const VOLUME = "docker:index/volume:Volume";
const REMOTE_IMAGE = "docker:index/remoteImage:RemoteImage";

/** A swarm stack reachable off the nodes: published OTLP with TLS and credentials, Traefik with TLS and basic auth. */
const UI = makeCertificates("*.example.com", ["DNS:*.example.com"]);
const INGEST = makeCertificates("otel.example.com", ["DNS:otel.example.com"]);
const SWARM = {
  environment: "dev",
  engine: "swarm",
  domain: "example.com",
  swarm: { dataNode: "obs.data=true" },
  collector: { replicas: 3 },
  logs: { backend: "victorialogs" },
  exposure: { bindAddress: "0.0.0.0", ports: { otlpGrpc: 4317, otlpHttp: 4318, http: 80, https: 443 } },
  ingest: { tls: { mode: "files", certificate: INGEST.cert, key: INGEST.key, ca: INGEST.ca } },
  traefik: { basicAuth: true, tls: { mode: "files", certificate: UI.cert, key: UI.key } },
};
const SECRET_KEYS = ["ingest.tls", "traefik.tls"];

const serviceOf = (run: ProgramRun, role: string): Recorded => {
  const found = byType(run, SERVICE).find((s) => s.inputs.name === `dev-${role}`);
  if (!found) throw new Error(`no service dev-${role}; have ${byType(run, SERVICE).map((s) => s.inputs.name)}`);
  return found;
};
const spec = (service: Recorded) => service.inputs.taskSpec.containerSpec;

describe("engine swarm under mocks", () => {
  let run: ProgramRun;
  beforeAll(async () => {
    run = await runProgram(SWARM, { stack: "dev", secretKeys: SECRET_KEYS });
  });

  it("GIVEN engine swarm WHEN the program runs THEN it succeeds with a Service per role and no container, carrier, init job or local volume", () => {
    expect(run.error).toBeUndefined();
    expect(byType(run, CONTAINER)).toEqual([]);
    expect(byType(run, VOLUME)).toEqual([]);
    expect(byType(run, REMOTE_IMAGE)).toEqual([]);
    expect(
      byType(run, SERVICE)
        .map((s) => s.inputs.name)
        .sort(),
    ).toEqual(
      [
        "dev-victoriametrics",
        "dev-jaeger",
        "dev-victorialogs",
        "dev-otel-collector",
        "dev-otel-agent",
        "dev-otel-collector-probe",
        "dev-grafana",
        "dev-traefik",
      ].sort(),
    );
  });

  it("GIVEN the roles WHEN registered THEN the agent is global, the gateway has collector.replicas, every service is dnsrr", () => {
    expect(serviceOf(run, AGENT_ROLE).inputs.mode).toEqual({ global: true });
    expect(serviceOf(run, GATEWAY_ROLE).inputs.mode).toEqual({ replicated: { replicas: 3 } });
    expect(serviceOf(run, "jaeger").inputs.mode).toEqual({ replicated: { replicas: 1 } });
    for (const service of byType(run, SERVICE)) {
      expect(service.inputs.endpointSpec.mode).toBe("dnsrr");
      // pulumi-docker refuses converge_config with mode global.
      expect(service.inputs.convergeConfig).toEqual(service.inputs.name === "dev-otel-agent" ? undefined : { delay: "2s", timeout: "5m" });
      expect(service.deleteBeforeReplace).toBe(true);
    }
  });

  it("GIVEN published ports WHEN registered THEN only the agent (OTLP) and Traefik (HTTP/S) publish, in host mode", () => {
    const ports = (role: string) =>
      (serviceOf(run, role).inputs.endpointSpec.ports ?? []).map((p: any) => `${p.publishMode}:${p.publishedPort}->${p.targetPort}`);
    expect(ports(AGENT_ROLE)).toEqual(["host:4317->4317", "host:4318->4318"]);
    const traefik = serviceOf(run, "traefik").inputs.endpointSpec.ports as { publishedPort: number; publishMode: string }[];
    expect(traefik.map((p) => `${p.publishMode}:${p.publishedPort}`).sort()).toEqual(["host:443", "host:80"]);
    for (const role of [GATEWAY_ROLE, "victoriametrics", "jaeger", "victorialogs", "grafana", "otel-collector-probe"])
      expect(ports(role)).toEqual([]);
  });

  it("GIVEN the data node label WHEN registered THEN backends, Grafana and Traefik are pinned and stop-first; agent, gateway and probe float", () => {
    const constraints = (role: string) => serviceOf(run, role).inputs.taskSpec.placement?.constraints ?? [];
    for (const role of ["victoriametrics", "jaeger", "victorialogs", "grafana", "traefik"]) {
      expect(constraints(role)).toEqual(["node.labels.obs.data==true"]);
      expect(serviceOf(run, role).inputs.updateConfig.order).toBe("stop-first");
    }
    for (const role of [AGENT_ROLE, GATEWAY_ROLE, "otel-collector-probe"]) expect(constraints(role)).toEqual([]);
    // Agent and gateway hold a persistent queue: two tasks never share it, so they stop first too.
    expect(serviceOf(run, AGENT_ROLE).inputs.updateConfig.order).toBe("stop-first");
    expect(serviceOf(run, GATEWAY_ROLE).inputs.updateConfig.order).toBe("stop-first");
    expect(serviceOf(run, "otel-collector-probe").inputs.updateConfig.order).toBe("start-first");
  });

  it.each([
    ["1m", "1m"],
    ["1m0s", "1m"],
    ["90s", "1m30s"],
    ["5s", "5s"],
    ["1h", "1h"],
    ["1h0m30s", "1h0m30s"],
    ["500ms", "500ms"],
  ])(
    "GIVEN duration %s WHEN sent to Swarm THEN it is written as the provider reads it back (%s), so no preview after up diffs",
    (given, go) => {
      expect(swarmDuration(given)).toBe(go);
    },
  );

  it("GIVEN healthchecks and an empty environment WHEN registered THEN durations are in the provider's form and no empty env is sent", () => {
    for (const service of byType(run, SERVICE)) {
      const { healthcheck, env } = spec(service);
      if (env !== undefined) expect(Object.keys(env).length).toBeGreaterThan(0);
      if (!healthcheck) continue;
      for (const key of ["interval", "timeout", "startPeriod"]) expect(swarmDuration(healthcheck[key])).toBe(healthcheck[key]);
    }
    expect(spec(serviceOf(run, "jaeger")).healthcheck.startPeriod).toBe("1m");
    expect(spec(serviceOf(run, "jaeger")).env).toBeUndefined();
  });

  it("GIVEN the restart policy WHEN registered THEN no duration is left at zero (pulumi-docker#1285's perpetual diff)", () => {
    for (const service of byType(run, SERVICE)) {
      const { restartPolicy } = service.inputs.taskSpec;
      expect(restartPolicy).toEqual({ condition: "any", delay: "5s", window: "30s" });
      for (const key of ["updateConfig", "rollbackConfig"]) {
        expect(service.inputs[key].delay).not.toMatch(/^0s?$/);
        expect(service.inputs[key].monitor).not.toMatch(/^0s?$/);
      }
    }
  });

  it("GIVEN rendered files WHEN registered THEN each is a ServiceConfig named after its content and mounted at its path", () => {
    const plan = planStack(
      parseSettings({ ...SWARM, ingest: { tls: { mode: "none" } }, exposure: { ports: {} }, traefik: { mode: "none" } }),
    );
    expect(plan.swarm).toBeDefined();
    const gateway = serviceOf(run, GATEWAY_ROLE);
    const mounted = spec(gateway).configs as { configName: string; fileName: string; configId: string }[];
    expect(mounted.map((c) => c.fileName)).toEqual(["/etc/otelcol-contrib/config.yaml"]);
    const config = byType(run, SERVICE_CONFIG).find((c) => c.inputs.name === mounted[0]!.configName)!;
    const content = Buffer.from(config.inputs.data, "base64").toString();
    const hash = createHash("sha256").update(`/etc/otelcol-contrib/config.yaml\n${content}`).digest("hex").slice(0, 12);
    expect(config.inputs.name).toBe(`dev-otel-collector-${hash}`);
    expect(config.inputs.labels).toContainEqual({ label: "obs.file", value: "/etc/otelcol-contrib/config.yaml" });
    // Swarm's limit for object names, for every config and secret of the stack.
    for (const r of [...byType(run, SERVICE_CONFIG), ...byType(run, SECRET)])
      expect(r.inputs.name).toMatch(/^[a-zA-Z0-9][a-zA-Z0-9_-]{0,63}$/);
    // The gateway's config: no ingest auth (the agents are the ingest), the backends as exporters.
    const rendered = yaml.load(content) as any;
    expect(rendered.extensions["basicauth/ingest"]).toBeUndefined();
    expect(Object.keys(rendered.exporters).sort()).toEqual(["otlp_grpc/traces", "otlp_http/logs", "prometheus_remote_write/metrics"]);
    expect(Object.keys(rendered.receivers.otlp.protocols.grpc)).not.toContain("tls");
    // Agents reconnect (and resolve tasks.<gateway> again) every minute: replicas added later get traffic.
    expect(rendered.receivers.otlp.protocols.grpc.keepalive).toEqual({
      server_parameters: { max_connection_age: "60s", max_connection_age_grace: "10s" },
    });
    // The agent's: OTLP with credentials and TLS, forwarding to every gateway task.
    const agentConfig = byType(run, SERVICE_CONFIG).find((c) => c.inputs.name.startsWith("dev-otel-agent-"))!;
    const agent = yaml.load(Buffer.from(agentConfig.inputs.data, "base64").toString()) as any;
    expect(agent.exporters["otlp_grpc/gateway"].endpoint).toBe("dns:///tasks.dev-otel-collector:4317");
    expect(agent.exporters["loadbalancing/traces"].resolver.dns.hostname).toBe("tasks.dev-otel-collector");
    // Between nodes zstd, not the exporters' default gzip (the gateway is the same pinned collector).
    expect(agent.exporters["otlp_grpc/gateway"].compression).toBe("zstd");
    expect(agent.exporters["loadbalancing/traces"].protocol.otlp.compression).toBe("zstd");
    expect(agent.receivers.otlp.protocols.grpc.auth).toEqual({ authenticator: "basicauth/ingest" });
    expect(agent.receivers.otlp.protocols.grpc.tls.cert_file).toBe("/etc/otelcol-contrib/secrets/ingest-tls.crt");
    // Apps keep their connection to their node's agent as long as they like.
    expect(agent.receivers.otlp.protocols.grpc.keepalive).toBeUndefined();
  });

  it("GIVEN a changed rendered file WHEN registered again THEN its ServiceConfig gets a new name (Swarm configs are immutable)", async () => {
    const changed = await runProgram(
      { ...SWARM, collector: { replicas: 3, retryMaxElapsed: "5m" } },
      { stack: "dev", secretKeys: SECRET_KEYS },
    );
    const names = (r: ProgramRun) => new Set(byType(r, SERVICE_CONFIG).map((c) => c.inputs.name as string));
    const before = names(run);
    const after = names(changed);
    const gone = [...before].filter((n) => !after.has(n));
    expect(gone.map((n) => n.replace(/-[0-9a-f]{12}$/, "")).sort()).toEqual(["dev-otel-agent", "dev-otel-collector"]);
    // Same logical resources: Pulumi replaces them (create the new, move the service, delete the old).
    expect(
      byType(changed, SERVICE_CONFIG)
        .map((c) => c.name)
        .sort(),
    ).toEqual(
      byType(run, SERVICE_CONFIG)
        .map((c) => c.name)
        .sort(),
    );
  });

  it("GIVEN secret files WHEN registered THEN each is a Swarm Secret (data a Pulumi secret), mounted at its path, in no config or env", () => {
    const secrets = byType(run, SECRET);
    expect(secrets.length).toBeGreaterThanOrEqual(4);
    for (const secret of secrets) expect(secret.secretPaths).toContain("data");
    const agentSecrets = (spec(serviceOf(run, AGENT_ROLE)).secrets as { fileName: string; secretName: string }[])
      .map((s) => s.fileName)
      .sort();
    expect(agentSecrets).toEqual(
      [
        "/etc/otelcol-contrib/secrets/ingest-htpasswd",
        "/etc/otelcol-contrib/secrets/ingest-tls.crt",
        "/etc/otelcol-contrib/secrets/ingest-tls.key",
      ].sort(),
    );
    // A secret's name changes with its value, keyed (never a plain hash of the secret).
    for (const secret of secrets) expect(secret.inputs.name).toMatch(/^dev-[a-z0-9-]+-secret-[0-9a-f]{12}$/);
    const key = INGEST.key.split("\n")[1]!;
    for (const r of [...byType(run, SERVICE_CONFIG), ...byType(run, SERVICE)]) {
      expect(JSON.stringify(r.inputs)).not.toContain(key);
      const configText = r.type === SERVICE_CONFIG ? Buffer.from(r.inputs.data, "base64").toString() : "";
      expect(configText).not.toContain(key);
    }
    for (const service of byType(run, SERVICE)) {
      for (const value of Object.values(spec(service).env ?? {})) expect(String(value)).not.toMatch(/BEGIN|generated-/);
    }
  });

  it("GIVEN networks WHEN registered THEN they are overlays, only the ingest one attachable, the backend one internal", () => {
    const networks = byType(run, NETWORK);
    expect(networks.every((n) => n.inputs.driver === "overlay")).toBe(true);
    const byNetName = Object.fromEntries(networks.map((n) => [n.inputs.name, n.inputs]));
    expect(byNetName["obs-dev"]).toMatchObject({ attachable: true, internal: false });
    expect(byNetName["obs-dev-backend"]).toMatchObject({ attachable: false, internal: true });
    const joined = (role: string) =>
      (serviceOf(run, role).inputs.taskSpec.networksAdvanceds as { name: string; aliases: string[] }[]).map(
        (n) => `${n.name}:${n.aliases.join(",")}`,
      );
    expect(joined(AGENT_ROLE)).toEqual(["obs-dev:otel-agent,otel-collector", "obs-dev-backend:otel-agent"]);
    expect(joined(GATEWAY_ROLE)).toEqual(["obs-dev-backend:otel-collector,otel-collector-internal"]);
  });

  it("GIVEN volumes WHEN registered THEN backends keep one named volume, each gateway replica its own (by slot), labelled for purge", () => {
    const mounts = (role: string) =>
      (spec(serviceOf(run, role)).mounts as any[]).filter((m) => m.type === "volume").map((m) => `${m.source}:${m.target}`);
    expect(mounts("victoriametrics")).toEqual(["dev-victoriametrics-data:/victoria-metrics-data"]);
    expect(mounts(GATEWAY_ROLE)).toEqual(["dev-otel-collector-queue-{{.Task.Slot}}:/var/lib/otelcol"]);
    expect(mounts(AGENT_ROLE)).toEqual(["dev-otel-agent-queue:/var/lib/otelcol"]);
    for (const m of (spec(serviceOf(run, "jaeger")).mounts as any[]).filter((x) => x.type === "volume")) {
      expect(m.volumeOptions.labels).toEqual([{ label: "obs.stack", value: "dev" }]);
    }
    // The image's user cannot be given the root-owned volume Swarm creates: uid 0, no capability.
    expect(spec(serviceOf(run, "victoriametrics")).user).toBe("0:0");
    expect(spec(serviceOf(run, "victoriametrics")).capDrops).toEqual(["ALL"]);
    expect(spec(serviceOf(run, "otel-collector-probe")).user).toBe("65534:65534");
  });

  it("GIVEN the tier WHEN registered THEN memory and CPU limits are the tier's, env carries the Swarm templates and the collector's Go runtime settings", () => {
    const plan = planStack(parseSettings({ ...SWARM, ingest: {}, exposure: { ports: {} }, traefik: { mode: "none" } }));
    const gateway = serviceOf(run, GATEWAY_ROLE);
    expect(gateway.inputs.taskSpec.resources.limits.memoryBytes).toBe(plan.collector.memoryMb * 1024 * 1024);
    expect(gateway.inputs.taskSpec.resources.limits.nanoCpus).toBe(Math.round(plan.wiring[GATEWAY_ROLE]!.cpus * 1e9));
    expect(spec(gateway).env.OBS_TASK_NAME).toBe("{{.Task.Name}}");
    expect(spec(serviceOf(run, AGENT_ROLE)).env.OBS_NODE_NAME).toBe("{{.Node.Hostname}}");
    for (const service of [gateway, serviceOf(run, AGENT_ROLE)]) {
      const { env } = spec(service);
      expect(env.GOGC).toBe("200");
      expect(env.GOMEMLIMIT).toMatch(/^\d+MiB$/);
    }
    expect(spec(gateway).readOnly).toBe(true);
  });

  it("GIVEN Traefik on a swarm WHEN its routes are registered THEN each upstream is an alias its role has on an overlay Traefik joins, and Traefik has no Docker socket", () => {
    // No VIP (dnsrr) and no swarm provider: Swarm's DNS answers each alias with the task addresses.
    const traefik = serviceOf(run, "traefik");
    const config = byType(run, SERVICE_CONFIG).find(
      (c) =>
        c.inputs.labels.some((l: { label: string; value: string }) => l.value === TRAEFIK_DYNAMIC_ROUTES_PATH) &&
        c.inputs.name.startsWith("dev-traefik-"),
    )!;
    const routes = yaml.load(Buffer.from(config.inputs.data, "base64").toString()) as any;
    const upstreams = Object.values(routes.http.services as Record<string, any>).map(
      (svc) => new URL(svc.loadBalancer.servers[0].url).hostname,
    );
    expect(upstreams.sort()).toEqual(["grafana", "jaeger", "victorialogs", "victoriametrics"]);
    const joins = (service: Recorded) => service.inputs.taskSpec.networksAdvanceds as { name: string; aliases: string[] }[];
    const traefikNetworks = joins(traefik).map((n) => n.name);
    for (const alias of upstreams) {
      const holders = byType(run, SERVICE).filter((svc) =>
        joins(svc).some((n) => n.aliases.includes(alias) && traefikNetworks.includes(n.name)),
      );
      expect(
        holders.map((h) => h.inputs.name),
        `alias ${alias}`,
      ).toEqual([`dev-${alias}`]);
      expect(holders[0]!.inputs.endpointSpec.mode).toBe("dnsrr");
    }
    expect((spec(traefik).mounts as { type: string }[]).map((m) => m.type)).not.toContain("bind");
    expect(JSON.stringify(spec(traefik))).not.toContain("docker.sock");
  });

  it("GIVEN the swarm stack's outputs WHEN verify builds its target for the data node's address THEN the UIs go through Traefik's https port there by host name with basic auth, OTLP to that node's agent with the ingest CA", () => {
    const values = Object.fromEntries(Object.entries(run.outputs).map(([k, o]) => [k, o.value]));
    const target = verifyTargetFor(parseSettings(SWARM), values, { caPem: UI.ca, connectAddress: "10.0.0.11" });
    const traefik = "https://10.0.0.11:443";
    const basicAuth = { username: "admin", password: String(values.basicAuthPassword) };
    expect(values.basicAuthPassword).toEqual(expect.any(String));
    expect(target.metrics).toEqual({
      kind: "victoriametrics",
      api: { url: traefik, hostHeader: "vm.example.com", basicAuth, caPem: UI.ca },
    });
    expect(target.traces.api).toEqual({ url: traefik, hostHeader: "jaeger.example.com", basicAuth, caPem: UI.ca });
    expect(target.logs!.api).toEqual({ url: traefik, hostHeader: "logs.example.com", basicAuth, caPem: UI.ca });
    expect(target.grafana!.api).toMatchObject({ url: traefik, hostHeader: "grafana.example.com", caPem: UI.ca });
    expect(target.otlp.endpoint).toBe("https://10.0.0.11:4318");
    expect(target.otlp.caPem).toBe(INGEST.ca);
    expect(Object.keys(target.otlp.headers ?? {})).toEqual(["Authorization"]);
  });

  it("GIVEN engine swarm without the stack's Traefik WHEN verify builds its target THEN it says what it needs and what the setting is", () => {
    const settings = parseSettings({
      ...SWARM,
      traefik: { mode: "none" },
      exposure: { bindAddress: "0.0.0.0", ports: { otlpGrpc: 4317, otlpHttp: 4318 } },
    });
    expect(() => verifyTargetFor(settings, {})).toThrow(
      "verify needs the stack's own Traefik with a published port (traefik.mode: managed, exposure.ports.http/https); traefik.mode is none, exposure.ports.http is not set",
    );
  });
});
