import * as yaml from "js-yaml";
import { describe, expect, it } from "vitest";
import { extraExporterPlans, GRPC_READ_BUFFER_BYTES } from "../configs/collector";
import { basicAuthorization, htpasswdSha1Line, otlpHeadersEnv } from "../configs/credentials";
import { planStack } from "../configs/stack";
import { ConfigError, parseSettings } from "../settings";
import { makeCertificates } from "./helpers/certificates";

// A real CA and server certificate (openssl): the files are checked as PEM, parsed and matched.
const CERTS = makeCertificates("127.0.0.1", ["IP:127.0.0.1", "DNS:localhost", "DNS:otlp.example.com"]);
const CERT = CERTS.cert;
const KEY = CERTS.key;

function problemsOf(raw: Record<string, unknown>): string[] {
  try {
    parseSettings({ environment: "dev", ...raw });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((p) => `${p.path}: ${p.message}`);
    throw error;
  }
  return [];
}

function collectorOf(raw: Record<string, unknown>) {
  const plan = planStack(parseSettings({ environment: "dev", ...raw }));
  const config = yaml.load(plan.collector.files.find((f) => f.path.endsWith("config.yaml"))!.content) as any;
  return { plan, config };
}

describe("OTLP ingest: who may send, over what", () => {
  it("GIVEN OTLP published on loopback only (dev) WHEN rendered THEN the receivers take no credentials and nothing asks for them", () => {
    const { plan, config } = collectorOf({});
    expect(config.receivers.otlp.protocols.grpc).toEqual({
      endpoint: "0.0.0.0:4317",
      read_buffer_size: GRPC_READ_BUFFER_BYTES,
      max_recv_msg_size_mib: 32,
    });
    expect(config.extensions["basicauth/ingest"]).toBeUndefined();
    expect(plan.outputs.otlpHeaders).toBeUndefined();
  });

  it("GIVEN OTLP published on 0.0.0.0 with TLS files WHEN rendered THEN both protocols need credentials and TLS, and the clients get headers and the CA", () => {
    const { plan, config } = collectorOf({
      exposure: { bindAddress: "0.0.0.0", ports: { otlpGrpc: 4317, otlpHttp: 4318 } },
      traefik: { mode: "none" },
      ingest: { tls: { mode: "files", certificate: CERT, key: KEY, ca: CERTS.ca } },
    });
    for (const protocol of ["grpc", "http"]) {
      expect(config.receivers.otlp.protocols[protocol]).toMatchObject({
        auth: { authenticator: "basicauth/ingest" },
        tls: {
          cert_file: "/etc/otelcol-contrib/secrets/ingest-tls.crt",
          key_file: "/etc/otelcol-contrib/secrets/ingest-tls.key",
          min_version: "1.2",
        },
      });
    }
    expect(plan.collector.secretFiles.map((f) => f.path)).toEqual(
      expect.arrayContaining([
        "/etc/otelcol-contrib/secrets/ingest-htpasswd",
        "/etc/otelcol-contrib/secrets/ingest-tls.crt",
        "/etc/otelcol-contrib/secrets/ingest-tls.key",
      ]),
    );
    // The rendered file references the secrets by path; the values never appear in it.
    expect(plan.collector.files[0]!.content).not.toContain(KEY.split("\n")[1]);
    // 0.0.0.0 is no address to connect to: the endpoint names the certificate's first name others can use.
    expect(plan.outputs.otlpHttpEndpoint).toBe("https://otlp.example.com:4318");
    expect(plan.outputs.otlpGrpcEndpoint).toBe("otlp.example.com:4317");
    expect(plan.outputs.otlpHeaders).toEqual({
      otlpHeaders: { user: "otlp", password: { generate: { name: "otlp-password", length: 32 } } },
    });
    expect(plan.outputs.otlpCaCertificate).toBe(CERTS.ca);
  });

  it("GIVEN ingest.auth basic on loopback WHEN rendered THEN credentials are required anyway", () => {
    const { config } = collectorOf({ ingest: { auth: "basic" } });
    expect(config.receivers.otlp.protocols.http.auth).toEqual({ authenticator: "basicauth/ingest" });
  });

  it("GIVEN OTLP reachable off loopback in the ways a mistake makes it WHEN validated THEN each is refused with the key and the way out", () => {
    const offLoopback = { exposure: { bindAddress: "0.0.0.0", ports: { otlpGrpc: 4317 } }, traefik: { mode: "none" } };
    expect(problemsOf(offLoopback)).toEqual([expect.stringMatching(/^ingest\.tls\.mode: OTLP published on 0\.0\.0\.0 needs TLS/)]);
    expect(problemsOf({ ...offLoopback, ingest: { auth: "none", tls: { mode: "files", certificate: CERT, key: KEY } } })).toEqual([
      expect.stringMatching(
        /^ingest\.auth: OTLP is published on 0\.0\.0\.0: anyone who reaches it could forge service\.name.*allowed: auto, basic$/,
      ),
    ]);
    expect(problemsOf({ ingest: { route: true }, traefik: { mode: "none" }, exposure: { ports: { otlpGrpc: 4317 } } })).toEqual([
      expect.stringMatching(/^ingest\.route: routing OTLP needs the program's own Traefik \(traefik\.mode managed; it is none\)$/),
    ]);
    // Routed with ingest TLS: Traefik reaches the collector over TLS, verified with the CA for its in-network name.
    expect(problemsOf({ ingest: { route: true, tls: { mode: "files", certificate: CERT, key: KEY } } })).toEqual([
      expect.stringMatching(/^ingest\.tls\.ca: is required with ingest\.route: Traefik reaches the collector over its TLS/),
      expect.stringMatching(
        /^ingest\.tls\.certificate: names .*DNS:otlp\.example\.com.*reaches the collector as 'otel-collector'; allowed: .*DNS:otel-collector$/,
      ),
    ]);
    expect(problemsOf({ ingest: { tls: { mode: "files", certificate: CERT, key: KEY, ca: "not a pem" } } })).toEqual([
      expect.stringMatching(/^ingest\.tls\.ca: must be a PEM certificate/),
    ]);
  });

  it("GIVEN a client password WHEN the credential strings are derived THEN they match the htpasswd {SHA} scheme and the OTLP headers format", () => {
    // SHA-1("password") in base64 is the scheme's well-known example.
    expect(htpasswdSha1Line("otlp", "password")).toBe("otlp:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=");
    expect(basicAuthorization("otlp", "pw")).toBe(`Basic ${Buffer.from("otlp:pw").toString("base64")}`);
    expect(otlpHeadersEnv("otlp", "pw")).toBe("Authorization=Basic%20b3RscDpwdw%3D%3D");
  });
});

describe("extra destinations cannot reach each other's secrets or replace the stack's own", () => {
  it("GIVEN exporter x with header B-C and exporter x-b with header C WHEN planned THEN each secret has its own file", () => {
    const { plan } = collectorOf({
      exporters: [
        { name: "x", kind: "otlphttp", endpoint: "https://a.example.com", headers: { "B-C": "one" } },
        { name: "x-b", kind: "otlphttp", endpoint: "https://b.example.com", headers: { C: "two" } },
      ],
    });
    const paths = plan.collector.secretFiles.map((f) => f.path);
    expect(new Set(paths).size).toBe(paths.length);
    expect(paths).toEqual(
      expect.arrayContaining(["/etc/otelcol-contrib/secrets/extra.x.header.b-c", "/etc/otelcol-contrib/secrets/extra.x-b.header.c"]),
    );
  });

  it("GIVEN extra destinations WHEN planned THEN their component ids carry a dot, which no built-in id has", () => {
    const plans = extraExporterPlans(
      [
        { name: "traces", kind: "otlphttp", endpoint: "https://t.example.com", headers: {} },
        { name: "metrics", kind: "prometheusremotewrite", endpoint: "https://m.example.com", headers: {} },
      ],
      false,
    );
    expect(plans.map((p) => p.id)).toEqual(["otlp_http/extra.traces", "prometheus_remote_write/extra.metrics"]);
    const builtIn = Object.keys(collectorOf({}).config.exporters);
    expect(builtIn.every((id) => !id.includes("."))).toBe(true);
  });
});
