import type COMPONENTS from "./components.json";
import { COMPONENT_TABLE, type ImageRole } from "./images";
import type { Signal } from "./names";
import type { TierName } from "./tiers";

/**
 * What the program knows about each backend kind, as plain data: the one table every other layer
 * derives its kinds from (the schema's enums, defaults and capability rules, the tiers' memory rows,
 * the verifier's and the benchmark's tables, the registry's check in configs/backends/index.ts).
 * A kind is also its image role: its pinned image and, where the real tiers run it, its binary are
 * its row of settings/components.json. How a backend is run and wired (flags, files, exporter,
 * datasource) is its plan module, configs/backends/<kind>.ts.
 *
 * Memory per tier, in MB (the collector's, Grafana's and Traefik's are in tiers.ts):
 * - VictoriaMetrics: the seed's production table (small 256, medium 512, large 1024).
 * - Jaeger: the seed measured 200–300 MB for an in-memory Jaeger; we give it 256 MB on small. Its
 *   memory store is bounded in traces, not bytes (the tier's `maxTraces`, tiers.ts). With badger
 *   most data lives on disk.
 * - Prometheus holds ~2 h of head block in memory, so it needs about twice VictoriaMetrics.
 * - Tempo, VictoriaLogs and Loki: our choices, Tempo and Loki sized like Jaeger.
 */
interface Descriptor<S extends Signal> {
  signal: S;
  /** Human name: Grafana datasource name, dashboard titles, messages, component type token. */
  displayName: string;
  /** `<signal>.backend` when config sets none: exactly one per signal, none for logs (`none`). */
  isDefault: boolean;
  memoryMb: Readonly<Record<TierName, number>>;
  /** The shortest retention it keeps (its flag's lower bound); absent: any the schema takes. */
  minRetentionHours?: number;
  /** It takes `<signal>.maxDiskGb` (a disk cap besides retention). */
  diskCap: boolean;
  /** It can keep traces in memory (`traces.storage: memory`, bounded by the tier's `maxTraces`). */
  memoryStore: boolean;
  /**
   * Where a started binary says it is ready (a port name of its module and a path): the real tiers
   * wait on it. Every kind the real tiers run (a `build` in its components.json row) has one.
   */
  ready?: { port: string; path: string };
  /**
   * A read-only request through Grafana's datasource proxy that answers 200 when the backend is up,
   * for Grafanas without a health API for its datasource type (deploy/verify.ts); absent: Grafana's
   * health API covers it.
   */
  grafanaProbe?: string;
}

/** One kind's descriptor; a logs backend also says how a log line is looked up (deploy/verify.ts). */
export type BackendDescriptor<S extends Signal = Signal> = S extends "logs"
  ? Descriptor<S> & { logsQuery: "logql" | "logsql" }
  : Descriptor<S>;

/** The built-in kinds, in the order config reference and error messages list them. */
export const BUILT_IN_BACKENDS = {
  victoriametrics: {
    signal: "metrics",
    displayName: "VictoriaMetrics",
    isDefault: true,
    memoryMb: { small: 256, medium: 512, large: 1_024 },
    // -retentionPeriod starts at 1d.
    minRetentionHours: 24,
    diskCap: false,
    memoryStore: false,
    ready: { port: "http", path: "/health" },
  },
  prometheus: {
    signal: "metrics",
    displayName: "Prometheus",
    isDefault: false,
    memoryMb: { small: 512, medium: 1_024, large: 2_048 },
    diskCap: true,
    memoryStore: false,
    ready: { port: "http", path: "/-/ready" },
  },
  jaeger: {
    signal: "traces",
    displayName: "Jaeger",
    isDefault: true,
    memoryMb: { small: 256, medium: 512, large: 1_024 },
    diskCap: false,
    memoryStore: true,
    ready: { port: "health", path: "/status" },
    grafanaProbe: "/api/services",
  },
  tempo: {
    signal: "traces",
    displayName: "Tempo",
    isDefault: false,
    memoryMb: { small: 256, medium: 512, large: 1_024 },
    diskCap: false,
    memoryStore: false,
    grafanaProbe: "/api/echo",
  },
  victorialogs: {
    signal: "logs",
    displayName: "VictoriaLogs",
    isDefault: false,
    memoryMb: { small: 128, medium: 256, large: 512 },
    // -retentionPeriod starts at 1d.
    minRetentionHours: 24,
    diskCap: true,
    memoryStore: false,
    ready: { port: "http", path: "/health" },
    logsQuery: "logsql",
  },
  loki: {
    signal: "logs",
    displayName: "Loki",
    isDefault: false,
    memoryMb: { small: 256, medium: 512, large: 1_024 },
    diskCap: false,
    memoryStore: false,
    logsQuery: "logql",
    grafanaProbe: "/loki/api/v1/labels",
  },
} as const satisfies { [K in ImageRole]?: BackendDescriptor & Requirements<K> };

/** A kind the real tiers run (its components.json row has a `build`) says when it is ready. */
type Requirements<K extends ImageRole> = (typeof COMPONENTS)[K] extends { build: object } ? { ready: object } : unknown;

export type BackendKind = keyof typeof BUILT_IN_BACKENDS;
/** The built-in kinds of one signal. */
export type KindOf<S extends Signal> = { [K in BackendKind]: (typeof BUILT_IN_BACKENDS)[K]["signal"] extends S ? K : never }[BackendKind];

const registry = new Map<string, BackendDescriptor>(Object.entries(BUILT_IN_BACKENDS));

/**
 * Adds a kind to the built-in ones (a test's hypothetical backend). It must happen before the
 * schema is built (settings/schema.ts reads the table when it loads), and the kind needs its row in
 * settings/components.json (its image) and its plan module in configs/backends.
 */
export function registerBackendKind(kind: string, descriptor: BackendDescriptor): void {
  if (registry.has(kind)) throw new Error(`backend kind ${JSON.stringify(kind)} is already described`);
  if (!(kind in COMPONENT_TABLE))
    throw new Error(`backend kind ${JSON.stringify(kind)} has no row in settings/components.json (its image)`);
  registry.set(kind, descriptor);
}

/** Every described kind with its descriptor, built-in ones first (of one signal). */
export function backendDescriptors(signal?: Signal): [string, BackendDescriptor][] {
  return [...registry].filter(([, d]) => signal === undefined || d.signal === signal);
}

/** The descriptor of a kind; throws for a kind nothing described (a program bug: the schema lets only described kinds through). */
export function backendDescriptor(kind: string): BackendDescriptor {
  const found = registry.get(kind);
  if (!found) throw new Error(`no backend kind ${JSON.stringify(kind)} is described (described: ${[...registry.keys()].join(", ")})`);
  return found;
}

/** The kinds of one signal, as the schema's enum lists them. */
export function kindsOf<S extends Signal>(signal: S): [KindOf<S>, ...KindOf<S>[]] {
  return backendDescriptors(signal).map(([kind]) => kind) as [KindOf<S>, ...KindOf<S>[]];
}

/** The signal's default kind; undefined for a signal whose default is none (logs). */
export function defaultKindOf<S extends Signal>(signal: S): KindOf<S> | undefined {
  return backendDescriptors(signal).find(([, d]) => d.isDefault)?.[0] as KindOf<S> | undefined;
}

/** The binary the real tiers run for a kind (its components.json `build`), or undefined when it is not run. */
export function backendBinary(kind: string): string | undefined {
  return COMPONENT_TABLE[kind as ImageRole]?.build?.binary;
}
