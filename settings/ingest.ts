import { X509Certificate } from "node:crypto";
import { z } from "zod";
import { containsPrivateKey, isLoopbackIpv4, parseCertificates, parsePrivateKey, sanCovers, subjectAltNames } from "./checks";
import type { TraefikMode } from "./schema";
import { Secret, secret } from "./secret";
import { SECRET_STAND_IN } from "./stack-file";

/**
 * How applications reach the collector's OTLP receivers, and what protects them. Its own module so
 * the rules read in one place; settings/schema.ts mounts it as the top-level `ingest` key.
 */

const CERTIFICATE_FORM = "PEM CERTIFICATE blocks (the server certificate first, then any intermediates)";
const CA_FORM = "PEM CERTIFICATE blocks of the CA(s) that signed ingest.tls.certificate";

/** The collector's DNS alias in the stack (configs/collector.ts COLLECTOR_ROLE): the name Traefik and in-network apps use. */
export const COLLECTOR_ALIAS = "otel-collector";

/**
 * What is wrong with TLS files: each as PEM of its type that parses, certificates valid now, the
 * key the certificate's own, the certificate signed by `ca`, and `ca` free of private keys (it is
 * published as the plain output otlpCaCertificate). Messages name block types and numbers, never
 * contents. A stand-in for a secret (offline render) is not a value and is not judged.
 */
export function tlsFileProblems(
  files: { certificate: Secret; key: Secret; ca?: string },
  now: Date,
  /** The config key the files sit under, for messages (`ingest.tls`, `traefik.tls`). */
  configKey = "ingest.tls",
): { path: "certificate" | "key" | "ca"; message: string }[] {
  const problems: { path: "certificate" | "key" | "ca"; message: string }[] = [];
  let leaf: X509Certificate | undefined;
  let chainTop: X509Certificate | undefined;
  const certificateText = files.certificate.reveal();
  if (certificateText !== SECRET_STAND_IN) {
    const { certificates, problems: found } = parseCertificates(certificateText, now, CERTIFICATE_FORM);
    for (const message of found) problems.push({ path: "certificate", message });
    leaf = found.length === 0 ? certificates[0] : undefined;
    chainTop = found.length === 0 ? certificates[certificates.length - 1] : undefined;
  }
  const keyText = files.key.reveal();
  if (keyText !== SECRET_STAND_IN) {
    const { key, problem } = parsePrivateKey(keyText);
    if (problem) problems.push({ path: "key", message: problem });
    if (key && leaf && !leaf.checkPrivateKey(key)) {
      problems.push({
        path: "key",
        message: `is not the private key of ${configKey}.certificate (its public key differs); allowed: the key the certificate was issued for`,
      });
    }
  }
  if (files.ca !== undefined) {
    if (containsPrivateKey(files.ca)) {
      problems.push({
        path: "ca",
        message: `holds a private key, and ingest.tls.ca is published as the plain stack output otlpCaCertificate; allowed: ${CA_FORM} only (keep keys in ingest.tls.key, a secret)`,
      });
    } else {
      const { certificates, problems: found } = parseCertificates(files.ca, now, CA_FORM);
      for (const message of found) problems.push({ path: "ca", message });
      for (const [i, cert] of certificates.entries()) {
        if (!cert.ca) {
          problems.push({
            path: "ca",
            message: `certificate ${i + 1} is not a CA certificate (basicConstraints CA:FALSE); allowed: ${CA_FORM}`,
          });
        }
      }
      if (found.length === 0 && chainTop && !certificates.some((ca) => chainTop.checkIssued(ca) && chainTop.verify(ca.publicKey))) {
        problems.push({
          path: "ca",
          message:
            "did not sign ingest.tls.certificate (clients given this CA would refuse the collector); allowed: the CA that issued the certificate",
        });
      }
    }
  }
  return problems;
}

export const ingestSchema = z.strictObject({
  /**
   * auto: clients must authenticate (HTTP basic auth, user `otlp`, generated password) whenever OTLP
   * is reachable off loopback (published on another address, or routed through Traefik); basic:
   * always; none: never (refused when OTLP is reachable off loopback).
   */
  auth: z.enum(["auto", "basic", "none"]).default("auto"),
  /** TLS on the collector's own OTLP ports (required when they are published off loopback). */
  tls: z
    .discriminatedUnion("mode", [
      z.strictObject({ mode: z.literal("none") }),
      z
        .strictObject({
          mode: z.literal("files"),
          certificate: secret,
          key: secret,
          /** The CA that signed `certificate` (public; exported for clients as `otlpCaCertificate`). */
          ca: z.string().optional(),
        })
        .superRefine((files, ctx) => {
          for (const { path, message } of tlsFileProblems(files, new Date()))
            ctx.addIssue({ code: "custom", path: [path], input: undefined, message });
        }),
    ])
    .default({ mode: "none" })
    // Read once, here: the names the certificate verifies for (the outputs name a usable host).
    .transform((tls) => (tls.mode === "files" ? { ...tls, names: certificateNames(tls.certificate.reveal()) } : tls)),
  /**
   * Route OTLP/HTTP through the managed Traefik at otlp.<domain> (Traefik's TLS; the collector checks
   * the credentials). OTLP/gRPC then stays in-network or on its own published port.
   */
  route: z.boolean().default(false),
});

export type IngestSettings = z.output<typeof ingestSchema>;

/** The parts of the settings the ingest rules look at. */
export interface IngestContext {
  ingest: IngestSettings;
  exposure: { bindAddress: string; ports: { otlpGrpc?: number; otlpHttp?: number } };
  traefik: { mode: TraefikMode };
}

/** Where OTLP can be reached from outside this host: published off loopback, or routed. */
export function ingestReachability(s: IngestContext): { published: boolean; routed: boolean } {
  const { ports, bindAddress } = s.exposure;
  const published = (ports.otlpGrpc !== undefined || ports.otlpHttp !== undefined) && !isLoopbackIpv4(bindAddress);
  return { published, routed: s.ingest.route };
}

/** Whether the receivers require credentials: the one place `auto` is decided. */
export function ingestAuthRequired(s: IngestContext): boolean {
  if (s.ingest.auth !== "auto") return s.ingest.auth === "basic";
  const { published, routed } = ingestReachability(s);
  return published || routed;
}

export interface IngestProblem {
  path: (string | number)[];
  input: unknown;
  message: string;
}

/**
 * Whether the server certificate names the address OTLP is published on. Go clients (the SDKs,
 * other collectors) ignore the common name, so a certificate without subjectAltNames verifies for
 * no one; one with only IP names must name the bind address (127.0.0.1 or `localhost` on
 * loopback). A DNS name may be any name the host is known by, which cannot be checked here.
 */
function ingestNameProblem(pem: string, bindAddress: string): string | undefined {
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(pem);
  } catch {
    return undefined; // reported by tlsFileProblems
  }
  const { dns, ip } = subjectAltNames(leaf);
  const served = isLoopbackIpv4(bindAddress) ? `${bindAddress} or localhost` : bindAddress;
  if (dns.length === 0 && ip.length === 0) {
    return `has no subjectAltName, and clients (Go ignores the common name) then verify it for no name; allowed: a certificate whose subjectAltNames cover ${served === "0.0.0.0" ? "the names clients use for this host" : served}`;
  }
  if (bindAddress === "0.0.0.0" || dns.length > 0) return undefined;
  const covered = ip.includes(bindAddress) || (isLoopbackIpv4(bindAddress) && ip.includes("127.0.0.1"));
  return covered
    ? undefined
    : `names only IP ${ip.join(", ")}, but OTLP is published on ${bindAddress}; allowed: subjectAltNames covering ${served} (IP:${bindAddress}) or a DNS name of this host`;
}

/** The subjectAltNames of a certificate PEM (its first block); undefined for a stand-in or a PEM that does not parse (reported by tlsFileProblems). */
export function certificateNames(pem: string): { dns: string[]; ip: string[] } | undefined {
  if (pem === SECRET_STAND_IN) return undefined;
  try {
    return subjectAltNames(new X509Certificate(pem));
  } catch {
    return undefined;
  }
}

/** Cross-field rules of `ingest`: each names the key to change and what would be accepted. */
export function ingestProblems(s: IngestContext): IngestProblem[] {
  const problems: IngestProblem[] = [];
  const { published, routed } = ingestReachability(s);
  const where = [published ? `published on ${s.exposure.bindAddress}` : "", routed ? "routed through Traefik" : ""]
    .filter(Boolean)
    .join(" and ");
  if (s.ingest.auth === "none" && (published || routed)) {
    problems.push({
      path: ["ingest", "auth"],
      input: "none",
      message: `OTLP is ${where}: anyone who reaches it could forge service.name or fill the disks; allowed: auto, basic`,
    });
  }
  if (published && s.ingest.tls.mode === "none") {
    problems.push({
      path: ["ingest", "tls", "mode"],
      input: "none",
      message:
        `OTLP ${where} needs TLS: set ingest.tls (mode files, certificate, key), ` +
        "publish OTLP on 127.0.0.1 only, or drop exposure.ports.otlpGrpc/otlpHttp and set ingest.route true",
    });
  }
  if (routed && s.traefik.mode !== "managed") {
    problems.push({
      path: ["ingest", "route"],
      input: true,
      message: `routing OTLP needs the program's own Traefik (traefik.mode managed; it is ${s.traefik.mode})`,
    });
  }
  if (s.ingest.tls.mode === "files" && s.ingest.tls.certificate.reveal() !== SECRET_STAND_IN) {
    const coverage = ingestNameProblem(s.ingest.tls.certificate.reveal(), s.exposure.bindAddress);
    if (coverage) problems.push({ path: ["ingest", "tls", "certificate"], input: "(secret)", message: coverage });
  }
  // With ingest TLS every listener speaks it, Traefik's hop to the collector included: Traefik then
  // verifies the collector's certificate for its in-network name against ingest.tls.ca.
  if (routed && s.ingest.tls.mode === "files") {
    if (s.ingest.tls.ca === undefined) {
      problems.push({
        path: ["ingest", "tls", "ca"],
        input: undefined,
        message:
          "is required with ingest.route: Traefik reaches the collector over its TLS and verifies its certificate against this CA (never skipping verification); allowed: the PEM CA that signed ingest.tls.certificate",
      });
    }
    const names = certificateNames(s.ingest.tls.certificate.reveal());
    // A certificate without names is reported by ingestNameProblem below.
    if (names && names.dns.length + names.ip.length > 0 && !names.dns.some((san) => sanCovers(san, COLLECTOR_ALIAS))) {
      problems.push({
        path: ["ingest", "tls", "certificate"],
        input: "(secret)",
        message: `names ${[...names.dns.map((d) => `DNS:${d}`), ...names.ip.map((i) => `IP:${i}`)].join(", ")}, but with ingest.route Traefik (and every app on the ingest network) reaches the collector as '${COLLECTOR_ALIAS}'; allowed: a certificate whose subjectAltNames include DNS:${COLLECTOR_ALIAS}`,
      });
    }
  }
  return problems;
}
