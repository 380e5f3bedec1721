import { z } from "zod";
import {
  isLocalDomain,
  isLoopbackHost,
  isLoopbackIpv4,
  LOCAL_DOMAIN_SUFFIXES,
  MOVING_TAGS,
  networkAddressFor,
  parseGoUrl,
  reservedRangeOf,
  RESERVED_IPV4_RANGES,
  uncoveredHosts,
  unpinnedImage,
  unusableBindAddress,
  urlCredentials,
} from "./checks";
import { backendDescriptor, backendDescriptors, defaultKindOf, kindsOf } from "./backends";
import { DEFAULT_IMAGES, ImageRole } from "./images";
import { Secret, secret } from "./secret";
import { APP_NAME_PATTERN, ENVIRONMENT_PATTERN, networkNameOf, SIGNALS, stackNetworkNames } from "./names";
import { SECRET_STAND_IN } from "./stack-file";
import { TIER_NAMES, tierLimits } from "./tiers";
import { certificateNames, ingestProblems, ingestSchema, tlsFileProblems } from "./ingest";
import { dataSchema } from "./data";
import { spanMetricsSchema } from "./span-metrics";
import { ENGINES, gatewayReplicas, swarmProblems, swarmSchema } from "./swarm";

/**
 * The one schema for a stack's config. Every key is a top-level Pulumi config key of the project
 * (`pulumi config set obs-stack:tier medium`, `pulumi config set --path 'metrics.retention' 90d`).
 * Defaults live here (and in tiers.ts); nothing else in the program invents a default.
 */

/** Retention: a whole number and a unit, as every backend we run accepts it. */
const RETENTION = /^([1-9][0-9]*)(h|d|w|y)$/;
const HOURS_PER_UNIT = { h: 1, d: 24, w: 24 * 7, y: 24 * 365 } as const;

export function retentionHours(retention: string): number {
  const match = RETENTION.exec(retention);
  if (!match) throw new Error(`not a retention: ${retention}`);
  return Number(match[1]) * HOURS_PER_UNIT[match[2] as keyof typeof HOURS_PER_UNIT];
}

/**
 * The longest retention any key takes: VictoriaMetrics' and VictoriaLogs' -retentionPeriod are
 * documented up to 100y, Prometheus limits retention.time to 100y, and the Go durations Jaeger,
 * Tempo and Loki are given (rendered in hours) end at 2562047h ≈ 292y.
 */
export const MAX_RETENTION = "100y";

/** `<signal>.retention` as configured (`30d`, what flags take) and in hours: parsed here, once. */
export interface Retention {
  text: string;
  hours: number;
}

/**
 * A retention with its default; `limit` says which component sets MAX_RETENTION for this key.
 * Parsed to a Retention: nothing below settings/ parses it again.
 */
const retention = (what: string, limit: string, fallback: string) =>
  z
    .string({ error: `${what} must be a string like "30d"` })
    .regex(RETENTION, { error: `must be a whole number followed by h, d, w or y (e.g. "30d", "72h")` })
    .refine((value) => !RETENTION.test(value) || retentionHours(value) <= retentionHours(MAX_RETENTION), {
      error: `must be at most ${MAX_RETENTION} (${retentionHours(MAX_RETENTION)}h): ${limit}`,
    })
    .default(fallback)
    .transform((text): Retention => ({ text, hours: retentionHours(text) }));

/**
 * A secret the collector reads through `${file:…}`. The collector expands `${…}` again in what a
 * provider returns, so a header value `${file:/etc/otelcol-contrib/secrets/other}` would send
 * another exporter's secret (or `${env:…}` the collector's environment) to this destination; and
 * `$$` is its escape for `$`, so the value would not arrive as written either.
 */
const collectorSecret = secret.refine((value) => !/\$[{$]/.test(value.reveal()), {
  error:
    "must not contain '${' or '$$': the collector expands ${file:…} and ${env:…} again in the secret files it reads (one secret could read another) and turns '$$' into '$'; allowed: any value without those two sequences",
});

/**
 * Grafana accepts a 4-character admin password; we ask for 15, NIST SP 800-63B's minimum for a
 * password that is the only factor (Grafana's admin login has no second one), and refuse the ones
 * a first guess finds whatever their length: one character repeated, or only whitespace. The
 * generated default has 32. SECRET_STAND_IN (a stack file read without the passphrase) is not a
 * value: parseSettings lets it through when rendering offline and refuses it for a deploy.
 */
export const MIN_ADMIN_PASSWORD_LENGTH = 15;
const adminPassword = z
  .string({ error: "must be a string (set it with `pulumi config set --secret`)" })
  .min(1, { error: "must not be empty" })
  .refine((value) => value.length === 0 || value === SECRET_STAND_IN || value.length >= MIN_ADMIN_PASSWORD_LENGTH, {
    error: `must be at least ${MIN_ADMIN_PASSWORD_LENGTH} characters (the admin login has no second factor); leave it unset to get a generated 32-character one`,
  })
  .refine((value) => value.length === 0 || value === SECRET_STAND_IN || !(/^\s*$/.test(value) || /^(.)\1*$/su.test(value)), {
    error:
      "must not be only whitespace or one character repeated (a first guess finds it, whatever its length); allowed: at least 15 characters that are not all the same; leave it unset to get a generated 32-character one",
  })
  .transform((value) => new Secret(value));

/** The collector expands `${file:…}`, `${env:…}` in every value of its config, so a plain value must not hold a '$'. */
const noDollar = (what: string, instead: string) =>
  [
    (value: string) => !value.includes("$"),
    {
      error: `must not contain '$': the collector expands \${…} in every config value (\${file:…} reads any file it can, e.g. another exporter's secret) and this ${what} is written into its config as is; ${instead}`,
    },
  ] as const;

/** Docker network names (the stack's, and the external Traefik's). */
const DOCKER_NETWORK_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/;
/** Docker's own networks and network modes: a stack network of that name is refused or is not ours. */
export const DOCKER_PREDEFINED_NETWORKS = ["bridge", "host", "none", "default"] as const;

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const domain = z.string().refine((d) => d.length <= 253 && d.split(".").every((label) => DNS_LABEL.test(label)) && d.includes("."), {
  error: "must be a lower-case DNS domain with at least two labels (e.g. ddev.site)",
});

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const ipv4 = z.string().regex(IPV4, { error: "must be an IPv4 address (e.g. 127.0.0.1)" });
const bindAddress = ipv4.superRefine((value, ctx) => {
  const why = IPV4.test(value) ? unusableBindAddress(value) : undefined;
  if (why) {
    ctx.addIssue({
      code: "custom",
      input: value,
      message: `is ${why}, which a published port cannot listen on (or, link-local, only on one interface); allowed: 127.0.0.1 (this host only), 0.0.0.0 (every address) or an address of one of the host's interfaces`,
    });
  }
});
const isCidr = (value: string) => {
  const [ip, bits, ...rest] = value.split("/");
  return rest.length === 0 && IPV4.test(ip ?? "") && /^\d+$/.test(bits ?? "") && Number(bits) >= 8 && Number(bits) <= 29;
};
const cidr = z
  .string()
  .refine(isCidr, { error: "must be an IPv4 CIDR with a prefix from /8 to /29 (e.g. 172.28.0.0/16)" })
  .superRefine((value, ctx) => {
    if (!isCidr(value)) return;
    const reserved = reservedRangeOf(value);
    if (reserved) {
      ctx.addIssue({
        code: "custom",
        input: value,
        message: `overlaps ${reserved.cidr} (${reserved.what}), which the host does not route to a bridge network; reserved: ${RESERVED_IPV4_RANGES.map((r) => r.cidr).join(", ")}; use a private range, e.g. 172.28.0.0/16`,
      });
    }
    const network = networkAddressFor(value);
    if (network) {
      ctx.addIssue({
        code: "custom",
        input: value,
        message: `has host bits set after the /${value.split("/")[1]} prefix; write the network address: ${network}`,
      });
    }
  });

const hostPort = z
  .number({ error: "must be a port number" })
  .int({ error: "must be a whole number" })
  .min(1, { error: "must be from 1 to 65535" })
  .max(65535, { error: "must be from 1 to 65535" });

/** An image reference that is pinned: a version-like tag (with a digit, not a moving name), or a digest. */
const pinnedImage = z.string().superRefine((ref, ctx) => {
  const why = unpinnedImage(ref);
  if (why) {
    ctx.addIssue({
      code: "custom",
      input: ref,
      message: `must be pinned, but ${why}; allowed: name:<full version tag, major.minor.patch, e.g. 1.2.3 or v3.5.3-alpine, or a date-stamped release, e.g. 2024-01-15> or name@sha256:<digest>; moving tags (as any word of a tag, e.g. latest-alpine, v1-latest): ${MOVING_TAGS.join(", ")}`,
    });
  }
});

const imagesShape = Object.fromEntries(
  (Object.keys(DEFAULT_IMAGES) as ImageRole[]).map((role) => [role, pinnedImage.default(DEFAULT_IMAGES[role])]),
) as { [K in ImageRole]: z.ZodDefault<typeof pinnedImage> };

const DURATION = /^([1-9][0-9]*)(ms|s|m|h)$/;
const SECONDS_PER_UNIT = { ms: 0.001, s: 1, m: 60, h: 3600 } as const;
const durationSeconds = (value: string) => {
  const match = DURATION.exec(value)!;
  return Number(match[1]) * SECONDS_PER_UNIT[match[2] as keyof typeof SECONDS_PER_UNIT];
};
/**
 * How long one batch is retried. Go durations end at 2562047h, but past a day a retry only holds
 * stale batches while the full queue refuses new data (and Prometheus refuses samples older than
 * its head block anyway), so a day is the limit.
 */
export const MAX_RETRY_ELAPSED = "24h";
const retryDuration = z
  .string()
  .regex(DURATION, { error: 'must be a duration like "5s", "500ms", "1m"' })
  .refine((value) => !DURATION.test(value) || durationSeconds(value) <= durationSeconds(MAX_RETRY_ELAPSED), {
    error: `must be at most ${MAX_RETRY_ELAPSED}: past that the full queue refuses new data while it retries stale batches`,
  });

/**
 * Disk caps in GB. Prometheus counts its WAL (128 MB segments) and head chunks, which peak every
 * 2 h, toward retention.size but deletes only persisted blocks, so a cap below ~1 GB deletes every
 * block as it is written; VictoriaLogs keeps its newest two daily partitions whatever the cap.
 * Above 1e6 GB (1 PB) JavaScript would write the number with an exponent neither flag parses.
 */
const maxDiskGb = (why: string) =>
  z
    .number({ error: "must be a number of GB" })
    .min(1, { error: `must be at least 1 (GB): ${why}; allowed: 1 to 1000000` })
    .max(1_000_000, { error: "must be at most 1000000 (GB, 1 PB): a larger number is written with an exponent the flag does not parse" });

/**
 * Backend kinds per signal: the schema's enums, from the descriptors (settings/backends.ts), read
 * when this module loads. `none` is the logs backend when there is none.
 */
export const metricsBackendKind = z.enum(kindsOf("metrics"));
export const tracesBackendKind = z.enum(kindsOf("traces"));
export const logsBackendKind = z.enum(["none", ...kindsOf("logs")]);
/** The kind `<signal>.backend` defaults to. */
const defaultKind = <S extends "metrics" | "traces">(signal: S) => {
  const kind = defaultKindOf(signal);
  if (kind === undefined) throw new Error(`no ${signal} backend is described as the default (settings/backends.ts)`);
  return kind;
};

/**
 * Names an extra exporter must not take: the stack's own exporters are `<type>/<signal>` and
 * `debug`, and the backends' roles are their kinds, so these would replace or shadow one of ours.
 */
export const RESERVED_EXPORTER_NAMES: readonly string[] = [
  "metrics",
  "traces",
  "logs",
  "debug",
  ...metricsBackendKind.options,
  ...tracesBackendKind.options,
  ...logsBackendKind.options.filter((kind) => kind !== "none"),
];

/**
 * At most this many extra exporters: each gets its own sending queue (on the queue volume with
 * collector.persistentQueue) and retry loop inside the tier's fixed collector memory, and every
 * one is a copy of all the stack's telemetry leaving the host.
 */
export const MAX_EXTRA_EXPORTERS = 8;

/** Header names the exporters accept: letters, digits and '-' (an HTTP token without the rarer symbols). */
const HEADER_NAME = /^[A-Za-z0-9-]+$/;

const extraExporter = z
  .strictObject({
    /** Unique id, used in the collector config as `<type>/<name>`. */
    name: z
      .string()
      .regex(/^[a-z][a-z0-9_-]{0,30}$/, { error: "must be lower-case letters, digits, '-' or '_' (max 31)" })
      .refine((name) => !RESERVED_EXPORTER_NAMES.includes(name), {
        error: `is reserved for the stack's own exporters and backends; reserved: ${RESERVED_EXPORTER_NAMES.join(", ")}`,
      }),
    kind: z.enum(["prometheusremotewrite", "otlphttp"]),
    endpoint: z
      .url({ protocol: /^https?$/, error: "must be an http(s) URL" })
      .refine(...noDollar("URL", "percent-encode a literal '$' as %24"))
      .superRefine((url, ctx) => {
        const credential = urlCredentials(url);
        if (credential) {
          ctx.addIssue({
            code: "custom",
            input: "(contains credentials)",
            message: `carries ${credential}, which would be written into the collector config in plain text; put the credential in headers or basicAuth (secrets, uploaded as files) and remove it from the URL`,
          });
        }
      }),
    /** Signals an OTLP/HTTP destination receives; a remote-write target only takes metrics. */
    signals: z.array(z.enum(SIGNALS)).min(1).optional(),
    /** Header values are secrets (API keys, tenant tokens); they are uploaded as files, never inlined. */
    headers: z.record(z.string(), collectorSecret).default({}),
    basicAuth: z
      .strictObject({
        username: z
          .string()
          .min(1)
          .refine(...noDollar("user name", "allowed: any other characters")),
        password: collectorSecret,
      })
      .optional(),
  })
  .superRefine((exporter, ctx) => {
    if (exporter.kind === "prometheusremotewrite" && exporter.signals && exporter.signals.some((s) => s !== "metrics")) {
      ctx.addIssue({
        code: "custom",
        path: ["signals"],
        input: exporter.signals,
        message: "a prometheusremotewrite exporter only takes metrics; allowed: [metrics]",
      });
    }
    const headerNames = new Map<string, string>();
    for (const header of Object.keys(exporter.headers)) {
      if (!HEADER_NAME.test(header)) {
        ctx.addIssue({
          code: "custom",
          path: ["headers", header],
          input: "(secret)",
          message: `header name ${JSON.stringify(header)} is not allowed; allowed: letters, digits and '-' (e.g. X-Scope-OrgID, Authorization)`,
        });
      }
      const other = headerNames.get(header.toLowerCase());
      if (other) {
        ctx.addIssue({
          code: "custom",
          path: ["headers", header],
          input: "(secret)",
          message: `repeats header '${other}' (header names are case-insensitive, so one would replace the other); keep one`,
        });
      }
      headerNames.set(header.toLowerCase(), header);
    }
    const authorization = Object.keys(exporter.headers).find((h) => h.toLowerCase() === "authorization");
    if (exporter.basicAuth && authorization) {
      ctx.addIssue({
        code: "custom",
        path: ["basicAuth"],
        input: "(secret)",
        message: `set either basicAuth or an Authorization header (here '${authorization}'; header names are case-insensitive), not both`,
      });
    }
    const url = parseGoUrl(exporter.endpoint);
    if (!url) return;
    if (exporter.kind === "otlphttp" && (url.query !== undefined || url.fragment !== undefined)) {
      ctx.addIssue({
        code: "custom",
        path: ["endpoint"],
        input: urlCredentials(exporter.endpoint) ? "(contains credentials)" : exporter.endpoint,
        message:
          "has a query string or fragment: the otlphttp exporter appends /v1/traces, /v1/metrics, /v1/logs to the endpoint, which would land inside it; allowed: scheme://host[:port][/path] (put tenant ids in headers)",
      });
    } else if (url.fragment !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["endpoint"],
        input: urlCredentials(exporter.endpoint) ? "(contains credentials)" : exporter.endpoint,
        message: "has a fragment ('#…'), which is never sent; allowed: scheme://host[:port][/path][?query]",
      });
    }
    const headers = Object.keys(exporter.headers);
    const secrets = [...(exporter.basicAuth ? ["basicAuth"] : []), ...(headers.length > 0 ? [`headers (${headers.join(", ")})`] : [])];
    if (secrets.length > 0 && url.scheme === "http" && !isLoopbackHost(url.host)) {
      ctx.addIssue({
        code: "custom",
        path: ["endpoint"],
        input: exporter.endpoint,
        message: `sends ${secrets.join(", ")} in clear text over http:// to ${url.host}; allowed: https://, or http:// to a literal loopback address (localhost, 127.0.0.0/8 written as four decimal numbers, [::1]): any other name is looked up in DNS, which anything on the network may answer (in-stack names such as mimir included)`,
      });
    }
  });

/** The schema pieces the dashboards package validates its own input with: one rule each. */
export const environmentSchema = z.string().regex(ENVIRONMENT_PATTERN, {
  error: "must start with a letter, use a-z, 0-9, '-' and be at most 20 characters",
});
export const appNameSchema = z.string().regex(APP_NAME_PATTERN, { error: "must be a lower-case identifier (a-z, 0-9, _)" });

/** What pages, with the seed's thresholds as defaults; the alert renderer takes exactly this shape. */
export const alertThresholds = z.strictObject({
  /** HTTP 5xx responses per second (seed: rate(..{status="500"}[5m]) > 0.1). */
  http5xxPerSecond: z.number().nonnegative().finite().default(0.1),
  /** RSS growth in bytes per second over 30 m (seed: deriv(...[30m]) > 1e6). */
  memoryGrowthBytesPerSecond: z.number().positive().finite().default(1_000_000),
  websocketAuthFailuresPerSecond: z.number().nonnegative().finite().default(1),
  taskFailuresPerSecond: z.number().nonnegative().finite().default(0.5),
  /** Exporter queue fill ratio that pages (1 would never fire: a full queue already drops data). */
  queueFillRatio: z.number().gt(0).lt(1).default(0.8),
});

export const settingsSchema = z
  .strictObject({
    /** Environment name: container/network prefix and the `deployment.environment` attribute. */
    environment: environmentSchema,
    /** What runs the stack: `docker` (containers on one host) or `swarm` (services on a Docker Swarm; settings/swarm.ts). */
    engine: z.enum(ENGINES).default("docker"),
    /** engine swarm only: the data node's label (settings/swarm.ts). */
    swarm: swarmSchema.optional(),
    /** Size tier: memory limits and queue/batch sizes (settings/tiers.ts). */
    tier: z.enum(TIER_NAMES).default("small"),
    /** Base domain; UIs are served at grafana.<domain>, jaeger.<domain>, vm.<domain>, … */
    domain: domain.default("ddev.site"),
    /** Application (service.name) the Scotty dashboard and alerts are about. */
    appName: appNameSchema.default("scotty"),
    network: z
      .strictObject({
        /** @default obs-<environment> */
        name: z
          .string()
          .regex(DOCKER_NETWORK_NAME, { error: "must be a Docker network name" })
          .refine((name) => !(DOCKER_PREDEFINED_NETWORKS as readonly string[]).includes(name.toLowerCase()), {
            error: `is one of Docker's predefined networks; reserved: ${DOCKER_PREDEFINED_NETWORKS.join(", ")}`,
          })
          .optional(),
        /** Optional fixed subnet; Docker picks one when unset. */
        subnet: cidr.optional(),
      })
      .prefault({}),
    images: z.strictObject(imagesShape).prefault({}),
    metrics: z
      .strictObject({
        backend: metricsBackendKind.default(defaultKind("metrics")),
        retention: retention("metrics.retention", "VictoriaMetrics' -retentionPeriod and Prometheus' retention.time stop there", "30d"),
        /** Disk cap in GB where the backend supports one (Prometheus `retention.size`). */
        maxDiskGb: maxDiskGb(
          "Prometheus counts its WAL and head chunks (peaking every 2 h) toward the cap but deletes only persisted blocks, so a smaller cap deletes every block as it is written",
        ).optional(),
      })
      .prefault({}),
    traces: z
      .strictObject({
        backend: tracesBackendKind.default(defaultKind("traces")),
        retention: retention(
          "traces.retention",
          "Jaeger's badger TTL and Tempo's block_retention are Go durations (at most 2562047h, ≈292y); one limit for every signal",
          "72h",
        ),
        /** Jaeger storage: `badger` keeps traces on a volume for `retention`; `memory` is bounded by the tier's maxTraces. */
        storage: z.enum(["badger", "memory"]).default("badger"),
        /** RED metrics derived from spans in the collector (settings/span-metrics.ts). */
        spanMetrics: spanMetricsSchema.prefault({}),
      })
      .prefault({}),
    logs: z
      .strictObject({
        backend: logsBackendKind.default("none"),
        retention: retention("logs.retention", "VictoriaLogs' -retentionPeriod is documented from 1d to 100y", "7d"),
        maxDiskGb: maxDiskGb(
          "VictoriaLogs deletes whole days but always keeps the newest two, so a smaller cap silently cuts logs.retention to 2 days",
        ).optional(),
        /** Also ship the Docker containers' own log files (filelog receiver on the host's container logs). */
        dockerLogs: z.boolean().default(false),
      })
      .prefault({}),
    collector: z
      .strictObject({
        /** Persist the exporters' queues on a volume so a restart or crash loses nothing acknowledged. */
        persistentQueue: z.boolean().default(true),
        /** How long the exporters retry a failing backend before dropping data; "0s" is not allowed (unbounded disk). */
        retryMaxElapsed: retryDuration.default("10m"),
        /** Also print every item with the debug exporter (noisy; for debugging). */
        debug: z.boolean().default(false),
        /** engine swarm only: gateway replicas. @default 2 (DEFAULT_GATEWAY_REPLICAS) */
        replicas: gatewayReplicas.optional(),
      })
      .prefault({}),
    /** Additional destinations (seed 001 "multi-backend export"). */
    exporters: z
      .array(extraExporter)
      .max(MAX_EXTRA_EXPORTERS, {
        error: `must have at most ${MAX_EXTRA_EXPORTERS} entries: each extra exporter gets its own queue and retry loop inside the tier's fixed collector memory; allowed: 0 to ${MAX_EXTRA_EXPORTERS} (fan out behind one gateway for more)`,
      })
      .default([]),
    grafana: z
      .strictObject({
        adminUser: z
          .string()
          .regex(/^[a-zA-Z0-9_.@-]{1,64}$/)
          .default("admin"),
        /** @default generated with @pulumi/random (32 characters) and exported as a secret */
        adminPassword: adminPassword.optional(),
      })
      .prefault({}),
    alerting: z
      .strictObject({
        contactPoint: z
          .discriminatedUnion("kind", [
            z.strictObject({ kind: z.literal("none") }),
            z.strictObject({ kind: z.literal("webhook"), url: secret }),
            z.strictObject({ kind: z.literal("slack"), url: secret }),
            z.strictObject({ kind: z.literal("email"), addresses: z.array(z.email()).min(1) }),
          ])
          .default({ kind: "none" }),
        thresholds: alertThresholds.prefault({}),
      })
      .prefault({}),
    /** OTLP ingest: client authentication, TLS on the receivers, routing through Traefik (settings/ingest.ts). */
    ingest: ingestSchema.prefault({}),
    /** Whether data volumes outlive destroy, backend swaps and renames (settings/data.ts). */
    data: dataSchema.prefault({}),
    exposure: z
      .strictObject({
        /** Host address published ports bind to. dev: 127.0.0.1 (nothing reachable from the LAN). */
        bindAddress: bindAddress.default("127.0.0.1"),
        /** Host ports to publish; a port left out is not published. */
        ports: z
          .strictObject({
            otlpGrpc: hostPort.optional(),
            otlpHttp: hostPort.optional(),
            http: hostPort.optional(),
            https: hostPort.optional(),
          })
          .default({ otlpGrpc: 4317, otlpHttp: 4318, http: 80 }),
      })
      .prefault({}),
    traefik: z
      .strictObject({
        /**
         * managed: the program runs Traefik; external: only labels the containers for a Traefik
         * that already watches Docker (the seeds' ddev setup); none: no routing labels.
         */
        mode: z.enum(["managed", "external", "none"]).default("managed"),
        /** external mode: the network the existing Traefik routes on; the UIs join it too. */
        network: z.string().regex(DOCKER_NETWORK_NAME, { error: "must be a Docker network name" }).optional(),
        tls: z
          .discriminatedUnion("mode", [
            z.strictObject({ mode: z.literal("none") }),
            z.strictObject({ mode: z.literal("acme"), email: z.email() }),
            z
              .strictObject({ mode: z.literal("files"), certificate: secret, key: secret })
              // The same PEM checks as ingest.tls: types, parse, the key the certificate's own, valid now.
              .superRefine((files, ctx) => {
                for (const { path, message } of tlsFileProblems(files, new Date(), "traefik.tls"))
                  ctx.addIssue({ code: "custom", path: [path], input: undefined, message });
              }),
          ])
          .default({ mode: "none" })
          // Read once, here: the hosts the certificate verifies for (planned routes are checked against them).
          .transform((tls) => (tls.mode === "files" ? { ...tls, names: certificateNames(tls.certificate.reveal()) } : tls)),
        /** Basic auth in front of the UIs that have no login of their own (Jaeger, metrics and logs UIs). */
        basicAuth: z.boolean().default(false),
        /** Traefik's own dashboard (routed at traefik.<domain>, always behind basic auth). */
        dashboard: z.boolean().default(false),
      })
      .prefault({}),
  })
  .superRefine((s, ctx) => {
    for (const problem of ingestProblems(s)) ctx.addIssue({ code: "custom", ...problem });
    const spanMetricsTotal = tierLimits(s.tier).spanMetricsCombinations;
    if (s.traces.spanMetrics.enabled && s.traces.spanMetrics.cardinalityLimit > spanMetricsTotal) {
      ctx.addIssue({
        code: "custom",
        path: ["traces", "spanMetrics", "cardinalityLimit"],
        input: s.traces.spanMetrics.cardinalityLimit,
        message: `is more than the ${s.tier} tier's collector keeps over all services (${spanMetricsTotal} combinations: each flush writes all of them at once, in its fixed memory); allowed: 1 to ${spanMetricsTotal}, or a larger tier (${TIER_NAMES.map((t) => `${t} ${tierLimits(t).spanMetricsCombinations}`).join(", ")})`,
      });
    }
    // Cross-field rules: each names the key to change and what would be accepted.
    // An external Traefik serves whatever domain it is given: unless that domain only resolves
    // locally, the UIs are as reachable as a prod stack's, so the same rules apply.
    const publicExternal = s.traefik.mode === "external" && !isLocalDomain(s.domain);
    const exposed = !isLoopbackIpv4(s.exposure.bindAddress) || /^prod/.test(s.environment) || publicExternal;
    const why = publicExternal
      ? `traefik.mode external with domain '${s.domain}' (local domains: ${LOCAL_DOMAIN_SUFFIXES.map((d) => `*.${d}`).join(", ")}, the names that resolve to 127.0.0.1 everywhere; .internal, .local, .home.arpa, .lan, .corp and .test names resolve on a LAN)`
      : `environment '${s.environment}' with bindAddress ${s.exposure.bindAddress}`;
    if (exposed && s.traefik.mode !== "none" && s.traefik.tls.mode === "none") {
      ctx.addIssue({
        code: "custom",
        path: ["traefik", "tls", "mode"],
        input: "none",
        message: `TLS is required for ${why}; allowed: acme, files`,
      });
    }
    if (exposed && s.traefik.mode !== "none" && !s.traefik.basicAuth) {
      ctx.addIssue({
        code: "custom",
        path: ["traefik", "basicAuth"],
        input: false,
        message: `basic auth in front of Jaeger and the metrics/logs UIs is required for ${why}; allowed: true`,
      });
    }
    if (s.traefik.mode === "external" && !s.traefik.network) {
      ctx.addIssue({
        code: "custom",
        path: ["traefik", "network"],
        input: undefined,
        message: "external mode needs the name of the network the existing Traefik routes on",
      });
    }
    const networkName = networkNameOf(s);
    if (s.traefik.mode === "external" && s.traefik.network === networkName) {
      ctx.addIssue({
        code: "custom",
        path: ["network", "name"],
        input: s.network.name,
        message: `the stack's network would be ${networkName}, which is traefik.network (the external Traefik's); the stack creates and deletes its own network, so set network.name to another name`,
      });
    }
    // The stack's private networks (configs/stack.ts planNetworks) are never shared with an external Traefik.
    const own = stackNetworkNames(networkName).filter((name) => name !== networkName);
    if (s.traefik.mode === "external" && s.traefik.network && own.includes(s.traefik.network)) {
      ctx.addIssue({
        code: "custom",
        path: ["traefik", "network"],
        input: s.traefik.network,
        message: `is one of the stack's own networks (${own.join(", ")}), which the stack creates and no external Traefik may join (the backend network holds every backend port); allowed: the network your existing Traefik routes on, under another name`,
      });
    }
    if (s.traefik.mode !== "external" && s.traefik.network) {
      ctx.addIssue({
        code: "custom",
        path: ["traefik", "network"],
        input: s.traefik.network,
        message: `only used with traefik.mode external (mode is ${s.traefik.mode})`,
      });
    }
    if (s.traefik.mode !== "managed") {
      for (const key of ["http", "https"] as const) {
        if (s.exposure.ports[key] !== undefined) {
          ctx.addIssue({
            code: "custom",
            path: ["exposure", "ports", key],
            input: s.exposure.ports[key],
            message: `publishes the managed Traefik's entrypoint, but traefik.mode is ${s.traefik.mode}; remove it`,
          });
        }
      }
    }
    if (s.traefik.mode === "managed" && s.traefik.tls.mode !== "none" && s.exposure.ports.https === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["exposure", "ports", "https"],
        input: undefined,
        message: `TLS mode ${s.traefik.tls.mode} needs a published https port (e.g. 443)`,
      });
    }
    if (s.traefik.mode !== "none" && s.traefik.tls.mode === "files") {
      // The hosts settings know Traefik serves; each backend UI's own host is checked when planned.
      const hosts = [
        `grafana.${s.domain}`,
        ...(s.traefik.dashboard ? [`traefik.${s.domain}`] : []),
        ...(s.ingest.route ? [`otlp.${s.domain}`] : []),
      ];
      const uncovered = uncoveredHosts(s.traefik.tls.names, hosts);
      if (uncovered) {
        ctx.addIssue({ code: "custom", path: ["traefik", "tls", "certificate"], input: "(secret)", message: uncovered });
      }
    }
    if (s.traefik.dashboard && !s.traefik.basicAuth) {
      ctx.addIssue({
        code: "custom",
        path: ["traefik", "dashboard"],
        input: true,
        message: "Traefik's dashboard is only routed behind basic auth; set traefik.basicAuth true",
      });
    }
    const seen = new Map<number, string>();
    for (const [name, port] of Object.entries(s.exposure.ports)) {
      if (port === undefined) continue;
      const other = seen.get(port);
      if (other) {
        ctx.addIssue({
          code: "custom",
          path: ["exposure", "ports", name],
          input: port,
          message: `host port ${port} is already used by exposure.ports.${other}; each published port must be unique`,
        });
      }
      seen.set(port, name);
    }
    for (const problem of capabilityProblems(s)) ctx.addIssue({ code: "custom", ...problem });
    for (const problem of swarmProblems(s)) ctx.addIssue({ code: "custom", ...problem });
    const names = new Set<string>();
    s.exporters.forEach((exporter, index) => {
      if (names.has(exporter.name)) {
        ctx.addIssue({
          code: "custom",
          path: ["exporters", index, "name"],
          input: exporter.name,
          message: "exporter names must be unique",
        });
      }
      names.add(exporter.name);
      const url = parseGoUrl(exporter.endpoint);
      if (!url) return;
      if (/^prod/.test(s.environment) && url.scheme === "http" && !isLoopbackHost(url.host)) {
        ctx.addIssue({
          code: "custom",
          path: ["exporters", index, "endpoint"],
          input: exporter.endpoint,
          message: `sends the telemetry of environment '${s.environment}' in clear text over http:// to ${url.host}; allowed in prod*: https://, or http:// to a literal loopback address (localhost, 127.0.0.0/8, [::1])`,
        });
      }
      const loop = collectorLoop(url, s);
      if (loop) {
        ctx.addIssue({
          code: "custom",
          path: ["exporters", index, "endpoint"],
          input: exporter.endpoint,
          message: `points at this stack's own collector (${loop}): every item would be sent back in and out again without end; allowed: a destination outside this stack`,
        });
      }
    });
  })
  // Resolved once, here: the network's name (its default computed from the environment) and the
  // tier's limits. Nothing below settings/ looks either up again.
  .transform((s) => ({ ...s, network: { ...s.network, name: networkNameOf(s) }, limits: tierLimits(s.tier) }));

/**
 * What the chosen backends cannot do, from their descriptors (settings/backends.ts): no rule here
 * names a kind, so a new kind's capabilities are checked by its descriptor alone.
 */
function capabilityProblems(s: {
  metrics: { backend: string; retention: Retention; maxDiskGb?: number };
  traces: { backend: string; retention: Retention; storage: string };
  logs: { backend: string; retention: Retention; maxDiskGb?: number; dockerLogs: boolean };
}): { path: (string | number)[]; input: unknown; message: string }[] {
  const problems: { path: (string | number)[]; input: unknown; message: string }[] = [];
  const names = (kinds: [string, { displayName: string }][]) => kinds.map(([, d]) => d.displayName).join(" or ");
  for (const signal of ["metrics", "logs"] as const) {
    const { backend, maxDiskGb } = s[signal];
    if (backend === "none" || maxDiskGb === undefined || backendDescriptor(backend).diskCap) continue;
    const capped = backendDescriptors(signal).filter(([, d]) => d.diskCap);
    problems.push({
      path: [signal, "maxDiskGb"],
      input: maxDiskGb,
      message: `${backendDescriptor(backend).displayName} has no disk cap (only retention); remove it or use ${signal}.backend ${capped.map(([kind]) => kind).join(" or ")}`,
    });
  }
  for (const signal of SIGNALS) {
    const { backend, retention } = s[signal];
    const min = backend === "none" ? undefined : backendDescriptor(backend).minRetentionHours;
    // Runs even when a field failed its own check: only judge a retention that parsed.
    if (min !== undefined && typeof retention === "object" && retention.hours < min) {
      const [least, allowed] = min % 24 === 0 ? [`${min / 24} day${min === 24 ? "" : "s"}`, `${min / 24}d`] : [`${min} hours`, `${min}h`];
      problems.push({
        path: [signal, "retention"],
        input: retention.text,
        message: `${backendDescriptor(backend).displayName} keeps at least ${least}; allowed: ${allowed} or more`,
      });
    }
  }
  if (s.logs.backend === "none" && s.logs.dockerLogs) {
    problems.push({
      path: ["logs", "dockerLogs"],
      input: true,
      message: `shipping container logs needs a logs backend; set logs.backend to ${kindsOf("logs").join(" or ")}`,
    });
  }
  if (s.traces.storage === "memory" && !backendDescriptor(s.traces.backend).memoryStore) {
    problems.push({
      path: ["traces", "storage"],
      input: "memory",
      message: `${backendDescriptor(s.traces.backend).displayName} always stores traces on its volume; 'memory' is a ${names(backendDescriptors("traces").filter(([, d]) => d.memoryStore))} option; allowed with ${s.traces.backend}: badger (the default)`,
    });
  }
  return problems;
}

/** The collector's DNS alias on the stack network (configs/collector.ts COLLECTOR_ROLE) and its OTLP ports inside its container. */
const COLLECTOR_ALIAS = "otel-collector";
const COLLECTOR_OTLP_PORTS = ["4317", "4318"];

/** How an exporter URL reaches the stack's own collector, or undefined. */
function collectorLoop(
  url: NonNullable<ReturnType<typeof parseGoUrl>>,
  s: { environment: string; domain: string; ingest: { route: boolean } },
): string | undefined {
  const host = url.host.replace(/\.$/, "");
  if (host === COLLECTOR_ALIAS || host === `${s.environment}-${COLLECTOR_ALIAS}`) return `${host} is the collector on the stack network`;
  const port = url.port || (url.scheme === "https" ? "443" : "80");
  if (isLoopbackHost(host) && COLLECTOR_OTLP_PORTS.includes(port)) return `${host}:${port} is the collector's own OTLP receiver`;
  if (s.ingest.route && host === `otlp.${s.domain}`) return `otlp.${s.domain} is routed to the collector (ingest.route)`;
  return undefined;
}

/** Config as it arrives (before defaults): what stack files and tests write. */
export type SettingsInput = z.input<typeof settingsSchema>;
/** Config after validation and defaults: what the rest of the program reads. */
export type Settings = z.output<typeof settingsSchema>;
export type MetricsBackendKind = Settings["metrics"]["backend"];
export type TracesBackendKind = Settings["traces"]["backend"];
export type LogsBackendKind = Settings["logs"]["backend"];
export type SpanMetricsSettings = Settings["traces"]["spanMetrics"];
export type ExtraExporter = Settings["exporters"][number];
/** `traefik.mode` and `traefik.tls.mode`: the schema's enums are the only place they are written. */
export type TraefikMode = Settings["traefik"]["mode"];
export type TlsMode = Settings["traefik"]["tls"]["mode"];
