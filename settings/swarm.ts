import { z } from "zod";

/**
 * Which engine runs the stack. `docker`: containers on one Docker host (the default). `swarm`:
 * services on a Docker Swarm (configs/swarm.ts): a collector agent on every node, replicated
 * gateways, the stateful roles pinned to the data node.
 */
export const ENGINES = ["docker", "swarm"] as const;
export type Engine = (typeof ENGINES)[number];

/** A Docker node label as `key=value` (what `docker node update --label-add` takes). */
const NODE_LABEL = /^([a-z0-9]([a-z0-9._-]*[a-z0-9])?)=([A-Za-z0-9._-]{1,63})$/;

/** The data node's label when `swarm.dataNode` is not set. */
export const DEFAULT_DATA_NODE_LABEL = "obs.data=true";
/** Gateway replicas when `collector.replicas` is not set (swarm only). */
export const DEFAULT_GATEWAY_REPLICAS = 2;
export const MAX_GATEWAY_REPLICAS = 16;

export const swarmSchema = z.strictObject({
  /**
   * The node label (`key=value`) of the node that holds the data: backends, Grafana and Traefik are
   * placed there by constraint `node.labels.<key>==<value>`, their volumes are that node's.
   * @default obs.data=true
   */
  dataNode: z
    .string()
    .regex(NODE_LABEL, {
      error:
        "must be a node label as key=value (key: [a-z0-9._-], alphanumeric at both ends; value: 1-63 of [A-Za-z0-9._-]), e.g. obs.data=true",
    })
    .optional(),
});

export const gatewayReplicas = z
  .number()
  .int({ error: "must be a whole number" })
  .min(1, { error: `must be 1 to ${MAX_GATEWAY_REPLICAS}` })
  .max(MAX_GATEWAY_REPLICAS, {
    error: `must be 1 to ${MAX_GATEWAY_REPLICAS}: every gateway holds the tier's collector memory`,
  });

/** The swarm settings as the plan reads them: every default resolved. */
export interface SwarmSettings {
  dataNode: { key: string; value: string };
  gatewayReplicas: number;
}

export function parseNodeLabel(label: string): { key: string; value: string } {
  const match = NODE_LABEL.exec(label);
  if (!match) throw new Error(`not a node label key=value: ${label}`);
  return { key: match[1]!, value: match[3]! };
}

/** The parts of the settings the swarm rules look at. */
export interface SwarmContext {
  engine: Engine;
  swarm?: { dataNode?: string };
  collector: { replicas?: number };
  logs: { dockerLogs: boolean };
  traefik: { mode: string };
  ingest: { route: boolean };
  exposure: { bindAddress: string; ports: Record<string, number | undefined> };
  data: { keepOnDelete?: boolean };
}

export interface SwarmProblem {
  path: (string | number)[];
  input: unknown;
  message: string;
}

/**
 * What the swarm engine cannot do in this version, each with the reason; and the swarm-only keys
 * given to the docker engine (they would silently do nothing).
 */
export function swarmProblems(s: SwarmContext): SwarmProblem[] {
  const problems: SwarmProblem[] = [];
  if (s.engine !== "swarm") {
    if (s.swarm !== undefined) {
      problems.push({ path: ["swarm"], input: s.swarm, message: `only used with engine swarm (engine is ${s.engine}); remove it` });
    }
    if (s.collector.replicas !== undefined) {
      problems.push({
        path: ["collector", "replicas"],
        input: s.collector.replicas,
        message: `only used with engine swarm (engine is ${s.engine}: one collector container); remove it`,
      });
    }
    return problems;
  }
  if (s.logs.dockerLogs) {
    problems.push({
      path: ["logs", "dockerLogs"],
      input: true,
      message:
        "is not supported with engine swarm in this version: reading Docker's log files needs a host-path mount of /var/lib/docker/containers into every agent, run as root; allowed: false",
    });
  }
  if (s.traefik.mode === "external") {
    problems.push({
      path: ["traefik", "mode"],
      input: "external",
      message:
        "is not supported with engine swarm in this version: an existing Traefik finds the stack through container labels on its Docker host's socket, which sees no Swarm service; allowed: managed, none",
    });
  }
  if (s.ingest.route) {
    problems.push({
      path: ["ingest", "route"],
      input: true,
      message:
        "is not supported with engine swarm in this version: apps send to their own node's agent on the published OTLP ports; allowed: false",
    });
  }
  if (s.data.keepOnDelete === false) {
    problems.push({
      path: ["data", "keepOnDelete"],
      input: false,
      message:
        "cannot be honoured with engine swarm: each task's volume is created by Swarm on the node it runs on, where the manager's API cannot delete it, so data volumes always outlive destroy; allowed: true, or leave it unset (remove them per node: docker volume rm $(docker volume ls -q --filter label=obs.stack=<environment>))",
    });
  }
  const published = Object.entries(s.exposure.ports)
    .filter(([, port]) => port !== undefined)
    .map(([name]) => `exposure.ports.${name}`);
  if (published.length > 0 && s.exposure.bindAddress !== "0.0.0.0") {
    problems.push({
      path: ["exposure", "bindAddress"],
      input: s.exposure.bindAddress,
      message: `cannot be honoured with engine swarm: Swarm publishes a port (${published.join(", ")}) on every address of its node, with no host address to bind to; allowed: 0.0.0.0 (with what publishing off loopback requires: ingest.tls), or publish no port`,
    });
  }
  return problems;
}

/** The resolved swarm settings (defaults applied). */
export function swarmSettingsOf(s: Pick<SwarmContext, "swarm" | "collector">): SwarmSettings {
  return {
    dataNode: parseNodeLabel(s.swarm?.dataNode ?? DEFAULT_DATA_NODE_LABEL),
    gatewayReplicas: s.collector.replicas ?? DEFAULT_GATEWAY_REPLICAS,
  };
}
