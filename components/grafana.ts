import * as pulumi from "@pulumi/pulumi";
import type { ServicePlan } from "../configs/types";
import { createService, ServiceCommon } from "./service";


export interface GrafanaArgs {
  /** The container with its provisioning files (configs/grafana.ts). */
  plan: ServicePlan;
  common: ServiceCommon;
  adminPassword: pulumi.Input<string>;
  contactPointUrl?: pulumi.Input<string>;
  labels?: Record<string, pulumi.Input<string>>;
  extraNetworks?: pulumi.Input<string>[];
}

/** Grafana with provisioned datasources, dashboards and alerting; admin password from a secret file. */
export class Grafana extends pulumi.ComponentResource {
  readonly containerName: pulumi.Output<string>;

  constructor(name: string, args: GrafanaArgs, opts?: pulumi.ComponentResourceOptions) {
    super("obs:stack:Grafana", name, {}, opts);
    const service = createService(this, name, {
      plan: args.plan,
      common: args.common,
      labels: args.labels,
      extraNetworks: args.extraNetworks,
      secrets: {
        adminPassword: args.adminPassword,
        ...(args.contactPointUrl !== undefined ? { contactPointUrl: args.contactPointUrl } : {}),
      },
    });
    this.containerName = service.container.name;
    this.registerOutputs({ containerName: this.containerName });
  }
}
