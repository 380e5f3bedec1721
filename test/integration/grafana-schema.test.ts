import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { afterAll, describe, expect, it } from "vitest";
import { LOGS_BACKENDS, METRICS_BACKENDS, TRACES_BACKENDS } from "../../configs/backends";
import { planStack } from "../../configs/stack";
import { parseSettings } from "../../settings";
import { stackFileConfig } from "../helpers/program";
import { binary, hasBinary, TOOLS_BIN, tempDir } from "../../bench/lib/harness";

/**
 * Every dashboard and alert rule the program renders, checked with Grafana's own schema code:
 * tools/grafana-validate decodes them into the typed models of grafana-foundation-sdk (Apache-2.0)
 * and runs their Validate(), plus what those leave out (panel types, rule enums, references).
 * Built by scripts/install-grafana-validate.sh; a missing binary fails this file, it never skips.
 */

interface Report {
  ok: boolean;
  items: { file: string; uid: string; kind: "dashboard" | "rule"; errors: string[] }[];
}

const DASHBOARD_DIR = "/etc/grafana/dashboards/";
const ALERTING_FILE = "/etc/grafana/provisioning/alerting/alerting.yaml";

interface ProvisioningGroup {
  orgId: number;
  name: string;
  folder: string;
  interval: string;
  rules: Record<string, unknown>[];
}

function validator(): string {
  if (!hasBinary("grafana-validate")) {
    throw new Error(
      `${path.join(TOOLS_BIN, "grafana-validate")} is missing: run \`bash scripts/install-grafana-validate.sh\` ` +
        "(with the same TOOLS_DIR) first",
    );
  }
  return binary("grafana-validate");
}

const work = tempDir("grafana-schema");
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** The rules file the validator reads: each provisioned rule with its group's context. */
function rulesOf(alertingYaml: string): Record<string, unknown>[] {
  const doc = yaml.load(alertingYaml) as { groups?: ProvisioningGroup[] };
  return (doc.groups ?? []).flatMap(({ rules, ...group }) =>
    rules.map((rule) => ({ ...rule, group: { orgId: group.orgId, name: group.name, folder: group.folder, interval: group.interval } })),
  );
}

/** Write the inputs into their own directory and run the validator once over all of them. */
function validate(
  name: string,
  dashboards: Record<string, string>,
  rules?: unknown[],
): { status: number | null; report: Report; raw: string } {
  const bin = validator();
  const dir = path.join(work, name);
  fs.mkdirSync(dir, { recursive: true });
  const args: string[] = [];
  for (const [file, json] of Object.entries(dashboards)) {
    const at = path.join(dir, file.replace(/\//g, "__"));
    fs.writeFileSync(at, json);
    args.push("--dashboard", at);
  }
  if (rules) {
    const at = path.join(dir, "rules.json");
    fs.writeFileSync(at, JSON.stringify(rules));
    args.push("--rules", at);
  }
  const run = spawnSync(bin, args, { encoding: "utf8" });
  let report: Report;
  try {
    report = JSON.parse(run.stdout) as Report;
  } catch {
    throw new Error(`grafana-validate printed no report (exit ${run.status}): ${run.stdout}${run.stderr}`);
  }
  return { status: run.status, report, raw: run.stdout };
}

/** The grafana service's rendered files for one configuration. */
function grafanaFiles(config: Record<string, unknown>): { dashboards: Record<string, string>; rules: Record<string, unknown>[] } {
  const grafana = planStack(parseSettings(config)).services.find((service) => service.role === "grafana");
  if (!grafana) throw new Error("no grafana service in the plan");
  const dashboards = Object.fromEntries(
    grafana.files
      .filter((f) => f.path.startsWith(DASHBOARD_DIR) && f.path.endsWith(".json"))
      .map((f) => [f.path.slice(DASHBOARD_DIR.length), f.content]),
  );
  const alerting = grafana.files.find((f) => f.path === ALERTING_FILE);
  return { dashboards, rules: alerting ? rulesOf(alerting.content) : [] };
}

const base = stackFileConfig("dev");
const withBackends = (c: { metrics: string; traces: string; logs: string }) => ({
  ...base,
  metrics: { ...(base.metrics as object), backend: c.metrics },
  traces: { ...(base.traces as object), backend: c.traces, ...(c.traces === "tempo" ? { storage: "badger" } : {}) },
  logs: { backend: c.logs },
});

const combos = Object.keys(METRICS_BACKENDS).flatMap((metrics) =>
  Object.keys(TRACES_BACKENDS).flatMap((traces) => ["none", ...Object.keys(LOGS_BACKENDS)].map((logs) => ({ metrics, traces, logs }))),
);

const STACKS: { name: string; config: () => Record<string, unknown> }[] = [
  { name: "Pulumi.dev.yaml", config: () => stackFileConfig("dev") },
  { name: "Pulumi.prod.yaml", config: () => stackFileConfig("prod") },
  ...combos.map((c) => ({ name: `metrics=${c.metrics} traces=${c.traces} logs=${c.logs}`, config: () => withBackends(c) })),
];

const errorsOf = (report: Report) =>
  report.items.filter((i) => i.errors.length > 0).map((i) => `${i.kind} ${i.uid} (${i.file}): ${i.errors.join("; ")}`);

describe("grafana-validate accepts every dashboard and alert rule the program renders", () => {
  it("GIVEN the backend registries WHEN combined THEN every metrics × traces × logs choice is covered", () => {
    expect(Object.keys(METRICS_BACKENDS)).toEqual(expect.arrayContaining(["victoriametrics", "prometheus"]));
    expect(Object.keys(TRACES_BACKENDS)).toEqual(expect.arrayContaining(["jaeger", "tempo"]));
    expect(Object.keys(LOGS_BACKENDS)).toEqual(expect.arrayContaining(["victorialogs", "loki"]));
    expect(combos.length).toBeGreaterThanOrEqual(12);
  });

  it.each(STACKS.map((s) => [s.name, s] as const))(
    "GIVEN %s WHEN its dashboards and alert rules are validated with grafana-foundation-sdk THEN every item passes",
    (name, stack) => {
      const { dashboards, rules } = grafanaFiles(stack.config());
      expect(Object.keys(dashboards).length).toBeGreaterThan(0);
      expect(rules.length).toBeGreaterThan(0);
      const { status, report } = validate(name.replace(/[^A-Za-z0-9.=-]+/g, "_"), dashboards, rules);
      expect(errorsOf(report)).toEqual([]);
      expect(report.ok).toBe(true);
      expect(status).toBe(0);
      // One item per dashboard and per rule: nothing was silently left out.
      expect(report.items.filter((i) => i.kind === "dashboard")).toHaveLength(Object.keys(dashboards).length);
      expect(report.items.filter((i) => i.kind === "rule")).toHaveLength(rules.length);
      expect(new Set(report.items.filter((i) => i.kind === "rule").map((i) => i.uid))).toEqual(new Set(rules.map((r) => r.uid)));
    },
  );
});

describe("grafana-validate rejects what Grafana would not load", () => {
  const dev = grafanaFiles(stackFileConfig("dev"));
  const [dashboardFile, dashboardJson] = Object.entries(dev.dashboards)[0];
  const mutate = (change: (d: Record<string, any>) => void) => {
    const d = JSON.parse(dashboardJson) as Record<string, any>;
    change(d);
    return { [dashboardFile]: JSON.stringify(d) };
  };
  const firstPanel = (d: Record<string, any>) => (d.panels as Record<string, any>[]).find((p) => p.type !== "row")!;

  it("GIVEN a dashboard with a field of the wrong type WHEN validated THEN it fails with the field named", () => {
    const { status, report } = validate(
      "wrong-type",
      mutate((d) => {
        firstPanel(d).gridPos.w = "wide";
      }),
    );
    expect(status).toBe(1);
    expect(report.ok).toBe(false);
    expect(report.items).toHaveLength(1);
    expect(report.items[0].kind).toBe("dashboard");
    expect(report.items[0].errors.join("\n")).toMatch(/gridPos.*cannot unmarshal string/);
  });

  it("GIVEN a dashboard whose refresh is a number WHEN validated THEN it fails (the SDK types it as a string)", () => {
    const { status, report } = validate(
      "wrong-type-refresh",
      mutate((d) => {
        d.refresh = 30;
      }),
    );
    expect(status).toBe(1);
    expect(report.items[0].errors.join("\n")).toMatch(/refresh/);
  });

  it("GIVEN a panel of an unknown type WHEN validated THEN it fails naming the type", () => {
    const { status, report } = validate(
      "unknown-panel",
      mutate((d) => {
        firstPanel(d).type = "sparkline-deluxe";
      }),
    );
    expect(status).toBe(1);
    expect(report.items[0].errors.join("\n")).toMatch(/unknown panel type "sparkline-deluxe"/);
  });

  it("GIVEN a panel option the SDK does not know WHEN validated THEN the strict decoding of its options fails", () => {
    const { status, report } = validate(
      "unknown-option",
      mutate((d) => {
        firstPanel(d).options = { ...firstPanel(d).options, legendd: {} };
      }),
    );
    expect(status).toBe(1);
    expect(report.items[0].errors.join("\n")).toMatch(/options: .*unexpected field 'legendd'/);
  });

  it("GIVEN a rule with a bad noDataState WHEN validated THEN only that rule fails, naming the field", () => {
    const rules = dev.rules.map((r, i) => (i === 0 ? { ...r, noDataState: "Silence" } : r));
    const { status, report } = validate("bad-nodata", dev.dashboards, rules);
    expect(status).toBe(1);
    expect(report.ok).toBe(false);
    const failed = report.items.filter((i) => i.errors.length > 0);
    expect(failed.map((i) => i.uid)).toEqual([dev.rules[0].uid]);
    expect(failed[0].kind).toBe("rule");
    expect(failed[0].errors.join("\n")).toMatch(/noDataState: "Silence"/);
  });

  it("GIVEN a rule with a misspelt key, a bad execErrState and a condition naming no query WHEN validated THEN each is reported", () => {
    const rules = dev.rules.map((r, i) => (i === 0 ? { ...r, nodataState: "OK", execErrState: "ok", condition: "Z" } : r));
    const { report } = validate("bad-rule-fields", dev.dashboards, rules);
    const errors = report.items.find((i) => i.uid === dev.rules[0].uid)!.errors.join("\n");
    expect(errors).toMatch(/nodataState: not a key/);
    expect(errors).toMatch(/execErrState: "ok"/);
    expect(errors).toMatch(/condition: "Z" names no query/);
  });

  it("GIVEN a rule linked to a panel that does not exist WHEN validated with the dashboards THEN it fails", () => {
    const linked = dev.rules.find((r) => (r.annotations as Record<string, string>)?.__panelId__)!;
    expect(linked).toBeDefined();
    const rules = dev.rules.map((r) => (r === linked ? { ...r, annotations: { ...(r.annotations as object), __panelId__: "9999" } } : r));
    const { status, report } = validate("bad-panel-link", dev.dashboards, rules);
    expect(status).toBe(1);
    expect(report.items.find((i) => i.uid === linked.uid)!.errors.join("\n")).toMatch(/__panelId__: "9999"/);
  });
});
