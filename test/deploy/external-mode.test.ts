/**
 * traefik.mode external on the real engine (issue 20, item 1): the user already runs a Traefik that
 * discovers containers by Docker labels on a network of theirs. The stack must put exactly one
 * container on that network (its own unpublished Traefik, the gateway, carrying the labels), and
 * nothing that network holds may reach a backend port. Here the "existing Traefik" is the real
 * Traefik binary at the pinned version (our local image), started by the test with its Docker
 * provider as a user would run it, on a network the test creates; the stack is dev's with
 * `traefik.mode: external` and basic auth (without it only Grafana, which has its own login, is routed).
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as http from "node:http";
import {
  containersOf,
  createStack,
  DeployedStack,
  docker,
  getJson,
  outputValue,
  prerequisites,
  purgeEnvironment,
  viaTraefik,
} from "../../bench/lib/deploy-harness";
import { listeningPorts, probeFrom } from "../helpers/probe";

const EDGE = `edge-${randomBytes(2).toString("hex")}`;
const EDGE_TRAEFIK = `${EDGE}-traefik`;
let deployed: DeployedStack;
let outputs: Awaited<ReturnType<DeployedStack["up"]>>;
let images: Record<string, string>;

beforeAll(async () => {
  const met = await prerequisites();
  images = met.images;
  await docker("network", "create", EDGE);
  deployed = await createStack("dev", met.toolchain, images, {
    environment: "external",
    // On a shared network a UI without its own login is routed only behind basic auth (configs/stack.ts).
    traefik: { mode: "external", network: EDGE, basicAuth: true },
    // The gateway publishes nothing: the harness's free http port goes to the user's Traefik below.
    exposure: { ports: { http: undefined } },
    data: { keepOnDelete: false },
  });
  // The user's Traefik: Docker provider on their network, only what is labelled, plain HTTP on :80,
  // published where the harness expects a stack's Traefik (so `up` waits for every route through it).
  await docker(
    "run",
    "--detach",
    "--name",
    EDGE_TRAEFIK,
    "--network",
    EDGE,
    "--user",
    "0",
    "--volume",
    "/var/run/docker.sock:/var/run/docker.sock:ro",
    "--publish",
    `127.0.0.1:${deployed.ports.http}:80`,
    images.traefik!,
    "traefik",
    "--providers.docker=true",
    "--providers.docker.exposedByDefault=false",
    `--providers.docker.network=${EDGE}`,
    "--entryPoints.web.address=:80",
  );
  outputs = await deployed.up();
});

afterAll(async () => {
  await docker("rm", "-f", EDGE_TRAEFIK).catch(() => undefined);
  if (deployed) {
    await deployed.destroy().catch(() => undefined);
    await purgeEnvironment(deployed.environment);
    await deployed.stack.workspace.removeStack(deployed.environment).catch(() => undefined);
  }
  await docker("network", "rm", EDGE).catch(() => undefined);
});

const env = () => deployed.environment;

const ui = () => ({ username: "admin", password: String(outputValue(outputs, "basicAuthPassword")) });
const authorization = () => `Basic ${Buffer.from(`${ui().username}:${ui().password}`).toString("base64")}`;

/** One request through the user's Traefik by Host, with the UI credentials unless `anonymous`: its status. */
function send(method: string, host: string, path: string, body?: string, anonymous = false): Promise<number> {
  const headers: Record<string, string> = { Host: host, ...(anonymous ? {} : { Authorization: authorization() }) };
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port: deployed.ports.http, method, path, headers }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    req.end(body);
  });
}
const inspect = async (name: string) => JSON.parse(await docker("inspect", name))[0];

describe("traefik.mode external on the real engine: the user's Traefik sees one container", () => {
  it("GIVEN the stack up WHEN the user's network is inspected THEN it holds their Traefik and the stack's gateway, nothing else; the gateway publishes no port", async () => {
    const members = Object.values((await inspect(EDGE)).Containers as Record<string, { Name: string }>)
      .map((c) => c.Name)
      .sort();
    expect(members).toEqual([EDGE_TRAEFIK, `${env()}-traefik`].sort());
    const gateway = await inspect(`${env()}-traefik`);
    expect(gateway.HostConfig.PortBindings ?? {}).toEqual({});
    // The stack did not create (and will not delete) the user's network.
    expect((await inspect(EDGE)).Labels?.["obs.stack"]).toBeUndefined();
  });

  it("GIVEN the user's Traefik WHEN each UI host is asked for THEN it is routed through the gateway to its service, and the outputs name only routed URLs", async () => {
    const hosts = ["grafanaUrl", "metricsUrl", "tracesUrl"].map((k) => new URL(String(outputValue(outputs, k))).host);
    expect(hosts).toEqual(["grafana.ddev.site", "vm.ddev.site", "jaeger.ddev.site"]);
    expect(Object.keys(outputs).filter((k) => /Url$/.test(k) && !["grafanaUrl", "metricsUrl", "tracesUrl"].includes(k))).toEqual([]);
    const health = await getJson(viaTraefik(deployed, "grafana.ddev.site"), "/api/health");
    expect(health.database).toBe("ok");
    const query = await getJson(viaTraefik(deployed, "vm.ddev.site", { auth: ui() }), "/api/v1/query?query=vector(1)");
    expect(query.data.result[0].value[1]).toBe("1");
    expect(await send("GET", "vm.ddev.site", "/api/v1/query?query=vector(1)", undefined, true)).toBe(401);
    const services = await getJson(viaTraefik(deployed, "jaeger.ddev.site", { auth: ui() }), "/api/services");
    // Jaeger's query API answered (no traces sent yet: `data` is null or a list, never an error).
    expect(services.errors ?? null).toBeNull();
    expect(services.data === null || Array.isArray(services.data)).toBe(true);
  });

  it("GIVEN the UI credentials WHEN VictoriaMetrics' admin and write paths are asked for through the user's Traefik THEN the gateway refuses them (404)", async () => {
    for (const [method, path] of [
      ["POST", "/api/v1/admin/tsdb/delete_series?match[]=up"],
      ["POST", "/api/v1/import"],
      ["GET", "/snapshot/create"],
    ] as const) {
      const status = await send(method, "vm.ddev.site", path, method === "POST" ? "x 1" : undefined);
      expect(`${method} ${path} → ${status}`).toBe(`${method} ${path} → 404`);
    }
  });

  it("GIVEN a container on the user's network WHEN it connects to every listening port of every stack container THEN only the gateway's web port answers", async () => {
    const containers = (await containersOf(env())).filter((c) => !c.name.endsWith("-init") && !c.name.endsWith("-config"));
    const targets: { host: string; port: number; what: string }[] = [];
    for (const c of containers) {
      const info = await inspect(c.name);
      const addresses = Object.values(info.NetworkSettings.Networks as Record<string, { IPAddress: string }>).map((n) => n.IPAddress);
      for (const host of addresses) for (const port of listeningPorts(c.pid)) targets.push({ host, port, what: `${c.name}:${port}` });
    }
    for (const port of [8428, 16686, 4317, 4318, 3000])
      expect(
        targets.some((t) => t.port === port),
        String(port),
      ).toBe(true);
    const results = await probeFrom(EDGE, targets, images.grafana!, env());
    const open = targets.filter((_, i) => results[i] === "open").map((t) => t.what);
    expect([...new Set(open)]).toEqual([`${env()}-traefik:8000`]);
  });

  it("GIVEN the stack just deployed WHEN previewed again THEN nothing changes", async () => {
    const preview = await deployed.stack.preview();
    const changes = Object.entries(preview.changeSummary).filter(([op]) => op !== "same");
    expect(changes).toEqual([]);
  });
});
