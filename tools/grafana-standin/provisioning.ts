/**
 * Load a Grafana provisioning directory the way Grafana reads it: `datasources/*.yaml`,
 * `dashboards/*.yaml` (file providers; the dashboard JSON under each provider's `options.path`,
 * folder = first path segment with `foldersFromFilesStructure`), `alerting/*.yaml` (rule groups,
 * contact points, policies). String values are expanded as Grafana documents (./expand.ts).
 *
 * Every file read is also returned with its CONTAINER path (`/etc/grafana/provisioning/…`,
 * `/etc/grafana/dashboards/…`) and raw content, for the provisioning contract check: a local run in
 * a temp dir (bench/lib/stack.ts `materialize()` writes `<root>/files/etc/grafana/…`) is mapped
 * back, paths inside the YAML included, so it checks exactly what the container would.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import type { ProvisionedFile } from "../../configs/grafana-contract";
import { GRAFANA_PROVISIONING } from "../../configs/grafana";
import { ExpandContext, expandTree } from "./expand";

/** A tree parsed from a provisioning or dashboard file: read defensively where used. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- untyped JSON/YAML from files
export type Json = any;

export interface Datasource {
  id: number;
  uid: string;
  orgId: number;
  name: string;
  type: string;
  access: string;
  url: string;
  user: string;
  database: string;
  basicAuth: boolean;
  basicAuthUser: string;
  withCredentials: boolean;
  isDefault: boolean;
  jsonData: Record<string, unknown>;
  /** Never served: only used for the stand-in's own requests to the datasource. */
  secureJsonData: Record<string, string>;
  editable: boolean;
  version: number;
  /** Container path of the file it came from. */
  file: string;
}

export interface Folder {
  id: number;
  uid: string;
  title: string;
}

export interface Dashboard {
  id: number;
  uid: string;
  title: string;
  tags: string[];
  folder?: Folder;
  /** The dashboard JSON as provisioned. */
  json: Record<string, Json>;
  /** Container path of the JSON file. */
  file: string;
  /** Path relative to its provider's directory (Grafana's `provisionedExternalId`). */
  externalId: string;
  provider: string;
}

export interface AlertQuery {
  refId: string;
  queryType: string;
  relativeTimeRange: { from: number; to: number };
  datasourceUid: string;
  model: Record<string, Json>;
}

export interface AlertRule {
  id: number;
  uid: string;
  orgID: number;
  folderUID: string;
  ruleGroup: string;
  title: string;
  condition: string;
  data: AlertQuery[];
  updated: string;
  noDataState: string;
  execErrState: string;
  for: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  isPaused: boolean;
  provenance: "file";
}

export interface ContactPoint {
  uid: string;
  name: string;
  type: string;
  settings: Record<string, unknown>;
  disableResolveMessage: boolean;
}

export interface Provisioning {
  datasources: Datasource[];
  folders: Folder[];
  dashboards: Dashboard[];
  rules: AlertRule[];
  ruleGroups: { folderUID: string; title: string; interval: string }[];
  contactPoints: ContactPoint[];
  policies: Record<string, unknown> | undefined;
  /** Every file read, at its container path with its raw content (for the contract check). */
  files: ProvisionedFile[];
  /** Non-fatal notes, logged at start (what Grafana would log as warnings). */
  warnings: string[];
}

export class ProvisioningError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
  }
}

/** Maps local paths (and paths written inside the YAML) back to the container's. */
export interface PathMap {
  toContainer(local: string): string;
  /** Rewrite local paths inside a provisioning file's text to container paths. */
  rewriteContent(text: string): string;
  /**
   * A container path named inside a provisioning value (a provider's `options.path`, a
   * `$__file{…}`) as a local path: under a materialized root, `<root><path>` when that exists.
   */
  toLocal(containerPath: string): string;
}

/**
 * A provisioning dir `<root>/etc/grafana/provisioning` (a materialized plan) maps `<root>` away;
 * any other dir maps itself to /etc/grafana/provisioning and leaves other paths as they are.
 */
export function pathMapFor(provisioningDir: string): PathMap {
  const dir = path.resolve(provisioningDir);
  const root = dir.endsWith(GRAFANA_PROVISIONING) ? dir.slice(0, dir.length - GRAFANA_PROVISIONING.length) : undefined;
  if (root) {
    return {
      toContainer: (local) => (local.startsWith(`${root}/`) ? local.slice(root.length) : local),
      rewriteContent: (text) => text.split(`${root}/`).join("/"),
      toLocal: (p) => (path.isAbsolute(p) && !p.startsWith(`${root}/`) && fs.existsSync(root + p) ? root + p : p),
    };
  }
  if (dir === GRAFANA_PROVISIONING) return { toContainer: (p) => p, rewriteContent: (t) => t, toLocal: (p) => p };
  return {
    toContainer: (local) => (local === dir || local.startsWith(`${dir}/`) ? GRAFANA_PROVISIONING + local.slice(dir.length) : local),
    rewriteContent: (text) => text.split(`${dir}/`).join(`${GRAFANA_PROVISIONING}/`),
    toLocal: (p) => p,
  };
}

function yamlFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name))
    .map((e) => path.join(dir, e.name))
    .sort();
}

function jsonFilesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile() && entry.name.endsWith(".json")) out.push(full);
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return out;
}

/** Folder uids are derived from the title, so alert rule groups and dashboards agree on them. */
export function folderUidFor(title: string): string {
  const slug = title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
  return `standin-${slug || "folder"}`.slice(0, 40);
}

export function slugify(title: string): string {
  return title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
}

const asRecord = (v: unknown): Record<string, Json> => (v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, Json>) : {});
const asArray = (v: unknown): Json[] => (Array.isArray(v) ? v : []);
const str = (v: unknown, fallback = ""): string => (v === undefined || v === null ? fallback : String(v));

export function loadProvisioning(provisioningDir: string, expandContext: ExpandContext): Provisioning {
  const map = pathMapFor(provisioningDir);
  const read = expandContext.readFile ?? ((p: string) => fs.readFileSync(p, "utf8"));
  const ctx: ExpandContext = { ...expandContext, readFile: (p) => read(map.toLocal(p)) };
  const files: ProvisionedFile[] = [];
  const warnings: string[] = [];

  const readYaml = (file: string): Record<string, Json> => {
    const raw = fs.readFileSync(file, "utf8");
    const containerPath = map.toContainer(file);
    files.push({ path: containerPath, content: map.rewriteContent(raw) });
    let parsed: unknown;
    try {
      parsed = yaml.load(raw);
    } catch (error) {
      throw new ProvisioningError(containerPath, `not valid YAML: ${(error as Error).message.split("\n")[0]}`);
    }
    try {
      return asRecord(expandTree(parsed ?? {}, ctx));
    } catch (error) {
      throw new ProvisioningError(containerPath, (error as Error).message);
    }
  };

  // --- datasources ---
  const datasources: Datasource[] = [];
  for (const file of yamlFiles(path.join(provisioningDir, "datasources"))) {
    const doc = readYaml(file);
    const containerPath = map.toContainer(file);
    for (const raw of asArray(doc.datasources)) {
      const d = asRecord(raw);
      if (!d.name) throw new ProvisioningError(containerPath, "a datasource has no name");
      const existing = datasources.findIndex((x) => x.name === d.name && x.orgId === Number(d.orgId ?? 1));
      const ds: Datasource = {
        id: 0,
        uid: str(d.uid) || slugify(str(d.name)),
        orgId: Number(d.orgId ?? 1),
        name: str(d.name),
        type: str(d.type),
        access: str(d.access, "proxy"),
        url: str(d.url),
        user: str(d.user),
        database: str(d.database),
        basicAuth: Boolean(d.basicAuth),
        basicAuthUser: str(d.basicAuthUser),
        withCredentials: Boolean(d.withCredentials),
        isDefault: Boolean(d.isDefault),
        jsonData: asRecord(d.jsonData),
        secureJsonData: Object.fromEntries(Object.entries(asRecord(d.secureJsonData)).map(([k, v]) => [k, str(v)])),
        editable: Boolean(d.editable),
        version: Number(d.version ?? 1),
        file: containerPath,
      };
      if (existing >= 0) datasources[existing] = ds;
      else datasources.push(ds);
    }
  }
  datasources.forEach((d, i) => (d.id = i + 1));

  // --- dashboards ---
  const folders: Folder[] = [];
  const folderByTitle = (title: string, uid?: string): Folder => {
    let folder = folders.find((f) => (uid ? f.uid === uid : f.title === title));
    if (!folder) {
      folder = { id: folders.length + 1, uid: uid || folderUidFor(title), title };
      folders.push(folder);
    }
    return folder;
  };
  const dashboards: Dashboard[] = [];
  for (const file of yamlFiles(path.join(provisioningDir, "dashboards"))) {
    const doc = readYaml(file);
    const containerPath = map.toContainer(file);
    for (const raw of asArray(doc.providers)) {
      const provider = asRecord(raw);
      const type = str(provider.type, "file");
      if (type !== "file") {
        warnings.push(`${containerPath}: provider ${str(provider.name)} has type ${type}; the stand-in reads file providers only`);
        continue;
      }
      const options = asRecord(provider.options);
      const dir = map.toLocal(str(options.path));
      if (!dir) throw new ProvisioningError(containerPath, `provider ${str(provider.name)} has no options.path`);
      if (!fs.existsSync(dir)) {
        warnings.push(`${containerPath}: provider ${str(provider.name)}: ${map.toContainer(dir)} does not exist`);
        continue;
      }
      for (const jsonFile of jsonFilesUnder(dir)) {
        const rel = path.relative(dir, jsonFile).split(path.sep).join("/");
        const jsonPath = map.toContainer(jsonFile);
        const raw = fs.readFileSync(jsonFile, "utf8");
        files.push({ path: jsonPath, content: raw });
        let json: Record<string, Json>;
        try {
          json = asRecord(JSON.parse(raw));
        } catch (error) {
          throw new ProvisioningError(jsonPath, `not valid JSON: ${(error as Error).message}`);
        }
        // Grafana also accepts the API's {dashboard: …} wrapper in a file.
        if (json.dashboard && typeof json.dashboard === "object" && !json.panels) json = asRecord(json.dashboard);
        const title = str(json.title);
        if (!title) throw new ProvisioningError(jsonPath, "dashboard has no title");
        let folder: Folder | undefined;
        const segments = rel.split("/");
        if (options.foldersFromFilesStructure === true) {
          folder = segments.length > 1 ? folderByTitle(segments[0]!) : undefined;
        } else if (provider.folder) {
          folder = folderByTitle(str(provider.folder), provider.folderUid ? str(provider.folderUid) : undefined);
        }
        const uid = str(json.uid) || slugify(title);
        const clash = dashboards.find((d) => d.uid === uid);
        if (clash) {
          warnings.push(`${jsonPath}: dashboard uid ${uid} is already used by ${clash.file}; not provisioned (as Grafana skips it)`);
          continue;
        }
        dashboards.push({
          id: dashboards.length + 1,
          uid,
          title,
          tags: asArray(json.tags).map(String),
          folder,
          json: { ...json, uid },
          file: jsonPath,
          externalId: rel,
          provider: str(provider.name),
        });
      }
    }
  }

  // --- alerting ---
  const rules: AlertRule[] = [];
  const ruleGroups: Provisioning["ruleGroups"] = [];
  const contactPoints: ContactPoint[] = [];
  let policies: Record<string, unknown> | undefined;
  const updated = new Date().toISOString();
  for (const file of yamlFiles(path.join(provisioningDir, "alerting"))) {
    const doc = readYaml(file);
    const containerPath = map.toContainer(file);
    for (const rawGroup of asArray(doc.groups)) {
      const group = asRecord(rawGroup);
      const folderTitle = str(group.folder);
      if (!folderTitle && !group.folderUid) throw new ProvisioningError(containerPath, `rule group ${str(group.name)} has no folder`);
      const folder = folderByTitle(folderTitle, group.folderUid ? str(group.folderUid) : undefined);
      ruleGroups.push({ folderUID: folder.uid, title: str(group.name), interval: str(group.interval, "1m") });
      for (const rawRule of asArray(group.rules)) {
        const r = asRecord(rawRule);
        if (!r.uid || !r.title) throw new ProvisioningError(containerPath, `a rule of group ${str(group.name)} has no uid or title`);
        rules.push({
          id: rules.length + 1,
          uid: str(r.uid),
          orgID: Number(group.orgId ?? 1),
          folderUID: folder.uid,
          ruleGroup: str(group.name),
          title: str(r.title),
          condition: str(r.condition),
          data: asArray(r.data).map((rawQuery) => {
            const q = asRecord(rawQuery);
            const range = asRecord(q.relativeTimeRange);
            return {
              refId: str(q.refId),
              queryType: str(q.queryType),
              relativeTimeRange: { from: Number(range.from ?? 0), to: Number(range.to ?? 0) },
              datasourceUid: str(q.datasourceUid),
              model: asRecord(q.model),
            };
          }),
          updated,
          noDataState: str(r.noDataState, "NoData"),
          execErrState: str(r.execErrState, "Alerting"),
          for: str(r.for, "0s"),
          labels: Object.fromEntries(Object.entries(asRecord(r.labels)).map(([k, v]) => [k, str(v)])),
          annotations: Object.fromEntries(Object.entries(asRecord(r.annotations)).map(([k, v]) => [k, str(v)])),
          isPaused: Boolean(r.isPaused),
          provenance: "file",
        });
      }
    }
    for (const rawPoint of asArray(doc.contactPoints)) {
      const point = asRecord(rawPoint);
      for (const rawReceiver of asArray(point.receivers)) {
        const receiver = asRecord(rawReceiver);
        contactPoints.push({
          uid: str(receiver.uid),
          name: str(point.name),
          type: str(receiver.type),
          settings: asRecord(receiver.settings),
          disableResolveMessage: Boolean(receiver.disableResolveMessage),
        });
      }
    }
    const policy = asArray(doc.policies)[0];
    if (policy) policies = asRecord(policy);
  }

  return { datasources, folders, dashboards, rules, ruleGroups, contactPoints, policies, files, warnings };
}
