/**
 * The plain-data contract between pure renderers and the thin Pulumi components.
 * Nothing here knows about Pulumi: a ServicePlan is what a container should be, as data.
 */
import { Secret } from "../settings/secret";

import type { Signal } from "../settings/names";

export type { Signal };

export interface PortPlan {
  /** Stable name used for publishing and for tests (`http`, `otlp-grpc`, …). */
  name: string;
  internal: number;
}

export interface VolumePlan {
  /** Suffix of the Docker volume name (`data`, `queue`). */
  name: string;
  containerPath: string;
  /**
   * Set when the image runs as a non-root user and the path does not exist in the image: a
   * named volume is then created root-owned and the service could not write it, so a one-shot
   * init container hands it to this uid first.
   */
  ownerUid?: number;
}

export interface FilePlan {
  path: string;
  content: string;
}

/**
 * A secret the stack component generates (a random password, named `${stack}-<name>`) because
 * config did not set one. The same name always means the same value.
 */
export interface GeneratedSecret {
  generate: { name: string; length: number };
}

/**
 * `user:<hash of a generated password>`: an htpasswd line. bcrypt for Traefik (a login now and
 * then); `{SHA}` for the collector, which checks every OTLP request: bcrypt would cost ~70 ms of CPU
 * each, and the password is 32 random characters, so an unsalted digest cannot be guessed back.
 */
export interface BasicAuthUsersSecret {
  basicAuthUsers: { user: string; password: GeneratedSecret; hash?: "bcrypt" | "sha1" };
}

/** `Authorization=Basic%20<base64 user:password>`: the OTEL_EXPORTER_OTLP_HEADERS value for clients. */
export interface OtlpHeadersSecret {
  otlpHeaders: { user: string; password: GeneratedSecret };
}

/** Where a secret value comes from: stack config (wrapped), generated at deploy time, or derived from a generated one. */
export type SecretSource = Secret | GeneratedSecret | BasicAuthUsersSecret | OtlpHeadersSecret;

/** A file whose content is a secret: the component uploads `value` as a Pulumi secret. */
export interface SecretFilePlan {
  path: string;
  /** Stable name of the secret (messages, tests). */
  secret: string;
  value: SecretSource;
}

export interface HealthcheckPlan {
  test: string[];
  interval: string;
  timeout: string;
  retries: number;
  startPeriod: string;
}

/** One request path a route matches: exactly, by prefix (a plain string prefix), or by a regular expression. */
export type PathMatch = { exact: string } | { prefix: string } | { regexp: string };

/**
 * Which request paths a route lets through; every other path gets Traefik's own 404 and never
 * reaches the service. `allow`: only these (a backend whose UI and read API are known paths);
 * `deny`: all but these (a UI whose own client-side routes are many, with a few write paths).
 */
export type RoutePaths = { allow: PathMatch[] } | { deny: PathMatch[] };

/** A UI that Traefik routes to by host name (`<subdomain>.<domain>`). */
export interface RoutePlan {
  subdomain: string;
  port: number;
  /** Put basic auth in front (UIs without a login of their own). */
  protectWithBasicAuth: boolean;
  /**
   * The paths a user of the UI needs (queries, the UI, label and series reads): a backend's write,
   * ingest and admin paths are never routed. @default - every path (a service with its own login)
   */
  paths?: RoutePaths;
  /** The service speaks TLS: Traefik verifies it with this CA file and server name (ingest TLS). */
  upstreamTls?: { caFile: string; serverName: string };
}

/** A path the image writes outside its volumes: a tmpfs mount (every root filesystem is read-only). */
export interface TmpfsPlan {
  path: string;
  /** Owner of the mount's root (the image's non-root user), else root with mode 1777. */
  uid?: number;
  sizeMb: number;
}

export interface ServicePlan {
  /** Role: DNS alias on the network, suffix of the child resource and container names. */
  role: string;
  image: string;
  /** Replaces the image's ENTRYPOINT (a wrapper that ends by exec-ing it). */
  entrypoint?: string[];
  command?: string[];
  env: Record<string, string>;
  /** Run as this user instead of the image's (only where the job needs it). */
  user?: string;
  memoryMb: number;
  ports: PortPlan[];
  volumes: VolumePlan[];
  /** Host paths mounted read-only (e.g. Docker's container logs for the filelog receiver). */
  hostMounts: { hostPath: string; containerPath: string }[];
  files: FilePlan[];
  secretFiles: SecretFilePlan[];
  /** Linux capabilities to keep; every container drops all others. */
  capabilities?: string[];
  /** Absent where the image has no tool to run one (the collector image is FROM scratch). */
  healthcheck?: HealthcheckPlan;
  /**
   * Where the image writes besides its volumes, as tmpfs mounts: every root filesystem is read-only
   * (configs/container.ts CONTAINER_POLICY), and `/tmp` is always one of them.
   */
  tmpfs?: TmpfsPlan[];
  route?: RoutePlan;
}

/** One exporter of the collector, contributed by a backend or an extra destination. */
export interface ExporterPlan {
  /** Full component id, e.g. `prometheus_remote_write/metrics`. */
  id: string;
  type: "prometheus_remote_write" | "otlp_grpc" | "otlp_http";
  signals: Signal[];
  /** Type-specific settings without queue/retry (the collector renderer adds those by type). */
  config: Record<string, unknown>;
  /** Secret files the config references with `${file:…}`. */
  secretFiles: SecretFilePlan[];
}

/** A Prometheus scrape target for the collector's self-monitoring job list. */
export interface ScrapeTarget {
  job: string;
  /** host:port */
  target: string;
  path: string;
}

/** A Grafana datasource as provisioning data. `$` must already be escaped as `$$` where literal. */
export interface DatasourcePlan {
  name: string;
  type: string;
  uid: string;
  access: "proxy";
  url: string;
  isDefault: boolean;
  editable: false;
  jsonData: Record<string, unknown>;
}

/** One network a container joins, under these DNS aliases. */
export interface NetworkAttachment {
  /** The network's name (NetworkPlan.name). */
  network: string;
  aliases: string[];
}

/** How the stack component wires one container beyond its ServicePlan: all decided as data. */
export interface ServiceWiring {
  /** Host ports to publish, by the plan's port name (bound to the stack's bind address). */
  publish: Record<string, number>;
  /** Docker labels beyond the stack label (an external Traefik's routers to the stack's gateway). */
  labels: Record<string, string>;
  /**
   * The networks it joins, in order: the first is the one Docker publishes its ports through.
   * Derived from StackPlan.networks (the one place membership is decided).
   */
  networks: NetworkAttachment[];
  /** CPU limit in cores (Docker `--cpus`), from the tier (settings/tiers.ts). */
  cpus: number;
}

/** Stable datasource uids: links between signals never depend on which backend was picked. */
export const DATASOURCE_UIDS = { metrics: "metrics", traces: "traces", logs: "logs" } as const;

/** Where a service is reached: its DNS alias in the stack, or 127.0.0.1 in tests. */
export interface Address {
  host: string;
  port: number;
}
