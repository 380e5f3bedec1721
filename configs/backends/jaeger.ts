import { SCRAPE_JOBS } from "../../dashboards";
import { retentionHours } from "../../settings";
import { NON_ROOT_UID } from "../../settings/names";
import { grafanaLiteral, toYaml } from "../serialize";
import { DATASOURCE_UIDS, DatasourcePlan, ExporterPlan } from "../types";
import { Backend, BackendContext, goHours, httpHealthcheck, portsOf } from "./contract";

export const JAEGER_CONFIG_PATH = "/etc/jaeger/config.yaml";

/**
 * Jaeger v2 (collector-based; v1 all-in-one is end-of-life). Takes OTLP from our collector.
 * Storage is always bounded: badger with a TTL of `traces.retention`, or memory with the tier's
 * `maxTraces`.
 */
export const jaeger: Backend<"jaeger"> = {
  kind: "jaeger",
  displayName: "Jaeger",
  signal: "traces",
  role: "jaeger",
  defaultPorts: { query: 16686, "query-grpc": 16685, "otlp-grpc": 4317, "otlp-http": 4318, health: 13133, metrics: 8888 },
  grafanaPlugins: [],
  plan(ctx) {
    const ports = portsOf(this, ctx);
    const badger = ctx.settings.traces.storage === "badger";
    return {
      service: {
        role: this.role,
        image: ctx.settings.images.jaeger,
        command: ["--config", JAEGER_CONFIG_PATH],
        env: {},
        memoryMb: ctx.tier.memoryMb.jaeger,
        ports: [{ name: "query", internal: ports.query! }],
        volumes: badger ? [{ name: "data", containerPath: "/badger", ownerUid: NON_ROOT_UID }] : [],
        hostMounts: [],
        files: [{ path: JAEGER_CONFIG_PATH, content: renderJaegerConfig(jaegerConfigInput(ctx, ports)) }],
        secretFiles: [],
        healthcheck: httpHealthcheck(ports.health!, "/status"),
        route: { subdomain: "jaeger", port: ports.query!, protectWithBasicAuth: true },
      },
      exporter: otlpTracesExporter(ctx.host, ports["otlp-grpc"]!),
      queryUrl: `http://${ctx.host}:${ports.query}`,
      datasource: tracesDatasource({
        name: this.displayName,
        type: "jaeger",
        url: `http://${ctx.host}:${ports.query}`,
        appName: ctx.settings.appName,
        logsEnabled: ctx.logsEnabled,
        extra: {},
      }),
      scrape: [{ job: SCRAPE_JOBS.jaeger, target: `${ctx.host}:${ports.metrics}`, path: "/metrics" }],
    };
  },
};

export interface JaegerConfigInput {
  storage: { kind: "memory"; maxTraces: number } | { kind: "badger"; directory: string; ttlHours: number };
  ports: Record<string, number>;
  /** Bind address inside the container. */
  bind: string;
}

function jaegerConfigInput(ctx: BackendContext, ports: Record<string, number>): JaegerConfigInput {
  return {
    storage:
      ctx.settings.traces.storage === "badger"
        ? { kind: "badger", directory: "/badger", ttlHours: retentionHours(ctx.settings.traces.retention) }
        : { kind: "memory", maxTraces: ctx.tier.maxTraces },
    ports,
    bind: "0.0.0.0",
  };
}

export function renderJaegerConfig(input: JaegerConfigInput): string {
  const { ports, bind } = input;
  const store =
    input.storage.kind === "memory"
      ? { memory: { max_traces: input.storage.maxTraces } }
      : {
          badger: {
            directories: { keys: `${input.storage.directory}/keys`, values: `${input.storage.directory}/values` },
            ephemeral: false,
            ttl: { spans: goHours(input.storage.ttlHours) },
          },
        };
  return toYaml({
    service: {
      extensions: ["jaeger_storage", "jaeger_query", "healthcheckv2"],
      pipelines: {
        traces: { receivers: ["otlp"], processors: ["batch"], exporters: ["jaeger_storage_exporter"] },
      },
      telemetry: {
        resource: { "service.name": "jaeger" },
        metrics: { level: "detailed", readers: [{ pull: { exporter: { prometheus: { host: bind, port: ports.metrics } } } }] },
        logs: { level: "info" },
      },
    },
    extensions: {
      healthcheckv2: { use_v2: true, http: { endpoint: `${bind}:${ports.health}` } },
      jaeger_query: {
        storage: { traces: "main" },
        http: { endpoint: `${bind}:${ports.query}` },
        grpc: { endpoint: `${bind}:${ports["query-grpc"]}` },
      },
      jaeger_storage: { backends: { main: store } },
    },
    receivers: {
      otlp: {
        protocols: {
          grpc: { endpoint: `${bind}:${ports["otlp-grpc"]}` },
          http: { endpoint: `${bind}:${ports["otlp-http"]}` },
        },
      },
    },
    processors: { batch: {} },
    exporters: { jaeger_storage_exporter: { trace_storage: "main" } },
  });
}

/** Both trace backends take OTLP gRPC inside the stack network (plain: it never leaves the host). */
export function otlpTracesExporter(host: string, port: number): ExporterPlan {
  return {
    id: "otlp_grpc/traces",
    type: "otlp_grpc",
    signals: ["traces"],
    config: { endpoint: `${host}:${port}`, tls: { insecure: true } },
    secretFiles: [],
  };
}

/**
 * Trace datasource with links: span → the app's request metrics (job = service.name) and, when a
 * logs backend runs, span → its logs by trace id. Shared by Jaeger and Tempo.
 */
export function tracesDatasource(input: {
  name: string;
  type: "jaeger" | "tempo";
  url: string;
  appName: string;
  logsEnabled: boolean;
  extra: Record<string, unknown>;
}): DatasourcePlan {
  const links: Record<string, unknown> = {
    tracesToMetrics: {
      datasourceUid: DATASOURCE_UIDS.metrics,
      spanStartTimeShift: "-5m",
      spanEndTimeShift: "5m",
      tags: [{ key: "service.name", value: "job" }],
      queries: [
        {
          name: "Request rate",
          query: grafanaLiteral(`sum by (status) (rate(${input.appName}_http_requests_total{$__tags}[5m]))`),
        },
        {
          name: "p95 latency",
          query: grafanaLiteral(
            `histogram_quantile(0.95, sum by (le) (rate(${input.appName}_http_request_duration_seconds_bucket{$__tags}[5m])))`,
          ),
        },
      ],
    },
  };
  if (input.logsEnabled) {
    links.tracesToLogsV2 = {
      datasourceUid: DATASOURCE_UIDS.logs,
      filterByTraceID: true,
      filterBySpanID: false,
      spanStartTimeShift: "-5m",
      spanEndTimeShift: "5m",
      tags: [{ key: "service.name", value: "service_name" }],
    };
  }
  return {
    name: input.name,
    type: input.type,
    uid: DATASOURCE_UIDS.traces,
    access: "proxy",
    url: input.url,
    isDefault: false,
    editable: false,
    jsonData: { ...links, nodeGraph: { enabled: true }, ...input.extra },
  };
}
