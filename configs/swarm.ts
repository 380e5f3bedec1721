/**
 * The stack on a Docker Swarm (engine swarm, issue 19), as data: the OpenTelemetry agent/gateway
 * pattern. A collector **agent** runs on every node (a `global` service): the node's apps send OTLP to
 * it on the node's published ports, it adds the node's host metrics, keeps a persistent queue on a
 * node-local volume and forwards everything to the **gateways** (a replicated service: today's
 * collector config, OTLP in → backends, span metrics). The stateful roles are pinned to the data node.
 *
 * Pure: no Pulumi. `planSwarmStack` reshapes the docker plan (configs/stack.ts) and the swarm engine
 * (components/engine-swarm.ts) creates what it says.
 */
import type { Settings, Tier } from "../settings";
import { NON_ROOT_UID } from "../settings/names";
import { swarmSettingsOf } from "../settings/swarm";
import {
  COLLECTOR_CONFIG_PATH,
  COLLECTOR_DATA_DIR,
  COLLECTOR_PORTS,
  COLLECTOR_ROLE,
  CollectorConfigInput,
  CollectorPorts,
  collectorRuntimeEnv,
  collectorServicePlan,
  INGEST_AUTHENTICATOR,
  INGEST_HTPASSWD_PATH,
  INGEST_TLS_CERT_PATH,
  INGEST_TLS_KEY_PATH,
  memoryLimiterConfig,
  otlpReceiver,
  RETRY,
  selfMetricsReaders,
} from "./collector";
import { toYaml } from "./serialize";
import type { NetworkPlan, StackPlan } from "./stack";
import type { ServicePlan, ServiceWiring, Signal } from "./types";

/** The agent's role: `<environment>-otel-agent`, one task per node. */
export const AGENT_ROLE = "otel-agent";
/** The gateway keeps the collector's role (`<environment>-otel-collector`): backends, Traefik and the probe know it by that name. */
export const GATEWAY_ROLE = COLLECTOR_ROLE;

/** Environment of a Swarm task, filled by Swarm's service templates (docs: "service create", templates). */
const NODE_NAME_ENV = "OBS_NODE_NAME";
const TASK_NAME_ENV = "OBS_TASK_NAME";
const SWARM_TEMPLATES = { [NODE_NAME_ENV]: "{{.Node.Hostname}}", [TASK_NAME_ENV]: "{{.Task.Name}}" } as const;

/** The agent's host metrics: what /proc shows for the whole node from inside a container (no host mount). */
export const HOST_METRICS_SCRAPERS = ["cpu", "memory", "load"] as const;
const HOST_METRICS_INTERVAL = "30s";

export interface AgentConfigInput {
  environment: string;
  memoryMb: number;
  queueSize: number;
  batch: Tier["batch"];
  /** Address the OTLP receivers bind to (0.0.0.0 in a task: the node's published ports). */
  bind: string;
  /** The agent's own health and metrics endpoints: loopback only (apps on the ingest network reach nothing else). */
  internalHost: string;
  ports: CollectorPorts;
  /** The gateways: a DNS name returning every gateway task (`tasks.<service>`), and their OTLP gRPC port. */
  gateway: { host: string; port: number };
  /** The signals the gateways take (their pipelines): the agent forwards exactly these. */
  signals: Signal[];
  /** Spans of one trace always to the same gateway (span metrics, tail sampling): the loadbalancing exporter by trace id. */
  loadBalanceTraces: boolean;
  queueDirectory?: string;
  retryMaxElapsed: string;
  /** What protects the OTLP receivers (the same as the docker engine's collector). */
  ingest?: CollectorConfigInput["ingest"];
  /** The node's name (a `${env:…}` reference on a Swarm): `instance` and host.name of its host metrics. */
  nodeName: string;
}

const GATEWAY_EXPORTER = "otlp_grpc/gateway";
const LOADBALANCING_EXPORTER = "loadbalancing/traces";

/** The agent's collector config as a plain object (serialise with renderAgentYaml). */
export function renderAgentConfig(input: AgentConfigInput): Record<string, unknown> {
  const { ports } = input;
  const storage = input.queueDirectory ? { storage: "file_storage/queue" } : {};
  const queue = {
    enabled: true,
    queue_size: input.queueSize,
    num_consumers: 4,
    ...storage,
    // After the queue, as in the gateway: what the receiver acknowledged is persisted first.
    batch: { flush_timeout: input.batch.timeout, min_size: input.batch.sendBatchSize, max_size: input.batch.sendBatchMaxSize },
  };
  // Inside the stack's backend network: plain gRPC (the overlay is the stack's own, internal), zstd
  // between nodes (the gateway is the same pinned collector; cheaper than the default gzip).
  const otlp = { tls: { insecure: true }, timeout: "10s", compression: "zstd" };
  const exporters: Record<string, unknown> = {
    // `dns:///` with round_robin: every gateway task the name returns gets connections, and the
    // list is re-resolved when a connection closes: a replica killed or rescheduled, or the gateway
    // closing it after GATEWAY_MAX_CONNECTION_AGE (so replicas added later get connections too).
    [GATEWAY_EXPORTER]: {
      endpoint: `dns:///${input.gateway.host}:${input.gateway.port}`,
      balancer_name: "round_robin",
      ...otlp,
      retry_on_failure: RETRY(input.retryMaxElapsed),
      sending_queue: queue,
    },
  };
  if (input.loadBalanceTraces && input.signals.includes("traces")) {
    exporters[LOADBALANCING_EXPORTER] = {
      routing_key: "traceID",
      protocol: { otlp },
      // Re-resolved every 5 s: a gateway that comes or goes changes the ring within seconds.
      resolver: { dns: { hostname: input.gateway.host, port: String(input.gateway.port), interval: "5s", timeout: "1s" } },
      retry_on_failure: RETRY(input.retryMaxElapsed),
      sending_queue: queue,
    };
  }

  const receivers: Record<string, unknown> = {
    otlp: otlpReceiver(input.bind, ports, input.ingest),
    hostmetrics: {
      collection_interval: HOST_METRICS_INTERVAL,
      scrapers: Object.fromEntries(HOST_METRICS_SCRAPERS.map((s) => [s, {}])),
    },
  };
  const processors: Record<string, unknown> = {
    memory_limiter: memoryLimiterConfig(input.memoryMb),
    // Only on the host-metrics pipeline (apps keep their own resource): the node's series are
    // `{job="otel-agent", instance="<node>"}` in the metrics backend.
    "resource/node": {
      attributes: [
        { key: "service.name", value: AGENT_ROLE, action: "upsert" },
        { key: "service.instance.id", value: input.nodeName, action: "upsert" },
        { key: "host.name", value: input.nodeName, action: "upsert" },
      ],
    },
  };
  const pipelines: Record<string, unknown> = {};
  for (const signal of input.signals) {
    pipelines[signal] = {
      receivers: ["otlp"],
      processors: ["memory_limiter"],
      exporters: [signal === "traces" && exporters[LOADBALANCING_EXPORTER] ? LOADBALANCING_EXPORTER : GATEWAY_EXPORTER],
    };
  }
  if (input.signals.includes("metrics")) {
    pipelines["metrics/host"] = {
      receivers: ["hostmetrics"],
      processors: ["memory_limiter", "resource/node"],
      exporters: [GATEWAY_EXPORTER],
    };
  }
  const extensions: Record<string, unknown> = {
    health_check: { endpoint: `${input.internalHost}:${ports.health}` },
    ...(input.queueDirectory
      ? {
          "file_storage/queue": {
            directory: input.queueDirectory,
            create_directory: true,
            timeout: "1s",
            compaction: { on_start: true, on_rebound: true, directory: input.queueDirectory },
          },
        }
      : {}),
    ...(input.ingest?.htpasswdFile ? { [INGEST_AUTHENTICATOR]: { htpasswd: { file: input.ingest.htpasswdFile } } } : {}),
  };
  return {
    extensions,
    receivers,
    processors,
    exporters,
    service: {
      extensions: Object.keys(extensions),
      telemetry: {
        resource: { attributes: [{ name: "service.name", value: AGENT_ROLE }] },
        logs: { level: "info", encoding: "json" },
        metrics: { level: "normal", readers: selfMetricsReaders(input.internalHost, ports.metrics) },
      },
      pipelines,
    },
  };
}

export function renderAgentYaml(input: AgentConfigInput): string {
  return toYaml(renderAgentConfig(input));
}

/** The gateway's input: the docker engine's collector, minus what the agents now do (ingest auth/TLS, Docker logs). */
/**
 * How long an agent's connection to a gateway task lives. The agents' round_robin resolves
 * `tasks.<gateway>` again only when a connection closes, so without it a replica added by
 * `collector.replicas` got no connection until something failed (bench/swarm.ts: the new task at
 * 2–4 % of a core while the old one did the work). After this the gateway closes the connection
 * (in-flight calls get 10 s), the agent reconnects and spreads over every task the name returns.
 */
export const GATEWAY_MAX_CONNECTION_AGE = "60s";

export function gatewayConfigInput(collector: CollectorConfigInput): CollectorConfigInput {
  return {
    ...collector,
    // Health and metrics on every address of the task: the gateway is on the backend network only
    // (no app reaches it), and with several replicas a DNS alias would name the others' addresses too.
    bind: "0.0.0.0",
    internalHost: undefined,
    ingest: {},
    dockerLogs: undefined,
    selfInstance: `\${env:${TASK_NAME_ENV}}`,
    maxConnectionAge: GATEWAY_MAX_CONNECTION_AGE,
  };
}

/** How Swarm runs one role. */
export interface SwarmRolePlan {
  /** `global`: one task on every node (the agent); `replicated`: `replicas` tasks. */
  mode: "global" | "replicated";
  replicas: number;
  /** Placed on the data node (`node.labels.<key>==<value>`): its volumes are that node's. */
  pinned: boolean;
  /**
   * start-first (the new task serves before the old one stops) only where two tasks never share a
   * volume: no volume and not pinned. Everything else stops first (a queue or database directory
   * is locked by one process).
   */
  updateOrder: "start-first" | "stop-first";
  /** Each replica gets its own volume (`<name>-{{.Task.Slot}}`): two replicas on one node never share a queue. */
  volumePerSlot: boolean;
  /**
   * Swarm creates a task's named volume root-owned, and no init job can chown it first on another
   * node: a role whose volume needs an owner runs as uid 0 with every capability dropped (it can
   * write what it owns, nothing more). Docker 20.10 services take no ulimit, so nproc is unbounded.
   */
  runAsRoot: boolean;
}

export interface SwarmPlan {
  /** The data node's label: placement constraint of every pinned role. */
  dataNode: { key: string; value: string };
  /** `node.labels.<key>==<value>`. */
  placement: string;
  agent: ServicePlan;
  agentConfig: AgentConfigInput;
  gatewayConfig: CollectorConfigInput;
  /** Per role (ServicePlan.role), every service of the plan. */
  roles: Record<string, SwarmRolePlan>;
}

const INGEST_SECRET_PATHS = [INGEST_HTPASSWD_PATH, INGEST_TLS_CERT_PATH, INGEST_TLS_KEY_PATH];

/**
 * The docker plan reshaped for a Swarm: the collector becomes the gateways (unpublished, backend
 * network only) and an agent per node takes its published ports, ingest credentials and TLS; every
 * network is an overlay (the ingest one attachable, for apps in plain containers).
 */
export function planSwarmStack(settings: Settings, plan: StackPlan): StackPlan {
  const swarm = swarmSettingsOf(settings);
  const gatewayConfig = gatewayConfigInput(plan.collectorConfig);
  const gatewayFull = collectorServicePlan({
    image: settings.images.collector,
    config: gatewayConfig,
    extras: settings.exporters,
  });
  const gateway: ServicePlan = { ...gatewayFull, env: { ...gatewayFull.env, [TASK_NAME_ENV]: SWARM_TEMPLATES[TASK_NAME_ENV] } };
  const signals = (["metrics", "traces", "logs"] as const).filter((signal) =>
    plan.collectorConfig.exporters.some((e) => e.signals.includes(signal)),
  );
  const agentConfig: AgentConfigInput = {
    environment: settings.environment,
    memoryMb: plan.collectorConfig.memoryMb,
    queueSize: plan.collectorConfig.queueSize,
    batch: plan.collectorConfig.batch,
    bind: "0.0.0.0",
    internalHost: "127.0.0.1",
    ports: { ...COLLECTOR_PORTS },
    gateway: { host: `tasks.${settings.environment}-${GATEWAY_ROLE}`, port: COLLECTOR_PORTS.otlpGrpc },
    signals,
    loadBalanceTraces: settings.traces.spanMetrics.enabled,
    queueDirectory: plan.collectorConfig.queueDirectory,
    retryMaxElapsed: plan.collectorConfig.retryMaxElapsed,
    ingest: plan.collectorConfig.ingest,
    nodeName: `\${env:${NODE_NAME_ENV}}`,
  };
  const agent: ServicePlan = {
    role: AGENT_ROLE,
    image: settings.images.collector,
    command: [`--config=${COLLECTOR_CONFIG_PATH}`],
    env: { ...collectorRuntimeEnv(agentConfig.memoryMb), [NODE_NAME_ENV]: SWARM_TEMPLATES[NODE_NAME_ENV] },
    memoryMb: agentConfig.memoryMb,
    ports: plan.collector.ports,
    volumes: agentConfig.queueDirectory ? [{ name: "queue", containerPath: COLLECTOR_DATA_DIR, ownerUid: NON_ROOT_UID }] : [],
    hostMounts: [],
    files: [{ path: COLLECTOR_CONFIG_PATH, content: renderAgentYaml(agentConfig) }],
    secretFiles: plan.collector.secretFiles.filter((f) => INGEST_SECRET_PATHS.includes(f.path)),
    healthcheck: undefined,
  };

  const networks: NetworkPlan[] = plan.networks.map((network) => {
    const overlay: NetworkPlan = { ...network, driver: "overlay", attachable: network.purpose === "ingest" };
    switch (network.purpose) {
      case "ingest":
        // Apps in containers keep sending to `otel-collector`: on this network that is the agents.
        return { ...overlay, members: [{ role: AGENT_ROLE, aliases: [AGENT_ROLE, COLLECTOR_ROLE] }] };
      case "backend":
        return { ...overlay, members: [...overlay.members, { role: AGENT_ROLE, aliases: [AGENT_ROLE] }] };
      default:
        return overlay;
    }
  });
  const services = plan.services.flatMap((service) => (service.role === GATEWAY_ROLE ? [gateway, agent] : [service]));
  const attachments = (role: string) =>
    networks.flatMap((n) => n.members.filter((m) => m.role === role).map((m) => ({ network: n.name, aliases: m.aliases })));
  const collectorWiring = plan.wiring[GATEWAY_ROLE]!;
  const wiring: Record<string, ServiceWiring> = {};
  for (const service of services) {
    const base = service.role === AGENT_ROLE ? collectorWiring : plan.wiring[service.role]!;
    wiring[service.role] = {
      ...base,
      // The agents take the published OTLP ports; the gateways publish nothing.
      publish: service.role === GATEWAY_ROLE ? {} : base.publish,
      networks: attachments(service.role),
    };
  }

  const stateless = [AGENT_ROLE, GATEWAY_ROLE, plan.collectorProbe.role];
  const roles: Record<string, SwarmRolePlan> = {};
  for (const service of services) {
    const pinned = !stateless.includes(service.role);
    roles[service.role] = {
      mode: service.role === AGENT_ROLE ? "global" : "replicated",
      replicas: service.role === GATEWAY_ROLE ? swarm.gatewayReplicas : 1,
      pinned,
      updateOrder: !pinned && service.volumes.length === 0 ? "start-first" : "stop-first",
      volumePerSlot: service.role === GATEWAY_ROLE,
      runAsRoot: service.volumes.some((v) => v.ownerUid !== undefined),
    };
  }
  return {
    ...plan,
    collector: gateway,
    services,
    networks,
    network: networks.find((n) => n.purpose === "ingest")!,
    wiring,
    swarm: {
      dataNode: swarm.dataNode,
      placement: `node.labels.${swarm.dataNode.key}==${swarm.dataNode.value}`,
      agent,
      agentConfig,
      gatewayConfig,
      roles,
    },
  };
}
