import * as pulumi from "@pulumi/pulumi";
import { COLLECTOR_PORTS } from "../configs/collector";
import type { ServicePlan } from "../configs/types";
import { createService, ServiceCommon } from "./service";

export interface OtelCollectorArgs {
  /** The container with its rendered config (configs/collector.ts). */
  plan: ServicePlan;
  common: ServiceCommon;
  /** Host ports for OTLP gRPC / HTTP; a missing one is not published. */
  publish: { otlpGrpc?: number; otlpHttp?: number };
  /** Values of the secret files the config references (`${file:…}`), by secret name. */
  secrets: Record<string, pulumi.Input<string>>;
}

/** The OpenTelemetry Collector: OTLP in, every signal routed to its backend(s). */
export class OtelCollector extends pulumi.ComponentResource {
  readonly containerName: pulumi.Output<string>;
  /** Endpoint for apps inside the stack network. */
  readonly internalOtlpGrpc: pulumi.Output<string>;
  readonly internalOtlpHttp: pulumi.Output<string>;

  constructor(name: string, args: OtelCollectorArgs, opts?: pulumi.ComponentResourceOptions) {
    super("obs:stack:OtelCollector", name, {}, opts);
    const { plan } = args;
    const service = createService(this, name, {
      plan,
      common: args.common,
      publish: {
        ...(args.publish.otlpGrpc !== undefined ? { "otlp-grpc": args.publish.otlpGrpc } : {}),
        ...(args.publish.otlpHttp !== undefined ? { "otlp-http": args.publish.otlpHttp } : {}),
      },
      secrets: args.secrets,
    });
    this.containerName = service.container.name;
    this.internalOtlpGrpc = pulumi.output(`${plan.role}:${COLLECTOR_PORTS.otlpGrpc}`);
    this.internalOtlpHttp = pulumi.output(`http://${plan.role}:${COLLECTOR_PORTS.otlpHttp}`);
    this.registerOutputs({
      containerName: this.containerName,
      internalOtlpGrpc: this.internalOtlpGrpc,
      internalOtlpHttp: this.internalOtlpHttp,
    });
  }
}
