/**
 * Names and constants more than one layer needs: the one place each is written. Plain values, no
 * imports, so every module (settings, configs, dashboards, components) may read it.
 */

/** The three signals, in the order pipelines, datasources and dashboard rows list them. */
export const SIGNALS = ["metrics", "traces", "logs"] as const;
export type Signal = (typeof SIGNALS)[number];

/** Docker label on every resource of a stack; Traefik's provider constraint matches on it. */
export const STACK_LABEL = "obs.stack";

/**
 * The non-root uid the collector, Jaeger, Tempo and Loki images run as: a named volume they write
 * is handed to it first (a one-shot init container).
 */
export const NON_ROOT_UID = 10001;

/** `nobody`: Traefik, Prometheus, VictoriaMetrics and the probe run as it. */
export const NOBODY_UID = 65534;

/** The collector's scrape job for its own metrics; `up{job=…}` and the stack dashboard match it. */
export const COLLECTOR_SCRAPE_JOB = "otel-collector";

/** Environment name: container/network prefix, Traefik router prefix, `deployment.environment`. */
export const ENVIRONMENT_PATTERN = /^[a-z][a-z0-9-]{0,19}$/;

/** Application (service.name): it prefixes Prometheus metric names and Grafana uids, so no `-`. */
export const APP_NAME_PATTERN = /^[a-z][a-z0-9_]{0,40}$/;

/** Names of the secret values a component fills secret files (and secret outputs) from. */
export const SECRET_NAMES = {
  grafanaAdminPassword: "adminPassword",
  contactPointUrl: "contactPointUrl",
  tlsCertificate: "tlsCertificate",
  tlsKey: "tlsKey",
  ingestUsers: "ingestUsers",
  ingestTlsCertificate: "ingest.tls.certificate",
  ingestTlsKey: "ingest.tls.key",
  /** An extra exporter's header value or basic-auth password (`exporters.<name>.<key>`). */
  exporter: (exporter: string, key: string) => `exporters.${exporter}.${key}`,
} as const;

/**
 * The stack's Docker network when `network.name` is not set. The schema checks the name that will
 * be used (it must not be the external Traefik's); configs/stack.ts names the network.
 */
export const defaultNetworkName = (environment: string) => `obs-${environment}`;

/** The stack's Docker network: `network.name`, or the default for its environment. Computed once, by the schema. */
export const networkNameOf = (s: { environment: string; network: { name?: string } }) =>
  s.network.name ?? defaultNetworkName(s.environment);

/** Suffixes of the stack's other networks after the ingest network's name (configs/stack.ts planNetworks). */
export const NETWORK_SUFFIXES = { backend: "-backend", routing: "-routing", egress: "-egress" } as const;

/** Every network name the stack may create, the ingest network's first. */
export const stackNetworkNames = (ingest: string): string[] => [
  ingest,
  ...Object.values(NETWORK_SUFFIXES).map((suffix) => `${ingest}${suffix}`),
];
