import * as pulumi from "@pulumi/pulumi";
import type { ServicePlan } from "../configs/types";
import { createService, ServiceCommon } from "./service";

export interface TraefikArgs {
  /** The container with its static config (configs/traefik.ts). */
  plan: ServicePlan;
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
      plan: args.plan,
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
