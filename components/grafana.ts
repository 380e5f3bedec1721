import * as pulumi from "@pulumi/pulumi";
import type { ServicePlan, ServiceWiring } from "../configs/types";
import type { ServiceCommon } from "./service";

export interface GrafanaArgs {
  /** The container with its provisioning files and secret files (configs/grafana.ts). */
  plan: ServicePlan;
  wiring: ServiceWiring;
  common: ServiceCommon;
}

/** Grafana with provisioned datasources, dashboards and alerting; admin password from a secret file. */
export class Grafana extends pulumi.ComponentResource {
  readonly containerName: pulumi.Output<string>;

  constructor(name: string, args: GrafanaArgs, opts?: pulumi.ComponentResourceOptions) {
    super("obs:stack:Grafana", name, {}, opts);
    const service = args.common.engine.createService(this, name, args);
    this.containerName = service.name;
    this.registerOutputs({ containerName: this.containerName });
  }
}
