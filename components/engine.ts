import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { NetworkPlan } from "../configs/stack";
import { createService, ServiceArgs } from "./service";

/** A created service: its name on the engine (container or Swarm service) and the resource later ones wait for. */
export interface ServiceHandle {
  name: pulumi.Output<string>;
  resource: pulumi.Resource;
}

/**
 * What runs the stack: the one seam between the plan and the Docker objects. The stack component
 * picks the implementation once (components/stack.ts); every other component only calls it.
 * `docker`: containers on one host (components/service.ts). `swarm`: services on a Docker Swarm
 * (components/engine-swarm.ts).
 */
export interface Engine {
  readonly kind: "docker" | "swarm";
  /** Create one network the plan lists (`planned.create`); returns its name as an Output later services wait on. */
  createNetwork(resourceName: string, planned: NetworkPlan): pulumi.Output<string>;
  /**
   * The image helper jobs run (volume init, config carriers): pulled once per stack where the engine
   * has helper jobs; the plain reference where it has none.
   */
  helperImage(resourceName: string, image: string): pulumi.Input<string>;
  /** Create one service (children of `parent`, named `${name}-<role>`) after `dependsOn`. */
  createService(parent: pulumi.ComponentResource, name: string, args: ServiceArgs, dependsOn?: pulumi.Resource[]): ServiceHandle;
}

/** Containers on one Docker host: what the program has always created. */
export class DockerEngine implements Engine {
  readonly kind = "docker" as const;

  constructor(private readonly stack: pulumi.ComponentResource) {}

  createNetwork(resourceName: string, planned: NetworkPlan): pulumi.Output<string> {
    // Named: a replacement (e.g. a new subnet) cannot exist next to the old one.
    return new docker.Network(
      resourceName,
      {
        name: planned.name,
        driver: planned.driver,
        internal: planned.internal,
        ipamConfigs: planned.subnet ? [{ subnet: planned.subnet }] : undefined,
        labels: Object.entries(planned.labels).map(([label, value]) => ({ label, value })),
      },
      { parent: this.stack, deleteBeforeReplace: true },
    ).name;
  }

  helperImage(resourceName: string, image: string): pulumi.Input<string> {
    return new docker.RemoteImage(resourceName, { name: image, keepLocally: true }, { parent: this.stack }).imageId;
  }

  createService(parent: pulumi.ComponentResource, name: string, args: ServiceArgs, dependsOn: pulumi.Resource[] = []): ServiceHandle {
    const { container } = createService(parent, name, args, dependsOn);
    return { name: container.name, resource: container };
  }
}
