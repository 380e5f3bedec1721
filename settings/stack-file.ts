/**
 * The one reader of a `Pulumi.<stack>.yaml` outside the Pulumi engine (render, diff, tests): its
 * config as top-level keys without the project prefix, the shape parseSettings takes.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";

export const PROJECT = "obs-stack";
/** Stand-in for a `secure:` value (ciphertext here): rendering stays possible, a secret is never rendered. */
export const SECRET_STAND_IN = "[secret]";

export const stackFilePath = (stack: string, dir: string) => path.join(dir, `Pulumi.${stack}.yaml`);

/** Config of a stack file's text: unprefixed keys of `project`, secure values replaced by SECRET_STAND_IN. */
export function parseStackFile(yamlText: string, project = PROJECT): Record<string, unknown> {
  const doc = (yaml.load(yamlText) ?? {}) as { config?: Record<string, unknown> };
  const raw: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(doc.config ?? {})) {
    if (!key.startsWith(`${project}:`)) continue;
    raw[key.slice(project.length + 1)] = JSON.parse(JSON.stringify(value), (_k, v: unknown) =>
      v && typeof v === "object" && !Array.isArray(v) && "secure" in v ? SECRET_STAND_IN : v,
    );
  }
  return raw;
}

/** `Pulumi.<stack>.yaml` in `dir`, read with parseStackFile. */
export function readStackFileConfig(stack: string, dir: string, project = PROJECT): Record<string, unknown> {
  return parseStackFile(fs.readFileSync(stackFilePath(stack, dir), "utf8"), project);
}
