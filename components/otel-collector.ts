import * as pulumi from "@pulumi/pulumi";
import { collectorInternalEndpoints } from "../configs/collector";
import type { ServicePlan, ServiceWiring } from "../configs/types";
import type { ServiceCommon } from "./service";

export interface OtelCollectorArgs {
  /** The container with its rendered config and secret files (configs/collector.ts). */
  plan: ServicePlan;
  /** Published OTLP ports. */
  wiring: ServiceWiring;
  /** The sidecar that probes the collector's health endpoint (configs/collector.ts collectorProbePlan). */
  probe: { plan: ServicePlan; wiring: ServiceWiring };
  /**
   * The agent on every node in front of this collector (engine swarm: configs/swarm.ts); the
   * collector is then the gateway. @default - none: apps send to the collector itself
   */
  agent?: { plan: ServicePlan; wiring: ServiceWiring };
  common: ServiceCommon;
}

/** The OpenTelemetry Collector: OTLP in, every signal routed to its backend(s). */
export class OtelCollector extends pulumi.ComponentResource {
  readonly containerName: pulumi.Output<string>;
  /** Endpoint for apps inside the stack network. */
  readonly internalOtlpGrpc: pulumi.Output<string>;
  readonly internalOtlpHttp: pulumi.Output<string>;

  constructor(name: string, args: OtelCollectorArgs, opts?: pulumi.ComponentResourceOptions) {
    super("obs:stack:OtelCollector", name, {}, opts);
    const { engine } = args.common;
    const service = engine.createService(this, name, { plan: args.plan, wiring: args.wiring, common: args.common });
    // Created after the collector: `up` waits for the probe to be healthy, i.e. the collector serving.
    engine.createService(this, `${name}-probe`, { ...args.probe, common: args.common }, [service.resource]);
    // After the gateways: an agent's first export finds them.
    if (args.agent) engine.createService(this, `${name}-agent`, { ...args.agent, common: args.common }, [service.resource]);
    this.containerName = service.name;
    const internal = collectorInternalEndpoints(args.plan.role);
    this.internalOtlpGrpc = pulumi.output(internal.otlpGrpc);
    this.internalOtlpHttp = pulumi.output(internal.otlpHttp);
    this.registerOutputs({
      containerName: this.containerName,
      internalOtlpGrpc: this.internalOtlpGrpc,
      internalOtlpHttp: this.internalOtlpHttp,
    });
  }
}
