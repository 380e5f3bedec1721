/**
 * The Grafana STAND-IN: what runs in Grafana's slot in this project's real test tiers, because no
 * Grafana server can be built or run on these machines (and Grafana is AGPL: the project never
 * fetches, builds or runs it). It is not Grafana and never says it is: its name, its
 * `/api/health` version, its log lines and its login page all say "stand-in". Users of the program
 * get the real grafana/grafana image.
 *
 * What it does as Grafana would: read Grafana's environment (as the image's /run.sh leaves it),
 * load the provisioning directory (datasources, dashboard file providers, alerting) with Grafana's
 * documented `$VAR` expansion, refuse to start on a provisioning contract violation
 * (configs/grafana-contract.ts), keep the admin password in `$GF_PATHS_DATA/grafana.db` (seeded on
 * the first start, changed only by `cli admin reset-admin-password`), and serve the HTTP API subset
 * the tests and `verify` use — plus `/api/standin/report`, which runs every dashboard and alert
 * query against its datasource.
 *
 *   node standin.cjs server [--homepath=… --config=… --packaging=docker …] [cfg:default.paths.data=…] [cfg:default.paths.provisioning=…]
 *   node standin.cjs cli [--homepath X] admin reset-admin-password --password-from-stdin
 */
import * as fs from "node:fs";
import * as path from "node:path";
import COMPONENTS from "../../settings/components.json";
import { checkGrafanaProvisioning, type ProvisionedFile } from "../../configs/grafana-contract";
import { AdminStore } from "./admin-store";
import { loadProvisioning, ProvisioningError, type Provisioning } from "./provisioning";
import { createServer } from "./server";

export const STANDIN_RELEASE = 1;
export const STANDIN_VERSION = `stand-in ${STANDIN_RELEASE} for grafana ${COMPONENTS.grafana.version} provisioning (not Grafana)`;
/** Where the previous start's provisioned files are kept (the cross-deploy contract rules read them). */
export const PREVIOUS_FILES = "standin-provisioned-files.json";

function logLine(level: string, msg: string, fields: Record<string, unknown> = {}): string {
  const parts = [`logger=grafana-standin`, `t=${new Date().toISOString()}`, `level=${level}`, `msg=${JSON.stringify(`stand-in: ${msg}`)}`];
  for (const [k, v] of Object.entries(fields))
    parts.push(`${k}=${typeof v === "string" && /^[\w./:@-]+$/.test(v) ? v : JSON.stringify(v)}`);
  return parts.join(" ");
}
const info = (msg: string, fields?: Record<string, unknown>) => console.log(logLine("info", msg, fields));
const warn = (msg: string, fields?: Record<string, unknown>) => console.log(logLine("warn", msg, fields));
const error = (msg: string, fields?: Record<string, unknown>) => console.error(logLine("error", msg, fields));

/**
 * Grafana's environment: `GF_X__FILE=path` becomes `GF_X=<content>` (what /run.sh does, trailing
 * newlines dropped as `$(< file)` drops them), unless GF_X is set itself.
 */
export function resolveFileEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out = { ...env };
  for (const [name, file] of Object.entries(env)) {
    if (!name.startsWith("GF_") || !name.endsWith("__FILE") || !file) continue;
    const target = name.slice(0, -"__FILE".length);
    if (out[target] !== undefined && out[target] !== "") continue;
    out[target] = fs.readFileSync(file, "utf8").replace(/\n+$/, "");
  }
  return out;
}

interface Paths {
  data: string;
  provisioning: string;
}

/** `cfg:default.paths.data=…` and `cfg:default.paths.provisioning=…` override the environment; other flags are accepted and ignored. */
export function parsePaths(args: string[], env: NodeJS.ProcessEnv): Paths {
  const paths: Paths = {
    data: env.GF_PATHS_DATA || "/var/lib/grafana",
    provisioning: env.GF_PATHS_PROVISIONING || "/etc/grafana/provisioning",
  };
  for (const arg of args) {
    const m = /^cfg:default\.paths\.(data|provisioning)=(.*)$/.exec(arg);
    if (m) paths[m[1] as keyof Paths] = m[2]!;
  }
  return paths;
}

function readPrevious(dataDir: string): ProvisionedFile[] | undefined {
  const file = path.join(dataDir, PREVIOUS_FILES);
  if (!fs.existsSync(file)) return undefined;
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as ProvisionedFile[];
  } catch {
    warn("the previous start's provisioned files are unreadable: cross-deploy rules skipped", { file });
    return undefined;
  }
}

function keepForNextStart(dataDir: string, files: ProvisionedFile[]): void {
  const file = path.join(dataDir, PREVIOUS_FILES);
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, JSON.stringify(files));
  fs.renameSync(tmp, file);
}

/** Load and check the provisioning; on any problem print each and return undefined (the caller exits 1). */
function provision(paths: Paths, env: NodeJS.ProcessEnv): Provisioning | undefined {
  let prov: Provisioning;
  try {
    prov = loadProvisioning(paths.provisioning, { env });
  } catch (e) {
    if (e instanceof ProvisioningError) error("provisioning failed", { file: e.file, error: e.message });
    else error("provisioning failed", { error: (e as Error).message });
    return undefined;
  }
  for (const w of prov.warnings) warn(w);
  const violations = checkGrafanaProvisioning(prov.files, readPrevious(paths.data));
  if (violations.length > 0) {
    for (const v of violations) {
      console.error(`stand-in: provisioning contract violation: ${v.file}: ${v.key}: [${v.rule}] ${v.message}`);
    }
    error("refusing to start: provisioning breaks the Grafana provisioning contract", { violations: violations.length });
    return undefined;
  }
  keepForNextStart(paths.data, prov.files);
  info("provisioned", {
    datasources: prov.datasources.length,
    dashboards: prov.dashboards.length,
    folders: prov.folders.length,
    alertRules: prov.rules.length,
    files: prov.files.length,
  });
  return prov;
}

async function server(args: string[]): Promise<number> {
  const env = resolveFileEnv(process.env);
  const paths = parsePaths(args, env);
  info("starting the Grafana stand-in (not Grafana)", { version: STANDIN_VERSION, data: paths.data, provisioning: paths.provisioning });
  fs.mkdirSync(paths.data, { recursive: true });
  const admin = new AdminStore(paths.data);
  const user = env.GF_SECURITY_ADMIN_USER || "admin";
  if (admin.seed(user, env.GF_SECURITY_ADMIN_PASSWORD ?? "admin"))
    info("new admin store: admin user created from the environment", { user });
  else info("existing admin store: the environment's admin password is not applied (as Grafana)", { user: admin.login() });

  const prov = provision(paths, env);
  if (!prov) return 1;

  const port = Number(env.GF_SERVER_HTTP_PORT || 3000);
  const host = env.GF_SERVER_HTTP_ADDR || "0.0.0.0";
  const httpServer = createServer({ prov, admin, version: STANDIN_VERSION, log: (msg, fields) => info(msg, fields) });
  await new Promise<void>((resolve, reject) => {
    httpServer.once("error", reject);
    httpServer.listen(port, host, () => resolve());
  });
  info("HTTP server listening", { address: `${host}:${port}` });
  const stop = (signal: string) => {
    info("stopping", { signal });
    httpServer.close(() => process.exit(0));
    httpServer.closeAllConnections();
    setTimeout(() => process.exit(0), 3000).unref();
  };
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));
  return new Promise<number>(() => undefined); // runs until a signal
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** `cli [--homepath X] [--config X] [cfg:…] admin reset-admin-password (--password-from-stdin | <password>)` */
async function cli(args: string[]): Promise<number> {
  const env = resolveFileEnv(process.env);
  const positional: string[] = [];
  let fromStdin = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--password-from-stdin") fromStdin = true;
    else if (/^--?(homepath|config|configOverrides|pluginsDir|pluginUrl|repo)$/.test(arg)) i++;
    else if (arg.startsWith("-") || arg.startsWith("cfg:")) continue;
    else positional.push(arg);
  }
  const paths = parsePaths(args, env);
  if (positional[0] !== "admin" || positional[1] !== "reset-admin-password") {
    console.error(
      "stand-in cli: only `admin reset-admin-password [--password-from-stdin | <password>]` is supported by the Grafana stand-in",
    );
    return 1;
  }
  const password = fromStdin ? (await readStdin()).replace(/\r?\n$/, "") : positional[2];
  if (!password) {
    console.error("stand-in cli: no new password given (stdin was empty)");
    return 1;
  }
  fs.mkdirSync(paths.data, { recursive: true });
  new AdminStore(paths.data).resetPassword(password, env.GF_SECURITY_ADMIN_USER || "admin");
  console.log("stand-in cli: admin password changed (Grafana stand-in, not Grafana)");
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === "server") return server(rest);
  if (command === "cli") return cli(rest);
  if (command === "-v" || command === "--version" || command === "-version") {
    console.log(`grafana-standin ${STANDIN_VERSION}`);
    return 0;
  }
  console.error(
    "usage (Grafana stand-in, not Grafana): standin server [flags] | standin cli admin reset-admin-password --password-from-stdin",
  );
  return 2;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: Error) => {
      error("failed", { error: e.message });
      process.exit(1);
    },
  );
}
