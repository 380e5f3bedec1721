import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { ServicePlan } from "../configs/types";

/** What every service container of one stack shares. */
export interface ServiceCommon {
  environment: string;
  /** The stack's Docker network. */
  networkName: pulumi.Input<string>;
  /** busybox image id used to chown volumes for non-root images. */
  initImageId: pulumi.Input<string>;
  /** Host address published ports bind to. */
  bindAddress: string;
}

export interface ServiceArgs {
  plan: ServicePlan;
  common: ServiceCommon;
  /** Extra labels (Traefik routing); values may be secret Outputs (basic-auth users). */
  labels?: Record<string, pulumi.Input<string>>;
  /** Networks beyond the stack's (an external Traefik's). */
  extraNetworks?: pulumi.Input<string>[];
  /** Host ports to publish, by the plan's port name. */
  publish?: Record<string, number>;
  /** Values for the plan's secret files, by secret name. */
  secrets?: Record<string, pulumi.Input<string>>;
}

export interface ServiceResources {
  image: docker.RemoteImage;
  volumes: docker.Volume[];
  container: docker.Container;
}

export const STACK_LABEL = "obs.stack";

/**
 * Create a service's image, volumes and container as children of `parent` named
 * `${name}-<role>`. A function, not a component: each component stays the one node users see.
 */
export function createService(parent: pulumi.ComponentResource, name: string, args: ServiceArgs): ServiceResources {
  const { plan, common } = args;
  const opts = { parent };
  const containerName = `${common.environment}-${plan.role}`;
  const stackLabel = { label: STACK_LABEL, value: common.environment };

  const image = new docker.RemoteImage(`${name}-image`, { name: plan.image, keepLocally: true }, opts);

  const volumes = plan.volumes.map((volume) => {
    const created = new docker.Volume(
      `${name}-${volume.name}`,
      { name: `${containerName}-${volume.name}`, labels: [stackLabel] },
      opts,
    );
    return { plan: volume, created };
  });

  const inits = volumes
    .filter((v) => v.plan.ownerUid !== undefined)
    .map(
      (v) =>
        new docker.Container(
          `${name}-${v.plan.name}-init`,
          {
            name: `${containerName}-${v.plan.name}-init`,
            image: common.initImageId,
            command: ["chown", "-R", `${v.plan.ownerUid}:${v.plan.ownerUid}`, v.plan.containerPath],
            volumes: [{ volumeName: v.created.name, containerPath: v.plan.containerPath }],
            // Runs once to completion before the service starts.
            mustRun: false,
            attach: true,
            restart: "no",
            networkMode: "none",
            labels: [stackLabel],
          },
          opts,
        ),
    );

  const missing = plan.secretFiles.filter((f) => args.secrets?.[f.secret] === undefined).map((f) => f.secret);
  if (missing.length > 0) {
    throw new pulumi.ResourceError(`service ${plan.role}: no value for secret file(s) ${missing.join(", ")}`, parent);
  }
  const unknownPorts = Object.keys(args.publish ?? {}).filter((p) => !plan.ports.some((port) => port.name === p));
  if (unknownPorts.length > 0) {
    throw new pulumi.ResourceError(
      `service ${plan.role}: cannot publish ${unknownPorts.join(", ")}; it has ${plan.ports.map((p) => p.name).join(", ")}`,
      parent,
    );
  }

  const container = new docker.Container(
    `${name}-container`,
    {
      name: containerName,
      image: image.imageId,
      command: plan.command,
      envs: Object.entries(plan.env).map(([key, value]) => `${key}=${value}`),
      user: plan.user,
      memory: plan.memoryMb,
      // Same as memory: no swap beyond the limit, so the tier's number is the real ceiling.
      memorySwap: plan.memoryMb,
      restart: "unless-stopped",
      networksAdvanced: [
        { name: common.networkName, aliases: [plan.role] },
        ...(args.extraNetworks ?? []).map((network) => ({ name: network })),
      ],
      ports: plan.ports
        .filter((port) => args.publish?.[port.name] !== undefined)
        .map((port) => ({ internal: port.internal, external: args.publish![port.name]!, ip: common.bindAddress, protocol: "tcp" })),
      volumes: [
        ...volumes.map((v) => ({ volumeName: v.created.name, containerPath: v.plan.containerPath })),
        ...plan.hostMounts.map((m) => ({ hostPath: m.hostPath, containerPath: m.containerPath, readOnly: true })),
      ],
      uploads: [
        ...plan.files.map((file) => ({ file: file.path, content: file.content })),
        ...plan.secretFiles.map((file) => ({ file: file.path, content: pulumi.secret(args.secrets![file.secret]!) })),
      ],
      labels: [stackLabel, ...Object.entries(args.labels ?? {}).map(([label, value]) => ({ label, value }))],
      healthcheck: plan.healthcheck
        ? {
            tests: plan.healthcheck.test,
            interval: plan.healthcheck.interval,
            timeout: plan.healthcheck.timeout,
            retries: plan.healthcheck.retries,
            startPeriod: plan.healthcheck.startPeriod,
          }
        : undefined,
      // `pulumi up` waits for healthy where a probe exists, so a broken config fails the update.
      wait: plan.healthcheck !== undefined,
      waitTimeout: 180,
      logDriver: "json-file",
      logOpts: { "max-size": "10m", "max-file": "3" },
      securityOpts: ["no-new-privileges:true"],
      capabilities: { drops: ["ALL"], adds: plan.capabilities ?? [] },
      destroyGraceSeconds: 30,
    },
    { ...opts, dependsOn: inits },
  );

  return { image, volumes: volumes.map((v) => v.created), container };
}
