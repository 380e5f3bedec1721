import { z } from "zod";
import { Secret } from "./secret";

/**
 * How applications reach the collector's OTLP receivers, and what protects them. Its own module so
 * the rules read in one place; settings/schema.ts mounts it as the top-level `ingest` key.
 */

const secretText = z
  .string({ error: "must be a string (set it with `pulumi config set --secret`)" })
  .min(1, { error: "must not be empty" })
  .transform((value) => new Secret(value));

const PEM_CERTIFICATE = /^-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----\s*$/;

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
      z.strictObject({
        mode: z.literal("files"),
        certificate: secretText,
        key: secretText,
        /** The CA that signed `certificate` (public; exported for clients as `otlpCaCertificate`). */
        ca: z.string().regex(PEM_CERTIFICATE, { error: "must be a PEM certificate (-----BEGIN CERTIFICATE-----…)" }).optional(),
      }),
    ])
    .default({ mode: "none" }),
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
  traefik: { mode: "managed" | "external" | "none" };
}

const isLoopback = (address: string) => address.startsWith("127.");

/** Where OTLP can be reached from outside this host: published off loopback, or routed. */
export function ingestReachability(s: IngestContext): { published: boolean; routed: boolean } {
  const { ports, bindAddress } = s.exposure;
  const published = (ports.otlpGrpc !== undefined || ports.otlpHttp !== undefined) && !isLoopback(bindAddress);
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
  if (routed && s.ingest.tls.mode === "files") {
    problems.push({
      path: ["ingest", "tls", "mode"],
      input: "files",
      message: "with ingest.route Traefik terminates TLS and reaches the collector in-network; use one of the two",
    });
  }
  return problems;
}
