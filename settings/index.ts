import { z } from "zod";
import { containsUrlCredentials } from "./checks";
import { Settings, settingsSchema } from "./schema";

export * from "./schema";
export * from "./tiers";
export * from "./images";
export { Secret } from "./secret";

/** Leaf keys whose values are secrets: never echoed in an error message. */
const SECRET_LEAVES = new Set(["adminPassword", "url", "headers", "password", "certificate", "key"]);

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

function describe(raw: unknown, path: PropertyKey[], secretKeys: ReadonlySet<string>): string {
  const { found, value } = valueAt(raw, path);
  if (!found) return "(not set)";
  if (path.some((key) => typeof key === "string" && SECRET_LEAVES.has(key)) || secretKeys.has(String(path[0]))) {
    return "(secret)";
  }
  if (containsUrlCredentials(value)) return "(contains credentials)";
  const text = JSON.stringify(value);
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
          given: describe(raw, path, secretKeys),
        });
      }
      continue;
    }
    const given = describe(raw, issue.path, secretKeys);
    problems.push({ path: issue.path.join(".") || "(root)", message: messageFor(issue, given), given });
  }
  return problems;
}

/**
 * Validate raw stack config (top-level keys without the project prefix) into typed Settings.
 * @param secretKeys top-level keys Pulumi holds as secrets: their values are never echoed.
 */
export function parseSettings(raw: Record<string, unknown>, project = "obs-stack", secretKeys: ReadonlySet<string> = new Set()): Settings {
  const result = settingsSchema.safeParse(raw);
  if (result.success) return result.data;
  const problems = toProblems(result.error.issues, raw, secretKeys);
  // zod runs the cross-field rules only on a value whose fields all parsed. To still report every
  // problem at once, check the rules again with the broken top-level keys left at their defaults
  // and keep what they say about the keys that were valid.
  const broken = new Set(result.error.issues.map((issue) => String(issue.path[0] ?? "")));
  const rest = Object.fromEntries(Object.entries(raw).filter(([key]) => !broken.has(key)));
  const second = settingsSchema.safeParse(rest);
  if (!second.success) {
    const known = new Set(problems.map((p) => `${p.path}|${p.message}`));
    for (const problem of toProblems(second.error.issues, raw, secretKeys)) {
      const top = problem.path.split(".")[0]!;
      if (!broken.has(top) && !known.has(`${problem.path}|${problem.message}`)) problems.push(problem);
    }
  }
  throw new ConfigError(problems, project);
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
