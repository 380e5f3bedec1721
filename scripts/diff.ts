/**
 * The rendered-config diff of one stack between a base git ref and the working tree: a plan
 * summary plus a unified diff of every file the stack uploads — what a reviewer wants next to
 * `pulumi preview`, whose view of `uploads` is hidden as soon as a container carries a secret file.
 *
 *   npm run diff -- <stack> [--base <git-ref>]
 *
 * The base defaults to the merge base of HEAD with `main` (or `origin/main` when there is no local
 * main, as in a CI checkout). The base is rendered with the base's own code and stack file (a
 * `git archive` of the ref in a temporary directory, sharing this checkout's node_modules), the
 * working tree with the working tree's. Secrets are never read: `secure:` values become `[secret]`
 * and secret files are listed as `[secret]`. Output is byte-identical on re-run. Exit 0 also when
 * there are differences (it is a report); 2 on bad usage, 1 on errors.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type * as StackModule from "../configs/stack";
import type * as CustomDashboardsModule from "../dashboards/custom";
import type * as SettingsModule from "../settings";
import { parseStackFile } from "../settings/stack-file";
import { diffReport, StackRendering } from "./plan-summary";

const USAGE = "usage: npm run diff -- <stack> [--base <git-ref>]";

function git(cwd: string, args: string[]): string {
  return execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 256 * 1024 * 1024 }).trim();
}

function tryGit(cwd: string, args: string[]): string | undefined {
  try {
    return git(cwd, args);
  } catch {
    return undefined;
  }
}

/**
 * Render a stack with the code found under `root` (the working tree or an archive of the base):
 * that tree's settings parser, planner and user dashboards. undefined when it has no such stack file.
 */
export function renderAt(root: string, stack: string): StackRendering | undefined {
  const file = path.join(root, `Pulumi.${stack}.yaml`);
  if (!fs.existsSync(file)) return undefined;
  const raw = parseStackFile(fs.readFileSync(file, "utf8"));
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the tree's own modules, chosen at run time
  const { parseSettings } = require(path.join(root, "settings")) as typeof SettingsModule;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- idem
  const { planStack } = require(path.join(root, "configs", "stack")) as typeof StackModule;
  const customModule = path.join(root, "dashboards", "custom.ts");
  const userDashboards = fs.existsSync(customModule)
    ? // eslint-disable-next-line @typescript-eslint/no-require-imports -- idem
      (require(customModule) as typeof CustomDashboardsModule).readUserDashboards(path.join(root, "dashboards", "custom"))
    : [];
  const settings = parseSettings(raw, "obs-stack");
  return { settings, plan: planStack(settings, { userDashboards }) };
}

/** The default base: merge base of HEAD and main (origin/main when there is no local main). */
export function resolveBase(repo: string, ref: string | undefined): { sha: string; label: string } {
  if (ref !== undefined) {
    const sha = tryGit(repo, ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`]);
    if (!sha) throw new Error(`--base ${ref}: not a commit in this repository`);
    return { sha, label: `${ref}@${sha.slice(0, 12)}` };
  }
  for (const main of ["main", "origin/main"]) {
    if (!tryGit(repo, ["rev-parse", "--verify", "--quiet", `${main}^{commit}`])) continue;
    const sha = tryGit(repo, ["merge-base", "HEAD", main]);
    if (sha) return { sha, label: `merge base of HEAD and ${main}@${sha.slice(0, 12)}` };
  }
  throw new Error("no main or origin/main to take the merge base with: pass --base <git-ref>");
}

/** Extract the base commit's tree into a temp dir that resolves packages from this checkout. */
function withBaseTree<T>(repo: string, sha: string, fn: (root: string) => T): T {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "obs-diff-base-"));
  try {
    const tar = path.join(dir, "base.tar");
    execFileSync("git", ["archive", "--format=tar", `--output=${tar}`, sha], { cwd: repo, stdio: ["ignore", "ignore", "pipe"] });
    const root = path.join(dir, "tree");
    fs.mkdirSync(root);
    execFileSync("tar", ["-xf", tar, "-C", root], { stdio: ["ignore", "ignore", "pipe"] });
    // The base's code needs its dependencies: this checkout's (same lockfile in practice).
    fs.symlinkSync(path.join(repo, "node_modules"), path.join(root, "node_modules"), "dir");
    return fn(root);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function main(argv: string[], cwd = process.cwd()): string {
  const args = [...argv];
  let base: string | undefined;
  const at = args.indexOf("--base");
  if (at >= 0) {
    base = args[at + 1];
    if (!base) throw new UsageError("--base needs a git ref");
    args.splice(at, 2);
  }
  if (args.length !== 1 || args[0]!.startsWith("-")) throw new UsageError(`expected one stack name, got: ${args.join(" ") || "(none)"}`);
  const stack = args[0]!;
  if (!/^[A-Za-z0-9._-]+$/.test(stack)) throw new UsageError(`not a stack name: ${stack}`);
  const repo = git(cwd, ["rev-parse", "--show-toplevel"]);
  const resolved = resolveBase(repo, base);
  const head = renderAt(repo, stack);
  const baseRendering = withBaseTree(repo, resolved.sha, (root) => renderAt(root, stack));
  if (!head && !baseRendering) throw new Error(`Pulumi.${stack}.yaml exists neither in the working tree nor at ${resolved.label}`);
  return diffReport({ stack, baseLabel: resolved.label, base: baseRendering, head });
}

class UsageError extends Error {}

if (require.main === module) {
  try {
    process.stdout.write(main(process.argv.slice(2)));
  } catch (error) {
    process.stderr.write(`diff: ${(error as Error).message}\n${error instanceof UsageError ? `${USAGE}\n` : ""}`);
    process.exitCode = error instanceof UsageError ? 2 : 1;
  }
}
