import { z } from "zod";
import { cidrsOverlap, containsUrlCredentials } from "./checks";
import { HostRoute, readHostRoutes } from "./host-routes";
import { Settings, settingsSchema } from "./schema";
import { SECRET_STAND_IN } from "./stack-file";

export * from "./schema";
export * from "./tiers";
export * from "./images";
export * from "./backends";
export { SIGNALS, type Signal } from "./names";
export { Secret } from "./secret";

/** Leaf keys whose values are secrets: never echoed in an error message. */
const SECRET_LEAVES = new Set(["adminPassword", "url", "headers", "password", "certificate", "key"]);
/** Objects that hold a secret leaf: a mistyped key inside one (`basicAuth.passwrd`) is likely that secret. */
const SECRET_PARENTS = new Set(["grafana", "basicAuth", "tls", "contactPoint"]);
/** Key names that say "secret" wherever they appear. */
const SECRET_KEY_NAME = /pass|secret|token|key|auth|cred|cert|pem|sig/i;

/** A value that looks like a key, token or PEM whatever key it sits under. */
function looksSecret(value: unknown): boolean {
  if (typeof value === "string") {
    return (
      value.includes("-----BEGIN") ||
      /^eyJ[\w-]+\.[\w-]+/.test(value) ||
      // A long run of token characters mixing letters and digits (API keys, base64 secrets).
      (/^[A-Za-z0-9+/_=.-]{24,}$/.test(value) && /[A-Za-z]/.test(value) && /\d/.test(value) && !/^v?\d+(\.\d+)*$/.test(value))
    );
  }
  if (value !== null && typeof value === "object") return Object.values(value).some(looksSecret);
  return false;
}

export interface ConfigProblem {
  /** Config key path, e.g. `metrics.retention`. */
  path: string;
  message: string;
  /**
   * The value given, rendered for humans: `(secret)` for secret leaves, `(contains credentials)` for
   * a URL (or a value holding one) with a user name, password or secret query parameter in it,
   * `(not set)` when missing.
   */
  given: string;
}

/** Thrown before any resource is registered; lists every problem at once. */
export class ConfigError extends Error {
  constructor(
    readonly problems: ConfigProblem[],
    project: string,
  ) {
    super(
      [
        `Invalid stack config for ${project} (${problems.length} problem${problems.length === 1 ? "" : "s"}):`,
        ...problems.map((p) => `  - ${project}:${p.path}: ${p.message} (given: ${p.given})`),
      ].join("\n"),
    );
    this.name = "ConfigError";
  }
}

function valueAt(root: unknown, path: PropertyKey[]): { found: boolean; value: unknown } {
  let node: unknown = root;
  for (const key of path) {
    if (node === null || typeof node !== "object" || !(key in (node as object))) return { found: false, value: undefined };
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return { found: true, value: node };
}

/** An object or array with every secret leaf, and every string that looks like one, replaced by `(secret)`. */
function redacted(value: unknown, key?: string): unknown {
  if (key !== undefined && (SECRET_LEAVES.has(key) || SECRET_KEY_NAME.test(key))) return "(secret)";
  if (typeof value === "string") return looksSecret(value) ? "(secret)" : value;
  if (Array.isArray(value)) return value.map((item) => redacted(item));
  if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redacted(v, k)]));
  return value;
}

function describe(raw: unknown, path: PropertyKey[], secretKeys: ReadonlySet<string>, unknownKey = false): string {
  const { found, value } = valueAt(raw, path);
  // A key present with no value (`{ ca: undefined }` from code, not YAML) is as good as absent.
  if (!found || value === undefined) return "(not set)";
  const keys = path.filter((key): key is string => typeof key === "string");
  if (keys.some((key) => SECRET_LEAVES.has(key)) || secretKeys.has(String(path[0]))) return "(secret)";
  // A mistyped key under an object holding a secret, or one named like a secret, is redacted too.
  if (unknownKey && (keys.slice(0, -1).some((key) => SECRET_PARENTS.has(key)) || SECRET_KEY_NAME.test(keys[keys.length - 1] ?? ""))) {
    return "(secret)";
  }
  if (typeof value === "string" && looksSecret(value)) return "(redacted: looks like a key, token or PEM)";
  if (containsUrlCredentials(value)) return "(contains credentials)";
  const text = JSON.stringify(redacted(value));
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function messageFor(issue: z.core.$ZodIssue, given: string): string {
  if (issue.code === "invalid_value") return `must be one of: ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
  if (issue.code === "invalid_union" && "discriminator" in issue && issue.discriminator) {
    return `${issue.message} (check '${String(issue.discriminator)}')`;
  }
  if (issue.code === "invalid_type" && given === "(not set)") return `is required (a ${issue.expected})`;
  if (issue.code === "invalid_type" && !/^(must|is)/.test(issue.message)) return `must be a ${issue.expected}`;
  return issue.message;
}

function toProblems(issues: z.core.$ZodIssue[], raw: unknown, secretKeys: ReadonlySet<string>): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const issue of issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        const path = [...issue.path, key];
        problems.push({
          path: path.join("."),
          message: "is not a known key (check the spelling; see the README's config reference)",
          given: describe(raw, path, secretKeys, true),
        });
      }
      continue;
    }
    const given = describe(raw, issue.path, secretKeys);
    problems.push({ path: issue.path.join(".") || "(root)", message: messageFor(issue, given), given });
  }
  return problems;
}

const PROTOTYPE_KEYS = new Set(["__proto__", "constructor", "prototype"]);

/**
 * A copy of `value` with plain own keys only, and the problems of what was left out: a
 * `__proto__` key (as `JSON.parse` or `raw[name] = …` makes one) becomes the prototype of the
 * object it sits in, a hidden layer of defaults the schema reads through but never lists.
 */
function ownData(value: unknown, path: (string | number)[], problems: ConfigProblem[]): unknown {
  if (Array.isArray(value)) return value.map((item, i) => ownData(item, [...path, i], problems));
  if (value === null || typeof value !== "object") return value;
  const proto = Object.getPrototypeOf(value) as unknown;
  const out: Record<string, unknown> = {};
  const report = (key: string, given: unknown) =>
    problems.push({
      path: [...path, key].join("."),
      message: `is not allowed: a '${key}' key would become (or replace) the prototype of the config object, a hidden layer of defaults no check lists; allowed: the keys of the README's config reference`,
      // Only the key names: a layer of defaults may well hold a password.
      given:
        given !== null && typeof given === "object" ? `an object with keys ${Object.keys(given).join(", ") || "(none)"}` : typeof given,
    });
  if (proto !== Object.prototype && proto !== null) report("__proto__", proto);
  for (const key of Object.keys(value)) {
    const item = (value as Record<string, unknown>)[key];
    if (PROTOTYPE_KEYS.has(key)) report(key, item);
    else out[key] = ownData(item, [...path, key], problems);
  }
  return out;
}

/** Every string leaf equal to SECRET_STAND_IN, with its path. */
function standIns(value: unknown, path: (string | number)[] = []): (string | number)[][] {
  if (value === SECRET_STAND_IN) return [path];
  if (Array.isArray(value)) return value.flatMap((item, i) => standIns(item, [...path, i]));
  if (value !== null && typeof value === "object") return Object.entries(value).flatMap(([k, v]) => standIns(v, [...path, k]));
  return [];
}

export interface ParseOptions {
  /**
   * deploy: the config is about to be deployed, so a SECRET_STAND_IN is refused (it would become
   * the content of a secret file, e.g. Grafana's admin password). offline: the config was read
   * from a stack file without its passphrase (render, diff): a stand-in marks a secret that was
   * checked when it was set, and is let through.
   * @default - deploy when `secretKeys` is given (only the Pulumi engine's config, i.e.
   * deploy/program.ts, knows them), offline otherwise
   */
  mode?: "deploy" | "offline";
  /**
   * The Docker host's routes a fixed `network.subnet` must not overlap. Read only for a deploy.
   * @default - deploy: this machine's (settings/host-routes.ts readHostRoutes); offline: none
   */
  hostRoutes?: HostRoute[];
}

/** A valid IPv4 CIDR as the schema takes it (the schema reports anything else). */
const CIDR_SHAPE = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}\/([89]|1\d|2\d)$/;

/** network.subnet against the host's routes: one problem per overlapped route. */
function hostRouteProblems(raw: Record<string, unknown>, routes: HostRoute[]): ConfigProblem[] {
  const network = raw.network;
  const subnet = network !== null && typeof network === "object" ? (network as Record<string, unknown>).subnet : undefined;
  if (typeof subnet !== "string" || !CIDR_SHAPE.test(subnet)) return [];
  return routes
    .filter((route) => cidrsOverlap(subnet, route.cidr))
    .map((route) => ({
      path: "network.subnet",
      message: `overlaps ${route.cidr}, a route of this Docker host (via ${route.iface}): the bridge would take that traffic and cut the host off from what lies behind it; allowed: a private range no host route covers (this host routes ${routes.map((r) => r.cidr).join(", ")})`,
      given: JSON.stringify(subnet),
    }));
}

/**
 * Validate raw stack config (top-level keys without the project prefix) into typed Settings.
 * @param secretKeys top-level keys Pulumi holds as secrets: their values are never echoed.
 */
export function parseSettings(
  raw: Record<string, unknown>,
  project = "obs-stack",
  secretKeys?: ReadonlySet<string>,
  options: ParseOptions = {},
): Settings {
  const mode = options.mode ?? (secretKeys ? "deploy" : "offline");
  const keys = secretKeys ?? new Set<string>();
  const early: ConfigProblem[] = [];
  const clean = ownData(raw, [], early) as Record<string, unknown>;
  if (mode === "deploy") early.push(...hostRouteProblems(clean, options.hostRoutes ?? readHostRoutes()));
  if (mode === "deploy") {
    for (const path of standIns(clean)) {
      early.push({
        path: path.join("."),
        message: `is '${SECRET_STAND_IN}', the placeholder an offline render (npm run render, npm run diff) writes for a secret it cannot decrypt, not a value: deployed, it would become the secret itself (e.g. Grafana's password file); allowed: the real value, set with \`pulumi config set --secret --path '${path.join(".")}' …\``,
        given: `"${SECRET_STAND_IN}"`,
      });
    }
  }
  const result = settingsSchema.safeParse(clean);
  if (result.success && early.length === 0) return result.data;
  if (result.success) throw new ConfigError(early, project);
  const problems = [...early, ...toProblems(result.error.issues, clean, keys)];
  // zod runs the cross-field rules only on a value whose fields all parsed. To still report every
  // problem at once, check the rules again with the broken top-level keys left at their defaults
  // and keep what they say about the keys that were valid.
  const broken = new Set(result.error.issues.map((issue) => String(issue.path[0] ?? "")));
  const rest = Object.fromEntries(Object.entries(clean).filter(([key]) => !broken.has(key)));
  const second = settingsSchema.safeParse(rest);
  if (!second.success) {
    const known = new Set(problems.map((p) => `${p.path}|${p.message}`));
    for (const problem of toProblems(second.error.issues, clean, keys)) {
      const top = problem.path.split(".")[0]!;
      if (!broken.has(top) && !known.has(`${problem.path}|${problem.message}`)) problems.push(problem);
    }
  }
  throw new ConfigError(problems, project);
}

/**
 * Config keys that look meant for this project but are not in its namespace (`OBS-STACK:tier`,
 * `obs_stack:tier`): Pulumi passes them on and the program, reading only `<project>:`, never sees
 * them. One warning each, for the caller to print (`pulumi.log.warn`).
 * @param keys full config keys as the engine lists them (`namespace:key`)
 */
export function foreignNamespaceWarnings(keys: Iterable<string>, project = "obs-stack"): string[] {
  const squash = (text: string) => text.toLowerCase().replace(/[-_.\s]/g, "");
  const warnings: string[] = [];
  for (const key of keys) {
    const colon = key.indexOf(":");
    if (colon < 0) continue;
    const namespace = key.slice(0, colon);
    if (namespace !== project && squash(namespace) === squash(project)) {
      warnings.push(
        `config key '${key}' is ignored: its namespace '${namespace}' is not the project's '${project}'; allowed: ${project}:${key.slice(colon + 1)}`,
      );
    }
  }
  return warnings;
}

/**
 * Pulumi keeps every config value as a string; objects and arrays arrive as JSON text.
 * Decode those, leave plain strings alone.
 */
export function decodeConfigValue(value: string): unknown {
  const trimmed = value.trim();
  if (/^[[{]/.test(trimmed) || trimmed === "true" || trimmed === "false" || /^-?\d+(\.\d+)?$/.test(trimmed)) {
    try {
      return JSON.parse(trimmed);
    } catch {
      return value;
    }
  }
  return value;
}
