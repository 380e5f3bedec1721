/**
 * Environment references in provisioning YAML, as Grafana's provisioning docs describe them:
 * `$VAR` and `${VAR}` (an unset variable is empty), `$$` for a literal `$`, and the configuration
 * expanders `$__env{VAR}` and `$__file{path}` (the file's content without leading/trailing
 * whitespace). Applied to every string VALUE after the YAML is parsed, never to keys.
 *
 * One deliberate difference: each reference is expanded once, left to right, and a substituted
 * value is never scanned again. The docs warn that Grafana may expand a `${VAR}` value containing a
 * `$` a second time; the program never relies on that (it escapes every literal `$` as `$$`).
 */
import * as fs from "node:fs";

export interface ExpandContext {
  env: NodeJS.ProcessEnv;
  /** Reads `$__file{…}`; tests may rewrite container paths to local ones. */
  readFile?: (path: string) => string;
}

const TOKEN = /\$(\$|__(env|file)\{([^}]*)\}|\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+))/g;

export function expandString(text: string, ctx: ExpandContext): string {
  const read = ctx.readFile ?? ((p: string) => fs.readFileSync(p, "utf8"));
  return text.replace(TOKEN, (_match, _all, expander: string | undefined, arg: string | undefined, braced?: string, bare?: string) => {
    if (_all === "$") return "$";
    if (expander === "env") return ctx.env[arg!.trim()] ?? "";
    if (expander === "file") {
      const file = arg!.trim();
      try {
        return read(file).trim();
      } catch (error) {
        throw new Error(`$__file{${file}}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
      }
    }
    return ctx.env[(braced ?? bare)!] ?? "";
  });
}

/** Expand every string value of a parsed YAML tree (keys untouched). */
export function expandTree<T>(tree: T, ctx: ExpandContext): T {
  if (typeof tree === "string") return expandString(tree, ctx) as T;
  if (Array.isArray(tree)) return tree.map((item: unknown) => expandTree(item, ctx)) as T;
  if (tree && typeof tree === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(tree)) out[key] = expandTree(value, ctx);
    return out as T;
  }
  return tree;
}
