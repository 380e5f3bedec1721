import * as pulumi from "@pulumi/pulumi";
import type { ServicePlan, ServiceWiring } from "../configs/types";
import type { ServiceCommon } from "./service";

export interface TraefikArgs {
  /** The container with its static config and TLS files (configs/traefik.ts). */
  plan: ServicePlan;
  /** Published entrypoints; its dashboard's labels when routed. */
  wiring: ServiceWiring;
  common: ServiceCommon;
}

/** Traefik v3 watching this stack's containers and routing each UI by host name. */
export class Traefik extends pulumi.ComponentResource {
  readonly containerName: pulumi.Output<string>;

  constructor(name: string, args: TraefikArgs, opts?: pulumi.ComponentResourceOptions) {
    super("obs:stack:Traefik", name, {}, opts);
    const service = args.common.engine.createService(this, name, args);
    this.containerName = service.name;
    this.registerOutputs({ containerName: this.containerName });
  }
}
