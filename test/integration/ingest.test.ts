import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { INGEST_HTPASSWD_PATH, INGEST_TLS_CERT_PATH, INGEST_TLS_KEY_PATH, INGEST_USER, renderCollectorYaml } from "../../configs/collector";
import { basicAuthorization, htpasswdSha1Line, otlpHeadersEnv } from "../../configs/credentials";
import { parseOtlpHeaders } from "../../deploy/verify-target";
import { makeCertificates } from "../helpers/certificates";
import { postOtlpJson } from "../helpers/otlp-post";
import { OtelClient, Protocol } from "../../bench/lib/client";
import { Proc, stopAll, tempDir } from "../../bench/lib/harness";
import { LoopbackStack, loopbackStack, startBackend, startCollector } from "../../bench/lib/stack";

/**
 * OTLP that is reachable off loopback, as the program renders it: the REAL collector with the
 * basicauth extension on both receivers and TLS from files (a certificate signed by a CA made for
 * this test), the real OpenTelemetry JS SDK as the client. Unauthenticated exports are refused,
 * authenticated ones accepted; the secrets are written where the container would get them.
 */
let stack: LoopbackStack;
let procs: Proc[] = [];
let ca: string;
const password = randomBytes(24).toString("base64url");

beforeAll(async () => {
  const certs = makeCertificates("127.0.0.1", ["IP:127.0.0.1", "DNS:localhost"]);
  ca = certs.ca;
  stack = await loopbackStack({
    environment: "it",
    ingest: { auth: "basic", tls: { mode: "files", certificate: certs.cert, key: certs.key, ca: certs.ca } },
  });
  // What the program plans: the container paths of the three secret files.
  expect(stack.plan.collectorConfig.ingest).toEqual({
    htpasswdFile: INGEST_HTPASSWD_PATH,
    tls: { certFile: INGEST_TLS_CERT_PATH, keyFile: INGEST_TLS_KEY_PATH },
  });
  // The same files, written locally with the values the component would upload.
  const secrets = tempDir("ingest-secrets");
  const local = { htpasswd: path.join(secrets, "htpasswd"), cert: path.join(secrets, "tls.crt"), key: path.join(secrets, "tls.key") };
  fs.writeFileSync(local.htpasswd, `${htpasswdSha1Line(INGEST_USER, password)}\n`, { mode: 0o600 });
  fs.writeFileSync(local.cert, certs.cert);
  fs.writeFileSync(local.key, certs.key, { mode: 0o600 });
  const config = {
    ...stack.plan.collectorConfig,
    bind: "127.0.0.1",
    ports: stack.collectorPorts,
    queueDirectory: stack.queueDir,
    ingest: { htpasswdFile: local.htpasswd, tls: { certFile: local.cert, keyFile: local.key } },
  };
  fs.writeFileSync(stack.collectorConfigPath, renderCollectorYaml(config, stack.settings.exporters));
  procs = [(await startBackend(stack, "metrics")).proc, (await startBackend(stack, "traces")).proc];
  procs.push(await startCollector(stack));
});

afterAll(async () => {
  await stopAll();
});

function client(protocol: Protocol, options: { headers?: Record<string, string>; tls?: boolean } = {}) {
  const c = new OtelClient({
    protocol,
    grpcPort: stack.collectorPorts.otlpGrpc,
    httpPort: stack.collectorPorts.otlpHttp,
    serviceName: `ingest-${protocol}`,
    timeoutMillis: 5_000,
    headers: options.headers,
    caPem: options.tls === false ? undefined : ca,
  });
  c.meter().createCounter("ingest.probe").add(1);
  return c;
}

const post = (headers: Record<string, string>) => postOtlpJson({ port: stack.collectorPorts.otlpHttp, ca }, headers);

describe("OTLP ingest on the real collector: basic auth and TLS", () => {
  it("GIVEN no credentials WHEN an OTLP/HTTP request arrives THEN the collector answers 401, and with the right ones 200", async () => {
    expect(await post({})).toBe(401);
    expect(await post({ Authorization: basicAuthorization(INGEST_USER, "wrong") })).toBe(401);
    expect(await post({ Authorization: basicAuthorization("admin", password) })).toBe(401);
    expect(await post({ Authorization: basicAuthorization(INGEST_USER, password) })).toBe(200);
  });

  it.each(["grpc", "http"] as const)(
    "GIVEN the SDK over %s WHEN it exports without, with wrong and with the exported headers THEN only the last is acknowledged",
    async (protocol) => {
      const headers = parseOtlpHeaders(otlpHeadersEnv(INGEST_USER, password));
      const anonymous = client(protocol);
      const wrong = client(protocol, { headers: { Authorization: basicAuthorization(INGEST_USER, `${password}x`) } });
      const allowed = client(protocol, { headers });
      try {
        expect(await anonymous.exportMetricsNow()).toBe(false);
        expect(await wrong.exportMetricsNow()).toBe(false);
        expect(await allowed.exportMetricsNow()).toBe(true);
      } finally {
        await Promise.all([anonymous.shutdown(), wrong.shutdown(), allowed.shutdown()]);
      }
    },
  );

  it.each(["grpc", "http"] as const)(
    "GIVEN TLS on the receivers WHEN the SDK sends %s in plain text with the right credentials THEN nothing is accepted",
    async (protocol) => {
      const plain = client(protocol, { headers: parseOtlpHeaders(otlpHeadersEnv(INGEST_USER, password)), tls: false });
      try {
        expect(await plain.exportMetricsNow()).toBe(false);
      } finally {
        await plain.shutdown();
      }
    },
  );

  it("GIVEN the collector's own endpoints WHEN probed in the network THEN health answers without credentials (never published)", async () => {
    const response = await fetch(`http://127.0.0.1:${stack.collectorPorts.health}/`);
    expect(response.status).toBe(200);
    expect(procs.every((p) => !p.exited())).toBe(true);
  });
});
