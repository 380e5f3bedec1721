/**
 * A prod-like stack on the real engine: Pulumi.prod.yaml with TLS from files (a certificate signed by
 * a CA made for this test), basic auth, a fixed subnet. Published on 127.0.0.1 only (tests send
 * traffic to loopback), under an environment named prod* so the production rules apply.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OtelClient } from "../../bench/lib/client";
import {
  containersOf,
  createStack,
  DeployedStack,
  docker,
  outputValue,
  prerequisites,
  promQuery,
  purgeEnvironment,
  viaTraefik,
} from "../../bench/lib/deploy-harness";
import { waitFor } from "../../bench/lib/harness";
import { purgeVolumes, stackSettings, stackVolumes } from "../../deploy/automation";
import { formatReport, request, verifyStack } from "../../deploy/verify";
import { parseOtlpHeaders, verifyTargetFor } from "../../deploy/verify-target";
import { makeCertificates } from "../helpers/certificates";
import { postOtlpJson } from "../helpers/otlp-post";

const DOMAIN = "obs.example.com";
let deployed: DeployedStack;
let outputs: Awaited<ReturnType<DeployedStack["up"]>>;
let ca: string;
let subnet: string;

/** A /24 in 172.30.0.0/16 no Docker network uses yet. */
async function freeSubnet(): Promise<string> {
  const used = await docker(
    "network",
    "inspect",
    "--format",
    "{{range .IPAM.Config}}{{.Subnet}} {{end}}",
    ...(await docker("network", "ls", "-q")).split("\n"),
  );
  for (let i = 0; i < 50; i++) {
    const candidate = `172.30.${10 + Math.floor(Math.random() * 240)}.0/24`;
    if (!used.includes(candidate)) return candidate;
  }
  throw new Error("no free subnet in 172.30.0.0/16");
}

beforeAll(async () => {
  const { toolchain, images } = await prerequisites();
  const certs = makeCertificates(`*.${DOMAIN}`, [`DNS:*.${DOMAIN}`, `DNS:${DOMAIN}`]);
  ca = certs.ca;
  subnet = await freeSubnet();
  deployed = await createStack(
    "prod",
    toolchain,
    images,
    { tier: "small", network: { subnet }, traefik: { mode: "managed", tls: { mode: "files", email: undefined }, basicAuth: true } },
    { "traefik.tls.certificate": certs.cert, "traefik.tls.key": certs.key },
    certs.ca,
  );
  outputs = await deployed.up();
});

afterAll(async () => {
  if (!deployed) return;
  await deployed.destroy().catch(() => undefined);
  await purgeEnvironment(deployed.environment);
  await deployed.stack.workspace.removeStack(deployed.environment).catch(() => undefined);
});

describe("prod-like stack on the real engine", () => {
  const https = (host: string, auth?: { username: string; password: string }) => viaTraefik(deployed, host, { tls: true, caPem: ca, auth });
  const basicAuth = () => ({ username: "admin", password: String(outputValue(outputs, "basicAuthPassword")) });

  it("GIVEN TLS from files WHEN the Grafana stand-in is fetched over HTTPS THEN the certificate verifies against the test CA", async () => {
    expect(outputValue(outputs, "grafanaUrl")).toBe(`https://grafana.${DOMAIN}`);
    const response = await request(https(`grafana.${DOMAIN}`), "/api/health");
    expect(response.status).toBe(200);
  });

  it("GIVEN plain HTTP WHEN any UI is asked for THEN Traefik redirects to HTTPS", async () => {
    const response = await request(viaTraefik(deployed, `grafana.${DOMAIN}`), "/login");
    expect([301, 308]).toContain(response.status);
  });

  it("GIVEN basic auth WHEN VictoriaMetrics is asked without, then with, the generated credentials THEN 401, then 200", async () => {
    expect(outputs.basicAuthPassword!.secret).toBe(true);
    expect((await request(https(`vm.${DOMAIN}`), "/api/v1/labels")).status).toBe(401);
    expect((await request(https(`vm.${DOMAIN}`, { username: "admin", password: "wrong" }), "/api/v1/labels")).status).toBe(401);
    expect((await request(https(`vm.${DOMAIN}`, basicAuth()), "/api/v1/labels")).status).toBe(200);
    expect((await request(https(`jaeger.${DOMAIN}`), "/api/services")).status).toBe(401);
  });

  it("GIVEN the generated admin password WHEN logging in to the Grafana stand-in THEN it is accepted, and a wrong one is not", async () => {
    const password = String(outputValue(outputs, "grafanaAdminPassword"));
    expect(outputs.grafanaAdminPassword!.secret).toBe(true);
    const ok = await request(https(`grafana.${DOMAIN}`, { username: "admin", password }), "/api/user");
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body).login).toBe("admin");
    expect((await request(https(`grafana.${DOMAIN}`, { username: "admin", password: "admin" }), "/api/user")).status).toBe(401);
  });

  it("GIVEN a fixed subnet WHEN the network is inspected THEN it has that subnet and every container an address in it", async () => {
    const network = JSON.parse(await docker("network", "inspect", `obs-${deployed.environment}`))[0];
    expect(network.IPAM.Config[0].Subnet).toBe(subnet);
    const prefix = subnet.replace(/\.0\/24$/, ".");
    for (const address of Object.values<any>(network.Containers).map((c) => String(c.IPv4Address)))
      expect(address.startsWith(prefix)).toBe(true);
    const containers = await containersOf(deployed.environment);
    for (const c of containers.filter((c) => !c.name.endsWith("-init")))
      if (c.health !== undefined) expect(c.health, c.name).toBe("healthy");
  });

  it("GIVEN the running prod-like stack WHEN its processes are listed THEN none runs as root: VictoriaMetrics (root in its image) as nobody, the Grafana stand-in 472, Traefik nobody, the collector 10001", async () => {
    const env = deployed.environment;
    // Host ps through `docker top`: every process of each container.
    for (const [container, uid] of [
      [`${env}-victoriametrics`, 65534],
      [`${env}-grafana`, 472],
      [`${env}-traefik`, 65534],
      [`${env}-otel-collector`, 10001],
    ] as const) {
      // Docker needs the pid column in `docker top`'s ps output.
      const uids = (await docker("top", container, "-eo", "pid,uid"))
        .split("\n")
        .slice(1)
        .map((l) => Number(l.trim().split(/\s+/)[1]));
      expect(new Set(uids), container).toEqual(new Set([uid]));
    }
  });

  it("GIVEN the deployed prod-like stack WHEN verify runs with the CA THEN every check passes", async () => {
    const values = Object.fromEntries(Object.entries(outputs).map(([k, o]) => [k, o.value]));
    const report = await verifyStack(verifyTargetFor(await stackSettings(deployed.stack), values, { caPem: ca }));
    expect(report.ok, formatReport(report)).toBe(true);
  });
});

/** OTLP/HTTP through Traefik to otlp.<domain> (TLS from the test CA): the status it gets. */
const postOtlp = (headers: Record<string, string>) => postOtlpJson({ port: deployed.ports.https, ca, host: `otlp.${DOMAIN}` }, headers);

describe("prod-like: authenticated ingest, data that survives, a password that changes", () => {
  const https_ = (host: string, auth?: { username: string; password: string }) =>
    viaTraefik(deployed, host, { tls: true, caPem: ca, auth });
  const vm = () => https_(`vm.${DOMAIN}`, { username: "admin", password: String(outputValue(outputs, "basicAuthPassword")) });
  const headers = () => parseOtlpHeaders(String(outputValue(outputs, "otlpHeaders")));
  const series = async (marker: string) => (await promQuery(vm(), `deploy_probe_total{marker="${marker}"}`)).length;

  async function emit(marker: string, withHeaders: boolean): Promise<boolean> {
    const client = new OtelClient({
      protocol: "grpc",
      grpcPort: deployed.ports.otlpGrpc,
      httpPort: deployed.ports.otlpHttp,
      serviceName: "prodlike-app",
      ...(withHeaders ? { headers: headers() } : {}),
    });
    client.meter().createCounter("deploy.probe").add(1, { marker });
    try {
      return await client.exportMetricsNow();
    } finally {
      await client.shutdown();
    }
  }

  it("GIVEN OTLP routed through Traefik WHEN posted without, with wrong and with the exported credentials THEN 401, 401, 200", async () => {
    expect(outputValue(outputs, "otlpHttpEndpoint")).toBe(`https://otlp.${DOMAIN}`);
    expect(outputs.otlpHeaders!.secret).toBe(true);
    expect(await postOtlp({})).toBe(401);
    expect(await postOtlp({ Authorization: `Basic ${Buffer.from("otlp:wrong").toString("base64")}` })).toBe(401);
    expect(await postOtlp(headers())).toBe(200);
  });

  it("GIVEN the collector's published gRPC port WHEN the SDK exports without, then with, the headers THEN only the second is acknowledged and stored", async () => {
    expect(await emit("anonymous", false)).toBe(false);
    expect(await emit("kept", true)).toBe(true);
    await waitFor("the metric in VictoriaMetrics", async () => ((await series("kept")) > 0 ? true : undefined), 90_000, 1_000);
    expect(await series("anonymous")).toBe(0);
  });

  it("GIVEN data in VictoriaMetrics and Jaeger WHEN metrics swap to Prometheus and traces to memory storage, and back THEN both volumes were kept and the data is there again", async () => {
    const jaeger = () => https_(`jaeger.${DOMAIN}`, { username: "admin", password: String(outputValue(outputs, "basicAuthPassword")) });
    const client = new OtelClient({
      protocol: "grpc",
      grpcPort: deployed.ports.otlpGrpc,
      httpPort: deployed.ports.otlpHttp,
      serviceName: "prodlike-app",
      headers: headers(),
    });
    const span = client.tracer().startSpan("kept-span");
    const traceId = span.spanContext().traceId;
    span.end();
    await client.flushSpans();
    await client.shutdown();
    const traceStored = async () => {
      const res = await request(jaeger(), `/api/traces/${traceId}`);
      return res.status === 200 && (JSON.parse(res.body).data?.length ?? 0) > 0 ? true : undefined;
    };
    await waitFor("the span in Jaeger (badger)", traceStored, 90_000, 1_000);

    const env = deployed.environment;
    await deployed.reconfigure({ metrics: { backend: "prometheus", retention: "90d" }, traces: { storage: "memory" } });
    outputs = await deployed.up();
    expect(await stackVolumes(env)).toEqual(expect.arrayContaining([`${env}-victoriametrics-data`, `${env}-jaeger-data`]));
    expect((await containersOf(env)).map((c) => c.name)).not.toContain(`${env}-victoriametrics`);
    await deployed.reconfigure({ metrics: { backend: "victoriametrics", retention: "90d" }, traces: { storage: "badger" } });
    outputs = await deployed.up();
    await waitFor("the old metric after the swap back", async () => ((await series("kept")) > 0 ? true : undefined), 90_000, 1_000);
    await waitFor("the old span after badger is back", traceStored, 90_000, 1_000);
  });

  it("GIVEN a running Grafana stand-in WHEN grafana.adminPassword changes THEN (the program's reset-admin-password entrypoint) the new password logs in and the old one no longer does", async () => {
    const old = String(outputValue(outputs, "grafanaAdminPassword"));
    const changed = `changed-${Date.now()}-password`;
    await deployed.reconfigure({}, { "grafana.adminPassword": changed });
    outputs = await deployed.up();
    expect(outputValue(outputs, "grafanaAdminPassword")).toBe(changed);
    const login = async (password: string) =>
      (await request(https_(`grafana.${DOMAIN}`, { username: "admin", password }), "/api/user")).status;
    expect(await login(changed)).toBe(200);
    expect(await login(old)).toBe(401);
  });

  it("GIVEN prod's kept data WHEN destroyed THEN no container is left but every volume is, and the purge path removes them", async () => {
    const before = await stackVolumes(deployed.environment);
    await deployed.destroy();
    expect(await containersOf(deployed.environment, true)).toEqual([]);
    expect(await stackVolumes(deployed.environment)).toEqual(before);
    expect(before.length).toBeGreaterThanOrEqual(4);
    expect(await purgeVolumes(deployed.environment)).toEqual(before);
    expect(await stackVolumes(deployed.environment)).toEqual([]);
  });
});
