import * as pulumi from "@pulumi/pulumi";
import type { ChosenBackend } from "../configs/backends";
import type { ServiceWiring } from "../configs/types";
import type { ServiceCommon } from "./service";

export interface BackendArgs {
  /** The chosen backend and its plan (configs/backends); the type token is `obs:backend:<displayName>`. */
  chosen: ChosenBackend;
  wiring: ServiceWiring;
  common: ServiceCommon;
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
    super(`obs:backend:${args.chosen.backend.displayName}`, name, {}, opts);
    const service = args.common.engine.createService(this, name, {
      plan: args.chosen.plan.service,
      wiring: args.wiring,
      common: args.common,
    });
    this.containerName = service.name;
    this.queryUrl = pulumi.output(args.chosen.plan.queryUrl);
    this.registerOutputs({ containerName: this.containerName, queryUrl: this.queryUrl });
  }
}
