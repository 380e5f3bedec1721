import * as pulumi from "@pulumi/pulumi";
import {
  COLLECTOR_CONFIG_PATH,
  COLLECTOR_DATA_DIR,
  COLLECTOR_PORTS,
  COLLECTOR_UID,
  CollectorConfigInput,
  collectorSecretFiles,
  memoryLimits,
  renderCollectorYaml,
} from "../configs/collector";
import type { ServicePlan } from "../configs/types";
import type { ExtraExporter } from "../settings";
import { createService, ServiceCommon } from "./service";

export interface OtelCollectorArgs {
  image: string;
  /** Rendered-config input (exporters from the chosen backends and extra destinations). */
  config: CollectorConfigInput;
  extras: ExtraExporter[];
  common: ServiceCommon;
  /** Host ports for OTLP gRPC / HTTP; a missing one is not published. */
  publish: { otlpGrpc?: number; otlpHttp?: number };
  /** Values of the secret files the config references (`${file:…}`), by secret name. */
  secrets: Record<string, pulumi.Input<string>>;
}

/** Plain plan of the collector container: pure, so tests compare the upload with the renderer. */
export function collectorServicePlan(args: Pick<OtelCollectorArgs, "image" | "config" | "extras">): ServicePlan {
  const { config } = args;
  return {
    role: "otel-collector",
    image: args.image,
    command: [`--config=${COLLECTOR_CONFIG_PATH}`],
    env: { GOMEMLIMIT: `${memoryLimits(config.memoryMb).goMemLimitMib}MiB` },
    // Reading Docker's root-owned log files needs root; otherwise the image's uid 10001.
    user: config.dockerLogs ? "0" : undefined,
    memoryMb: config.memoryMb,
    ports: [
      { name: "otlp-grpc", internal: COLLECTOR_PORTS.otlpGrpc },
      { name: "otlp-http", internal: COLLECTOR_PORTS.otlpHttp },
    ],
    volumes: config.queueDirectory ? [{ name: "queue", containerPath: COLLECTOR_DATA_DIR, ownerUid: COLLECTOR_UID }] : [],
    hostMounts: config.dockerLogs ? [{ hostPath: "/var/lib/docker/containers", containerPath: "/var/lib/docker/containers" }] : [],
    files: [{ path: COLLECTOR_CONFIG_PATH, content: renderCollectorYaml(config, args.extras) }],
    secretFiles: collectorSecretFiles(config.exporters, args.extras),
    // FROM scratch: no shell, curl or wget to probe with. Health is :13133 from outside.
    healthcheck: undefined,
  };
}

/** The OpenTelemetry Collector: OTLP in, every signal routed to its backend(s). */
export class OtelCollector extends pulumi.ComponentResource {
  readonly containerName: pulumi.Output<string>;
  /** Endpoint for apps inside the stack network. */
  readonly internalOtlpGrpc: pulumi.Output<string>;
  readonly internalOtlpHttp: pulumi.Output<string>;

  constructor(name: string, args: OtelCollectorArgs, opts?: pulumi.ComponentResourceOptions) {
    super("obs:stack:OtelCollector", name, {}, opts);
    const plan = collectorServicePlan(args);
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
