import * as pulumi from "@pulumi/pulumi";
import {
  renderTraefikStatic,
  renderTraefikTlsDynamic,
  TRAEFIK_ACME_PATH,
  TRAEFIK_CERT_PATH,
  TRAEFIK_DYNAMIC_TLS_PATH,
  TRAEFIK_KEY_PATH,
  TRAEFIK_STATIC_PATH,
  TraefikStaticInput,
} from "../configs/traefik";
import type { ServicePlan } from "../configs/types";
import { createService, ServiceCommon } from "./service";

export function traefikServicePlan(input: { image: string; memoryMb: number; config: TraefikStaticInput }): ServicePlan {
  const { config } = input;
  return {
    role: "traefik",
    image: input.image,
    command: [`--configFile=${TRAEFIK_STATIC_PATH}`],
    env: {},
    memoryMb: input.memoryMb,
    ports: [
      { name: "http", internal: 80 },
      ...(config.tls !== "none" ? [{ name: "https", internal: 443 }] : []),
    ],
    volumes: config.tls === "acme" ? [{ name: "acme", containerPath: TRAEFIK_ACME_PATH.replace(/\/[^/]+$/, "") }] : [],
    // Read-only stops file writes, not Docker API calls: the socket is root-equivalent. Documented
    // in the README's security notes; a filtering socket proxy is the next step.
    hostMounts: [{ hostPath: "/var/run/docker.sock", containerPath: "/var/run/docker.sock" }],
    files: [
      { path: TRAEFIK_STATIC_PATH, content: renderTraefikStatic(config) },
      ...(config.tls === "files" ? [{ path: TRAEFIK_DYNAMIC_TLS_PATH, content: renderTraefikTlsDynamic() }] : []),
    ],
    secretFiles:
      config.tls === "files"
        ? [
            { path: TRAEFIK_CERT_PATH, secret: "tlsCertificate" },
            { path: TRAEFIK_KEY_PATH, secret: "tlsKey" },
          ]
        : [],
    // Binds :80/:443 as root inside the container; needs nothing else.
    capabilities: ["NET_BIND_SERVICE"],
    healthcheck: {
      test: ["CMD", "traefik", "healthcheck", "--ping", "--ping.entryPoint=ping", "--entryPoints.ping.address=127.0.0.1:8082"],
      interval: "10s",
      timeout: "3s",
      retries: 6,
      startPeriod: "10s",
    },
  };
}

export interface TraefikArgs {
  image: string;
  memoryMb: number;
  config: TraefikStaticInput;
  common: ServiceCommon;
  publish: { http?: number; https?: number };
  /** TLS certificate and key (files mode), as secrets. */
  tls?: { certificate: pulumi.Input<string>; key: pulumi.Input<string> };
  /** Labels defining shared middlewares (basic auth users). */
  labels?: Record<string, pulumi.Input<string>>;
}

/** Traefik v3 watching this stack's containers and routing each UI by host name. */
export class Traefik extends pulumi.ComponentResource {
  readonly containerName: pulumi.Output<string>;

  constructor(name: string, args: TraefikArgs, opts?: pulumi.ComponentResourceOptions) {
    super("obs:stack:Traefik", name, {}, opts);
    const service = createService(this, name, {
      plan: traefikServicePlan(args),
      common: args.common,
      labels: args.labels,
      publish: {
        ...(args.publish.http !== undefined ? { http: args.publish.http } : {}),
        ...(args.publish.https !== undefined ? { https: args.publish.https } : {}),
      },
      secrets: args.tls ? { tlsCertificate: args.tls.certificate, tlsKey: args.tls.key } : {},
    });
    this.containerName = service.container.name;
    this.registerOutputs({ containerName: this.containerName });
  }
}
