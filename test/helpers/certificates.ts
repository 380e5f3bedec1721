import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/**
 * A CA made for one test and a server certificate it signed, with the real openssl: what an operator
 * hands the stack as `traefik.tls` or `ingest.tls` files. Valid for two days. The keys are EC P-256:
 * an RSA-2048 key costs openssl ~0.35 s to generate on a 2-core VM, and the unit suite makes 20 of them
 * at import time (over a third of `npm test`'s wall time); P-256 takes ~10 ms and every TLS stack here
 * (Go's crypto/tls in the collector and Traefik, Node's) takes it.
 * @param names subjectAltNames, e.g. `DNS:*.obs.example.com` or `IP:127.0.0.1`
 */
export function makeCertificates(commonName: string, names: string[]): { ca: string; cert: string; key: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "obs-ca-"));
  const ssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  const newKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  try {
    ssl("req", "-x509", ...newKey, "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=obs test CA");
    ssl("req", ...newKey, "-keyout", "tls.key", "-out", "tls.csr", "-subj", `/CN=${commonName}`);
    fs.writeFileSync(path.join(dir, "ext.cnf"), `subjectAltName=${names.join(",")}\nextendedKeyUsage=serverAuth\n`);
    ssl(
      "x509",
      "-req",
      "-in",
      "tls.csr",
      "-CA",
      "ca.crt",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-out",
      "tls.crt",
      "-days",
      "2",
      "-extfile",
      "ext.cnf",
    );
    const read = (f: string) => fs.readFileSync(path.join(dir, f), "utf8");
    return { ca: read("ca.crt"), cert: read("tls.crt"), key: read("tls.key") };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
