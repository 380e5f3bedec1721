/**
 * A prod-like stack on the real engine: Pulumi.prod.yaml with TLS from files (a certificate signed by
 * a CA made for this test), basic auth, a fixed subnet. Published on 127.0.0.1 only (tests send
 * traffic to loopback), under an environment named prod* so the production rules apply.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stackSettings } from "../../deploy/automation";
import { request } from "../../deploy/verify";
import { verifyTargetFor } from "../../deploy/verify-target";
import { formatReport, verifyStack } from "../../deploy/verify";
import { makeCertificates } from "../helpers/certificates";
import {
  containersOf,
  createStack,
  DeployedStack,
  docker,
  outputValue,
  prerequisites,
  purgeEnvironment,
  viaTraefik,
} from "../../bench/lib/deploy-harness";

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

  it("GIVEN TLS from files WHEN Grafana is fetched over HTTPS THEN the certificate verifies against the test CA", async () => {
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

  it("GIVEN the generated admin password WHEN logging in to Grafana THEN it is accepted, and a wrong one is not", async () => {
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

  it("GIVEN the deployed prod-like stack WHEN verify runs with the CA THEN every check passes", async () => {
    const values = Object.fromEntries(Object.entries(outputs).map(([k, o]) => [k, o.value]));
    const report = await verifyStack(verifyTargetFor(await stackSettings(deployed.stack), values, { caPem: ca }));
    expect(report.ok, formatReport(report)).toBe(true);
  });
});
