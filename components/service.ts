import { createHash } from "node:crypto";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { configDirOf, CONTAINER_POLICY, cpusText, tmpfsOptions, volumeInitCommand } from "../configs/container";
import type { SecretSource, ServicePlan, ServiceWiring } from "../configs/types";
import { STACK_LABEL } from "../settings/names";
import type { Engine } from "./engine";

/** Turns a plan's SecretSource into a Pulumi secret (config value, or the stack's generated one). */
export type RevealSecret = (source: SecretSource) => pulumi.Output<string>;

/** Label on a service naming its config carrier: a new carrier (new files) replaces the service with it. */
export const CONFIG_CARRIER_LABEL = "obs.config-carrier";
/** Label (value: the environment) on config volumes, instead of the stack label data volumes carry. */
export const CONFIG_VOLUME_LABEL = `${STACK_LABEL}.config`;

/** What every service container of one stack shares. */
export interface ServiceCommon {
  environment: string;
  /** The stack's networks by name: a created network's name Output (so containers wait for it), an external one's plain name. */
  networks: Record<string, pulumi.Input<string>>;
  /** busybox image id used to chown volumes for non-root images and to carry every service's files. */
  initImageId: pulumi.Input<string>;
  /** Host address published ports bind to. */
  bindAddress: string;
  /** Volumes outlive their deletion (Pulumi forgets them, Docker keeps them): data.keepOnDelete. */
  keepData: boolean;
  reveal: RevealSecret;
  /** What creates the services (components/engine.ts): picked once by the stack component. */
  engine: Engine;
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

  // The rendered and secret files reach the read-only service through its config volume: a carrier
  // container (created, never started, offline) takes the upload into the volume, the service mounts
  // it read-only. The volume's name follows the set of paths, so a file the plan drops is gone too.
  const uploads = [
    ...plan.files.map((file) => ({ file: file.path, content: pulumi.output(file.content) })),
    ...plan.secretFiles.map((file) => ({ file: file.path, content: common.reveal(file.value) })),
  ];
  const tmpfs = [...CONTAINER_POLICY.tmpfs, ...(plan.tmpfs ?? [])];
  const configDir = configDirOf(
    plan.role,
    uploads.map((u) => u.file),
    [...plan.volumes.map((v) => v.containerPath), ...tmpfs.map((t) => t.path), ...plan.hostMounts.map((m) => m.containerPath)],
  );
  let config: { volume: docker.Volume; carrier: docker.Container; dir: string } | undefined;
  if (configDir) {
    const pathsHash = createHash("sha256")
      .update(
        uploads
          .map((u) => u.file)
          .sort()
          .join("\n"),
      )
      .digest("hex")
      .slice(0, 12);
    const volume = new docker.Volume(
      `${name}-config`,
      // Rendered from the plan on every `up`: never kept, and not data. Its own label keeps it out
      // of the stack's data volumes (what `destroy` keeps and `--purge-data` lists by `obs.stack`).
      { name: `${containerName}-config-${pathsHash}`, labels: [{ label: CONFIG_VOLUME_LABEL, value: common.environment }] },
      named,
    );
    const carrier = new docker.Container(
      `${name}-config-carrier`,
      {
        name: `${containerName}-config`,
        image: common.initImageId,
        command: ["true"],
        start: CONTAINER_POLICY.config.start,
        mustRun: CONTAINER_POLICY.config.mustRun,
        restart: CONTAINER_POLICY.config.restart,
        networkMode: CONTAINER_POLICY.config.networkMode,
        memory: CONTAINER_POLICY.config.memoryMb,
        memorySwap: CONTAINER_POLICY.config.memoryMb,
        capabilities: { drops: [...CONTAINER_POLICY.dropCapabilities], adds: [] },
        ...hardening,
        volumes: [{ volumeName: volume.name, containerPath: configDir }],
        uploads,
        labels: [stackLabel],
      },
      named,
    );
    config = { volume, carrier, dir: configDir };
  }

  const unknownPorts = Object.keys(wiring.publish).filter((p) => !plan.ports.some((port) => port.name === p));
  if (unknownPorts.length > 0) {
    throw new pulumi.ResourceError(
      `service ${plan.role}: cannot publish ${unknownPorts.join(", ")}; it has ${plan.ports.map((p) => p.name).join(", ")}`,
      parent,
    );
  }
  const unknownNetworks = wiring.networks.filter((n) => common.networks[n.network] === undefined).map((n) => n.network);
  if (wiring.networks.length === 0 || unknownNetworks.length > 0) {
    throw new pulumi.ResourceError(
      `service ${plan.role}: ${wiring.networks.length === 0 ? "joins no network" : `joins ${unknownNetworks.join(", ")}, which the stack does not have`}`,
      parent,
    );
  }
  const labels: Record<string, pulumi.Input<string>> = {
    ...wiring.labels,
    ...(config ? { [CONFIG_CARRIER_LABEL]: config.carrier.id } : {}),
  };

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
      cpus: cpusText(wiring.cpus),
      restart: CONTAINER_POLICY.restart,
      networksAdvanced: wiring.networks.map((n) => ({ name: common.networks[n.network]!, aliases: n.aliases })),
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
        ...(config ? [{ volumeName: config.volume.name, containerPath: config.dir, readOnly: true }] : []),
        ...plan.hostMounts.map((m) => ({ hostPath: m.hostPath, containerPath: m.containerPath, readOnly: true })),
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
      readOnly: CONTAINER_POLICY.readOnly,
      tmpfs: Object.fromEntries(tmpfs.map((t) => [t.path, tmpfsOptions(t)])),
      capabilities: { drops: [...CONTAINER_POLICY.dropCapabilities], adds: plan.capabilities ?? [] },
      destroyGraceSeconds: CONTAINER_POLICY.destroyGraceSeconds,
    },
    { ...named, dependsOn: [...inits, ...(config ? [config.carrier] : []), ...dependsOn] },
  );

  return { image, volumes: volumes.map((v) => v.created), container };
}
