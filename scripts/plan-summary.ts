/**
 * The pure half of `npm run diff`: what a stack renders to (every uploaded file plus one
 * container.json per container), a plan summary a reviewer can read next to `pulumi preview`
 * (containers, images, ports, volumes, memory limits, routes, datasources, dashboards, alert rules,
 * secret files), and unified diffs of both. No git, no file system, no Pulumi: plans in, text out.
 * Output is deterministic: everything is sorted, nothing depends on time or on the machine.
 */
import * as yaml from "js-yaml";
import type { StackPlan } from "../configs/stack";
import type { ServicePlan } from "../configs/types";
import type { Settings } from "../settings";
import { parseStackFile, SECRET_STAND_IN } from "../settings/stack-file";

/** What secret values are shown as, everywhere in the output. */
export const SECRET_MARK = SECRET_STAND_IN;

/**
 * The raw config of a `Pulumi.<stack>.yaml` (keys without the project prefix), with every
 * `secure:` value (ciphertext) replaced by `[secret]`: the renderers never put secrets into files
 * (they reference them by path), so the stand-in is never rendered; it only keeps validation happy.
 */
/** Kept for callers of the old name: the one stack-file reader is settings/stack-file.ts. */
export const stackFileRawConfig = parseStackFile;

/** A stack as the program would deploy it: its validated settings and its plan. */
export interface StackRendering {
  settings: Settings;
  plan: StackPlan;
}

/** Container name the component gives a service (`${environment}-${role}`). */
const containerName = (settings: Settings, service: ServicePlan) => `${settings.environment}-${service.role}`;

/** Host ports each service publishes, by port name (the same mapping as components/stack.ts). */
function published(r: StackRendering, service: ServicePlan): Record<string, string> {
  const { exposure } = r.settings;
  const byName: Record<string, number | undefined> =
    service === r.plan.collector
      ? { "otlp-grpc": exposure.ports.otlpGrpc, "otlp-http": exposure.ports.otlpHttp }
      : service === r.plan.traefik
        ? { http: exposure.ports.http, https: exposure.ports.https }
        : {};
  const out: Record<string, string> = {};
  for (const port of service.ports) {
    const host = byName[port.name];
    if (host !== undefined) out[port.name] = `${exposure.bindAddress}:${host}`;
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

export type DiffOp = { op: "=" | "-" | "+"; line: string };

/** Beyond this many differing lines a file is shown as wholly replaced (bounded time and memory). */
const MAX_EDIT_DISTANCE = 4000;

/** Myers' O(ND) line diff (a shortest edit script), common prefix and suffix trimmed first. */
export function diffLines(a: string[], b: string[]): DiffOp[] {
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const A = a.slice(start, endA);
  const B = b.slice(start, endB);
  const middle = myers(A, B) ?? [...A.map((line) => ({ op: "-" as const, line })), ...B.map((line) => ({ op: "+" as const, line }))];
  return [
    ...a.slice(0, start).map((line) => ({ op: "=" as const, line })),
    ...middle,
    ...a.slice(endA).map((line) => ({ op: "=" as const, line })),
  ];
}

function myers(A: string[], B: string[]): DiffOp[] | undefined {
  const N = A.length;
  const M = B.length;
  const max = Math.min(N + M, MAX_EDIT_DISTANCE);
  const off = max + 1;
  const v = new Int32Array(2 * max + 3);
  // trace[d] holds v[k] for k in [-d, d] as it was before round d.
  const trace: Int32Array[] = [];
  let done = N === 0 && M === 0;
  for (let d = 0; d <= max && !done; d++) {
    trace.push(v.slice(off - d, off + d + 1));
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[off + k - 1]! < v[off + k + 1]!) ? v[off + k + 1]! : v[off + k - 1]! + 1;
      let y = x - k;
      while (x < N && y < M && A[x] === B[y]) {
        x++;
        y++;
      }
      v[off + k] = x;
      if (x >= N && y >= M) {
        done = true;
        break;
      }
    }
  }
  if (!done) return undefined;
  const ops: DiffOp[] = [];
  let x = N;
  let y = M;
  for (let d = trace.length - 1; d >= 0; d--) {
    const vd = trace[d]!;
    const at = (k: number) => vd[k + d]!;
    const k = x - y;
    const prevK = k === -d || (k !== d && at(k - 1) < at(k + 1)) ? k + 1 : k - 1;
    const prevX = d === 0 ? 0 : at(prevK);
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      ops.push({ op: "=", line: A[x - 1]! });
      x--;
      y--;
    }
    if (d > 0) {
      if (x === prevX) ops.push({ op: "+", line: B[y - 1]! });
      else ops.push({ op: "-", line: A[x - 1]! });
    }
    x = prevX;
    y = prevY;
  }
  return ops.reverse();
}

/** Lines of a file; a last line without a newline carries diff's marker, as in `diff -u`. */
function toLines(content: string | undefined): string[] {
  if (content === undefined || content === "") return [];
  const lines = content.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  else lines[lines.length - 1] += "\n\\ No newline at end of file";
  return lines;
}

/**
 * A unified diff (`diff -u` format, 3 lines of context) of one file; empty when equal.
 * `undefined` content means the file does not exist on that side (/dev/null).
 */
export function unifiedDiff(file: string, before: string | undefined, after: string | undefined, context = 3): string {
  if (before === after) return "";
  const ops = diffLines(toLines(before), toLines(after));
  const out = [`--- ${before === undefined ? "/dev/null" : `a/${file}`}`, `+++ ${after === undefined ? "/dev/null" : `b/${file}`}`];
  // Positions (1-based line numbers before each op) on both sides.
  const pos: { a: number; b: number }[] = [];
  let ia = 1;
  let ib = 1;
  for (const o of ops) {
    pos.push({ a: ia, b: ib });
    if (o.op !== "+") ia++;
    if (o.op !== "-") ib++;
  }
  let i = 0;
  while (i < ops.length) {
    if (ops[i]!.op === "=") {
      i++;
      continue;
    }
    // A hunk: from `context` lines before this change to `context` lines after the last change
    // that is at most 2*context equal lines away from the previous one.
    const from = Math.max(0, i - context);
    let end = i;
    for (;;) {
      while (end < ops.length && ops[end]!.op !== "=") end++;
      let next = end;
      while (next < ops.length && ops[next]!.op === "=") next++;
      if (next < ops.length && next - end <= 2 * context) end = next;
      else break;
    }
    const to = Math.min(ops.length, end + context);
    const hunk = ops.slice(from, to);
    const countA = hunk.filter((o) => o.op !== "+").length;
    const countB = hunk.filter((o) => o.op !== "-").length;
    const startA = countA === 0 ? pos[from]!.a - 1 : pos[from]!.a;
    const startB = countB === 0 ? pos[from]!.b - 1 : pos[from]!.b;
    const range = (s: number, n: number) => (n === 1 ? `${s}` : `${s},${n}`);
    out.push(`@@ -${range(startA, countA)} +${range(startB, countB)} @@`);
    for (const o of hunk) out.push(`${o.op === "=" ? " " : o.op}${o.line}`);
    i = to;
  }
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
