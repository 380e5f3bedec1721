import { createHash } from "node:crypto";

/**
 * Pure derivations of the credential strings components build from a generated password (inside an
 * `apply`, so the result stays a Pulumi secret). Tests check them against the real collector.
 */

/** An htpasswd line with the `{SHA}` scheme (base64 of SHA-1), which the collector's basicauth accepts. */
export function htpasswdSha1Line(user: string, password: string): string {
  return `${user}:{SHA}${createHash("sha1").update(password).digest("base64")}`;
}

/** The HTTP basic `Authorization` header value. */
export function basicAuthorization(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
}

/**
 * OTEL_EXPORTER_OTLP_HEADERS: comma-separated `key=value` pairs, values percent-encoded (the
 * space after `Basic` is `%20`), as every OpenTelemetry SDK parses it.
 */
export function otlpHeadersEnv(user: string, password: string): string {
  return `Authorization=${encodeURIComponent(basicAuthorization(user, password))}`;
}
