import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { INGEST_HTPASSWD_PATH, INGEST_TLS_CERT_PATH, INGEST_TLS_KEY_PATH, INGEST_USER, renderCollectorYaml } from "../../configs/collector";
import { htpasswdSha1Line, otlpHeadersEnv } from "../../configs/credentials";
import {
  renderTraefikStatic,
  TRAEFIK_BASIC_AUTH_USERS_PATH,
  TRAEFIK_CERT_PATH,
  TRAEFIK_DYNAMIC_ROUTES_PATH,
  TRAEFIK_KEY_PATH,
  upstreamCaPath,
} from "../../configs/traefik";
import { parseOtlpHeaders } from "../../deploy/verify-target";
import { makeCertificates } from "../helpers/certificates";
import { binary, freePorts, start, stopAll, tempDir, waitFor } from "../../bench/lib/harness";
import { LoopbackStack, loopbackStack, startBackend, startCollector } from "../../bench/lib/stack";

/**
 * Issue 20 item 3: with ingest TLS, every listener of the collector speaks it, the hop from Traefik
 * (ingest.route) included. The REAL collector with the rendered TLS receivers and the REAL Traefik
 * with the rendered routes (its serversTransport verifies the collector with ingest.tls.ca for the
 * name `otel-collector`): OTLP/HTTP through Traefik is accepted with the credentials; plain text to
 * the collector is refused; a Traefik given another CA refuses to forward (verification is real).
 */
const DOMAIN = "obs.example.test";
const UI = makeCertificates(`*.${DOMAIN}`, [`DNS:*.${DOMAIN}`]);
const INGEST = makeCertificates("otel-collector", ["DNS:otel-collector", "DNS:localhost", "IP:127.0.0.1"]);
const OTHER = makeCertificates("otel-collector", ["DNS:otel-collector"]);
const password = randomBytes(24).toString("base64url");
let stack: LoopbackStack;
const traefikPorts: Record<"good" | "wrongCa", { web: number; websecure: number; ping: number }> = {} as never;
const traefikOutput: Partial<Record<"good" | "wrongCa", () => string>> = {};

/** Run the real Traefik on the rendered config, with the collector's upstream CA file as given. */
async function startTraefik(name: "good" | "wrongCa", caPem: string): Promise<void> {
  const ports = await freePorts(["web", "websecure", "ping"] as const);
  traefikPorts[name] = ports;
  const root = tempDir(`traefik-${name}`);
  const local = (p: string) => path.join(root, p);
  const traefik = stack.plan.traefik!;
  const file = (p: string) => traefik.files.find((f) => f.path === p)!.content;
  const caPath = upstreamCaPath("otel-collector");
  // The rendered upload is the ingest CA: only the wrong-CA run replaces it.
  expect(file(caPath)).toBe(INGEST.ca);
  const routes = yaml.load(file(TRAEFIK_DYNAMIC_ROUTES_PATH)) as any;
  const router = routes.http.services["prod-otel-collector"].loadBalancer;
  expect(router.servers).toEqual([{ url: "https://otel-collector:4318" }]);
  expect(routes.http.serversTransports["prod-otel-collector"]).toEqual({ serverName: "otel-collector", rootCAs: [caPath] });
  // Only addresses and container paths differ from the upload: the collector is on 127.0.0.1 here.
  router.servers = [{ url: `https://127.0.0.1:${stack.collectorPorts.otlpHttp}` }];
  routes.http.serversTransports["prod-otel-collector"].rootCAs = [local(caPath)];
  routes.http.middlewares["prod-basic-auth"].basicAuth.usersFile = local(TRAEFIK_BASIC_AUTH_USERS_PATH);
  for (const p of [caPath, TRAEFIK_CERT_PATH, TRAEFIK_KEY_PATH, TRAEFIK_BASIC_AUTH_USERS_PATH, TRAEFIK_DYNAMIC_ROUTES_PATH, "/tls.yml"]) {
    fs.mkdirSync(path.dirname(local(p)), { recursive: true });
  }
  fs.writeFileSync(local(caPath), caPem);
  fs.writeFileSync(local(TRAEFIK_CERT_PATH), UI.cert);
  fs.writeFileSync(local(TRAEFIK_KEY_PATH), UI.key);
  fs.writeFileSync(local(TRAEFIK_BASIC_AUTH_USERS_PATH), "admin:{SHA}unused\n");
  fs.writeFileSync(local(TRAEFIK_DYNAMIC_ROUTES_PATH), yaml.dump(routes));
  fs.writeFileSync(
    local(path.join(path.dirname(TRAEFIK_DYNAMIC_ROUTES_PATH), "tls.yml")),
    yaml.dump({ tls: { certificates: [{ certFile: local(TRAEFIK_CERT_PATH), keyFile: local(TRAEFIK_KEY_PATH) }] } }),
  );
  const staticText = renderTraefikStatic({
    ...stack.plan.traefikConfig!,
    addresses: { web: `127.0.0.1:${ports.web}`, websecure: `127.0.0.1:${ports.websecure}`, ping: `127.0.0.1:${ports.ping}` },
    publicHttpsPort: ports.websecure,
  }).replace(path.dirname(TRAEFIK_DYNAMIC_ROUTES_PATH), local(path.dirname(TRAEFIK_DYNAMIC_ROUTES_PATH)));
  fs.writeFileSync(local("traefik.yml"), staticText);
  const proc = start(`traefik-${name}`, binary("traefik"), [`--configFile=${local("traefik.yml")}`]);
  traefikOutput[name] = () => proc.output();
  await waitFor(
    `Traefik (${name}) ping`,
    async () => ((await fetch(`http://127.0.0.1:${ports.ping}/ping`).catch(() => undefined))?.ok ? true : undefined),
    60_000,
  );
  expect(proc.exited()).toBe(false);
}

beforeAll(async () => {
  stack = await loopbackStack({
    environment: "prod",
    domain: DOMAIN,
    exposure: { bindAddress: "127.0.0.1", ports: { http: 80, https: 443 } },
    traefik: { tls: { mode: "files", certificate: UI.cert, key: UI.key }, basicAuth: true },
    ingest: { route: true, tls: { mode: "files", certificate: INGEST.cert, key: INGEST.key, ca: INGEST.ca } },
  });
  // The collector's three secret files, written where the container would get them (here: locally).
  const secrets = tempDir("route-tls-secrets");
  const local = { htpasswd: path.join(secrets, "htpasswd"), cert: path.join(secrets, "tls.crt"), key: path.join(secrets, "tls.key") };
  fs.writeFileSync(local.htpasswd, `${htpasswdSha1Line(INGEST_USER, password)}\n`, { mode: 0o600 });
  fs.writeFileSync(local.cert, INGEST.cert);
  fs.writeFileSync(local.key, INGEST.key, { mode: 0o600 });
  expect(stack.plan.collectorConfig.ingest).toEqual({
    htpasswdFile: INGEST_HTPASSWD_PATH,
    tls: { certFile: INGEST_TLS_CERT_PATH, keyFile: INGEST_TLS_KEY_PATH },
  });
  fs.writeFileSync(
    stack.collectorConfigPath,
    renderCollectorYaml(
      {
        ...stack.plan.collectorConfig,
        bind: "127.0.0.1",
        ports: stack.collectorPorts,
        queueDirectory: stack.queueDir,
        ingest: { htpasswdFile: local.htpasswd, tls: { certFile: local.cert, keyFile: local.key } },
      },
      stack.settings.exporters,
    ),
  );
  await startBackend(stack, "metrics");
  await startBackend(stack, "traces");
  await startCollector(stack);
  await startTraefik("good", INGEST.ca);
  await startTraefik("wrongCa", OTHER.ca);
}, 240_000);

afterAll(async () => {
  await stopAll();
});

/** POST an empty OTLP/HTTP metrics export: through a Traefik by Host over its TLS, or straight to the collector. */
function post(
  target: { via: "good" | "wrongCa" } | { direct: "https" | "http" },
  headers: Record<string, string>,
): Promise<number | string> {
  const direct = "direct" in target;
  const client = direct && target.direct === "http" ? http : https;
  return new Promise((resolve) => {
    const req = client.request(
      {
        host: "127.0.0.1",
        port: direct ? stack.collectorPorts.otlpHttp : traefikPorts[target.via].websecure,
        path: "/v1/metrics",
        method: "POST",
        ...(direct ? { ca: INGEST.ca, servername: "otel-collector" } : { ca: UI.ca, servername: `otlp.${DOMAIN}` }),
        headers: { ...(direct ? {} : { Host: `otlp.${DOMAIN}` }), "Content-Type": "application/json", ...headers },
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? String(e)));
    req.end("{}");
  });
}

describe("ingest TLS on every listener, Traefik's hop included (ingest.route)", () => {
  const credentials = () => parseOtlpHeaders(otlpHeadersEnv(INGEST_USER, password));

  it("GIVEN the rendered routes WHEN OTLP/HTTP is posted through Traefik THEN it reaches the collector over TLS: 401 without credentials, 200 with them", async () => {
    expect(await post({ via: "good" }, {})).toBe(401);
    expect(await post({ via: "good" }, credentials())).toBe(200);
  });

  it("GIVEN the collector's HTTP receiver WHEN a client speaks plain text to it THEN nothing is accepted; over TLS with the CA it is", async () => {
    const plain = await post({ direct: "http" }, credentials());
    // Go's TLS server answers a plain-text request with 400 ("client sent an HTTP request to an HTTPS server").
    expect(plain).toBe(400);
    expect(await post({ direct: "https" }, credentials())).toBe(200);
  });

  it("GIVEN a Traefik that trusts another CA WHEN it forwards THEN it refuses the collector's certificate (verification is never skipped)", async () => {
    const status = await post({ via: "wrongCa" }, credentials());
    expect(status).toBe(500);
  });

  it("GIVEN every rendered router (path-limited backends, the TLS upstream) WHEN Traefik loaded them THEN it logged no configuration error", () => {
    const errors = traefikOutput.good!()
      .split("\n")
      .filter((line) => /"level":"error"/.test(line) && !/x509|certificate signed by unknown authority/.test(line));
    expect(errors).toEqual([]);
  });
});
