import * as pulumi from "@pulumi/pulumi";
import type { BackendPlan } from "../configs/backends";
import { createService, ServiceCommon } from "./service";

export interface BackendArgs {
  /** Human name of the backend; the component's type token is `obs:backend:<displayName>`. */
  displayName: string;
  plan: BackendPlan;
  common: ServiceCommon;
  /** Traefik labels for its UI, when routed. */
  labels?: Record<string, pulumi.Input<string>>;
  extraNetworks?: pulumi.Input<string>[];
}

/**
 * One metrics, traces or logs backend (VictoriaMetrics, Prometheus, Jaeger, Tempo, VictoriaLogs,
 * Loki). The backend module decided everything as data; this only creates it.
 */
export class Backend extends pulumi.ComponentResource {
  /** Container name on the Docker host. */
  readonly containerName: pulumi.Output<string>;
  /** Base URL inside the stack network (what Grafana queries). */
  readonly queryUrl: pulumi.Output<string>;

  constructor(name: string, args: BackendArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`obs:backend:${args.displayName}`, name, {}, opts);
    const service = createService(this, name, {
      plan: args.plan.service,
      common: args.common,
      labels: args.labels,
      extraNetworks: args.extraNetworks,
    });
    this.containerName = service.container.name;
    this.queryUrl = pulumi.output(args.plan.queryUrl);
    this.registerOutputs({ containerName: this.containerName, queryUrl: this.queryUrl });
  }
}
