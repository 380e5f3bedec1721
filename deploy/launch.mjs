/**
 * `npm run up|preview|destroy|verify|outputs -- <stack>` start here: deploy/cli.ts runs as plain
 * JavaScript in ONE node process, not through tsx. tsx costs a second node process, a TypeScript
 * transform hook on every module load, and source-mapped stack traces: the Pulumi SDK captures
 * `new Error().stack` for every promise of every resource registration, and mapping those stacks
 * back to TypeScript was ~0.8 s of a no-change preview (docs/BENCHMARKS.md, "Deploy timings").
 *
 * The repository's TypeScript that the CLI reaches (deploy/, settings/, configs/, components/,
 * dashboards/) is bundled by esbuild into .cache/deploy/cli.js, packages from node_modules left
 * external; the bundle is rebuilt whenever one of its inputs (esbuild's own list, kept in
 * inputs.json with each file's size and mtime) changed or went missing, so an edit is never run
 * stale. `__dirname`/`__filename` keep meaning the source file's directory (deploy/program.ts finds
 * the repository and dashboards/custom by it). Stack traces point into the bundle; the linked
 * source map (.cache/deploy/cli.js.map) maps them back with `node --enable-source-maps`.
 */
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const REPO = path.resolve(HERE, "..");
export const OUT_DIR = path.join(REPO, ".cache", "deploy");
export const BUNDLE = path.join(OUT_DIR, "cli.js");
const INPUTS = path.join(OUT_DIR, "inputs.json");
const ENTRY = path.join(HERE, "cli.ts");

/** The bundle's inputs as recorded at its build: absolute path -> [size, mtimeMs]. */
function recordedInputs() {
  try {
    const recorded = JSON.parse(fs.readFileSync(INPUTS, "utf8"));
    return recorded.entry === ENTRY && fs.existsSync(BUNDLE) ? recorded.files : undefined;
  } catch {
    return undefined;
  }
}

/** Why the bundle must be rebuilt, or undefined when every input is as it was built from. */
export function staleReason() {
  const files = recordedInputs();
  if (!files) return "no bundle yet";
  for (const [file, [size, mtimeMs]] of Object.entries(files)) {
    let stat;
    try {
      stat = fs.statSync(file);
    } catch {
      return `${path.relative(REPO, file)} is gone`;
    }
    if (stat.size !== size || stat.mtimeMs !== mtimeMs) return `${path.relative(REPO, file)} changed`;
  }
  return undefined;
}

/** Bundle deploy/cli.ts (and what it imports from this repository) into .cache/deploy/cli.js. */
export async function buildBundle() {
  let esbuild;
  try {
    esbuild = await import("esbuild");
  } catch {
    throw new Error("esbuild is missing (a devDependency): run `npm ci` (without --omit=dev) first");
  }
  fs.mkdirSync(OUT_DIR, { recursive: true });
  const tmp = `${BUNDLE}.${process.pid}.tmp`;
  const result = await esbuild.build({
    entryPoints: [ENTRY],
    absWorkingDir: REPO,
    outfile: tmp,
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    packages: "external",
    sourcemap: "linked",
    metafile: true,
    logLevel: "error",
    plugins: [
      {
        name: "source-dirname",
        setup(b) {
          // Each module of the repository keeps its own __dirname/__filename (esbuild renames the
          // per-module constants apart); on line 1, so the source map's lines stay right.
          b.onLoad({ filter: /\.ts$/ }, (args) => {
            if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
            const source = fs.readFileSync(args.path, "utf8");
            const uses = /\b__(dirname|filename)\b/.test(source);
            const prefix = uses
              ? `const __dirname = ${JSON.stringify(path.dirname(args.path))}, __filename = ${JSON.stringify(args.path)}; `
              : "";
            return { contents: prefix + source, loader: "ts" };
          });
        },
      },
    ],
  });
  const files = {};
  for (const input of Object.keys(result.metafile.inputs)) {
    const file = path.resolve(REPO, input);
    const stat = fs.statSync(file);
    files[file] = [stat.size, stat.mtimeMs];
  }
  // The map names the temporary file: point it at the bundle's final name.
  const map = `${tmp}.map`;
  fs.writeFileSync(tmp, fs.readFileSync(tmp, "utf8").replace(path.basename(map), `${path.basename(BUNDLE)}.map`));
  fs.renameSync(map, `${BUNDLE}.map`);
  fs.renameSync(tmp, BUNDLE);
  fs.writeFileSync(INPUTS, JSON.stringify({ entry: ENTRY, files }));
  return Object.keys(files).length;
}

// Run as the entry point (not when a test imports the helpers above).
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const reason = staleReason();
  if (reason) {
    const t0 = Date.now();
    const count = await buildBundle();
    if (process.env.OBS_DEPLOY_DEBUG) console.error(`deploy/launch: bundled ${count} files in ${Date.now() - t0} ms (${reason})`);
  }
  createRequire(import.meta.url)(BUNDLE);
}
