/**
 * What several backend modules share: the container skeleton, and per signal the write endpoint,
 * datasource and health shape every backend of that signal has. No backend is named here.
 */
import { SPAN_LABELS, catalogFor, spanLinkQueries } from "../../dashboards";
import { grafanaLiteral } from "../serialize";
import { DATASOURCE_UIDS, DatasourcePlan, ExporterPlan, ServicePlan } from "../types";
import type { BackendInput, BackendPlan } from "./contract";

/** Retention hours as a Go duration ("720h"), for components that only take Go durations. */
export function goHours(hours: number): string {
  return `${hours}h`;
}

type ServiceParts = Omit<ServicePlan, "role" | "image" | "memoryMb" | "env" | "hostMounts" | "files" | "secretFiles"> &
  Partial<Pick<ServicePlan, "files">>;

/** A backend's container: role, image and memory as looked up for it; no env, host mounts or secret files. */
export function backendService(role: string, input: BackendInput, parts: ServiceParts): ServicePlan {
  return { role, image: input.image, memoryMb: input.memoryMb, env: {}, hostMounts: [], files: [], secretFiles: [], ...parts };
}

// ---------------------------------------------------------------------------------------------
// Metrics: every metrics backend speaks Prometheus remote write in and PromQL out.

/** One datasource shape for every PromQL backend; exemplars link to the traces uid. */
export function prometheusDatasource(name: string, url: string): DatasourcePlan {
  return {
    name,
    type: "prometheus",
    uid: DATASOURCE_UIDS.metrics,
    access: "proxy",
    url,
    isDefault: true,
    editable: false,
    jsonData: {
      httpMethod: "POST",
      timeInterval: "15s",
      exemplarTraceIdDestinations: [{ name: "trace_id", datasourceUid: DATASOURCE_UIDS.traces }],
    },
  };
}

/** Remote write in at `/api/v1/write`, PromQL out at the base URL. */
export function promqlBackend(name: string, host: string, port: number): Omit<BackendPlan, "service" | "scrape"> {
  const base = `http://${host}:${port}`;
  return {
    exporter: {
      id: "prometheus_remote_write/metrics",
      type: "prometheus_remote_write",
      signals: ["metrics"],
      config: { endpoint: `${base}/api/v1/write` },
      secretFiles: [],
    },
    remoteWriteUrl: `${base}/api/v1/write`,
    queryUrl: base,
    datasource: prometheusDatasource(name, base),
  };
}

// ---------------------------------------------------------------------------------------------
// Traces.

/**
 * How the collector compresses what it sends a backend over OTLP, chosen by the backend's module:
 * `zstd` where the receiver of the pinned version is proven to take it (test/integration sends
 * through the rendered config), `gzip` (the exporters' default, the one encoding every OTLP receiver
 * must take) where no pinned binary can run here. zstd costs the collector less CPU than gzip: the
 * compression row of the CPU profiles in docs/BENCHMARKS.md (traces: 2.9 → 1.7 % of a core per 10k spans/s).
 */
export type OtlpCompression = "zstd" | "gzip";

/** Trace backends take OTLP gRPC inside the stack network (plain: it never leaves the host). */
export function otlpTracesExporter(host: string, port: number, compression: OtlpCompression): ExporterPlan {
  return {
    id: "otlp_grpc/traces",
    type: "otlp_grpc",
    signals: ["traces"],
    config: { endpoint: `${host}:${port}`, tls: { insecure: true }, compression },
    secretFiles: [],
  };
}

/**
 * Trace → metrics links. With span metrics (traces.spanMetrics): the span's own operation of its
 * service, from the span metrics every traced service has (service.name → service_name). Without:
 * the application's request metrics (service.name → job), named by its catalog (never typed by hand).
 */
function tracesToMetrics(appName: string, spanMetrics: boolean): Record<string, unknown> {
  const window = { datasourceUid: DATASOURCE_UIDS.metrics, spanStartTimeShift: "-5m", spanEndTimeShift: "5m" };
  if (spanMetrics) {
    return {
      ...window,
      tags: [{ key: "service.name", value: SPAN_LABELS.service }],
      queries: spanLinkQueries().map((q) => ({ name: q.name, query: grafanaLiteral(q.query) })),
    };
  }
  const { httpRequests, httpRequestDuration } = catalogFor(appName).byKey;
  return {
    ...window,
    tags: [{ key: "service.name", value: "job" }],
    queries: [
      {
        name: "Request rate",
        query: grafanaLiteral(`sum by (status) (rate(${httpRequests.promName}{$__tags}[5m]))`),
      },
      {
        name: "p95 latency",
        query: grafanaLiteral(`histogram_quantile(0.95, sum by (le) (rate(${httpRequestDuration.promName}_bucket{$__tags}[5m])))`),
      },
    ],
  };
}

/**
 * Trace datasource with links: span → its metrics (tracesToMetrics above) and, when a logs backend
 * runs, span → its logs by trace id. `extra` is what only this backend's type takes.
 */
export function tracesDatasource(input: {
  name: string;
  type: string;
  url: string;
  appName: string;
  logsEnabled: boolean;
  /** The collector writes span metrics: trace → metrics links read those. */
  spanMetrics: boolean;
  extra: Record<string, unknown>;
}): DatasourcePlan {
  const links: Record<string, unknown> = { tracesToMetrics: tracesToMetrics(input.appName, input.spanMetrics) };
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

// ---------------------------------------------------------------------------------------------
// Logs.

/** The logs datasource: stable uid; a log line's `trace_id` (OTLP logs carry it as a field) links to the trace. */
export function logsDatasource(name: string, type: string, url: string): DatasourcePlan {
  return {
    name,
    type,
    uid: DATASOURCE_UIDS.logs,
    access: "proxy",
    url,
    isDefault: false,
    editable: false,
    jsonData: {
      derivedFields: [
        {
          name: "TraceID",
          matcherType: "label",
          matcherRegex: "trace_id",
          url: grafanaLiteral("${__value.raw}"),
          datasourceUid: DATASOURCE_UIDS.traces,
          urlDisplayLabel: "View trace",
        },
      ],
    },
  };
}

/** OTLP/HTTP logs exporter to a backend's logs endpoint (`key` is the config key the URL goes in). */
export function otlpLogsExporter(key: "endpoint" | "logs_endpoint", url: string, compression: OtlpCompression): ExporterPlan {
  return { id: "otlp_http/logs", type: "otlp_http", signals: ["logs"], config: { [key]: url, compression }, secretFiles: [] };
}
