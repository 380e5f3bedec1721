/**
 * The deploy tier's harness: a fresh stack per test file in its own temporary workspace (Pulumi.yaml +
 * file-backend state), run by the REAL Pulumi engine through the Automation API with the REAL
 * docker/random provider plugins against the REAL Docker engine on this machine, using the images
 * scripts/build-images.sh built from the same binaries as the integration tier.
 * Traffic goes only to 127.0.0.1 (published ports) and to the stack's own containers.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import type { OutputMap, Stack } from "@pulumi/pulumi/automation";
import {
  checkDocker,
  findToolchain,
  openStack,
  PROJECT,
  readStackFile,
  secretConfig,
  temporaryWorkspace,
  toolsDir,
  type Toolchain,
} from "../../deploy/automation";
import { request, type HttpApi } from "../../deploy/verify";
import { freePorts } from "./harness";
import { COMPONENT_TABLE, type ImageRole } from "../../settings/images";

const run = promisify(execFile);

export const TOOLS = toolsDir();
export const IMAGES_FILE = path.join(TOOLS, "images.json");

/**
 * The local images scripts/build-images.sh built (every role the tiers run; Tempo and Loki are AGPL
 * and never built). Each tag's version must be its role's pinned version (settings/components.json):
 * a stale image from another version would deploy something other than what users get. Grafana's
 * slot holds the stand-in, tagged `for-<pinned version>`.
 */
export function localImages(): Record<string, string> {
  if (!fs.existsSync(IMAGES_FILE)) throw new Error(`${IMAGES_FILE} is missing: run \`npm run images\` (scripts/build-images.sh) first`);
  const images = JSON.parse(fs.readFileSync(IMAGES_FILE, "utf8")) as Record<string, string>;
  const stale = Object.entries(images).filter(([role, tag]) => {
    const pinned = COMPONENT_TABLE[role as ImageRole]?.version;
    return pinned !== undefined && tag.split(":").pop() !== pinned && tag.split(":").pop() !== `for-${pinned}`;
  });
  if (stale.length > 0)
    throw new Error(
      `${IMAGES_FILE} lists images of other versions than settings/components.json pins: ${stale.map(([r, t]) => `${r}=${t}`).join(", ")} (run \`npm run images\`)`,
    );
  return images;
}

/** Everything the tier needs, or a thrown error saying which build step is missing. */
export async function prerequisites(): Promise<{ toolchain: Toolchain; docker: string; images: Record<string, string> }> {
  const toolchain = await findToolchain();
  if (!toolchain.pulumiHome) throw new Error(`no provider plugins under ${TOOLS}/pulumi-home: run \`bash scripts/install-pulumi.sh\``);
  return { toolchain, docker: await checkDocker(), images: localImages() };
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** Deep merge for stack config objects (arrays and scalars are replaced; `undefined` deletes a key). */
export function merge(base: Json, over: Json): Json {
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) delete out[k];
    else out[k] = isObject(v) && isObject(out[k]) ? merge(out[k] as Json, v) : v;
  }
  return out;
}

export interface DeployedStack {
  stack: Stack;
  environment: string;
  workDir: string;
  ports: { otlpGrpc: number; otlpHttp: number; http: number; https: number };
  /** Current config (unprefixed keys) as last written to the stack file. */
  config: Json;
  /** Set config keys (unprefixed, objects deep-merged), secrets by dotted path. */
  reconfigure(over: Json, secrets?: Record<string, string>): Promise<void>;
  up(): Promise<OutputMap>;
  destroy(): Promise<void>;
  log: string[];
  /** After the last `up`: how long Traefik took to route every UI (its Docker provider learns of
   * containers from Docker events; a UI that turned healthy last was seen unrouted for up to 30 s). */
  routeLagMs?: number;
  /** The CA that signed Traefik's certificate (TLS from files). */
  caPem?: string;
}

/** Wait until Traefik routes every UI the outputs name (any answer but its own 404). */
async function waitForRoutes(stack: DeployedStack, outputs: OutputMap): Promise<number> {
  const t0 = Date.now();
  const urls = ["grafanaUrl", "metricsUrl", "tracesUrl", "logsUrl"]
    .map((k) => outputs[k]?.value)
    .filter((u): u is string => typeof u === "string");
  const tls = urls.some((u) => u.startsWith("https:"));
  for (const url of urls) {
    const api = { ...viaTraefik(stack, new URL(url).host, { tls, caPem: stack.caPem }), servername: new URL(url).hostname };
    const deadline = Date.now() + 120_000;
    for (;;) {
      const res = await request(api, "/", {}, 5_000).catch(() => undefined);
      // Traefik answers an unrouted host with its own plain "404 page not found".
      if (res && !(res.status === 404 && res.body.startsWith("404 page not found"))) break;
      if (Date.now() > deadline) throw new Error(`Traefik did not route ${url} within 120 s of up`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  return Date.now() - t0;
}

/**
 * A new stack from `Pulumi.<base>.yaml` with test overrides: a unique environment (so container,
 * network and volume names never meet a user's stack), the local images, free loopback ports.
 */
export async function createStack(
  base: "dev" | "prod",
  toolchain: Toolchain,
  images: Record<string, string>,
  overrides: Json = {},
  secrets: Record<string, string> = {},
  caPem?: string,
): Promise<DeployedStack> {
  const environment = `${overrides.environment ?? (base === "prod" ? "prodlike" : "deploy")}-${randomBytes(2).toString("hex")}`;
  const ports = await freePorts(["otlpGrpc", "otlpHttp", "http", "https"] as const);
  const fromFile = Object.fromEntries(Object.entries(readStackFile(base)).map(([k, v]) => [k.replace(`${PROJECT}:`, ""), v]));
  let config = merge(fromFile, {
    images,
    exposure: {
      bindAddress: "127.0.0.1",
      ports: base === "prod" ? ports : { otlpGrpc: ports.otlpGrpc, otlpHttp: ports.otlpHttp, http: ports.http },
    },
    ...overrides,
    environment,
  });
  if (isObject(config.network) && config.network.name) config = merge(config, { network: { name: `obs-${environment}` } });
  const { workDir, projectSettings } = temporaryWorkspace(`obs-deploy-${environment}-`);
  const envVars = {
    PULUMI_CONFIG_PASSPHRASE: "deploy-tier",
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
  };
  const stack = await openStack({ stackName: environment, toolchain, workDir, projectSettings, stackConfig: config, envVars });
  if (Object.keys(secrets).length > 0) await stack.setAllConfig(secretConfig(secrets), true);
  const log: string[] = [];
  const onOutput = (line: string) => {
    log.push(line);
    if (process.env.DEPLOY_VERBOSE) process.stdout.write(line);
  };
  const deployed: DeployedStack = {
    stack,
    environment,
    workDir,
    ports: { ...ports },
    config,
    log,
    caPem,
    async reconfigure(over, moreSecrets = {}) {
      deployed.config = merge(deployed.config, over);
      // Rewrite each top-level key that changed, as the stack file holds it.
      for (const key of Object.keys(over)) {
        const value = deployed.config[key];
        await stack.setConfig(`${PROJECT}:${key}`, { value: typeof value === "string" ? value : JSON.stringify(value) }, false);
      }
      if (Object.keys(moreSecrets).length > 0) await stack.setAllConfig(secretConfig(moreSecrets), true);
    },
    async up() {
      let outputs: OutputMap;
      try {
        outputs = (await stack.up({ onOutput })).outputs;
      } catch (error) {
        throw new Error(`pulumi up failed for ${environment}:\n${log.slice(-60).join("")}\n${String(error).slice(0, 4000)}`);
      }
      deployed.routeLagMs = await waitForRoutes(deployed, outputs);
      return outputs;
    },
    async destroy() {
      await stack.destroy({ onOutput });
    },
  };
  return deployed;
}

/** Remove whatever a failed test left behind of one environment (containers, data and config volumes, networks). */
export async function purgeEnvironment(environment: string): Promise<void> {
  const filter = ["--filter", `label=obs.stack=${environment}`];
  const ids = async (args: string[]) => (await docker(...args)).split("\n").filter(Boolean);
  const containers = await ids(["ps", "-aq", ...filter]);
  if (containers.length) await docker("rm", "-f", "-v", ...containers);
  // Data volumes carry obs.stack; config volumes (rendered files, components/service.ts) obs.stack.config.
  const volumes = [
    ...(await ids(["volume", "ls", "-q", ...filter])),
    ...(await ids(["volume", "ls", "-q", "--filter", `label=obs.stack.config=${environment}`])),
  ];
  if (volumes.length) await docker("volume", "rm", "-f", ...volumes);
  const networks = await ids(["network", "ls", "-q", ...filter]);
  if (networks.length) await docker("network", "rm", ...networks).catch(() => undefined);
}

export async function docker(...args: string[]): Promise<string> {
  const { stdout } = await run("docker", args, { maxBuffer: 64 * 1024 * 1024 });
  return stdout.trim();
}

export interface ContainerState {
  name: string;
  running: boolean;
  health?: string;
  memoryBytes: number;
  restartCount: number;
  pid: number;
  labels: Record<string, string>;
}

export async function containersOf(environment: string, all = false): Promise<ContainerState[]> {
  const ids = (await docker("ps", ...(all ? ["-a"] : []), "-q", "--filter", `label=obs.stack=${environment}`)).split("\n").filter(Boolean);
  if (ids.length === 0) return [];
  const inspected = JSON.parse(await docker("inspect", ...ids)) as any[];
  return inspected.map((c) => ({
    name: String(c.Name).replace(/^\//, ""),
    running: Boolean(c.State.Running),
    health: c.State.Health?.Status,
    memoryBytes: Number(c.HostConfig.Memory),
    restartCount: Number(c.RestartCount),
    pid: Number(c.State.Pid),
    labels: c.Config.Labels ?? {},
  }));
}

/** Traefik on its published port, routing by Host (no DNS for the stack's domain here). */
export function viaTraefik(
  stack: DeployedStack,
  host: string,
  options: { tls?: boolean; auth?: HttpApi["basicAuth"]; caPem?: string } = {},
): HttpApi {
  return {
    url: options.tls ? `https://127.0.0.1:${stack.ports.https}` : `http://127.0.0.1:${stack.ports.http}`,
    hostHeader: host,
    ...(options.auth ? { basicAuth: options.auth } : {}),
    ...(options.caPem ? { caPem: options.caPem } : {}),
  };
}

export async function getJson<T = any>(api: HttpApi, pathAndQuery: string): Promise<T> {
  const response = await request(api, pathAndQuery);
  if (response.status !== 200)
    throw new Error(`GET ${api.hostHeader ?? api.url}${pathAndQuery}: HTTP ${response.status} ${response.body.slice(0, 300)}`);
  return JSON.parse(response.body) as T;
}

/** PromQL instant query through Traefik; returns the result vector. */
export async function promQuery(api: HttpApi, query: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
  const body = await getJson(api, `/api/v1/query?${new URLSearchParams({ query, nocache: "1" })}`);
  return body.data.result;
}

export const outputValue = (outputs: OutputMap, key: string) => outputs[key]?.value as string | undefined;
