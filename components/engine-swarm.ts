import { createHash, createHmac } from "node:crypto";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { CONTAINER_POLICY } from "../configs/container";
import type { NetworkPlan } from "../configs/stack";
import type { SwarmPlan } from "../configs/swarm";
import { STACK_LABEL } from "../settings/names";
import type { Engine, ServiceHandle } from "./engine";
import type { ServiceArgs } from "./service";

/**
 * How every Swarm service rolls and converges. Each duration is written out, none left at zero:
 * pulumi-docker reads zero durations back as "0s" and shows a diff on every preview after `up`
 * otherwise (pulumi/pulumi-docker#1285, restartPolicy.delay/window).
 */
export const SWARM_POLICY = {
  restart: { condition: "any", delay: "5s", window: "30s" },
  update: { parallelism: 1, delay: "5s", failureAction: "rollback", monitor: "10s", maxFailureRatio: "0.0" },
  rollback: { parallelism: 1, delay: "5s", failureAction: "pause", monitor: "10s", maxFailureRatio: "0.0" },
  /** `up` returns only when every task of the service runs (healthy where it has a healthcheck). */
  converge: { delay: "2s", timeout: "5m" },
  stopGracePeriod: "30s",
  /** Rendered files: read-only for everyone in the task (the image's user differs per role). */
  configFileMode: 0o444,
  secretFileMode: 0o444,
} as const;

/** Label on a ServiceConfig or Secret naming the file it becomes in the task. */
export const FILE_LABEL = "obs.file";

/**
 * A duration as the provider reads a Swarm service's durations back: Go's time.Duration text with
 * a trailing zero unit dropped ("1m0s" → "1m", "1h0m0s" → "1h"). Sent as "1m0s" it comes back "1m",
 * and every preview after `up` showed an update on each service with a healthcheck (measured on the lab).
 */
export function swarmDuration(text: string): string {
  if (!/^(\d+(ms|s|m|h))+$/.test(text)) throw new Error(`not a duration: ${text}`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let ms = 0;
  for (const [, n, u] of text.matchAll(/(\d+)(ms|s|m|h)/g)) ms += Number(n) * unit[u as keyof typeof unit];
  if (ms === 0) return "0s";
  if (ms < 1000) return `${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = (ms % 60_000) / 1000;
  const go = h > 0 ? `${h}h${m}m${s}s` : m > 0 ? `${m}m${s}s` : `${s}s`;
  return go.replace(/m0s$/, "m").replace(/h0m$/, "h");
}

/** A short, stable name part from content (Swarm configs are immutable: new content, new name). */
const digest = (text: string) => createHash("sha256").update(text).digest("hex").slice(0, 12);
/** A resource-name-safe slug of a file path. */
const slug = (path: string) =>
  path
    .replace(/^\/+/, "")
    .replace(/[^a-zA-Z0-9]+/g, "-")
    .replace(/-+$/, "")
    .toLowerCase();

/**
 * Services on a Docker Swarm (engine swarm): one docker.Service per role, its rendered files as
 * content-named ServiceConfigs, its secret files as Swarm Secrets, overlay networks, the stateful
 * roles pinned to the data node. The images are used by their local tags: nothing is pulled.
 */
export class SwarmEngine implements Engine {
  readonly kind = "swarm" as const;

  constructor(
    private readonly stack: pulumi.ComponentResource,
    private readonly plan: SwarmPlan,
    /**
     * Keys the names of Secrets: the name must change with the value (Swarm secrets are immutable),
     * but a plain hash of a secret in a name anyone with `docker secret ls` reads could be guessed back.
     */
    private readonly secretNameKey: pulumi.Output<string>,
  ) {}

  createNetwork(resourceName: string, planned: NetworkPlan): pulumi.Output<string> {
    return new docker.Network(
      resourceName,
      {
        name: planned.name,
        driver: "overlay",
        attachable: planned.attachable ?? false,
        internal: planned.internal,
        ipamConfigs: planned.subnet ? [{ subnet: planned.subnet }] : undefined,
        labels: Object.entries(planned.labels).map(([label, value]) => ({ label, value })),
      },
      { parent: this.stack, deleteBeforeReplace: true },
    ).name;
  }

  helperImage(_resourceName: string, image: string): pulumi.Input<string> {
    // No helper jobs on a Swarm: files travel as ServiceConfigs, volumes are created by the tasks.
    return image;
  }

  createService(parent: pulumi.ComponentResource, name: string, args: ServiceArgs, dependsOn: pulumi.Resource[] = []): ServiceHandle {
    const { plan, wiring, common } = args;
    const role = this.plan.roles[plan.role];
    if (!role) throw new pulumi.ResourceError(`service ${plan.role}: the swarm plan has no role of that name`, parent);
    const serviceName = `${common.environment}-${plan.role}`;
    const stackLabel = { label: STACK_LABEL, value: common.environment };
    const opts = { parent };

    const unknownPorts = Object.keys(wiring.publish).filter((p) => !plan.ports.some((port) => port.name === p));
    const unknownNetworks = wiring.networks.filter((n) => common.networks[n.network] === undefined).map((n) => n.network);
    if (unknownPorts.length > 0 || wiring.networks.length === 0 || unknownNetworks.length > 0) {
      throw new pulumi.ResourceError(
        `service ${plan.role}: ${unknownPorts.length > 0 ? `cannot publish ${unknownPorts.join(", ")}` : wiring.networks.length === 0 ? "joins no network" : `joins ${unknownNetworks.join(", ")}, which the stack does not have`}`,
        parent,
      );
    }
    if (plan.hostMounts.length > 0) {
      // Settings refuse what needs one (logs.dockerLogs); a plan that still has one is a bug.
      throw new pulumi.ResourceError(`service ${plan.role}: host-path mounts are not supported by the swarm engine`, parent);
    }

    // Rendered files: one ServiceConfig each, named after its content. A change creates a new
    // config, the service moves to it (a rolling update), then the old one is deleted.
    const configs = plan.files.map((file) => {
      const config = new docker.ServiceConfig(
        `${name}-config-${slug(file.path)}`,
        {
          // Swarm object names: at most 64 of [A-Za-z0-9_-]; the path is in the label.
          name: `${serviceName}-${digest(`${file.path}\n${file.content}`)}`,
          data: Buffer.from(file.content).toString("base64"),
          labels: [stackLabel, { label: FILE_LABEL, value: file.path }],
        },
        opts,
      );
      return { file, config };
    });
    // Secret files: Swarm Secrets (encrypted in the Raft log, tmpfs in the task), never a config or env.
    const secrets = plan.secretFiles.map((file) => {
      const value = common.reveal(file.value);
      const suffix = pulumi
        .all([this.secretNameKey, value])
        .apply(([key, v]) => createHmac("sha256", key).update(`${file.path}\n${v}`).digest("hex").slice(0, 12));
      const secret = new docker.Secret(
        `${name}-secret-${file.secret}`,
        {
          name: pulumi.interpolate`${serviceName}-secret-${suffix}`,
          data: value.apply((v) => Buffer.from(v).toString("base64")),
          labels: [stackLabel, { label: FILE_LABEL, value: file.path }],
        },
        { ...opts, additionalSecretOutputs: ["data"] },
      );
      return { file, secret };
    });

    const volumeName = (volume: { name: string }) =>
      role.volumePerSlot ? `${serviceName}-${volume.name}-{{.Task.Slot}}` : `${serviceName}-${volume.name}`;
    const tmpfs = [...CONTAINER_POLICY.tmpfs, ...(plan.tmpfs ?? [])];

    const service = new docker.Service(
      `${name}-service`,
      {
        name: serviceName,
        labels: [stackLabel, ...Object.entries(wiring.labels).map(([label, value]) => ({ label, value }))],
        taskSpec: {
          containerSpec: {
            image: plan.image,
            commands: plan.entrypoint,
            args: plan.command,
            // Absent rather than empty: the provider reads no env back as none, and `{}` would diff.
            env: Object.keys(plan.env).length > 0 ? plan.env : undefined,
            user: role.runAsRoot ? "0:0" : plan.user,
            readOnly: CONTAINER_POLICY.readOnly,
            capDrops: [...CONTAINER_POLICY.dropCapabilities],
            capAdds: plan.capabilities,
            stopGracePeriod: SWARM_POLICY.stopGracePeriod,
            mounts: [
              ...plan.volumes.map((volume) => ({
                type: "volume",
                source: volumeName(volume),
                target: volume.containerPath,
                // The label `--purge-data` and `docker volume ls --filter label=` find them by, on each node.
                volumeOptions: { labels: [stackLabel] },
              })),
              ...tmpfs.map((t) => ({
                type: "tmpfs",
                target: t.path,
                // Swarm's tmpfs takes no owner: world-writable with the sticky bit.
                tmpfsOptions: { sizeBytes: t.sizeMb * 1024 * 1024, mode: 0o1777 },
              })),
            ],
            configs: configs.map(({ file, config }) => ({
              configId: config.id,
              configName: config.name,
              fileName: file.path,
              fileUid: "0",
              fileGid: "0",
              fileMode: SWARM_POLICY.configFileMode,
            })),
            secrets: secrets.map(({ file, secret }) => ({
              secretId: secret.id,
              secretName: secret.name,
              fileName: file.path,
              fileUid: "0",
              fileGid: "0",
              fileMode: SWARM_POLICY.secretFileMode,
            })),
            healthcheck: plan.healthcheck
              ? {
                  tests: plan.healthcheck.test,
                  interval: swarmDuration(plan.healthcheck.interval),
                  timeout: swarmDuration(plan.healthcheck.timeout),
                  retries: plan.healthcheck.retries,
                  startPeriod: swarmDuration(plan.healthcheck.startPeriod),
                }
              : undefined,
          },
          resources: {
            limits: { memoryBytes: plan.memoryMb * 1024 * 1024, nanoCpus: Math.round(wiring.cpus * 1e9) },
          },
          restartPolicy: { ...SWARM_POLICY.restart },
          placement: role.pinned ? { constraints: [this.plan.placement] } : undefined,
          networksAdvanceds: wiring.networks.map((n) => ({ name: common.networks[n.network]!, aliases: n.aliases })),
          logDriver: { name: CONTAINER_POLICY.logDriver, options: { ...CONTAINER_POLICY.logOpts } },
        },
        mode: role.mode === "global" ? { global: true } : { replicated: { replicas: role.replicas } },
        // No IPVS assumed: DNS round robin, and ports on the node the task runs on.
        endpointSpec: {
          mode: "dnsrr",
          ports: plan.ports
            .filter((port) => wiring.publish[port.name] !== undefined)
            .map((port) => ({
              name: port.name,
              targetPort: port.internal,
              publishedPort: wiring.publish[port.name]!,
              publishMode: "host",
              protocol: CONTAINER_POLICY.protocol,
            })),
        },
        updateConfig: { ...SWARM_POLICY.update, order: role.updateOrder },
        rollbackConfig: { ...SWARM_POLICY.rollback, order: role.updateOrder },
        // The provider refuses converge_config on a global service ("conflicts with mode.0.global",
        // measured on the lab): `up` waits for every replicated one, not for the agents.
        convergeConfig: role.mode === "replicated" ? { ...SWARM_POLICY.converge } : undefined,
      },
      // Named: a replacement (e.g. global ↔ replicated) cannot exist next to the old one.
      { ...opts, deleteBeforeReplace: true, dependsOn },
    );
    return { name: service.name, resource: service };
  }
}
