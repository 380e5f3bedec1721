import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import * as path from "node:path";
import * as tls from "node:tls";
import * as yaml from "js-yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { planStack } from "../../configs/stack";
import {
  renderTraefikStatic,
  TRAEFIK_BASIC_AUTH_USERS_PATH,
  TRAEFIK_CERT_PATH,
  TRAEFIK_DYNAMIC_DIR,
  TRAEFIK_DYNAMIC_ROUTES_PATH,
  TRAEFIK_DYNAMIC_TLS_PATH,
  TRAEFIK_KEY_PATH,
} from "../../configs/traefik";
import { parseSettings } from "../../settings";
import { binary, freePorts, Proc, start, stopAll, tempDir, waitFor } from "../../bench/lib/harness";
import { makeCertificates } from "../helpers/certificates";

/**
 * The real Traefik (built at the pinned image's version) runs the rendered static and dynamic config
 * (the program's own Traefik routes from files, no Docker socket): TLS from files, the HTTP→HTTPS
 * redirect, ping, the routers and the basic-auth users file.
 */
const DOMAIN = "obs.example.test";
let proc: Proc;
let ports: { web: number; websecure: number; ping: number; upstream: number };
let upstream: http.Server;
let certPem: string;
const PASSWORD = "correct horse battery staple";

function get(
  url: string,
  options: { host: string; auth?: string },
): Promise<{ status: number; location?: string; body: string; certFingerprint?: string }> {
  const target = new URL(url);
  const client = target.protocol === "https:" ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.request(
      {
        hostname: "127.0.0.1",
        port: target.port,
        path: target.pathname,
        headers: {
          Host: options.host,
          ...(options.auth ? { Authorization: `Basic ${Buffer.from(options.auth).toString("base64")}` } : {}),
        },
        servername: options.host,
        rejectUnauthorized: false,
      },
      (response) => {
        const socket = response.socket as tls.TLSSocket | null;
        const certFingerprint =
          socket && typeof socket.getPeerCertificate === "function" ? socket.getPeerCertificate().fingerprint256 : undefined;
        let body = "";
        response.on("data", (c) => (body += c));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, location: response.headers.location, body, certFingerprint }));
      },
    );
    request.on("error", reject);
    request.end();
  });
}

describe("the real Traefik runs the rendered static config", () => {
  beforeAll(async () => {
    ports = await freePorts(["web", "websecure", "ping", "upstream"] as const);
    // A certificate for the stack's domain signed by a CA made for this test, as a user would
    // provide it (traefik.tls files): real PEMs, which settings check as such.
    const certs = makeCertificates(`*.${DOMAIN}`, [`DNS:*.${DOMAIN}`]);
    const settings = parseSettings({
      environment: "prod",
      domain: DOMAIN,
      exposure: { bindAddress: "0.0.0.0", ports: { http: 80, https: 443 } },
      traefik: { tls: { mode: "files", certificate: certs.cert, key: certs.key }, basicAuth: true },
    });
    const plan = planStack(settings);
    const root = tempDir("traefik");
    const local = (p: string) => path.join(root, p);
    fs.mkdirSync(path.dirname(local(TRAEFIK_CERT_PATH)), { recursive: true });
    fs.writeFileSync(local(TRAEFIK_CERT_PATH), certs.cert);
    fs.writeFileSync(local(TRAEFIK_KEY_PATH), certs.key, { mode: 0o600 });
    certPem = fs.readFileSync(local(TRAEFIK_CERT_PATH), "utf8");

    upstream = http.createServer((req, res) => res.end(`upstream saw ${req.headers.host}`)).listen(ports.upstream, "127.0.0.1");
    const upstreamUrl = `http://127.0.0.1:${ports.upstream}`;

    // The rendered routes (Grafana with its own login, Jaeger and VictoriaMetrics behind basic auth),
    // exactly as uploaded; only the upstream addresses (stack aliases) and container paths differ here.
    const rendered = (p: string) => plan.traefik!.files.find((f) => f.path === p)!.content;
    const localPaths = (text: string) =>
      [TRAEFIK_CERT_PATH, TRAEFIK_KEY_PATH, TRAEFIK_BASIC_AUTH_USERS_PATH, TRAEFIK_DYNAMIC_DIR].reduce(
        (t, p) => t.split(p).join(local(p)),
        text,
      );
    const routesText = rendered(TRAEFIK_DYNAMIC_ROUTES_PATH).replace(/url: http:\/\/[a-z0-9-]+:\d+/g, `url: ${upstreamUrl}`);
    expect(yaml.load(routesText)).toHaveProperty(["http", "routers", "prod-jaeger", "middlewares"], ["prod-basic-auth"]);
    fs.mkdirSync(local(TRAEFIK_DYNAMIC_DIR), { recursive: true });
    fs.writeFileSync(local(TRAEFIK_DYNAMIC_ROUTES_PATH), localPaths(routesText));
    fs.writeFileSync(local(TRAEFIK_DYNAMIC_TLS_PATH), localPaths(rendered(TRAEFIK_DYNAMIC_TLS_PATH)));
    // The program uploads `admin:<bcrypt>` here (a secret file); Traefik accepts {SHA} hashes the same way.
    fs.mkdirSync(path.dirname(local(TRAEFIK_BASIC_AUTH_USERS_PATH)), { recursive: true });
    fs.writeFileSync(local(TRAEFIK_BASIC_AUTH_USERS_PATH), `admin:{SHA}${createHash("sha1").update(PASSWORD).digest("base64")}\n`);
    const staticText = localPaths(
      renderTraefikStatic({
        ...plan.traefikConfig!,
        addresses: { web: `127.0.0.1:${ports.web}`, websecure: `127.0.0.1:${ports.websecure}`, ping: `127.0.0.1:${ports.ping}` },
        publicHttpsPort: ports.websecure,
      }),
    );
    // Only the addresses (and container paths) differ from what the container gets.
    expect(staticText.replace(/127\.0\.0\.1:\d+/g, "X").replace(`to: :${ports.websecure}`, "PUBLIC")).toEqual(
      localPaths(rendered("/etc/traefik/traefik.yml"))
        .replace(/(:8000|:8443|127\.0\.0\.1:8082)\b/g, "X")
        .replace(`to: :${plan.traefikConfig!.publicHttpsPort}`, "PUBLIC"),
    );
    fs.writeFileSync(local("traefik.yml"), staticText);
    proc = start("traefik", binary("traefik"), [`--configFile=${local("traefik.yml")}`]);
    await waitFor("Traefik ping", async () => ((await fetch(`http://127.0.0.1:${ports.ping}/ping`)).ok ? true : undefined), 60_000);
    // Routers come up once the file provider is read.
    await waitFor(
      "the grafana router",
      async () => ((await get(`https://127.0.0.1:${ports.websecure}/`, { host: `grafana.${DOMAIN}` })).status === 200 ? true : undefined),
      30_000,
    );
  });

  afterAll(async () => {
    upstream?.close();
    await stopAll();
  });

  it("GIVEN plain HTTP WHEN a UI is requested THEN Traefik redirects to HTTPS permanently", async () => {
    const response = await get(`http://127.0.0.1:${ports.web}/login`, { host: `grafana.${DOMAIN}` });
    expect([301, 308]).toContain(response.status);
    // Traefik redirects to the published HTTPS port (here the test's; 443 in prod), not the entrypoint's 8443.
    expect(response.location).toBe(`https://grafana.${DOMAIN}:${ports.websecure}/login`);
  });

  it("GIVEN the certificate from traefik.tls WHEN HTTPS is served THEN it is that certificate", async () => {
    const response = await get(`https://127.0.0.1:${ports.websecure}/`, { host: `grafana.${DOMAIN}` });
    const expected = new (require("node:crypto").X509Certificate)(certPem).fingerprint256;
    expect(response.certFingerprint).toBe(expected);
    expect(response.body).toBe(`upstream saw grafana.${DOMAIN}`);
  });

  it("GIVEN Jaeger's router WHEN requested without credentials THEN 401, with the basic-auth password THEN it reaches Jaeger", async () => {
    expect((await get(`https://127.0.0.1:${ports.websecure}/`, { host: `jaeger.${DOMAIN}` })).status).toBe(401);
    expect((await get(`https://127.0.0.1:${ports.websecure}/`, { host: `jaeger.${DOMAIN}`, auth: "admin:wrong" })).status).toBe(401);
    const ok = await get(`https://127.0.0.1:${ports.websecure}/`, { host: `jaeger.${DOMAIN}`, auth: `admin:${PASSWORD}` });
    expect(ok.status).toBe(200);
    expect(ok.body).toBe(`upstream saw jaeger.${DOMAIN}`);
  });

  it("GIVEN VictoriaMetrics' route WHEN the read API, then its admin and write paths are asked for with the password THEN the first reach it, the others get Traefik's 404", async () => {
    const send = (rawPath: string) =>
      new Promise<number>((resolve, reject) => {
        // The raw path, as a client may send it: `new URL` would clean `..` before Traefik sees it.
        const req = https.request(
          {
            hostname: "127.0.0.1",
            port: ports.websecure,
            path: rawPath,
            method: "POST",
            servername: `vm.${DOMAIN}`,
            rejectUnauthorized: false,
            headers: { Host: `vm.${DOMAIN}`, Authorization: `Basic ${Buffer.from(`admin:${PASSWORD}`).toString("base64")}` },
          },
          (res) => {
            res.resume();
            res.on("end", () => resolve(res.statusCode ?? 0));
          },
        );
        req.on("error", reject);
        req.end();
      });
    for (const p of ["/api/v1/query?query=up", "/prometheus/api/v1/query_range", "/api/v1/label/job/values", "/vmui/"])
      expect(`${p} ${await send(p)}`).toBe(`${p} 200`);
    for (const p of [
      "/api/v1/admin/tsdb/delete_series",
      "/api/v1/import",
      "/snapshot/create",
      "/api/v1/write",
      "/vmui/../api/v1/admin/tsdb/delete_series",
      "/vmui/%2e%2e/api/v1/import",
      "//api/v1/admin/tsdb/delete_series",
    ])
      expect(`${p} ${await send(p)}`).toBe(`${p} 404`);
  });

  it("GIVEN a host the stack does not route WHEN requested THEN 404", async () => {
    expect((await get(`https://127.0.0.1:${ports.websecure}/`, { host: `unknown.${DOMAIN}` })).status).toBe(404);
  });

  it("GIVEN the rendered config WHEN Traefik runs it THEN it logged no configuration error", () => {
    const errors = proc
      .output()
      .split("\n")
      .filter((line) => /"level":"error"/.test(line) && !/docker/i.test(line));
    expect(errors).toEqual([]);
  });
});
