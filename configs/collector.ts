import { SPAN_METRICS_BUCKETS_SECONDS, SPAN_METRICS_DURATION_UNIT, SPAN_METRICS_NAMESPACE } from "../dashboards";
import type { ExtraExporter, Secret, Settings, SpanMetricsSettings, Tier } from "../settings";
import { ingestAuthRequired } from "../settings/ingest";
import { COLLECTOR_SCRAPE_JOB, NOBODY_UID, NON_ROOT_UID, SECRET_NAMES } from "../settings/names";
import { httpHealthcheck } from "./healthcheck";
import { toYaml } from "./serialize";
import type { ExporterPlan, GeneratedSecret, ScrapeTarget, SecretFilePlan, ServicePlan, Signal } from "./types";

export const COLLECTOR_CONFIG_PATH = "/etc/otelcol-contrib/config.yaml";
export const COLLECTOR_SECRETS_DIR = "/etc/otelcol-contrib/secrets";
export const COLLECTOR_DATA_DIR = "/var/lib/otelcol";
/** `otlp:{SHA}<digest>`: the OTLP clients' credentials the basicauth extension checks (a secret file). */
export const INGEST_HTPASSWD_PATH = `${COLLECTOR_SECRETS_DIR}/ingest-htpasswd`;
export const INGEST_TLS_CERT_PATH = `${COLLECTOR_SECRETS_DIR}/ingest-tls.crt`;
export const INGEST_TLS_KEY_PATH = `${COLLECTOR_SECRETS_DIR}/ingest-tls.key`;
/** The user OTLP clients authenticate as; the password is generated (stack output `otlpHeaders`). */
export const INGEST_USER = "otlp";
/** Built-in component names never contain a dot; an extra destination's always do (collision-free ids). */
const extraName = (name: string) => `extra.${name}`;
export const SELF_SCRAPE_JOB = COLLECTOR_SCRAPE_JOB;

/** The collector's role: its DNS alias in the stack network, and the suffix of its container name. */
export const COLLECTOR_ROLE = "otel-collector";
/** Its alias on the backend network only: the health and metrics endpoints bind to it (CollectorConfigInput.internalHost). */
export const COLLECTOR_INTERNAL_ALIAS = `${COLLECTOR_ROLE}-internal`;

export const COLLECTOR_PORTS = { otlpGrpc: 4317, otlpHttp: 4318, health: 13133, metrics: 8888 } as const;
export type CollectorPorts = { [K in keyof typeof COLLECTOR_PORTS]: number };

export interface CollectorConfigInput {
  environment: string;
  /** Container memory limit: memory_limiter and GOMEMLIMIT are derived from it. */
  memoryMb: number;
  queueSize: number;
  batch: Tier["batch"];
  /** Address receivers and the health/metrics endpoints bind to (0.0.0.0 in a container). */
  bind: string;
  /**
   * Host the health and metrics endpoints bind to instead of `bind`: in the stack, a DNS alias the
   * collector has on the backend network only, so apps on the ingest network reach nothing but the
   * OTLP ports. @default - bind
   */
  internalHost?: string;
  ports: CollectorPorts;
  exporters: ExporterPlan[];
  /** Other services' /metrics to scrape into the metrics pipeline (the collector's own is added). */
  scrape: ScrapeTarget[];
  /** Directory of the persistent queues; undefined keeps queues in memory. */
  queueDirectory?: string;
  retryMaxElapsed: string;
  debug: boolean;
  /** Read Docker's json-file logs of every container on the host. */
  dockerLogs?: { include: string };
  /** What protects the OTLP receivers: credentials (an htpasswd file) and TLS (certificate and key files). */
  ingest?: { htpasswdFile?: string; tls?: { certFile: string; keyFile: string } };
  /**
   * Derive RED metrics from every span into the metrics pipeline (traces.spanMetrics); undefined:
   * off. `combinations`: the tier's total over all service instances (spanMetricsCombinations).
   */
  spanMetrics?: Omit<SpanMetricsSettings, "enabled"> & { combinations: number };
  /**
   * The collector's own `service.instance.id` (its series' `instance` label), e.g. `${env:…}` of a
   * Swarm task name. @default - a random id per process start
   */
  selfInstance?: string;
  /**
   * Close every OTLP gRPC client connection after this long (keepalive max_connection_age, Go
   * duration): the client reconnects and resolves the name again. The swarm gateway sets it so that
   * agents spread over replicas added later. @default - connections live as long as the client keeps them
   */
  maxConnectionAge?: string;
}

/** Where apps inside the stack network send OTLP (the collector's DNS alias is its role). */
export function collectorInternalEndpoints(role: string): { otlpGrpc: string; otlpHttp: string } {
  return { otlpGrpc: `${role}:${COLLECTOR_PORTS.otlpGrpc}`, otlpHttp: `http://${role}:${COLLECTOR_PORTS.otlpHttp}` };
}

/**
 * What the container's memory cgroup charges besides the Go runtime, kept out of the runtime's share:
 * the page cache of the ~110 MB binary (its hot code is ~16–20 MB under load, ~68 MB once every page
 * started up has been touched) and the dirty pages the persistent queue and the remote-write WAL
 * write faster than they can be dropped. Measured (docs/BENCHMARKS.md): with GOMEMLIMIT and the
 * limiter at 80 % of 128 MB the heap grew to ~81 MB under overload, the kernel evicted the code
 * pages (2.4 MB left mapped), and the collector wedged on major faults without ever refusing.
 */
export const COLLECTOR_NON_HEAP_MB = 64;

/**
 * The largest OTLP gRPC message this stack's receivers take (collector, swarm gateway, Jaeger), MiB.
 * Every exporter here batches by items, not bytes: up to the tier's sendBatchMaxSize spans (8,192
 * on large). gRPC's default of 4 MiB refused a batch of 2,048 spans of ~2 KiB as a permanent error,
 * and the exporter dropped it, acknowledged (test/integration/end-to-end.test.ts, "large spans");
 * 32 MiB carries the largest batch at 4 KiB per span on average. The HTTP receivers already take
 * 20 MiB (confighttp's max_request_body_size).
 */
export const OTLP_MAX_MESSAGE_MIB = 32;

/** The OTLP gRPC receiver's read buffer per client connection (grpc-go's default; the receiver's is 512 KiB). */
export const GRPC_READ_BUFFER_BYTES = 32 * 1024;

/**
 * memory_limiter and GOMEMLIMIT from the container limit, after COLLECTOR_NON_HEAP_MB: GOMEMLIMIT is
 * what is left, the limiter's hard limit 7/8 of it and its soft limit a quarter below (it forces a GC
 * there and refuses data when that frees too little: the backpressure senders see; memoryLimiterConfig).
 * REFERENCE's 80 % rule assumes the binary's pages are not charged to the same limit; in a container
 * they are.
 */
export function memoryLimits(memoryMb: number): { limitMib: number; spikeLimitMib: number; goMemLimitMib: number } {
  const goMemLimitMib = memoryMb - COLLECTOR_NON_HEAP_MB;
  const limitMib = Math.floor((goMemLimitMib * 7) / 8);
  return { limitMib, spikeLimitMib: Math.floor(limitMib / 4), goMemLimitMib };
}

/**
 * Go's GC target (`GOGC`): a cycle starts when the heap has grown this many % over what the last one
 * left live (Go's default 100). The collector's heap is mostly short-lived request copies, so a cycle
 * every doubling spends GC work on little. Measured on small, ours with persistentQueue false at 200
 * against the same config at 100, 6 pairs taking turns per signal (a scratch A/B, 2026-12-07): CPU per
 * item 0.89× at 70,000 points/s and 0.96× at 80,000 records/s, throughput 1.01× and 1.02×, nothing
 * refused (with the limiter's soft-limit GC below; without it 200 refused logs). The bench:pairs rows
 * in docs/BENCHMARKS.md measure this config against the seeds' baseline. What bounds the heap stays:
 * GOMEMLIMIT makes the runtime collect as it nears the limit whatever GOGC says, and the memory_limiter
 * forces a GC at its soft limit before it refuses anything (memoryLimiterConfig).
 */
export const COLLECTOR_GOGC = 200;

/** The collector container's Go runtime settings (every collector role: stack, Swarm gateway and agent). */
export function collectorRuntimeEnv(memoryMb: number): { GOMEMLIMIT: string; GOGC: string } {
  return { GOMEMLIMIT: `${memoryLimits(memoryMb).goMemLimitMib}MiB`, GOGC: String(COLLECTOR_GOGC) };
}

/**
 * The memory_limiter processor for a container of `memoryMb` (memoryLimits). Above its soft limit it
 * forces a GC at once and refuses only when that GC did not bring the heap back under it
 * (`min_gc_interval_when_soft_limited: 0s`; the limiter's own default waits 10 s between forced GCs and
 * refuses meanwhile). With COLLECTOR_GOGC the heap's garbage reaches the soft limit between cycles;
 * with the 10 s default the small collector refused 256,500 log records at 80,000/s whose heap was
 * garbage, not live data (scratch pairs, 2026-12-07). When a forced GC frees too little, the limiter
 * backs off (up to its 30 s default) and refuses: the backpressure senders see.
 */
export function memoryLimiterConfig(memoryMb: number): Record<string, unknown> {
  const limits = memoryLimits(memoryMb);
  return {
    check_interval: "1s",
    limit_mib: limits.limitMib,
    spike_limit_mib: limits.spikeLimitMib,
    min_gc_interval_when_soft_limited: "0s",
  };
}

/** Input for the stack's collector, from settings; tests override bind, ports and addresses. */
export function collectorInputFromSettings(
  settings: Settings,
  tier: Tier,
  exporters: ExporterPlan[],
  scrape: ScrapeTarget[],
): CollectorConfigInput {
  return {
    environment: settings.environment,
    memoryMb: tier.memoryMb.collector,
    queueSize: tier.queueSize,
    batch: tier.batch,
    bind: "0.0.0.0",
    ports: { ...COLLECTOR_PORTS },
    exporters,
    scrape,
    queueDirectory: settings.collector.persistentQueue ? `${COLLECTOR_DATA_DIR}/queue` : undefined,
    retryMaxElapsed: settings.collector.retryMaxElapsed,
    debug: settings.collector.debug,
    dockerLogs: settings.logs.dockerLogs ? { include: "/var/lib/docker/containers/*/*-json.log" } : undefined,
    spanMetrics: settings.traces.spanMetrics.enabled
      ? {
          dimensions: settings.traces.spanMetrics.dimensions,
          cardinalityLimit: settings.traces.spanMetrics.cardinalityLimit,
          combinations: tier.spanMetricsCombinations,
        }
      : undefined,
    ingest: {
      ...(ingestAuthRequired(settings) ? { htpasswdFile: INGEST_HTPASSWD_PATH } : {}),
      ...(settings.ingest.tls.mode === "files" ? { tls: { certFile: INGEST_TLS_CERT_PATH, keyFile: INGEST_TLS_KEY_PATH } } : {}),
    },
  };
}

/** Extra destinations from stack config, as exporter plans whose secrets are file references. */
export function extraExporterPlans(extras: ExtraExporter[], logsEnabled: boolean): ExporterPlan[] {
  return extras.map((extra) => {
    const secretFiles: SecretFilePlan[] = [];
    const secretRef = (header: string, value: Secret) => {
      // `.` is in neither an exporter's nor a header's alphabet: one file name per (exporter, header).
      const path = `${COLLECTOR_SECRETS_DIR}/${extraName(extra.name)}.header.${header.toLowerCase()}`;
      secretFiles.push({ path, secret: SECRET_NAMES.exporter(extra.name, header), value });
      return `\${file:${path}}`;
    };
    const headers: Record<string, string> = {};
    for (const header of Object.keys(extra.headers).sort()) headers[header] = secretRef(header, extra.headers[header]!);
    const optional = {
      ...(Object.keys(headers).length > 0 ? { headers } : {}),
      ...(extra.basicAuth ? { auth: { authenticator: `basicauth/${extraName(extra.name)}` } } : {}),
    };
    switch (extra.kind) {
      case "prometheusremotewrite":
        return {
          id: `prometheus_remote_write/${extraName(extra.name)}`,
          type: "prometheus_remote_write",
          signals: ["metrics"],
          config: { endpoint: extra.endpoint, ...optional },
          secretFiles,
        };
      case "otlphttp": {
        const wanted: Signal[] = extra.signals ?? ["metrics", "traces", ...(logsEnabled ? (["logs"] as const) : [])];
        return {
          id: `otlp_http/${extraName(extra.name)}`,
          type: "otlp_http",
          signals: wanted,
          config: { endpoint: extra.endpoint, ...optional },
          secretFiles,
        };
      }
      default: {
        const never: never = extra.kind;
        throw new Error(`unknown exporter kind ${String(never)}`);
      }
    }
  });
}

function basicAuthExtensions(extras: ExtraExporter[]): { extensions: Record<string, unknown>; secretFiles: SecretFilePlan[] } {
  const extensions: Record<string, unknown> = {};
  const secretFiles: SecretFilePlan[] = [];
  for (const extra of extras) {
    if (!extra.basicAuth) continue;
    const path = `${COLLECTOR_SECRETS_DIR}/${extraName(extra.name)}.basic-auth-password`;
    secretFiles.push({ path, secret: SECRET_NAMES.exporter(extra.name, "basicAuth.password"), value: extra.basicAuth.password });
    extensions[`basicauth/${extraName(extra.name)}`] = {
      client_auth: { username: extra.basicAuth.username, password: `\${file:${path}}` },
    };
  }
  return { extensions, secretFiles };
}

export const RETRY = (maxElapsed: string) => ({
  enabled: true,
  initial_interval: "1s",
  max_interval: "30s",
  // Bounded: past it the batch is dropped (and counted in otelcol_exporter_send_failed_*), so a
  // dead backend cannot grow the persistent queue without end.
  max_elapsed_time: maxElapsed,
});

function durationSeconds(duration: string): number {
  const match = /^(\d+)(ms|s|m|h)$/.exec(duration);
  if (!match) throw new Error(`not a duration: ${duration}`);
  const factor = { ms: 0.001, s: 1, m: 60, h: 3600 }[match[2] as "ms" | "s" | "m" | "h"];
  return Math.ceil(Number(match[1]) * factor);
}

/**
 * Idle keep-alive connections an HTTP exporter keeps per backend: at least its concurrent requests
 * (the remote-write exporter's 5 workers, the OTLP queue's 4 consumers). Go's default, 2, closed the
 * others after each request, so the remote-write exporter dialled a new connection for most WAL
 * exports (bench/profile.ts: net/http dialConn in the metrics profile).
 */
const HTTP_IDLE_CONNS_PER_HOST = 8;

/** Queue, batching and retry per exporter type: the one place that knows which keys each takes. */
function withDelivery(exporter: ExporterPlan, input: CollectorConfigInput): Record<string, unknown> {
  const retry_on_failure = RETRY(input.retryMaxElapsed);
  switch (exporter.type) {
    case "otlp_grpc":
    case "otlp_http":
      return {
        ...exporter.config,
        ...(exporter.type === "otlp_http" ? { keepalive: { max_idle_conns_per_host: HTTP_IDLE_CONNS_PER_HOST } } : {}),
        timeout: "10s",
        retry_on_failure,
        sending_queue: {
          enabled: true,
          queue_size: input.queueSize,
          num_consumers: 4,
          ...(input.queueDirectory ? { storage: "file_storage/queue" } : {}),
          // Batching lives in the exporter, after the queue: what the receiver acknowledged is
          // already persisted, so a crash cannot lose a half-filled in-memory batch.
          batch: {
            flush_timeout: input.batch.timeout,
            min_size: input.batch.sendBatchSize,
            max_size: input.batch.sendBatchMaxSize,
          },
        },
      };
    case "prometheus_remote_write": {
      // This exporter does not take `sending_queue` (at 0.160 it silently ignores unknown keys, so
      // `otelcol validate` cannot catch that) and retries inside one export call, bounded by
      // `timeout`. Durability therefore comes from its write-ahead log: with the in-memory queue
      // off, a batch is acknowledged only once it is in the WAL, and the WAL is re-sent until the
      // backend takes it (test/integration/faults.test.ts measures both).
      const { endpoint, headers, auth, ...rest } = exporter.config as Record<string, unknown>;
      const http = {
        endpoint,
        timeout: "10s",
        keepalive: { max_idle_conns_per_host: HTTP_IDLE_CONNS_PER_HOST },
        ...(headers ? { headers } : {}),
        ...(auth ? { auth } : {}),
      };
      const name = exporter.id.split("/")[1] ?? "default";
      return {
        ...rest,
        http,
        external_labels: { deployment_environment: input.environment },
        retry_on_failure,
        ...(input.queueDirectory
          ? {
              remote_write_queue: { enabled: false },
              wal: { directory: `${input.queueDirectory}/wal-${name}`, buffer_size: 100, truncate_frequency: "1s" },
            }
          : {
              remote_write_queue: { enabled: true, queue_size: input.queueSize },
              // Retries happen inside one call: let them run to max_elapsed_time.
              timeout: `${durationSeconds(input.retryMaxElapsed) + 30}s`,
            }),
      };
    }
    default: {
      const never: never = exporter.type;
      throw new Error(`unknown exporter type ${String(never)}`);
    }
  }
}

export const INGEST_AUTHENTICATOR = "basicauth/ingest";

/** The metrics pipeline's batch processor, rendered only with `collector.persistentQueue: false` (see renderCollectorConfig). */
export const METRICS_BATCH_PROCESSOR = "batch/metrics";

/** The span_metrics connector (contrib v0.160.0 renamed its type from `spanmetrics`): exporter of the traces pipeline, receiver of the metrics one. */
export const SPAN_METRICS_CONNECTOR = "span_metrics";

/**
 * How often the connector hands its cumulative counters and histograms to the metrics pipeline:
 * the metrics datasource's 15 s interval, so a 1 m rate window holds four points (the connector's
 * default, 60 s, leaves dashboards and Jaeger's Monitor tab a minute behind).
 */
export const SPAN_METRICS_FLUSH_INTERVAL = "15s";

/**
 * A combination not seen for this long stops being exported and frees its place under the
 * cardinality limit, so operations that are gone do not hold the limit forever (the connector's
 * default keeps every combination for the collector's lifetime). An operation called less often
 * starts a new series when it comes back, which rate() reads as a counter reset.
 */
export const SPAN_METRICS_SERIES_EXPIRATION = "1h";

/** A bucket bound in seconds as the Go duration the connector takes (`0.005` → `5ms`, `2.5` → `2500ms`). */
function goDuration(seconds: number): string {
  const ms = Math.round(seconds * 1000);
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/**
 * The span_metrics connector: calls and a duration histogram per service, span name, kind and
 * status code (and the configured extra dimensions), in the namespace and unit Jaeger's metrics
 * reader and the dashboards query (dashboards/span-metrics.ts). Cumulative: what the remote-write
 * exporter takes, and a refused flush is caught up by the next one.
 */
/** How many service instances the span_metrics connector tracks: the tier's total over the per-instance limit. */
export function spanMetricsInstances(spanMetrics: { cardinalityLimit: number; combinations: number }): number {
  return Math.max(1, Math.floor(spanMetrics.combinations / spanMetrics.cardinalityLimit));
}

function spanMetricsConnector(spanMetrics: NonNullable<CollectorConfigInput["spanMetrics"]>): Record<string, unknown> {
  return {
    namespace: SPAN_METRICS_NAMESPACE,
    aggregation_temporality: "AGGREGATION_TEMPORALITY_CUMULATIVE",
    histogram: { unit: SPAN_METRICS_DURATION_UNIT, explicit: { buckets: SPAN_METRICS_BUCKETS_SECONDS.map(goDuration) } },
    dimensions: spanMetrics.dimensions.map((name) => ({ name })),
    aggregation_cardinality_limit: spanMetrics.cardinalityLimit,
    // Per service instance (resource) above; this many instances at most, the least recently seen
    // one dropped past it (its counters restart): the total stays within the tier's combinations.
    resource_metrics_cache_size: spanMetricsInstances(spanMetrics),
    metrics_flush_interval: SPAN_METRICS_FLUSH_INTERVAL,
    series_expiration: SPAN_METRICS_SERIES_EXPIRATION,
    // A service instance not seen for as long is dropped whole (0, the default, would keep it, and
    // the request it pins, until the cache above is full).
    metrics_expiration: SPAN_METRICS_SERIES_EXPIRATION,
  };
}

/** The collector's own metrics, served for a scrape at host:port (service.telemetry.metrics.readers). */
/**
 * The OTLP receiver on both protocols: the same credentials and certificate on each (`ingest`).
 * grpc-go's own 32 KiB read buffer per client connection, not the receiver's 512 KiB: with 961
 * clients the runtime reserved 189 MB instead of 326 MB and held ~85 MB instead of ~110 MB (bench,
 * small tier); connections are the one thing no limiter bounds.
 */
export function otlpReceiver(
  bind: string,
  ports: Pick<CollectorPorts, "otlpGrpc" | "otlpHttp">,
  ingest: CollectorConfigInput["ingest"],
  maxConnectionAge?: string,
): Record<string, unknown> {
  const protect = {
    ...(ingest?.htpasswdFile ? { auth: { authenticator: INGEST_AUTHENTICATOR } } : {}),
    ...(ingest?.tls ? { tls: { cert_file: ingest.tls.certFile, key_file: ingest.tls.keyFile, min_version: "1.2" } } : {}),
  };
  return {
    protocols: {
      grpc: {
        endpoint: `${bind}:${ports.otlpGrpc}`,
        read_buffer_size: GRPC_READ_BUFFER_BYTES,
        max_recv_msg_size_mib: OTLP_MAX_MESSAGE_MIB,
        ...(maxConnectionAge
          ? { keepalive: { server_parameters: { max_connection_age: maxConnectionAge, max_connection_age_grace: "10s" } } }
          : {}),
        ...protect,
      },
      http: { endpoint: `${bind}:${ports.otlpHttp}`, ...protect },
    },
  };
}

export function selfMetricsReaders(host: string, port: number): Record<string, unknown>[] {
  return [{ pull: { exporter: { prometheus: { host, port } } } }];
}

/** Render the collector config as a plain object (serialise with renderCollectorYaml). */
export function renderCollectorConfig(input: CollectorConfigInput, extras: ExtraExporter[] = []): Record<string, unknown> {
  const { bind, ports } = input;
  const internal = input.internalHost ?? bind;
  const auth = basicAuthExtensions(extras);

  const extensions: Record<string, unknown> = {
    health_check: { endpoint: `${internal}:${ports.health}` },
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
    ...auth.extensions,
    ...(input.ingest?.htpasswdFile ? { [INGEST_AUTHENTICATOR]: { htpasswd: { file: input.ingest.htpasswdFile } } } : {}),
  };

  // The health and metrics ports are never published, so they stay open inside the network for
  // the probe and the self-scrape.
  const receivers: Record<string, unknown> = {
    otlp: otlpReceiver(bind, ports, input.ingest, input.maxConnectionAge),
    "prometheus/self": {
      config: {
        scrape_configs: [
          {
            job_name: SELF_SCRAPE_JOB,
            scrape_interval: "15s",
            static_configs: [{ targets: [`${input.internalHost ?? "127.0.0.1"}:${ports.metrics}`] }],
          },
          ...input.scrape.map((t) => ({
            job_name: t.job,
            scrape_interval: "15s",
            metrics_path: t.path,
            static_configs: [{ targets: [t.target] }],
          })),
        ],
      },
    },
    ...(input.dockerLogs
      ? {
          "file_log/docker": {
            include: [input.dockerLogs.include],
            start_at: "end",
            include_file_path: true,
            operators: [{ type: "container", format: "docker", add_metadata_from_filepath: false }],
          },
        }
      : {}),
  };

  const processors: Record<string, unknown> = {
    // First in every pipeline: refuse data before the heap outgrows the container.
    memory_limiter: memoryLimiterConfig(input.memoryMb),
    "resource/environment": {
      attributes: [
        { key: "deployment.environment", value: input.environment, action: "upsert" },
        { key: "deployment.environment.name", value: input.environment, action: "upsert" },
      ],
    },
  };

  // Without the persistent queue nothing is durable on crash anyway, so the metrics pipeline may batch
  // before the remote-write exporter (which takes no exporter-side batching): one write per batch of
  // the tier's size instead of one per incoming request. With the queue on it must not: a batch
  // processor acknowledges what it has only buffered, and the WAL is what makes an acknowledgement safe.
  const batchBeforeRemoteWrite =
    !input.queueDirectory && input.exporters.some((e) => e.type === "prometheus_remote_write" && e.signals.includes("metrics"));
  if (batchBeforeRemoteWrite)
    processors[METRICS_BATCH_PROCESSOR] = {
      send_batch_size: input.batch.sendBatchSize,
      send_batch_max_size: input.batch.sendBatchMaxSize,
      timeout: input.batch.timeout,
    };

  const exporters: Record<string, unknown> = {};
  for (const exporter of input.exporters) exporters[exporter.id] = withDelivery(exporter, input);
  if (input.debug) exporters.debug = { verbosity: "basic" };

  // Span metrics need both pipelines: spans in (traces), metrics out (metrics).
  const carries = (signal: Signal) => input.exporters.some((e) => e.signals.includes(signal));
  const spanMetrics = input.spanMetrics !== undefined && carries("metrics") && carries("traces");
  const connectors: Record<string, unknown> =
    input.spanMetrics && spanMetrics ? { [SPAN_METRICS_CONNECTOR]: spanMetricsConnector(input.spanMetrics) } : {};

  const pipelines: Record<string, unknown> = {};
  for (const signal of ["metrics", "traces", "logs"] as const) {
    const ids = input.exporters.filter((e) => e.signals.includes(signal)).map((e) => e.id);
    if (ids.length === 0) continue;
    if (signal === "traces" && spanMetrics) ids.push(SPAN_METRICS_CONNECTOR);
    const signalReceivers = ["otlp"];
    if (signal === "metrics") signalReceivers.push("prometheus/self");
    if (signal === "metrics" && spanMetrics) signalReceivers.push(SPAN_METRICS_CONNECTOR);
    if (signal === "logs" && input.dockerLogs) signalReceivers.push("file_log/docker");
    pipelines[signal] = {
      receivers: signalReceivers,
      processors: [
        "memory_limiter",
        "resource/environment",
        ...(signal === "metrics" && batchBeforeRemoteWrite ? [METRICS_BATCH_PROCESSOR] : []),
      ],
      exporters: input.debug ? [...ids, "debug"] : ids,
    };
  }

  return {
    extensions,
    receivers,
    processors,
    exporters,
    ...(Object.keys(connectors).length > 0 ? { connectors } : {}),
    service: {
      extensions: Object.keys(extensions),
      telemetry: {
        // Scraped back by our own prometheus receiver, whose resource then comes from this
        // target_info: naming it after the scrape job keeps `job="otel-collector"` in the backend.
        resource: {
          attributes: [
            { name: "service.name", value: SELF_SCRAPE_JOB },
            ...(input.selfInstance ? [{ name: "service.instance.id", value: input.selfInstance }] : []),
          ],
        },
        logs: { level: "info", encoding: "json" },
        metrics: {
          level: "detailed",
          readers: selfMetricsReaders(internal, ports.metrics),
        },
      },
      pipelines,
    },
  };
}

export function renderCollectorYaml(input: CollectorConfigInput, extras: ExtraExporter[] = []): string {
  return toYaml(renderCollectorConfig(input, extras));
}

/** Secret files every exporter and auth extension references. */
export function collectorSecretFiles(exporters: ExporterPlan[], extras: ExtraExporter[]): SecretFilePlan[] {
  return [...exporters.flatMap((e) => e.secretFiles), ...basicAuthExtensions(extras).secretFiles];
}

/** Plain plan of the collector container: pure, so tests compare the upload with the renderer. */
export function collectorServicePlan(args: {
  image: string;
  config: CollectorConfigInput;
  extras: ExtraExporter[];
  /** The secrets behind `config.ingest`: the generated client password, the receivers' certificate. */
  ingest?: { password?: GeneratedSecret; tls?: { certificate: Secret; key: Secret } };
}): ServicePlan {
  const { config } = args;
  const ingest = config.ingest ?? {};
  if ((ingest.htpasswdFile !== undefined) !== (args.ingest?.password !== undefined))
    throw new Error("ingest auth needs exactly one password");
  if ((ingest.tls !== undefined) !== (args.ingest?.tls !== undefined)) throw new Error("ingest TLS needs exactly one certificate");
  const ingestSecrets: SecretFilePlan[] = [
    ...(ingest.htpasswdFile && args.ingest?.password
      ? [
          {
            path: ingest.htpasswdFile,
            secret: SECRET_NAMES.ingestUsers,
            value: { basicAuthUsers: { user: INGEST_USER, password: args.ingest.password, hash: "sha1" as const } },
          },
        ]
      : []),
    ...(ingest.tls && args.ingest?.tls
      ? [
          { path: ingest.tls.certFile, secret: SECRET_NAMES.ingestTlsCertificate, value: args.ingest.tls.certificate },
          { path: ingest.tls.keyFile, secret: SECRET_NAMES.ingestTlsKey, value: args.ingest.tls.key },
        ]
      : []),
  ];
  return {
    role: COLLECTOR_ROLE,
    image: args.image,
    command: [`--config=${COLLECTOR_CONFIG_PATH}`],
    env: collectorRuntimeEnv(config.memoryMb),
    // Reading Docker's root-owned log files needs root; otherwise the image's uid 10001.
    user: config.dockerLogs ? "0" : undefined,
    memoryMb: config.memoryMb,
    ports: [
      { name: "otlp-grpc", internal: COLLECTOR_PORTS.otlpGrpc },
      { name: "otlp-http", internal: COLLECTOR_PORTS.otlpHttp },
    ],
    volumes: config.queueDirectory ? [{ name: "queue", containerPath: COLLECTOR_DATA_DIR, ownerUid: NON_ROOT_UID }] : [],
    hostMounts: config.dockerLogs ? [{ hostPath: "/var/lib/docker/containers", containerPath: "/var/lib/docker/containers" }] : [],
    files: [{ path: COLLECTOR_CONFIG_PATH, content: renderCollectorYaml(config, args.extras) }],
    secretFiles: [...collectorSecretFiles(config.exporters, args.extras), ...ingestSecrets],
    // FROM scratch: no shell, curl or wget to probe with. Health is :13133 from outside.
    healthcheck: undefined,
  };
}

/** The probe's role: `<environment>-otel-collector-probe` beside the collector it watches. */
export const COLLECTOR_PROBE_ROLE = `${COLLECTOR_ROLE}-probe`;

/**
 * The collector image is FROM scratch: nothing in it can run a Docker healthcheck, so `up` would
 * succeed with a collector that exits at once. A busybox sidecar (the stack's init image) on the
 * backend network probes the collector's health_check endpoint instead; Pulumi waits for the probe
 * to be healthy, so a collector that is not serving fails the update, and `docker ps` shows the
 * collector's health afterwards. It runs as nobody and keeps no capability.
 */
export function collectorProbePlan(image: string): ServicePlan {
  const url = `http://${COLLECTOR_INTERNAL_ALIAS}:${COLLECTOR_PORTS.health}/`;
  return {
    role: COLLECTOR_PROBE_ROLE,
    image,
    // Sleeps until stopped; `wait` in the foreground so SIGTERM ends it at once.
    command: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 3600 & wait $!; done"],
    env: {},
    user: `${NOBODY_UID}:${NOBODY_UID}`,
    memoryMb: 16,
    ports: [],
    volumes: [],
    hostMounts: [],
    files: [],
    secretFiles: [],
    healthcheck: { ...httpHealthcheck(COLLECTOR_PORTS.health, "/"), test: ["CMD", "wget", "-q", "-O", "/dev/null", url] },
  };
}
