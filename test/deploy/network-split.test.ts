/**
 * Issue 20 on the real engine: the networks, the routes and the read-only containers as Docker runs
 * them. A prod-like stack (TLS from files signed by a test CA, basic auth, OTLP routed through
 * Traefik over the collector's own TLS, VictoriaLogs for logs), then:
 * - from a container on the ingest network (where applications run), every listening port of every
 *   other container is unreachable, and the collector answers on its two OTLP ports only;
 * - through Traefik with the UI credentials, VictoriaMetrics' delete_series, import and snapshot
 *   are refused while a query works; VictoriaLogs' and Jaeger's write paths are refused too;
 * - inside the backend network the admin endpoints still want the generated key (401 without);
 * - every service runs on a read-only root filesystem, as the user the plan says, with its CPU limit.
 */
import * as https from "node:https";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OtelClient } from "../../bench/lib/client";
import {
  containersOf,
  createStack,
  DeployedStack,
  docker,
  outputValue,
  prerequisites,
  purgeEnvironment,
} from "../../bench/lib/deploy-harness";
import { waitFor } from "../../bench/lib/harness";
import { parseOtlpHeaders } from "../../deploy/verify-target";
import { TIERS } from "../../settings";
import { makeCertificates } from "../helpers/certificates";
import { listeningPorts, probeFrom as probe } from "../helpers/probe";

const DOMAIN = "obs.example.com";
let deployed: DeployedStack;
let outputs: Awaited<ReturnType<DeployedStack["up"]>>;
let images: Record<string, string>;
let ca: string;
let ingestCa: string;

beforeAll(async () => {
  const prerequisitesMet = await prerequisites();
  images = prerequisitesMet.images;
  const ui = makeCertificates(`*.${DOMAIN}`, [`DNS:*.${DOMAIN}`, `DNS:${DOMAIN}`]);
  // The collector's own certificate: its in-network name (Traefik verifies it) and loopback (published OTLP).
  const ingest = makeCertificates("otel-collector", ["DNS:otel-collector", "DNS:localhost", "IP:127.0.0.1"]);
  ca = ui.ca;
  ingestCa = ingest.ca;
  deployed = await createStack(
    "prod",
    prerequisitesMet.toolchain,
    images,
    {
      environment: "split",
      // Docker's choice of subnet (Pulumi.prod.yaml fixes one, which prod-like.test.ts exercises).
      network: { subnet: undefined },
      tier: "small",
      logs: { backend: "victorialogs", retention: "7d" },
      traefik: { mode: "managed", tls: { mode: "files", email: undefined }, basicAuth: true },
      ingest: { route: true, tls: { mode: "files", ca: ingest.ca } },
      // Throw-away data: the test removes it with the stack.
      data: { keepOnDelete: false },
    },
    {
      "traefik.tls.certificate": ui.cert,
      "traefik.tls.key": ui.key,
      "ingest.tls.certificate": ingest.cert,
      "ingest.tls.key": ingest.key,
    },
    ui.ca,
  );
  outputs = await deployed.up();
});

afterAll(async () => {
  if (!deployed) return;
  await deployed.destroy().catch(() => undefined);
  await purgeEnvironment(deployed.environment);
  await deployed.stack.workspace.removeStack(deployed.environment).catch(() => undefined);
});

const inspect = async (name: string) => JSON.parse(await docker("inspect", name))[0];
const env = () => deployed.environment;
const ingestNetwork = () => `obs-${env()}`;

/** What an application on `network` can reach (test/helpers/probe.ts). */
const probeFrom = (network: string, targets: { host: string; port: number }[]) => probe(network, targets, images.grafana!, env());

/** An HTTPS request through Traefik's published port, by Host, with the UI credentials. */
function viaTraefik(method: string, host: string, path: string, body?: string): Promise<{ status: number; body: string }> {
  const password = String(outputValue(outputs, "basicAuthPassword"));
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: "127.0.0.1",
        port: deployed.ports.https,
        method,
        path,
        ca,
        servername: host,
        headers: { Host: host, Authorization: `Basic ${Buffer.from(`admin:${password}`).toString("base64")}` },
      },
      (res) => {
        let text = "";
        res.on("data", (c) => (text += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

describe("issue 20 on the real engine: who reaches what", () => {
  it("GIVEN the stack WHEN its networks are inspected THEN apps join the ingest network, which holds the collector alone; the backend network is internal and holds no Traefik", async () => {
    expect(outputValue(outputs, "networkName")).toBe(ingestNetwork());
    const members = async (name: string) => {
      const n = (await inspect(name)) as { Internal: boolean; Containers: Record<string, { Name: string }> };
      return {
        internal: n.Internal,
        names: Object.values(n.Containers)
          .map((c) => c.Name.replace(`${env()}-`, ""))
          .sort(),
      };
    };
    expect(await members(ingestNetwork())).toEqual({ internal: false, names: ["otel-collector"] });
    expect(await members(`${ingestNetwork()}-backend`)).toEqual({
      internal: true,
      names: ["grafana", "jaeger", "otel-collector", "otel-collector-probe", "victorialogs", "victoriametrics"],
    });
    // Traefik and exactly what it routes (the collector: ingest.route).
    expect(await members(`${ingestNetwork()}-routing`)).toEqual({
      internal: false,
      names: ["grafana", "jaeger", "otel-collector", "traefik", "victorialogs", "victoriametrics"],
    });
  });

  it("GIVEN a container on the ingest network WHEN it connects to every listening port of every stack container THEN only the collector's OTLP ports answer", async () => {
    const containers = (await containersOf(env())).filter((c) => !c.name.endsWith("-init") && !c.name.endsWith("-config"));
    const targets: { host: string; port: number; what: string }[] = [];
    for (const c of containers) {
      const info = await inspect(c.name);
      const addresses = Object.values(info.NetworkSettings.Networks as Record<string, { IPAddress: string }>).map((n) => n.IPAddress);
      const ports = listeningPorts(c.pid);
      expect(ports.length, `${c.name} listens on something`).toBeGreaterThan(c.name.endsWith("-probe") ? -1 : 0);
      for (const host of addresses) for (const port of ports) targets.push({ host, port, what: `${c.name} ${host}:${port}` });
    }
    // Every backend's own ports are there to be refused (VictoriaMetrics, Jaeger's query, OTLP and health ports, VictoriaLogs, Grafana, Traefik).
    const probedPorts = new Set(targets.map((t) => t.port));
    for (const port of [8428, 16686, 4317, 4318, 13133, 8888, 9428, 3000, 8000, 8443])
      expect(probedPorts.has(port), String(port)).toBe(true);
    const results = await probeFrom(ingestNetwork(), targets);
    const open = targets.filter((_, i) => results[i] === "open").map((t) => t.what);
    const collectorIngestIp = (await inspect(`${env()}-otel-collector`)).NetworkSettings.Networks[ingestNetwork()].IPAddress;
    expect(open.sort()).toEqual([`${env()}-otel-collector ${collectorIngestIp}:4317`, `${env()}-otel-collector ${collectorIngestIp}:4318`]);
    // Names of the backends do not even resolve there; the collector's does.
    expect(
      await probeFrom(ingestNetwork(), [
        { host: "victoriametrics", port: 8428 },
        { host: "otel-collector", port: 4318 },
      ]),
    ).toEqual(["ENOTFOUND", "open"]);
  });

  it("GIVEN an app on the ingest network WHEN it exports over TLS with the CA and the exported headers THEN the collector takes it (and plain text nothing)", async () => {
    // From the host through the published gRPC port: the same receivers, with their TLS.
    const headers = parseOtlpHeaders(String(outputValue(outputs, "otlpHeaders")));
    const client = (tls: boolean) =>
      new OtelClient({
        protocol: "grpc",
        grpcPort: deployed.ports.otlpGrpc,
        httpPort: deployed.ports.otlpHttp,
        serviceName: "split-app",
        headers,
        caPem: tls ? ingestCa : undefined,
      });
    for (const [tls, acknowledged] of [
      [true, true],
      [false, false],
    ] as const) {
      const c = client(tls);
      c.meter()
        .createCounter("split.probe")
        .add(1, { tls: String(tls) });
      try {
        expect(await c.exportMetricsNow()).toBe(acknowledged);
      } finally {
        await c.shutdown();
      }
    }
    expect(outputValue(outputs, "otlpCaCertificate")).toBe(ingestCa);
  });

  it("GIVEN OTLP routed through Traefik WHEN posted with the credentials THEN Traefik reaches the collector over its TLS (verified with the CA) and it answers 200", async () => {
    const headers = parseOtlpHeaders(String(outputValue(outputs, "otlpHeaders")));
    const status = await new Promise<number>((resolve, reject) => {
      const req = https.request(
        {
          host: "127.0.0.1",
          port: deployed.ports.https,
          path: "/v1/metrics",
          method: "POST",
          ca,
          servername: `otlp.${DOMAIN}`,
          headers: { Host: `otlp.${DOMAIN}`, "Content-Type": "application/json", ...headers },
        },
        (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode ?? 0));
        },
      );
      req.on("error", reject);
      req.end("{}");
    });
    expect(status).toBe(200);
  });

  it("GIVEN the UI credentials WHEN VictoriaMetrics' admin and write paths are asked for through Traefik THEN each is refused (Traefik's 404) and a query works", async () => {
    const vm = `vm.${DOMAIN}`;
    await waitFor(
      "the probe metric in VictoriaMetrics",
      async () => {
        const res = await viaTraefik("GET", vm, `/api/v1/query?${new URLSearchParams({ query: "split_probe_total", nocache: "1" })}`);
        return res.status === 200 && JSON.parse(res.body).data.result.length > 0 ? true : undefined;
      },
      90_000,
      1_000,
    );
    expect((await viaTraefik("GET", vm, "/api/v1/labels")).status).toBe(200);
    expect((await viaTraefik("GET", vm, "/prometheus/api/v1/query?query=up")).status).toBe(200);
    expect((await viaTraefik("GET", vm, "/vmui/")).status).toBe(200);
    const refused = [
      ["POST", "/api/v1/admin/tsdb/delete_series?match[]=split_probe_total"],
      ["POST", "/prometheus/api/v1/admin/tsdb/delete_series?match[]=split_probe_total"],
      ["POST", "/api/v1/import"],
      ["POST", "/api/v1/write"],
      ["GET", "/snapshot/create"],
      ["POST", "/snapshot/create"],
      ["GET", "/internal/force_merge"],
      ["GET", "/flags"],
      ["POST", "/vmui/../api/v1/admin/tsdb/delete_series?match[]=split_probe_total"],
      ["POST", "//api/v1/admin/tsdb/delete_series?match[]=split_probe_total"],
    ] as const;
    for (const [method, path] of refused) {
      const res = await viaTraefik(method, vm, path, method === "POST" ? `split_probe_total{x="1"} 1` : undefined);
      expect(`${method} ${path} → ${res.status}`).toBe(`${method} ${path} → 404`);
    }
    // The series is still there.
    const after = await viaTraefik("GET", vm, `/api/v1/query?${new URLSearchParams({ query: "split_probe_total", nocache: "1" })}`);
    expect(JSON.parse(after.body).data.result.length).toBeGreaterThan(0);
  });

  it("GIVEN the UI credentials WHEN VictoriaLogs' and Jaeger's write paths are asked for THEN they are refused, their read APIs answer", async () => {
    const logs = `logs.${DOMAIN}`;
    expect((await viaTraefik("GET", logs, "/select/logsql/query?query=*&limit=1")).status).toBe(200);
    for (const path of ["/insert/jsonline", "/insert/opentelemetry/v1/logs", "/internal/force_flush", "/internal/partition/list"]) {
      expect(`${path} → ${(await viaTraefik("POST", logs, path, "{}")).status}`).toBe(`${path} → 404`);
    }
    const jaeger = `jaeger.${DOMAIN}`;
    expect((await viaTraefik("GET", jaeger, "/api/services")).status).toBe(200);
    expect((await viaTraefik("POST", jaeger, `/api/archive/${"a".repeat(32)}`)).status).toBe(404);
  });

  it("GIVEN a container on the backend network WHEN it calls VictoriaMetrics' admin endpoints THEN they want the generated key, which the container holds only as a file", async () => {
    const vmName = `${env()}-victoriametrics`;
    const info = await inspect(vmName);
    const key = (await docker("exec", vmName, "cat", "/etc/victoriametrics/secrets/admin-auth-key")).trim();
    expect(key).toMatch(/^[A-Za-z0-9]{32}$/);
    // In no flag, env or label: the flags name the file.
    expect(JSON.stringify([info.Args, info.Config.Env, info.Config.Labels])).not.toContain(key);
    expect(info.Args).toContain("-deleteAuthKey=file:///etc/victoriametrics/secrets/admin-auth-key");
    const status = async (path: string) => {
      const script = `fetch("http://victoriametrics:8428${path}", { method: "POST" }).then((r) => console.log(r.status), (e) => console.log(String(e)))`;
      return (
        await docker(
          "run",
          "--rm",
          "--network",
          `${ingestNetwork()}-backend`,
          "--label",
          `obs.stack=${env()}`,
          "--entrypoint",
          "/usr/local/bin/node",
          images.grafana!,
          "-e",
          script,
        )
      ).trim();
    };
    expect(await status("/api/v1/admin/tsdb/delete_series?match[]=nothing_here")).toBe("401");
    expect(await status("/snapshot/create")).toBe("401");
    expect(await status(`/snapshot/list?authKey=${key}`)).toBe("200");
  });
});

describe("issue 20 on the real engine: read-only, non-root, CPU-bounded", () => {
  it("GIVEN every service WHEN inspected THEN its root filesystem is read-only with a tmpfs /tmp, its files come read-only from its config volume, and its CPU limit is the tier's", async () => {
    const { cpus } = TIERS.small;
    const expectedCpus: Record<string, number> = {
      "otel-collector": cpus.collector,
      "otel-collector-probe": cpus.probe,
      grafana: cpus.grafana,
      traefik: cpus.traefik,
      victoriametrics: cpus.backends,
      jaeger: cpus.backends,
      victorialogs: cpus.backends,
    };
    const services = (await containersOf(env())).filter((c) => !c.name.endsWith("-init") && !c.name.endsWith("-config"));
    expect(services.map((c) => c.name.replace(`${env()}-`, "")).sort()).toEqual(Object.keys(expectedCpus).sort());
    for (const c of services) {
      const info = await inspect(c.name);
      const role = c.name.replace(`${env()}-`, "");
      expect(info.HostConfig.ReadonlyRootfs, c.name).toBe(true);
      expect(Object.keys(info.HostConfig.Tmpfs ?? {}), c.name).toContain("/tmp");
      expect(info.HostConfig.NanoCpus / 1e9, c.name).toBe(expectedCpus[role]);
      for (const m of info.Mounts as { Name?: string; RW: boolean; Destination: string }[]) {
        if (m.Name?.includes("-config-")) expect(m.RW, `${c.name} ${m.Destination}`).toBe(false);
      }
      expect(c.running, c.name).toBe(true);
      if (c.health !== undefined) expect(c.health, c.name).toBe("healthy");
    }
    // Where there is a shell to try it: nothing outside the volumes and tmpfs is writable.
    for (const role of ["victoriametrics", "victorialogs", "jaeger", "traefik", "grafana"]) {
      const attempt = await docker("exec", `${env()}-${role}`, "sh", "-c", "touch /written 2>&1; touch /tmp/written && echo tmp-ok").catch(
        (e) => String(e.stdout ?? e),
      );
      expect(attempt, role).toMatch(/Read-only file system/);
      expect(attempt, role).toMatch(/tmp-ok/);
    }
  });

  it("GIVEN VictoriaLogs (root in its image) WHEN its processes are listed THEN it runs as nobody on the volume the init job handed to it", async () => {
    const uids = (await docker("top", `${env()}-victorialogs`, "-eo", "pid,uid"))
      .split("\n")
      .slice(1)
      .map((l) => Number(l.trim().split(/\s+/)[1]));
    expect(new Set(uids)).toEqual(new Set([65534]));
  });

  it("GIVEN the stack just deployed WHEN previewed again THEN nothing changes (carriers, tmpfs, CPU limits and networks read back as sent)", async () => {
    const preview = await deployed.stack.preview({ diff: true });
    expect(preview.changeSummary, preview.stdout.slice(-3000)).toEqual({ same: expect.any(Number) });
  });
});
