/**
 * Drives the real Pulumi engine through the Automation API with an INLINE program: the same
 * `defineStack` that index.ts exports, run in this process. Needs only the `pulumi` CLI and the
 * provider plugins (no Node.js language host), which is what `npm run up|preview|destroy` and the
 * deploy tier use.
 */
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { LocalWorkspace, PulumiCommand, Stack, type ConfigMap, type ProjectSettings } from "@pulumi/pulumi/automation";
import * as yaml from "js-yaml";
import { decodeConfigValue, parseSettings, type Settings } from "../settings";
import { defineStack } from "./program";

export const PROJECT = "obs-stack";
export const REPO_ROOT = path.resolve(__dirname, "..");

/** A missing prerequisite: the CLI prints `message` as its one line. */
export class PrerequisiteError extends Error {
  override name = "PrerequisiteError";
}

/** Where built tools live (scripts/install-*.sh): `$TOOLS_DIR`, else `<repo>/.tools`. */
export function toolsDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.TOOLS_DIR ?? path.join(REPO_ROOT, ".tools"));
}

export interface Toolchain {
  command: PulumiCommand;
  /** Where the CLI found its plugins (the built ones live in `<tools>/pulumi-home`). */
  pulumiHome?: string;
  /** Human-readable: which CLI, from where. */
  description: string;
}

function onPath(binary: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? "").split(path.delimiter)) {
    const candidate = path.join(dir, binary);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * The Pulumi CLI: the one built by scripts/install-pulumi.sh under the tools dir (with its plugins
 * in `<tools>/pulumi-home`), else `pulumi` on PATH (an official install downloads plugins itself).
 */
export async function findToolchain(env: NodeJS.ProcessEnv = process.env): Promise<Toolchain> {
  const tools = toolsDir(env);
  const built = path.join(tools, "bin", "pulumi");
  const home = env.PULUMI_HOME ?? (fs.existsSync(path.join(tools, "pulumi-home")) ? path.join(tools, "pulumi-home") : undefined);
  if (fs.existsSync(built)) {
    const command = await PulumiCommand.get({ root: tools, skipVersionCheck: true });
    return { command, pulumiHome: home, description: `${built} (${command.version ?? "unknown version"})` };
  }
  const found = onPath("pulumi", env);
  if (found) {
    const command = await PulumiCommand.get({ skipVersionCheck: true });
    return { command, pulumiHome: env.PULUMI_HOME, description: `${found} (${command.version ?? "unknown version"})` };
  }
  throw new PrerequisiteError(
    `Pulumi CLI not found: neither ${built} nor \`pulumi\` on PATH. Install it (https://www.pulumi.com/docs/install/) or build it with \`bash scripts/install-pulumi.sh\`.`,
  );
}

/** The Docker engine the docker provider will talk to: `DOCKER_HOST` (unix://) or the default socket. */
export function dockerSocket(env: NodeJS.ProcessEnv = process.env): string {
  const host = env.DOCKER_HOST;
  if (host && !host.startsWith("unix://")) {
    throw new PrerequisiteError(
      `DOCKER_HOST=${host}: only unix:// sockets are supported by this check; unset it or point it at a local socket.`,
    );
  }
  return host ? host.slice("unix://".length) : "/var/run/docker.sock";
}

/** Fails with one clear line when no Docker engine answers `GET /_ping`. */
export async function checkDocker(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const socketPath = dockerSocket(env);
  const version = await new Promise<string | undefined>((resolve) => {
    const req = http.get({ socketPath, path: "/version", timeout: 5_000 }, (res) => {
      let body = "";
      res.on("data", (chunk) => (body += chunk));
      res.on("end", () => {
        try {
          resolve(res.statusCode === 200 ? String(JSON.parse(body).Version) : undefined);
        } catch {
          resolve(undefined);
        }
      });
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(undefined));
  });
  if (!version) {
    throw new PrerequisiteError(
      `No Docker engine answers at ${socketPath}: start one (\`bash scripts/docker-engine.sh start\` installs and starts Debian's docker.io) or set DOCKER_HOST.`,
    );
  }
  return version;
}

/** One call of the Docker Engine API on its socket: status and parsed JSON body (if any). */
function dockerApi(method: string, apiPath: string, env: NodeJS.ProcessEnv = process.env): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: dockerSocket(env), path: apiPath, method, timeout: 30_000 }, (res) => {
      let text = "";
      res.on("data", (chunk) => (text += chunk));
      res.on("end", () => {
        let body: unknown = text;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          // not JSON: keep the text (error messages)
        }
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    req.on("timeout", () => req.destroy(new Error(`docker ${method} ${apiPath} timed out`)));
    req.on("error", reject);
    req.end();
  });
}

/** The volumes Docker holds for an environment (label obs.stack=<environment>), kept or not. */
export async function stackVolumes(environment: string, env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  const filters = encodeURIComponent(JSON.stringify({ label: [`obs.stack=${environment}`] }));
  const { status, body } = await dockerApi("GET", `/volumes?filters=${filters}`, env);
  if (status !== 200) throw new Error(`docker volume ls failed (${status}): ${JSON.stringify(body)}`);
  return ((body as { Volumes: { Name: string }[] | null }).Volumes ?? []).map((v) => v.Name).sort();
}

/**
 * The purge path for kept data (data.keepOnDelete): after `destroy`, remove every volume of the
 * environment. Refuses while a container still uses one (Docker answers 409).
 */
export async function purgeVolumes(environment: string, env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  const names = await stackVolumes(environment, env);
  for (const name of names) {
    const { status, body } = await dockerApi("DELETE", `/volumes/${encodeURIComponent(name)}`, env);
    if (status !== 204 && status !== 404) throw new Error(`docker volume rm ${name} failed (${status}): ${JSON.stringify(body)}`);
  }
  return names;
}

/** `Pulumi.<stack>.yaml`'s config, keys as written (`obs-stack:metrics` …), values as YAML gives them. */
export function readStackFile(stack: string, dir: string = REPO_ROOT): Record<string, unknown> {
  const file = path.join(dir, `Pulumi.${stack}.yaml`);
  if (!fs.existsSync(file))
    throw new PrerequisiteError(`No stack file ${file}: stacks in this repository are ${listStackFiles(dir).join(", ")}.`);
  const doc = (yaml.load(fs.readFileSync(file, "utf8")) ?? {}) as { config?: Record<string, unknown> };
  return doc.config ?? {};
}

export function listStackFiles(dir: string = REPO_ROOT): string[] {
  return fs
    .readdirSync(dir)
    .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();
}

export interface OpenStackOptions {
  stackName: string;
  toolchain: Toolchain;
  /** Directory holding Pulumi.yaml and the stack file. Default: the repository. */
  workDir?: string;
  /** Written to `<workDir>/Pulumi.yaml` (an isolated workspace, e.g. a test's temporary one). */
  projectSettings?: ProjectSettings;
  /** Written to `<workDir>/Pulumi.<stack>.yaml` (config keys with the project prefix, plain values). */
  stackConfig?: Record<string, unknown>;
  envVars?: Record<string, string>;
}

/** Create or select a stack running the inline program (the same one index.ts exports). */
export async function openStack(options: OpenStackOptions): Promise<Stack> {
  const workDir = options.workDir ?? REPO_ROOT;
  const envVars: Record<string, string> = { ...(options.envVars ?? {}) };
  if (options.toolchain.pulumiHome) envVars.PULUMI_HOME = options.toolchain.pulumiHome;
  // The file backend needs its folder; a fresh clone has it (.pulumi-state/README.md), but a
  // workspace elsewhere may not.
  const backend = options.projectSettings?.backend?.url ?? readBackendUrl(workDir);
  if (backend?.startsWith("file://")) fs.mkdirSync(path.resolve(workDir, backend.slice("file://".length)), { recursive: true });
  return LocalWorkspace.createOrSelectStack(
    { stackName: options.stackName, projectName: PROJECT, program: async () => defineStack() },
    {
      workDir,
      pulumiCommand: options.toolchain.command,
      envVars,
      projectSettings: options.projectSettings,
      stackSettings: options.stackConfig ? { [options.stackName]: { config: toStackSettingsConfig(options.stackConfig) } } : undefined,
    },
  );
}

function readBackendUrl(workDir: string): string | undefined {
  const file = path.join(workDir, "Pulumi.yaml");
  if (!fs.existsSync(file)) return undefined;
  const doc = yaml.load(fs.readFileSync(file, "utf8")) as { backend?: { url?: string } } | undefined;
  return doc?.backend?.url;
}

// Stack settings hold config values as given in YAML: strings stay strings, objects stay objects.
function toStackSettingsConfig(config: Record<string, unknown>): Record<string, never> {
  return Object.fromEntries(Object.entries(config).map(([k, v]) => [k.includes(":") ? k : `${PROJECT}:${k}`, v])) as Record<string, never>;
}

/** Secret config values for `stack.setAllConfig(…, path=true)`: `{ "grafana.adminPassword": "…" }`. */
export function secretConfig(values: Record<string, string>): ConfigMap {
  return Object.fromEntries(Object.entries(values).map(([k, value]) => [`${PROJECT}:${k}`, { value, secret: true }]));
}

/** An isolated workspace in a temporary directory: its own Pulumi.yaml and file-backend state. */
export function temporaryWorkspace(prefix = "obs-stack-"): { workDir: string; projectSettings: ProjectSettings } {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return {
    workDir,
    projectSettings: { name: PROJECT, runtime: "nodejs", backend: { url: `file://${path.join(workDir, "state")}` } },
  };
}

/** The validated settings of a stack as its config stands in the workspace (secrets decrypted). */
export async function stackSettings(stack: Stack): Promise<Settings> {
  const raw: Record<string, unknown> = {};
  for (const [key, { value }] of Object.entries(await stack.getAllConfig())) {
    if (key.startsWith(`${PROJECT}:`)) raw[key.slice(PROJECT.length + 1)] = decodeConfigValue(value);
  }
  return parseSettings(raw, PROJECT);
}
