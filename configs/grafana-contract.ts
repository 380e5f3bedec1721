/**
 * The Grafana provisioning contract: the rules Grafana documents for the files it provisions from
 * disk, checked on the files this program renders for it. A real Grafana 12 cannot run on this
 * machine (the deploy tier runs the 10.0 backend), so these rules stand in for what it would refuse
 * or silently get wrong at start-up. Pure: no Pulumi, no I/O; every violation is reported at once.
 *
 * Sources. The program deploys grafana/grafana:12.3.0; the docs index held no v12.3 copy of these
 * pages, so the versions read are named (12.2 and 12.4 bracket 12.3 and agree where used):
 * - [PROV]  "Provision Grafana", https://grafana.com/docs/grafana/v12.4/administration/provisioning/
 *           (same sections in v12.2; the data source example file and "$$" rule also in the repo's
 *           docs/sources/administration/provisioning/index.md, v11.x).
 * - [ALERT] "Use configuration files to provision alerting resources",
 *           https://grafana.com/docs/grafana/v12.4/alerting/set-up/provision-alerting-resources/file-provisioning/
 *           (field reference read in the repo's docs source; uid, condition, policies' receiver).
 * - [STATE] "No Data and Error states",
 *           https://grafana.com/docs/grafana/v12.4/alerting/fundamentals/alert-rule-evaluation/nodata-and-error-states/
 *           and its table "Configure no data and error" (Keep Last State, added in 10.4: grafana/grafana#84406);
 *           the option names NoData/Alerting/OK/KeepLast and Error/Alerting/OK/KeepLast are the ones
 *           Grafana's ngalert models parse (NoDataStateFromString / ErrStateFromString).
 * - [DASH]  "Dashboard API", https://grafana.com/docs/grafana/latest/developers/http_api/dashboard/
 *           ("The uid can have a maximum length of 40 characters"; the same sentence since v6.0).
 * `$__file{…}` / `$__env{…}` are Grafana's variable-expansion providers (configure-grafana,
 * "Variable expansion"); this repo's alerting file reads its contact point URL with `$__file{…}`.
 */
import { load } from "js-yaml";
import { GRAFANA_PROVISIONING } from "./grafana";

/** A file as Grafana's container would hold it. */
export interface ProvisionedFile {
  path: string;
  content: string;
}

export interface ContractViolation {
  file: string;
  /** Dotted/indexed path inside the file (`datasources[1].uid`); `(file)` for the file as a whole. */
  key: string;
  rule: string;
  message: string;
}

/** Every rule, with what it says and where Grafana documents it (messages end with the rule id). */
export const GRAFANA_CONTRACT_RULES = {
  // [PROV] "Provision Grafana": every example file starts with `apiVersion: 1` ("Configuration file
  // version"); data sources, dashboard providers and (in [ALERT]) alerting files alike.
  "api-version": "every provisioning file declares apiVersion: 1",
  // Grafana refuses a file it cannot read; reported so the other rules never see half a file.
  parse: "the file must parse (YAML for provisioning, JSON for dashboards)",
  // [PROV] "Data sources": Grafana looks provisioned data sources up by name (and orgId) and the
  // database enforces a unique uid per org ("data source with the same name/uid already exists").
  "datasource-name-unique": "data source names are unique per org",
  "datasource-uid-unique": "data source uids are unique per org",
  // [PROV] example file, `isDefault`: "You can set only one default data source per organization."
  "datasource-single-default": "at most one data source per org has isDefault: true",
  // [DASH] "The uid can have a maximum length of 40 characters." Grafana applies the same short-uid
  // limit to data source uids ([PROV] `uid`) and alert rule uids ([ALERT] `uid`, "unique identifier
  // for the rule", required).
  "uid-length": "datasource, dashboard and alert rule uids are 1 to 40 characters",
  // [DASH] the uid identifies a dashboard across the instance; a second file with the same uid
  // fights the first on every provisioning pass.
  "dashboard-uid-unique": "dashboard uids are unique across all dashboard files",
  // Grafana rejects "a dashboard with the same name in the folder already exists".
  "dashboard-title-unique": "dashboard titles are unique per folder",
  // [PROV] "Dashboards": a provider loads the JSON files below its options.path; anything else is never read.
  "dashboard-unprovisioned": "a dashboard file lies below a file provider's options.path",
  // [ALERT] `condition`: "which query should be used for the condition" = one of the rule's data[].refId.
  "alert-condition": "an alert rule's condition names one of its data[].refId",
  // [ALERT] / [STATE]: NoData, Alerting, OK, KeepLast ("Keep Last State", Grafana >= 10.4).
  "alert-no-data-state": "noDataState is one of NoData, Alerting, OK, KeepLast",
  // [ALERT] / [STATE]: Error, Alerting, OK, KeepLast.
  "alert-exec-err-state": "execErrState is one of Error, Alerting, OK, KeepLast",
  // [ALERT] "Provision notification policies": `receiver` is the "name of the contact point that
  // should be used for this route"; nested routes too.
  "policy-receiver": "every notification policy receiver names a contact point",
  // [PROV] "Use environment variables": `$ENV_VAR_NAME` / `${ENV_VAR_NAME}` are looked up in every
  // provisioning value; a literal `$` is written `$$`. `$__file{path}` / `$__env{NAME}` are the
  // only expansions this program means (it never uses a bare `$VAR`: secrets come from files).
  "dollar-escape": "a literal $ in provisioning YAML is written $$ (only $__file{…} / $__env{…} expand)",
  // [PROV] example file: credentials (`password`, `basicAuthPassword`, TLS keys, header values) go in
  // `secureJsonData` ("Fields to encrypt"); `jsonData` is stored and served in plain. A rendered
  // file is uploaded in plain too, so a secret in it is a `$__file{…}` reference, never its value.
  "secret-placement": "secrets sit only in secureJsonData (or contact point settings) as $__file{…}/$__env{…} references",
  // [PROV] `uid`: "Sets a custom UID to reference this data source in other parts of the configuration."
  "datasource-reference": "every datasource uid referenced by a dashboard, alert rule or data source link is provisioned",
  // [PROV] "Data sources": matched by name. A kept name under a new uid silently re-points the row,
  // breaking every reference by the old uid.
  "swap-name-new-uid": "across deploys, a data source name keeps its uid",
  // [PROV] deleteDatasources run "before adding or updating": a kept uid under a new name is
  // inserted next to the old row and fails with "data source with the same uid already exists"
  // unless the old name is deleted first (the backend-swap defect renderDatasources fixed).
  "swap-uid-new-name": "across deploys, a uid under a new name needs the old name in deleteDatasources",
} as const;

export type GrafanaContractRule = keyof typeof GRAFANA_CONTRACT_RULES;

/** Grafana's own data source uids a dashboard may use without provisioning them. */
const BUILT_IN_DASHBOARD_UIDS = new Set(["grafana", "-- Grafana --", "-- Mixed --", "-- Dashboard --"]);
/** The server-side expression "data source" of alert rules (`-100` is its legacy alias). */
const EXPRESSION_UIDS = new Set(["__expr__", "-100"]);
const NO_DATA_STATES = ["NoData", "Alerting", "OK", "KeepLast"];
const EXEC_ERR_STATES = ["Error", "Alerting", "OK", "KeepLast"];
/** Grafana creates this contact point itself; a policy may route to it without provisioning it. */
const DEFAULT_CONTACT_POINT = "grafana-default-email";
const MAX_UID = 40;
/** Key names that hold credentials (Grafana's secure fields and what data source plugins call theirs). */
const SECRET_KEY =
  /(password|secret|secretkey|token|apikey|api_key|privatekey|clientkey|credentials|integrationkey)$|^httpheadervalue\d+$/i;
/** Contact point types whose URL is itself the credential (Slack/Discord/Teams/Chat webhooks; this repo's webhook URL is a secret too). */
const SECRET_URL_TYPES = new Set(["slack", "webhook", "discord", "teams", "googlechat"]);
/** A whole value that Grafana expands from a file or the environment at provisioning time. */
const REFERENCE = /^\$__(file|env)\{[^}]+\}$/;
/** A dashboard datasource given as a template variable: `$ds`, `${ds}`, `${ds:raw}`, `[[ds]]`. */
const TEMPLATE_VARIABLE = /^(\$\w+|\$\{[^}]+\}|\[\[[^\]]+\]\])$/;

type Tree = unknown;
type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const orgOf = (v: Obj): number => (typeof v.orgId === "number" ? v.orgId : typeof v.orgID === "number" ? v.orgID : 1);
const show = (v: unknown): string => {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 90 ? `${text.slice(0, 87)}…` : text;
};
const join = (path: string, key: string | number): string => (typeof key === "number" ? `${path}[${key}]` : path ? `${path}.${key}` : key);

/**
 * Visit every key/value below `tree`. `at()` spells the value's dotted/indexed path, built only when
 * asked: dashboards hold thousands of nodes and only a few are ever reported.
 */
function walk(tree: Tree, path: string, visit: (key: string, value: unknown, at: () => string) => void): void {
  const segments: (string | number)[] = [];
  const at = () => segments.reduce<string>((p, s) => join(p, s), path);
  const step = (node: Tree): void => {
    if (Array.isArray(node))
      node.forEach((item, i) => {
        segments.push(i);
        step(item);
        segments.pop();
      });
    else if (isObj(node))
      for (const [key, value] of Object.entries(node)) {
        segments.push(key);
        visit(key, value, at);
        step(value);
        segments.pop();
      }
  };
  step(tree);
}

interface Parsed {
  file: string;
  doc: Obj;
}

interface DatasourceEntry {
  file: string;
  key: string;
  org: number;
  name?: string;
  uid?: string;
}

interface Provider {
  org: number;
  root: string;
  folder: string;
  fromFiles: boolean;
}

class Report {
  readonly violations: ContractViolation[] = [];
  add(file: string, key: string, rule: GrafanaContractRule, given: string): void {
    this.violations.push({ file, key, rule, message: `${file}: ${key} ${given}; ${GRAFANA_CONTRACT_RULES[rule]} [${rule}]` });
  }
}

const PROVISIONING_SUFFIX = /\.(ya?ml|json)$/;

function sectionOf(path: string): "datasources" | "dashboards" | "alerting" | "other" | undefined {
  if (!path.startsWith(`${GRAFANA_PROVISIONING}/`) || !PROVISIONING_SUFFIX.test(path)) return undefined;
  const section = path.slice(GRAFANA_PROVISIONING.length + 1).split("/")[0];
  return section === "datasources" || section === "dashboards" || section === "alerting" ? section : "other";
}

function parseYaml(file: ProvisionedFile, report?: Report): Obj | undefined {
  try {
    const doc = load(file.content);
    if (isObj(doc)) return doc;
    report?.add(file.path, "(file)", "parse", `is ${show(doc)}, not a mapping`);
  } catch (error) {
    report?.add(file.path, "(file)", "parse", `does not parse: ${(error as Error).message.split("\n")[0]}`);
  }
  return undefined;
}

/** Data sources of every datasource file, in file order. */
function datasourcesOf(files: Parsed[]): DatasourceEntry[] {
  return files.flatMap(({ file, doc }) =>
    asArray(doc.datasources).flatMap((d, i) =>
      isObj(d) ? [{ file, key: `datasources[${i}]`, org: orgOf(d), name: str(d.name), uid: str(d.uid) }] : [],
    ),
  );
}

function checkUid(report: Report, file: string, key: string, uid: unknown): void {
  if (typeof uid !== "string" || uid.length === 0) report.add(file, key, "uid-length", `is ${uid === undefined ? "missing" : show(uid)}`);
  else if (uid.length > MAX_UID) report.add(file, key, "uid-length", `is ${show(uid)} (${uid.length} characters)`);
}

/** `$` not doubled and not starting `$__file{…}` / `$__env{…}`: the index of the first one, or -1. */
function unescapedDollar(text: string): number {
  for (let i = 0; i < text.length; i++) {
    if (text[i] !== "$") continue;
    if (text[i + 1] === "$") {
      i++;
      continue;
    }
    const reference = /^\$__(file|env)\{[^}]*\}/.exec(text.slice(i));
    if (reference) {
      i += reference[0].length - 1;
      continue;
    }
    return i;
  }
  return -1;
}

function checkDollars(report: Report, { file, doc }: Parsed): void {
  walk(doc, "", (key, value, at) => {
    if (typeof value !== "string") return;
    const i = unescapedDollar(value);
    if (i < 0) return;
    const where = at();
    const secret = SECRET_KEY.test(key) || where.includes("secureJsonData");
    const given = secret ? "(value not shown: a secret)" : show(value.slice(Math.max(0, i - 30), i + 30));
    report.add(file, where, "dollar-escape", `has a single $ at character ${i} in ${given}`);
  });
}

function checkDatasourceFiles(report: Report, files: Parsed[], all: DatasourceEntry[]): void {
  const seen = new Map<string, DatasourceEntry>();
  const defaults = new Map<number, string>();
  for (const entry of all) {
    for (const field of ["name", "uid"] as const) {
      const value = entry[field];
      if (value === undefined) continue;
      const id = `${entry.org}\u0000${field}\u0000${value}`;
      const first = seen.get(id);
      if (first)
        report.add(
          entry.file,
          `${entry.key}.${field}`,
          `datasource-${field}-unique`,
          `is ${show(value)}, already used by ${first.file} ${first.key} in org ${entry.org}`,
        );
      else seen.set(id, entry);
    }
  }
  for (const { file, doc } of files) {
    asArray(doc.datasources).forEach((d, i) => {
      if (!isObj(d)) return;
      const key = `datasources[${i}]`;
      checkUid(report, file, `${key}.uid`, d.uid);
      if (d.isDefault === true) {
        const first = defaults.get(orgOf(d));
        if (first !== undefined)
          report.add(
            file,
            `${key}.isDefault`,
            "datasource-single-default",
            `is true, and ${first} is already the default of org ${orgOf(d)}`,
          );
        else defaults.set(orgOf(d), `${file} ${key}`);
      }
      for (const field of Object.keys(d))
        if (SECRET_KEY.test(field))
          report.add(
            file,
            `${key}.${field}`,
            "secret-placement",
            "holds a credential (value not shown) at the top level, not in secureJsonData",
          );
      walk(d.jsonData, `${key}.jsonData`, (field, _value, at) => {
        if (SECRET_KEY.test(field))
          report.add(
            file,
            at(),
            "secret-placement",
            "holds a credential (value not shown) in jsonData, which Grafana stores and serves in plain",
          );
      });
      if (isObj(d.secureJsonData))
        for (const [field, value] of Object.entries(d.secureJsonData))
          if (typeof value !== "string" || !REFERENCE.test(value))
            report.add(
              file,
              `${key}.secureJsonData.${field}`,
              "secret-placement",
              "holds a literal value (not shown) instead of a $__file{…}/$__env{…} reference",
            );
    });
  }
}

function uidsByOrg(all: DatasourceEntry[]): Map<number, Set<string>> {
  const byOrg = new Map<number, Set<string>>();
  for (const d of all) {
    if (d.uid === undefined) continue;
    if (!byOrg.has(d.org)) byOrg.set(d.org, new Set());
    byOrg.get(d.org)!.add(d.uid);
  }
  return byOrg;
}

function checkDatasourceLinks(report: Report, files: Parsed[], uids: Map<number, Set<string>>): void {
  for (const { file, doc } of files)
    asArray(doc.datasources).forEach((d, i) => {
      if (!isObj(d)) return;
      const known = uids.get(orgOf(d)) ?? new Set<string>();
      walk(d.jsonData, `datasources[${i}].jsonData`, (field, value, at) => {
        if ((field === "datasourceUid" || field === "alertmanagerUid") && typeof value === "string" && !known.has(value))
          report.add(file, at(), "datasource-reference", `is ${show(value)}, not a data source of org ${orgOf(d)}`);
      });
    });
}

function providersOf(files: Parsed[]): Provider[] {
  return files.flatMap(({ doc }) =>
    asArray(doc.providers).flatMap((p) => {
      if (!isObj(p) || (p.type ?? "file") !== "file" || !isObj(p.options) || typeof p.options.path !== "string") return [];
      return [
        {
          org: orgOf(p),
          root: p.options.path.replace(/\/+$/, ""),
          folder: str(p.folder) ?? "",
          fromFiles: p.options.foldersFromFilesStructure === true,
        },
      ];
    }),
  );
}

function checkDashboardDatasource(
  report: Report,
  file: string,
  at: () => string,
  value: unknown,
  known: Set<string>,
  names: Set<string>,
): void {
  const ok = (v: string) => TEMPLATE_VARIABLE.test(v) || BUILT_IN_DASHBOARD_UIDS.has(v) || known.has(v);
  if (typeof value === "string") {
    // A plain string is the pre-uid form: a data source NAME (or uid, which Grafana also accepts).
    if (!ok(value) && !names.has(value))
      report.add(file, at(), "datasource-reference", `is ${show(value)}, neither a provisioned data source nor a variable`);
  } else if (isObj(value) && typeof value.uid === "string" && !ok(value.uid)) {
    report.add(file, `${at()}.uid`, "datasource-reference", `is ${show(value.uid)}, not a provisioned data source uid`);
  }
}

function checkDashboards(
  report: Report,
  files: ProvisionedFile[],
  providers: Provider[],
  all: DatasourceEntry[],
  uids?: Map<number, Set<string>>,
): void {
  const uidSeen = new Map<string, string>();
  const titleSeen = new Map<string, string>();
  for (const f of files) {
    const provider = providers.find((p) => f.path.startsWith(`${p.root}/`));
    if (!provider) {
      report.add(f.path, "(file)", "dashboard-unprovisioned", "is a dashboard file no file provider's options.path contains");
      continue;
    }
    let doc: unknown;
    try {
      doc = JSON.parse(f.content);
    } catch (error) {
      report.add(f.path, "(file)", "parse", `is not JSON: ${(error as Error).message}`);
      continue;
    }
    if (!isObj(doc)) {
      report.add(f.path, "(file)", "parse", "is not a JSON object");
      continue;
    }
    const segments = f.path.slice(provider.root.length + 1).split("/");
    const folder = provider.fromFiles && segments.length > 1 ? segments[0]! : provider.folder;
    checkUid(report, f.path, "uid", doc.uid);
    if (typeof doc.uid === "string" && doc.uid) {
      const id = `${provider.org}\u0000${doc.uid}`;
      const first = uidSeen.get(id);
      if (first) report.add(f.path, "uid", "dashboard-uid-unique", `is ${show(doc.uid)}, already the uid of ${first}`);
      else uidSeen.set(id, f.path);
    }
    if (typeof doc.title === "string") {
      const id = `${provider.org}\u0000${folder}\u0000${doc.title}`;
      const first = titleSeen.get(id);
      if (first)
        report.add(
          f.path,
          "title",
          "dashboard-title-unique",
          `is ${show(doc.title)}, already the title of ${first} in folder ${show(folder || "General")}`,
        );
      else titleSeen.set(id, f.path);
    }
    if (!uids) continue;
    const known = uids.get(provider.org) ?? new Set<string>();
    const names = new Set(all.filter((d) => d.org === provider.org && d.name).map((d) => d.name!));
    walk(doc, "", (key, value, at) => {
      if (key === "datasource" || key === "datasourceUid") checkDashboardDatasource(report, f.path, at, value, known, names);
    });
  }
}

function checkAlerting(report: Report, files: Parsed[], uids: Map<number, Set<string>> | undefined, complete: boolean): void {
  const contactPoints = new Map<number, Set<string>>();
  for (const { doc } of files)
    for (const cp of asArray(doc.contactPoints))
      if (isObj(cp) && typeof cp.name === "string") {
        if (!contactPoints.has(orgOf(cp))) contactPoints.set(orgOf(cp), new Set());
        contactPoints.get(orgOf(cp))!.add(cp.name);
      }

  for (const { file, doc } of files) {
    asArray(doc.groups).forEach((g, gi) => {
      if (!isObj(g)) return;
      const known = uids ? (uids.get(orgOf(g)) ?? new Set<string>()) : undefined;
      asArray(g.rules).forEach((r, ri) => {
        if (!isObj(r)) return;
        const key = `groups[${gi}].rules[${ri}]`;
        checkUid(report, file, `${key}.uid`, r.uid);
        const data = asArray(r.data).filter(isObj);
        const refIds = data.map((q) => q.refId);
        if (!refIds.includes(r.condition))
          report.add(file, `${key}.condition`, "alert-condition", `is ${show(r.condition)}, not one of its refIds ${show(refIds)}`);
        if (r.noDataState !== undefined && !NO_DATA_STATES.includes(r.noDataState as string))
          report.add(file, `${key}.noDataState`, "alert-no-data-state", `is ${show(r.noDataState)}`);
        if (r.execErrState !== undefined && !EXEC_ERR_STATES.includes(r.execErrState as string))
          report.add(file, `${key}.execErrState`, "alert-exec-err-state", `is ${show(r.execErrState)}`);
        asArray(r.data).forEach((q, qi) => {
          if (!isObj(q)) return;
          const at = `${key}.data[${qi}]`;
          const refs: [string, unknown][] = [[`${at}.datasourceUid`, q.datasourceUid]];
          if (isObj(q.model) && isObj(q.model.datasource)) refs.push([`${at}.model.datasource.uid`, q.model.datasource.uid]);
          for (const [where, uid] of refs)
            if (known && typeof uid === "string" && !EXPRESSION_UIDS.has(uid) && !known.has(uid))
              report.add(file, where, "datasource-reference", `is ${show(uid)}, neither a data source of org ${orgOf(g)} nor __expr__`);
        });
      });
    });

    asArray(doc.contactPoints).forEach((cp, ci) => {
      if (!isObj(cp)) return;
      asArray(cp.receivers).forEach((r, ri) => {
        if (!isObj(r) || !isObj(r.settings)) return;
        for (const [field, value] of Object.entries(r.settings)) {
          const secret = SECRET_KEY.test(field) || (field === "url" && SECRET_URL_TYPES.has(String(r.type)));
          if (secret && !(typeof value === "string" && REFERENCE.test(value)))
            report.add(
              file,
              `contactPoints[${ci}].receivers[${ri}].settings.${field}`,
              "secret-placement",
              "holds a literal credential (value not shown) instead of a $__file{…}/$__env{…} reference",
            );
        }
      });
    });

    asArray(doc.policies).forEach((p, pi) => {
      if (!isObj(p) || !complete) return;
      const names = contactPoints.get(orgOf(p)) ?? new Set<string>();
      const visit = (route: Obj, key: string, root: boolean) => {
        const receiver = route.receiver;
        if (
          (root || receiver !== undefined) &&
          !(typeof receiver === "string" && (names.has(receiver) || receiver === DEFAULT_CONTACT_POINT))
        )
          report.add(
            file,
            `${key}.receiver`,
            "policy-receiver",
            `is ${show(receiver)}, not a contact point of org ${orgOf(p)} (known: ${show([...names])})`,
          );
        asArray(route.routes).forEach((child, i) => isObj(child) && visit(child, `${key}.routes[${i}]`, false));
      };
      visit(p, `policies[${pi}]`, true);
    });
  }
}

function checkSwap(report: Report, next: Parsed[], previous: Parsed[]): void {
  const before = datasourcesOf(previous);
  const deleted = new Set(
    next.flatMap(({ doc }) =>
      asArray(doc.deleteDatasources).flatMap((d) => (isObj(d) && typeof d.name === "string" ? [`${orgOf(d)}\u0000${d.name}`] : [])),
    ),
  );
  for (const d of datasourcesOf(next)) {
    const byName = before.find((b) => b.org === d.org && b.name !== undefined && b.name === d.name);
    if (byName && byName.uid !== d.uid)
      report.add(
        d.file,
        `${d.key}.uid`,
        "swap-name-new-uid",
        `is ${show(d.uid)}, but data source ${show(d.name)} had uid ${show(byName.uid)} in the previous deploy`,
      );
    const byUid = before.find((b) => b.org === d.org && b.uid !== undefined && b.uid === d.uid);
    if (byUid && byUid.name !== d.name && !deleted.has(`${d.org}\u0000${byUid.name}`))
      report.add(
        d.file,
        `${d.key}.name`,
        "swap-uid-new-name",
        `is ${show(d.name)}, but uid ${show(d.uid)} was ${show(byUid.name)} in the previous deploy and deleteDatasources does not list ${show(byUid.name)}`,
      );
  }
}

function parseSection(files: ProvisionedFile[], section: "datasources" | "dashboards" | "alerting" | "other", report?: Report): Parsed[] {
  return files.flatMap((f) => {
    if (sectionOf(f.path) !== section) return [];
    const doc = parseYaml(f, report);
    return doc ? [{ file: f.path, doc }] : [];
  });
}

/** Every violation at once (never stops at the first). `previous` = the files of the previous deploy, for the cross-deploy rules. */
export function checkGrafanaProvisioning(files: ProvisionedFile[], previous?: ProvisionedFile[]): ContractViolation[] {
  const report = new Report();
  const datasourceFiles = parseSection(files, "datasources", report);
  const providerFiles = parseSection(files, "dashboards", report);
  const alertingFiles = parseSection(files, "alerting", report);
  // Other provisioning folders (plugins, access control, …) follow the same file conventions.
  const provisioning = [...datasourceFiles, ...providerFiles, ...alertingFiles, ...parseSection(files, "other", report)];

  for (const { file, doc } of provisioning)
    if (doc.apiVersion !== 1)
      report.add(file, "apiVersion", "api-version", `is ${doc.apiVersion === undefined ? "missing" : show(doc.apiVersion)}`);
  for (const parsed of provisioning) checkDollars(report, parsed);

  // A section that did not parse is reported once; the rules that need all of it are skipped
  // instead of reporting every reference into it as dangling.
  const unparsed = (section: string) => files.some((f) => sectionOf(f.path) === section && !provisioning.some((p) => p.file === f.path));
  const datasources = datasourcesOf(datasourceFiles);
  const uids = unparsed("datasources") ? undefined : uidsByOrg(datasources);
  checkDatasourceFiles(report, datasourceFiles, datasources);
  if (uids) checkDatasourceLinks(report, datasourceFiles, uids);
  const dashboards = files.filter((f) => sectionOf(f.path) === undefined && f.path.endsWith(".json"));
  if (!unparsed("dashboards")) checkDashboards(report, dashboards, providersOf(providerFiles), datasources, uids);
  checkAlerting(report, alertingFiles, uids, !unparsed("alerting"));
  // The previous deploy was checked when it was made: only what the swap rules need is read from it.
  if (previous) checkSwap(report, datasourceFiles, parseSection(previous, "datasources"));
  return report.violations;
}
