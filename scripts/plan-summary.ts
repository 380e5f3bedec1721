/**
 * The pure half of `npm run diff`: what a stack renders to (every uploaded file plus one
 * container.json per container), a plan summary a reviewer can read next to `pulumi preview`
 * (containers, images, ports, volumes, memory limits, routes, datasources, dashboards, alert rules,
 * secret files), and unified diffs of both. No git, no file system, no Pulumi: plans in, text out.
 * Output is deterministic: everything is sorted, nothing depends on time or on the machine.
 */
import { structuredPatch, type StructuredPatchHunk } from "diff";
import * as yaml from "js-yaml";
import type { StackPlan } from "../configs/stack";
import type { ServicePlan } from "../configs/types";
import type { Settings } from "../settings";
import { SECRET_STAND_IN } from "../settings/stack-file";

/** What secret values are shown as, everywhere in the output. */
export const SECRET_MARK = SECRET_STAND_IN;

/** A stack as the program would deploy it: its validated settings and its plan. */
export interface StackRendering {
  settings: Settings;
  plan: StackPlan;
}

/** Container name the component gives a service (`${environment}-${role}`). */
const containerName = (settings: Settings, service: ServicePlan) => `${settings.environment}-${service.role}`;

/** Host ports each service publishes, by port name: the plan's wiring, as components/stack.ts publishes them. */
function published(r: StackRendering, service: ServicePlan): Record<string, string> {
  const publish = r.plan.wiring[service.role]?.publish ?? {};
  const out: Record<string, string> = {};
  for (const port of service.ports) {
    const host = publish[port.name];
    if (host !== undefined) out[port.name] = `${r.plan.common.bindAddress}:${host}`;
  }
  return out;
}

/** The container facts `npm run diff` shows (everything but file contents; secrets as `[secret]`). */
function containerFacts(r: StackRendering, service: ServicePlan) {
  return {
    image: service.image,
    command: service.command ?? null,
    env: service.env,
    user: service.user ?? null,
    memoryMb: service.memoryMb,
    ports: service.ports,
    published: published(r, service),
    volumes: service.volumes,
    hostMounts: service.hostMounts,
    capabilities: service.capabilities ?? [],
    healthcheck: service.healthcheck ?? null,
    route: service.route ?? null,
    secretFiles: Object.fromEntries(service.secretFiles.map((f) => [f.path, SECRET_MARK])),
  };
}

/**
 * Every file of the stack as `<role>/<path in the container>` → content (the layout of
 * `npm run render`), plus `<role>/container.json` with the container's facts. Sorted by path.
 */
export function renderedFiles(r: StackRendering | undefined): Map<string, string> {
  const files: [string, string][] = [];
  for (const service of r?.plan.services ?? []) {
    for (const f of service.files) files.push([`${service.role}/${f.path.replace(/^\/+/, "")}`, f.content]);
    files.push([`${service.role}/container.json`, `${JSON.stringify(containerFacts(r!, service), null, 2)}\n`]);
  }
  return new Map(files.sort(([a], [b]) => compare(a, b)));
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export const SUMMARY_SECTIONS = [
  "containers",
  "images",
  "memory limits",
  "ports",
  "volumes",
  "routes",
  "datasources",
  "dashboards",
  "alert rules",
  "secret files",
] as const;
export type SummarySection = (typeof SUMMARY_SECTIONS)[number];

/**
 * One line per fact, per section; a line is `<key>  <value>` (the key identifies the thing).
 * `digest` is what else identifies its content (not printed): a line present on both sides with a
 * different digest is shown as changed (`~`).
 */
export interface SummaryLine {
  key: string;
  value: string;
  digest?: string;
  /** For containers: which aspects changed are computed from these (not printed). */
  facts?: Record<string, unknown>;
}
export type PlanSummary = Record<SummarySection, SummaryLine[]>;

/** The facts of a plan a reviewer looks at, one line each, sorted. */
export function summarizePlan(r: StackRendering | undefined): PlanSummary {
  const summary = Object.fromEntries(SUMMARY_SECTIONS.map((s) => [s, [] as SummaryLine[]])) as PlanSummary;
  if (!r) return summary;
  const add: Add = (section, key, value = "", digest, facts) => summary[section].push({ key, value, digest, facts });
  const { plan, settings } = r;

  for (const service of plan.services) {
    const name = containerName(settings, service);
    const facts = { ...containerFacts(r, service), files: service.files.map((f) => `${f.path}\n${f.content}`) };
    add("containers", name, `role ${service.role}`, JSON.stringify(facts), facts);
    add("images", name, service.image);
    add("memory limits", name, `${service.memoryMb} MB`);
    const pub = published(r, service);
    for (const port of service.ports) {
      add("ports", `${name} ${port.name}`, `:${port.internal}${pub[port.name] ? ` published on ${pub[port.name]}` : " (network only)"}`);
    }
    for (const volume of service.volumes) {
      add(
        "volumes",
        `${name}-${volume.name}`,
        `${name}:${volume.containerPath}${volume.ownerUid !== undefined ? ` (chown ${volume.ownerUid})` : ""}`,
      );
    }
    for (const mount of service.hostMounts) add("volumes", `host ${mount.hostPath}`, `${name}:${mount.containerPath} (read-only)`);
    if (service.route && plan.routing) {
      const scheme = plan.routing.tls === "none" ? "http" : "https";
      add(
        "routes",
        `${scheme}://${service.route.subdomain}.${plan.routing.domain}`,
        `${name}:${service.route.port}${service.route.protectWithBasicAuth && settings.traefik.basicAuth ? " (basic auth)" : ""}`,
      );
    }
    for (const secret of service.secretFiles) add("secret files", `${name}:${secret.path}`, SECRET_MARK);
    for (const file of service.files) grafanaFacts(file.path, file.content, add);
  }
  if (plan.traefik && plan.routing && settings.traefik.dashboard) {
    const scheme = plan.routing.tls === "none" ? "http" : "https";
    add("routes", `${scheme}://traefik.${plan.routing.domain}`, "Traefik dashboard (basic auth)");
  }
  for (const section of SUMMARY_SECTIONS) summary[section].sort((a, b) => compare(a.key, b.key) || compare(a.value, b.value));
  return summary;
}

/** Datasources, dashboards and alert rules, read from the provisioning files Grafana gets. */
type Add = (section: SummarySection, key: string, value?: string, digest?: string, facts?: Record<string, unknown>) => void;

function grafanaFacts(file: string, content: string, add: Add): void {
  if (/\/provisioning\/datasources\/[^/]+\.ya?ml$/.test(file)) {
    const doc = yaml.load(content) as { datasources?: { uid: string; name: string; type: string; url?: string; isDefault?: boolean }[] };
    for (const ds of doc?.datasources ?? []) {
      add("datasources", ds.uid, `${ds.name} (${ds.type}) ${ds.url ?? ""}${ds.isDefault ? ", default" : ""}`.trim(), JSON.stringify(ds));
    }
  } else if (/\/provisioning\/alerting\/[^/]+\.ya?ml$/.test(file)) {
    const doc = yaml.load(content) as { groups?: { name: string; folder: string; rules?: AlertRule[] }[] };
    for (const group of doc?.groups ?? []) {
      for (const rule of group.rules ?? []) {
        const threshold = rule.data?.find((d) => d.model?.type === "threshold")?.model?.conditions?.[0]?.evaluator;
        const when = threshold ? `, ${threshold.type} ${(threshold.params ?? []).join(" ")}` : "";
        add(
          "alert rules",
          rule.uid,
          `"${rule.title}" (${group.folder}/${group.name}${rule.for ? `, for ${rule.for}` : ""}${when})`,
          JSON.stringify(rule),
        );
      }
    }
  } else if (file.endsWith(".json") && /\/dashboards\//.test(file)) {
    const json = JSON.parse(content) as { uid?: string; title?: string; panels?: unknown[] };
    add(
      "dashboards",
      file.replace(/^.*?\/dashboards\//, ""),
      `"${json.title ?? ""}" (uid ${json.uid ?? "-"}, ${json.panels?.length ?? 0} panels)`,
      content,
    );
  }
}

interface AlertRule {
  uid: string;
  title: string;
  for?: string;
  data?: { model?: { type?: string; conditions?: { evaluator?: { type: string; params?: unknown[] } }[] } }[];
}

const line = (l: SummaryLine) => (l.value ? `${l.key}  ${l.value}` : l.key);

/**
 * The plan summary as a diff: per section, `-` lines only in the base, `+` lines only in the
 * working tree, `~` for a thing on both sides whose line reads the same but whose content changed
 * (for a container: which aspects — the docker provider re-creates it on any of them), and a count
 * of unchanged lines.
 */
export function diffSummaries(base: StackRendering | undefined, head: StackRendering | undefined): string[] {
  const a = summarizePlan(base);
  const b = summarizePlan(head);
  const out: string[] = [];
  for (const section of SUMMARY_SECTIONS) {
    const byLineA = new Map(a[section].map((l) => [line(l), l]));
    const byLineB = new Map(b[section].map((l) => [line(l), l]));
    const removed = [...byLineA.keys()].filter((l) => !byLineB.has(l));
    const added = [...byLineB.keys()].filter((l) => !byLineA.has(l));
    const changed: string[] = [];
    for (const [text, after] of byLineB) {
      const before = byLineA.get(text);
      if (!before || before.digest === after.digest) continue;
      if (before.facts && after.facts) {
        const aspects = Object.keys(after.facts).filter((k) => JSON.stringify(before.facts![k]) !== JSON.stringify(after.facts![k]));
        changed.push(`~ ${after.key}  changed: ${aspects.join(", ")}`);
      } else changed.push(`~ ${text}  (content changed)`);
    }
    const counts = a[section].length === b[section].length ? `${b[section].length}` : `${a[section].length} → ${b[section].length}`;
    if (removed.length + added.length + changed.length === 0) {
      out.push(`${section} (${counts}): ${b[section].length === 0 ? "none" : "unchanged"}`);
      continue;
    }
    out.push(`${section} (${counts}):`);
    // Removed and added lines interleaved by key, so a changed value reads as -old / +new.
    const keyOf = (l: string) => l.split("  ")[0]!;
    const entries = [...removed.map((l) => ({ l, sign: "-" })), ...added.map((l) => ({ l, sign: "+" }))].sort(
      (x, y) => compare(keyOf(x.l), keyOf(y.l)) || (x.sign === y.sign ? 0 : x.sign === "-" ? -1 : 1) || compare(x.l, y.l),
    );
    out.push(...changed.sort(compare), ...entries.map((e) => `${e.sign} ${e.l}`));
    const unchanged = b[section].length - added.length - changed.length;
    if (unchanged > 0) out.push(`  (${unchanged} unchanged)`);
  }
  return out;
}

/** Beyond this many differing lines a file is shown as wholly replaced (bounded time and memory). */
const MAX_EDIT_LENGTH = 4000;

/** A file's lines with `sign` in front; a last line without a newline is followed by diff's marker. */
function signedLines(content: string, sign: "-" | "+"): { lines: string[]; count: number } {
  if (content === "") return { lines: [], count: 0 };
  const lines = content.split("\n").map((l) => `${sign}${l}`);
  if (lines[lines.length - 1] === sign) lines.pop();
  else lines.push("\\ No newline at end of file");
  return { lines, count: content.endsWith("\n") ? lines.length : lines.length - 1 };
}

/** Every line of `before` removed and every line of `after` added, in one hunk. */
function wholeReplacement(before: string, after: string): StructuredPatchHunk {
  const removed = signedLines(before, "-");
  const added = signedLines(after, "+");
  return { oldStart: 1, oldLines: removed.count, newStart: 1, newLines: added.count, lines: [...removed.lines, ...added.lines] };
}

/** `diff -u` numbers an empty range by the line before it (`-0,0` for an empty file); jsdiff by the line after. */
function hunkRange(start: number, count: number): string {
  if (count === 1) return `${start}`;
  return `${count === 0 ? start - 1 : start},${count}`;
}

/**
 * A unified diff (`diff -u` format, 3 lines of context) of one file; empty when equal.
 * `undefined` content means the file does not exist on that side (/dev/null).
 */
export function unifiedDiff(file: string, before: string | undefined, after: string | undefined, context = 3): string {
  if (before === after) return "";
  const a = before ?? "";
  const b = after ?? "";
  const patch = structuredPatch(file, file, a, b, undefined, undefined, { context, maxEditLength: MAX_EDIT_LENGTH });
  const hunks = patch?.hunks ?? [wholeReplacement(a, b)];
  const out = [`--- ${before === undefined ? "/dev/null" : `a/${file}`}`, `+++ ${after === undefined ? "/dev/null" : `b/${file}`}`];
  for (const h of hunks) out.push(`@@ -${hunkRange(h.oldStart, h.oldLines)} +${hunkRange(h.newStart, h.newLines)} @@`, ...h.lines);
  return `${out.join("\n")}\n`;
}

export interface DiffReportInput {
  stack: string;
  /** How the base was chosen, printed in the header (e.g. `main@1a2b3c4d5e6f (merge base)`). */
  baseLabel: string;
  /** undefined: the stack file does not exist on that side. */
  base: StackRendering | undefined;
  head: StackRendering | undefined;
}

/** The whole `npm run diff` output: header, plan summary, then every rendered file's diff. */
export function diffReport(input: DiffReportInput): string {
  const filesA = renderedFiles(input.base);
  const filesB = renderedFiles(input.head);
  const names = [...new Set([...filesA.keys(), ...filesB.keys()])].sort(compare);
  const diffs = names.map((n) => unifiedDiff(n, filesA.get(n), filesB.get(n))).filter((d) => d !== "");
  const added = names.filter((n) => !filesA.has(n)).length;
  const removed = names.filter((n) => !filesB.has(n)).length;
  const changed = diffs.length - added - removed;
  const out = [
    `# Rendered stack ${input.stack}: ${input.baseLabel} → working tree`,
    ...(input.base ? [] : [`# (Pulumi.${input.stack}.yaml does not exist at the base)`]),
    ...(input.head ? [] : [`# (Pulumi.${input.stack}.yaml does not exist in the working tree)`]),
    "",
    "## Plan summary (- base, + working tree, ~ changed)",
    "",
    ...diffSummaries(input.base, input.head),
    "",
    `## Rendered files: ${changed} changed, ${added} added, ${removed} removed, ${names.length - diffs.length} unchanged`,
  ];
  return `${[...out, ...(diffs.length > 0 ? ["", diffs.join("")] : [""])].join("\n").replace(/\n+$/, "")}\n`;
}
