import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { CONTAINER_POLICY, volumeInitCommand } from "../configs/container";
import type { SecretSource, ServicePlan, ServiceWiring } from "../configs/types";
import { STACK_LABEL } from "../settings/names";

/** Turns a plan's SecretSource into a Pulumi secret (config value, or the stack's generated one). */
export type RevealSecret = (source: SecretSource) => pulumi.Output<string>;

/** What every service container of one stack shares. */
export interface ServiceCommon {
  environment: string;
  /** The stack's Docker network. */
  networkName: pulumi.Input<string>;
  /** busybox image id used to chown volumes for non-root images. */
  initImageId: pulumi.Input<string>;
  /** Host address published ports bind to. */
  bindAddress: string;
  /** Volumes outlive their deletion (Pulumi forgets them, Docker keeps them): data.keepOnDelete. */
  keepData: boolean;
  reveal: RevealSecret;
  /** The basic-auth users label (`key` → secret value), for wiring.basicAuthUsers. */
  basicAuthUsers?: { label: string; value: pulumi.Input<string> };
}

export interface ServiceArgs {
  plan: ServicePlan;
  wiring: ServiceWiring;
  common: ServiceCommon;
}

export interface ServiceResources {
  image: docker.RemoteImage;
  volumes: docker.Volume[];
  container: docker.Container;
}

/**
 * Create a service's image, volumes and container as children of `parent` named
 * `${name}-<role>`. A function, not a component: each component stays the one node users see.
 */
export function createService(
  parent: pulumi.ComponentResource,
  name: string,
  args: ServiceArgs,
  dependsOn: pulumi.Resource[] = [],
): ServiceResources {
  const { plan, wiring, common } = args;
  const hardening = {
    securityOpts: [...CONTAINER_POLICY.securityOpts],
    logDriver: CONTAINER_POLICY.logDriver,
    logOpts: { ...CONTAINER_POLICY.logOpts },
    ulimits: CONTAINER_POLICY.ulimits,
  };
  const opts = { parent };
  // Docker names are unique: a replacement created before its predecessor is deleted (Pulumi's
  // default) fails with "name already in use". Every named Docker object is deleted first.
  const named = { parent, deleteBeforeReplace: true };
  const containerName = `${common.environment}-${plan.role}`;
  const stackLabel = { label: STACK_LABEL, value: common.environment };

  const image = new docker.RemoteImage(`${name}-image`, { name: plan.image, keepLocally: true }, opts);

  const volumes = plan.volumes.map((volume) => {
    // A kept volume is left to Docker on delete; an `up` that wants the same name takes it over,
    // data included (Docker's volume create returns the existing volume of that name).
    const created = new docker.Volume(
      `${name}-${volume.name}`,
      { name: `${containerName}-${volume.name}`, labels: [stackLabel] },
      { ...named, retainOnDelete: common.keepData },
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
            command: volumeInitCommand(v.plan.ownerUid!, v.plan.containerPath),
            volumes: [{ volumeName: v.created.name, containerPath: v.plan.containerPath }],
            mustRun: CONTAINER_POLICY.init.mustRun,
            attach: CONTAINER_POLICY.init.attach,
            restart: CONTAINER_POLICY.init.restart,
            networkMode: CONTAINER_POLICY.init.networkMode,
            readOnly: CONTAINER_POLICY.init.readOnly,
            memory: CONTAINER_POLICY.init.memoryMb,
            memorySwap: CONTAINER_POLICY.init.memoryMb,
            capabilities: { drops: [...CONTAINER_POLICY.dropCapabilities], adds: [...CONTAINER_POLICY.initCapabilities] },
            ...hardening,
            labels: [stackLabel],
          },
          named,
        ),
    );

  const unknownPorts = Object.keys(wiring.publish).filter((p) => !plan.ports.some((port) => port.name === p));
  if (unknownPorts.length > 0) {
    throw new pulumi.ResourceError(
      `service ${plan.role}: cannot publish ${unknownPorts.join(", ")}; it has ${plan.ports.map((p) => p.name).join(", ")}`,
      parent,
    );
  }
  const labels: Record<string, pulumi.Input<string>> = { ...wiring.labels };
  if (wiring.basicAuthUsers) {
    if (!common.basicAuthUsers) throw new pulumi.ResourceError(`service ${plan.role}: basic auth wanted but the stack has none`, parent);
    labels[common.basicAuthUsers.label] = common.basicAuthUsers.value;
  }

  const container = new docker.Container(
    `${name}-container`,
    {
      name: containerName,
      image: image.imageId,
      entrypoints: plan.entrypoint,
      command: plan.command,
      envs: Object.entries(plan.env).map(([key, value]) => `${key}=${value}`),
      user: plan.user,
      memory: plan.memoryMb,
      // Same as memory: no swap beyond the limit, so the tier's number is the real ceiling.
      memorySwap: plan.memoryMb,
      restart: CONTAINER_POLICY.restart,
      networksAdvanced: [{ name: common.networkName, aliases: [plan.role] }, ...wiring.extraNetworks.map((network) => ({ name: network }))],
      ports: plan.ports
        .filter((port) => wiring.publish[port.name] !== undefined)
        .map((port) => ({
          internal: port.internal,
          external: wiring.publish[port.name]!,
          ip: common.bindAddress,
          protocol: CONTAINER_POLICY.protocol,
        })),
      volumes: [
        ...volumes.map((v) => ({ volumeName: v.created.name, containerPath: v.plan.containerPath })),
        ...plan.hostMounts.map((m) => ({ hostPath: m.hostPath, containerPath: m.containerPath, readOnly: true })),
      ],
      uploads: [
        ...plan.files.map((file) => ({ file: file.path, content: file.content })),
        ...plan.secretFiles.map((file) => ({ file: file.path, content: common.reveal(file.value) })),
      ],
      labels: [stackLabel, ...Object.entries(labels).map(([label, value]) => ({ label, value }))],
      healthcheck: plan.healthcheck
        ? {
            tests: plan.healthcheck.test,
            interval: plan.healthcheck.interval,
            timeout: plan.healthcheck.timeout,
            retries: plan.healthcheck.retries,
            startPeriod: plan.healthcheck.startPeriod,
          }
        : undefined,
      wait: plan.healthcheck !== undefined,
      waitTimeout: CONTAINER_POLICY.waitTimeoutSeconds,
      ...hardening,
      readOnly: plan.readOnlyRootfs ? true : undefined,
      capabilities: { drops: [...CONTAINER_POLICY.dropCapabilities], adds: plan.capabilities ?? [] },
      destroyGraceSeconds: CONTAINER_POLICY.destroyGraceSeconds,
    },
    { ...named, dependsOn: [...inits, ...dependsOn] },
  );

  return { image, volumes: volumes.map((v) => v.created), container };
}
