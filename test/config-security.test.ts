import { describe, expect, it } from "vitest";
import { ConfigError, foreignNamespaceWarnings, parseSettings } from "../settings";
import { isLoopbackHost, unpinnedImage, urlCredentials } from "../settings/checks";
import { keepDataByDefault, keepDataOnDelete } from "../settings/data";
import { tlsFileProblems } from "../settings/ingest";
import { Secret } from "../settings/secret";
import { SECRET_STAND_IN } from "../settings/stack-file";
import { makeCertificates } from "./helpers/certificates";
import { byType, carrierOf, CONTAINER, runProgram, uploadsOf } from "./helpers/program";

/** The config-validation items of the security issue that need more than one row of the invalid-config table. */

const valid = { environment: "dev" };

function problemsOf(raw: Record<string, unknown>, ...rest: [string?, ReadonlySet<string>?]): ConfigError["problems"] {
  try {
    parseSettings(raw, ...rest);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}

describe("item 2: the offline render's placeholder is refused wherever a deploy happens", () => {
  it("GIVEN a stack file's stand-in for a secret WHEN parsed offline (render, diff) THEN it is let through, and the password rules do not judge it", () => {
    expect(() => parseSettings({ ...valid, grafana: { adminPassword: SECRET_STAND_IN } })).not.toThrow();
    expect(() =>
      parseSettings({ ...valid, grafana: { adminPassword: SECRET_STAND_IN } }, "obs-stack", undefined, { mode: "offline" }),
    ).not.toThrow();
  });

  it("GIVEN the stand-in in every secret key WHEN parsed for a deploy THEN each is reported at once, with the command that sets the real value", () => {
    const problems = problemsOf(
      {
        ...valid,
        grafana: { adminPassword: SECRET_STAND_IN },
        alerting: { contactPoint: { kind: "slack", url: SECRET_STAND_IN } },
        exporters: [
          { name: "a", kind: "otlphttp", endpoint: "https://a.example.com", basicAuth: { username: "u", password: SECRET_STAND_IN } },
        ],
      },
      "obs-stack",
      new Set(),
    );
    expect(problems.map((p) => p.path).sort()).toEqual([
      "alerting.contactPoint.url",
      "exporters.0.basicAuth.password",
      "grafana.adminPassword",
    ]);
    expect(problems[0]!.message).toMatch(/allowed: the real value, set with `pulumi config set --secret --path '[a-z.A-Z0-9]+' …`/);
  });

  it("GIVEN the stand-in as Grafana's password WHEN the Pulumi program runs (deploy/program.ts) THEN it fails before any resource and no password file holds it", async () => {
    const run = await runProgram({ environment: "dev", grafana: { adminPassword: SECRET_STAND_IN } }, { secretKeys: ["grafana"] });
    expect(run.error?.message).toMatch(/grafana\.adminPassword: is '\[secret\]', the placeholder an offline render/);
    expect(run.resources.filter((r) => r.custom)).toEqual([]);
  });

  it("GIVEN a real password WHEN the Pulumi program runs THEN Grafana's password file holds it (the rule does not refuse real values)", async () => {
    const run = await runProgram({ environment: "dev", grafana: { adminPassword: "correct-horse-battery" } }, { secretKeys: ["grafana"] });
    expect(run.error).toBeUndefined();
    const grafana = byType(run, CONTAINER).find((c) => c.name === "dev-grafana-container")!;
    expect(Object.values(uploadsOf(grafana))).toContain("correct-horse-battery");
  });
});

describe("item 5: only a full version or a digest pins an image", () => {
  it.each(["traefik:v3", "grafana/grafana:12", "busybox:1", "x:v3.5", "x:v1-latest", "x:1-main", "x:2024-nightly", "x:2024-01"])(
    "GIVEN %s WHEN checked THEN it is not pinned",
    (ref) => expect(unpinnedImage(ref)).toBeDefined(),
  );
  it.each(["busybox:1.35.0", "traefik:v3.5.3", "grafana/grafana:12.3.0", "x:2024-01-15", "x:20240115", `x:3@sha256:${"c".repeat(64)}`])(
    "GIVEN %s WHEN checked THEN it is pinned",
    (ref) => expect(unpinnedImage(ref)).toBeUndefined(),
  );
});

describe("item 6: exporter URLs read as Go reads them", () => {
  it.each(["localhost", "127.0.0.1", "127.9.9.9", "[::1]", "[0:0:0:0:0:0:0:1]"])("GIVEN host %s THEN it is loopback", (host) =>
    expect(isLoopbackHost(host)).toBe(true),
  );
  it.each([
    "2130706433",
    "0x7f000001",
    "127.1",
    "0177.0.0.1",
    "127.000.0.1",
    "metadata",
    "mimir",
    "localhost.",
    "[::ffff:127.0.0.1]",
    "127.0.0.1.nip.io",
  ])("GIVEN host %s THEN it is remote (Go resolves it, or it is not a loopback literal)", (host) =>
    expect(isLoopbackHost(host)).toBe(false),
  );
  it("GIVEN credentials hidden in ';', '#' or other key names WHEN checked THEN only the names are returned", () => {
    expect(urlCredentials("https://a.example.com/w?x=1;jwt=abc")).toBe("the query parameter 'jwt'");
    expect(urlCredentials("https://a.example.com/w#private_key=abc")).toBe("the fragment parameter 'private_key'");
    expect(urlCredentials("https://a.example.com/w?tenant=a&monkey=b")).toBeUndefined();
  });
});

describe("item 10: data is kept by default whenever anyone else relies on the stack", () => {
  const keep = (raw: Record<string, unknown>) => keepDataOnDelete(parseSettings({ ...valid, ...raw }));
  it("GIVEN a dev stack on loopback WHEN deleted THEN its data goes", () => {
    expect(keep({})).toBe(false);
  });
  it.each([
    ["a prod* name", { environment: "production", traefik: { mode: "none" }, exposure: { ports: { otlpGrpc: 4317 } } }],
    [
      "a port published off loopback",
      {
        exposure: { bindAddress: "10.0.0.5", ports: { http: 80, https: 443 } },
        traefik: { basicAuth: true, tls: { mode: "acme", email: "a@example.com" } },
      },
    ],
    [
      "Traefik TLS on loopback",
      { exposure: { ports: { http: 80, https: 443 } }, traefik: { tls: { mode: "acme", email: "a@example.com" } } },
    ],
    ["routed OTLP", { ingest: { route: true } }],
    [
      "an external Traefik at a public name",
      {
        domain: "obs.example.com",
        traefik: { mode: "external", network: "proxy", basicAuth: true, tls: { mode: "acme", email: "a@example.com" } },
        exposure: { ports: {} },
      },
    ],
  ])("GIVEN %s WHEN deleted THEN its data is kept by default", (_title, raw) => {
    expect(keep(raw)).toBe(true);
  });
  it("GIVEN data.keepOnDelete false on a published stack WHEN deleted THEN the explicit choice wins", () => {
    expect(keep({ ingest: { route: true }, data: { keepOnDelete: false } })).toBe(false);
    expect(keepDataByDefault(parseSettings({ ...valid, ingest: { route: true } }))).toBe("OTLP is routed (ingest.route)");
  });
});

describe("item 7: TLS files are checked as what they claim to be", () => {
  const certs = makeCertificates("127.0.0.1", ["IP:127.0.0.1"]);
  const files = { certificate: new Secret(certs.cert), key: new Secret(certs.key), ca: certs.ca };
  it("GIVEN a matching CA, certificate and key valid today WHEN checked THEN nothing is wrong", () => {
    expect(tlsFileProblems(files, new Date())).toEqual([]);
  });
  it("GIVEN the same files a week later (valid for two days) WHEN checked THEN the certificate and the CA have expired", () => {
    const later = tlsFileProblems(files, new Date(Date.now() + 7 * 24 * 3600 * 1000));
    expect(later.map((p) => p.path).sort()).toEqual(["ca", "certificate"]);
    expect(later[0]!.message).toMatch(/expired on \d{4}-.*allowed: a certificate valid now/);
  });
  it("GIVEN a CA bundle holding a key WHEN rejected THEN neither the message nor given shows any of it", () => {
    const problems = problemsOf({
      ...valid,
      ingest: { tls: { mode: "files", certificate: certs.cert, key: certs.key, ca: `${certs.ca}${certs.key}` } },
    });
    const body = certs.key.split("\n")[1]!;
    expect(problems.map((p) => p.path)).toEqual(["ingest.tls.ca"]);
    expect(JSON.stringify(problems)).not.toContain(body);
  });
  it("GIVEN a certificate without subjectAltName WHEN published on 0.0.0.0 THEN it is refused (Go clients ignore the common name)", () => {
    const bare = makeCertificates("otlp.example.com", ["email:ops@example.com"]);
    const problems = problemsOf({
      ...valid,
      exposure: { bindAddress: "0.0.0.0", ports: { otlpGrpc: 4317 } },
      traefik: { mode: "none" },
      ingest: { tls: { mode: "files", certificate: bare.cert, key: bare.key } },
    });
    expect(problems).toEqual([expect.objectContaining({ path: "ingest.tls.certificate", given: "(secret)" })]);
    expect(problems[0]!.message).toMatch(/no subjectAltName/);
  });
});

describe("item 7 for traefik.tls: the same PEM checks as ingest.tls", () => {
  const certs = makeCertificates("*.obs.example.com", ["DNS:*.obs.example.com"]);
  const other = makeCertificates("*.obs.example.com", ["DNS:*.obs.example.com"]);
  const files = { certificate: new Secret(certs.cert), key: new Secret(certs.key) };
  it("GIVEN Traefik's certificate and key WHEN checked today, a week later, and with another key THEN only the real pair today passes, each message naming traefik.tls", () => {
    expect(tlsFileProblems(files, new Date(), "traefik.tls")).toEqual([]);
    const later = tlsFileProblems(files, new Date(Date.now() + 7 * 24 * 3600 * 1000), "traefik.tls");
    expect(later).toEqual([{ path: "certificate", message: expect.stringMatching(/expired on .*allowed: a certificate valid now/) }]);
    expect(tlsFileProblems({ ...files, key: new Secret(other.key) }, new Date(), "traefik.tls")).toEqual([
      { path: "key", message: expect.stringMatching(/^is not the private key of traefik\.tls\.certificate/) },
    ]);
  });

  it("GIVEN fake PEMs (what the unit tests used to pass) WHEN parsed THEN both files are refused and neither value is echoed", () => {
    const problems = problemsOf({
      ...valid,
      exposure: { ports: { http: 80, https: 443 } },
      traefik: { tls: { mode: "files", certificate: "-----BEGIN CERTIFICATE-----x", key: "-----BEGIN PRIVATE KEY-----y" } },
    });
    expect(problems.map((p) => [p.path, p.given])).toEqual([
      ["traefik.tls.certificate", "(secret)"],
      ["traefik.tls.key", "(secret)"],
    ]);
    expect(JSON.stringify(problems)).not.toMatch(/-----BEGIN CERTIFICATE-----x|PRIVATE KEY-----y/);
  });
});

describe("low: the bcrypt users line is in no Docker label", () => {
  it("GIVEN traefik.mode external with basic auth WHEN registered THEN no container carries a basic-auth label; the gateway reads the users file from its secret upload", async () => {
    const run = await runProgram({
      environment: "dev",
      exposure: { ports: { otlpGrpc: 4317 } },
      traefik: { mode: "external", network: "ddev_default", basicAuth: true },
    });
    expect(run.error).toBeUndefined();
    for (const c of byType(run, CONTAINER)) {
      const labels = JSON.stringify(c.inputs.labels ?? []);
      expect(labels, c.name).not.toMatch(/basicauth|\$2a\$/i);
    }
    const gateway = byType(run, CONTAINER).find((c) => c.name === "dev-traefik-container")!;
    expect(uploadsOf(gateway)["/etc/traefik/secrets/basic-auth-users"]).toMatch(/^admin:\$2a\$10\$/);
    expect(carrierOf(gateway).secretPaths.some((p) => p.startsWith("uploads"))).toBe(true);
  });
});

describe("low: what errors echo, and what never reaches the schema", () => {
  it("GIVEN basicAuth with a secret and a lower-case Authorization header WHEN reported THEN the basicAuth given hides the password", () => {
    const problems = problemsOf({
      ...valid,
      exporters: [
        {
          name: "a",
          kind: "otlphttp",
          endpoint: "https://a.example.com",
          headers: { authorization: "x" },
          basicAuth: { username: "u", password: "hunter2-secret" },
        },
      ],
    });
    expect(JSON.stringify(problems)).not.toContain("hunter2-secret");
  });

  it("GIVEN __proto__ assigned as deploy/program.ts assigns keys WHEN parsed THEN the hidden layer is reported and not read", () => {
    const raw: Record<string, unknown> = { environment: "dev" };
    raw["__proto__"] = { tier: "large", grafana: { adminPassword: "s3cr3t-s3cr3t-s3cr3t" } };
    const problems = problemsOf(raw);
    expect(problems).toEqual([expect.objectContaining({ path: "__proto__", given: "an object with keys tier, grafana" })]);
    expect(JSON.stringify(problems)).not.toContain("s3cr3t");
  });

  it("GIVEN keys in look-alike namespaces WHEN listed THEN each gets a warning naming the key it should be", () => {
    expect(foreignNamespaceWarnings(["obs-stack:tier", "OBS-STACK:tier", "obs_stack:domain", "aws:region"])).toEqual([
      "config key 'OBS-STACK:tier' is ignored: its namespace 'OBS-STACK' is not the project's 'obs-stack'; allowed: obs-stack:tier",
      "config key 'obs_stack:domain' is ignored: its namespace 'obs_stack' is not the project's 'obs-stack'; allowed: obs-stack:domain",
    ]);
  });
});
