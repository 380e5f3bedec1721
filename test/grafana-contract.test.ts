import { dump, load } from "js-yaml";
import { describe, expect, it } from "vitest";
import { GRAFANA_DASHBOARDS_DIR, GRAFANA_PROVISIONING } from "../configs/grafana";
import { checkGrafanaProvisioning, GRAFANA_CONTRACT_RULES, ProvisionedFile } from "../configs/grafana-contract";
import { planStack } from "../configs/stack";
import { parseSettings } from "../settings";
import { stackFileConfig } from "./helpers/program";

const DATASOURCES = `${GRAFANA_PROVISIONING}/datasources/datasources.yaml`;
const ALERTING = `${GRAFANA_PROVISIONING}/alerting/alerting.yaml`;
const STACK_DASHBOARD = `${GRAFANA_DASHBOARDS_DIR}/stack/observability-stack-health.json`;
const SECRET = "hunter2-do-not-print";

type Raw = Record<string, unknown>;
const dev = stackFileConfig("dev");

/** A backend combination on top of the dev stack file, as test/backend-switch.test.ts builds them. */
const combination = (metrics: string, traces: string, logs: string): Raw => ({
  ...dev,
  metrics: { ...(dev.metrics as object), backend: metrics },
  traces: { ...(dev.traces as object), backend: traces, ...(traces === "tempo" ? { storage: "badger" } : {}) },
  logs: { backend: logs },
});

const COMBINATIONS = ["victoriametrics", "prometheus"].flatMap((m) =>
  ["jaeger", "tempo"].flatMap((t) => ["none", "victorialogs", "loki"].map((l) => ({ name: `${m}/${t}/${l}`, raw: combination(m, t, l) }))),
);

const CONTACT_POINTS: { name: string; raw: Raw }[] = [
  { name: "webhook", raw: { ...dev, alerting: { contactPoint: { kind: "webhook", url: "https://hooks.example.com/x" } } } },
  { name: "slack", raw: { ...dev, alerting: { contactPoint: { kind: "slack", url: "https://hooks.slack.com/services/x" } } } },
];

const rendered = new Map<string, ProvisionedFile[]>();
/** Grafana's files for a stack config (planned once per name: planStack is the slow part). */
function grafanaFiles(name: string, raw: Raw): ProvisionedFile[] {
  if (!rendered.has(name)) {
    const grafana = planStack(parseSettings(raw)).services.find((s) => s.role === "grafana")!;
    rendered.set(
      name,
      grafana.files.map((f) => ({ path: f.path, content: f.content })),
    );
  }
  return rendered.get(name)!;
}

const BASES: Record<string, Raw> = {
  dev,
  prod: stackFileConfig("prod"),
  loki: combination("victoriametrics", "jaeger", "loki"),
  webhook: CONTACT_POINTS[0]!.raw,
};
const base = (name: keyof typeof BASES) => grafanaFiles(name, BASES[name]!);

/** The files with one of them parsed, changed and written back (YAML or JSON as it was). */
function edit(files: ProvisionedFile[], path: string, change: (doc: any) => void): ProvisionedFile[] {
  expect(files.some((f) => f.path === path)).toBe(true);
  return files.map((f) => {
    if (f.path !== path) return f;
    const json = path.endsWith(".json");
    const doc = json ? JSON.parse(f.content) : load(f.content);
    change(doc);
    return { path, content: json ? JSON.stringify(doc, null, 2) : dump(doc, { lineWidth: -1, noRefs: true }) };
  });
}

/** A copy of a rendered file at another path, changed. */
function copy(files: ProvisionedFile[], from: string, to: string, change: (doc: any) => void): ProvisionedFile[] {
  const doc = JSON.parse(files.find((f) => f.path === from)!.content);
  change(doc);
  return [...files, { path: to, content: JSON.stringify(doc) }];
}

describe("the rendered files keep Grafana's provisioning contract", () => {
  it.each(["dev", "prod"] as const)("GIVEN Pulumi.%s.yaml WHEN its Grafana files are checked THEN there is no violation", (stack) => {
    expect(checkGrafanaProvisioning(grafanaFiles(stack, BASES[stack]!))).toEqual([]);
  });

  it.each(COMBINATIONS.map((c) => c.name))("GIVEN backends %s WHEN the Grafana files are checked THEN there is no violation", (name) => {
    expect(checkGrafanaProvisioning(grafanaFiles(name, COMBINATIONS.find((c) => c.name === name)!.raw))).toEqual([]);
  });

  it.each(CONTACT_POINTS.map((c) => c.name))(
    "GIVEN a %s contact point WHEN the Grafana files are checked THEN there is no violation",
    (name) => {
      expect(checkGrafanaProvisioning(grafanaFiles(name, CONTACT_POINTS.find((c) => c.name === name)!.raw))).toEqual([]);
    },
  );

  it.each(COMBINATIONS.map((c) => c.name))(
    "GIVEN a deploy with backends %s WHEN any combination is deployed next THEN the swap rules hold",
    (from) => {
      const previous = grafanaFiles(from, COMBINATIONS.find((c) => c.name === from)!.raw);
      const found = COMBINATIONS.flatMap((next) =>
        checkGrafanaProvisioning(grafanaFiles(next.name, next.raw), previous).map((v) => `${from} → ${next.name}: ${v.message}`),
      );
      expect(found).toEqual([]);
    },
  );
});

interface BrokenCase {
  what: string;
  rule: keyof typeof GRAFANA_CONTRACT_RULES;
  from: keyof typeof BASES;
  file: string;
  key: string;
  break: (files: ProvisionedFile[]) => ProvisionedFile[];
  /** Changes the previous deploy's files instead (the base files are then the next deploy). */
  previous?: (files: ProvisionedFile[]) => ProvisionedFile[];
}

const noChange = (files: ProvisionedFile[]) => files;

const BROKEN: BrokenCase[] = [
  {
    what: "apiVersion 2 in the datasources file",
    rule: "api-version",
    from: "dev",
    file: DATASOURCES,
    key: "apiVersion",
    break: (f) => edit(f, DATASOURCES, (d) => (d.apiVersion = 2)),
  },
  {
    what: "no apiVersion in the alerting file",
    rule: "api-version",
    from: "dev",
    file: ALERTING,
    key: "apiVersion",
    break: (f) => edit(f, ALERTING, (d) => delete d.apiVersion),
  },
  {
    what: "a datasources file that does not parse",
    rule: "parse",
    from: "dev",
    file: DATASOURCES,
    key: "(file)",
    break: (f) => f.map((x) => (x.path === DATASOURCES ? { ...x, content: "apiVersion: 1\ndatasources: [\n" } : x)),
  },
  {
    what: "two datasources with the same name",
    rule: "datasource-name-unique",
    from: "dev",
    file: DATASOURCES,
    key: "datasources[1].name",
    break: (f) => edit(f, DATASOURCES, (d) => (d.datasources[1].name = d.datasources[0].name)),
  },
  {
    what: "a second datasource with the traces uid",
    rule: "datasource-uid-unique",
    from: "dev",
    file: DATASOURCES,
    key: "datasources[2].uid",
    break: (f) => edit(f, DATASOURCES, (d) => d.datasources.push({ ...d.datasources[1], name: "Jaeger copy" })),
  },
  {
    what: "two default datasources",
    rule: "datasource-single-default",
    from: "dev",
    file: DATASOURCES,
    key: "datasources[1].isDefault",
    break: (f) => edit(f, DATASOURCES, (d) => (d.datasources[1].isDefault = true)),
  },
  {
    what: "a datasource uid of 41 characters",
    rule: "uid-length",
    from: "dev",
    file: DATASOURCES,
    key: "datasources[2].uid",
    break: (f) =>
      edit(f, DATASOURCES, (d) =>
        d.datasources.push({ name: "Extra", type: "prometheus", uid: "x".repeat(41), access: "proxy", url: "http://x:9090" }),
      ),
  },
  {
    what: "a dashboard uid of 41 characters",
    rule: "uid-length",
    from: "dev",
    file: STACK_DASHBOARD,
    key: "uid",
    break: (f) => edit(f, STACK_DASHBOARD, (d) => (d.uid = "d".repeat(41))),
  },
  {
    what: "an empty alert rule uid",
    rule: "uid-length",
    from: "dev",
    file: ALERTING,
    key: "groups[0].rules[0].uid",
    break: (f) => edit(f, ALERTING, (d) => (d.groups[0].rules[0].uid = "")),
  },
  {
    what: "a second dashboard file with the stack dashboard's uid",
    rule: "dashboard-uid-unique",
    from: "dev",
    file: `${GRAFANA_DASHBOARDS_DIR}/custom/copy.json`,
    key: "uid",
    break: (f) => copy(f, STACK_DASHBOARD, `${GRAFANA_DASHBOARDS_DIR}/custom/copy.json`, (d) => (d.title = "A copy")),
  },
  {
    what: "a second dashboard with the same title in the stack folder",
    rule: "dashboard-title-unique",
    from: "dev",
    file: `${GRAFANA_DASHBOARDS_DIR}/stack/copy.json`,
    key: "title",
    break: (f) => copy(f, STACK_DASHBOARD, `${GRAFANA_DASHBOARDS_DIR}/stack/copy.json`, (d) => (d.uid = "a-copy")),
  },
  {
    what: "a dashboard file outside the provider's path",
    rule: "dashboard-unprovisioned",
    from: "dev",
    file: "/etc/grafana/elsewhere/copy.json",
    key: "(file)",
    break: (f) => copy(f, STACK_DASHBOARD, "/etc/grafana/elsewhere/copy.json", (d) => (d.uid = "a-copy")),
  },
  {
    what: "an alert condition naming no refId",
    rule: "alert-condition",
    from: "dev",
    file: ALERTING,
    key: "groups[0].rules[0].condition",
    break: (f) => edit(f, ALERTING, (d) => (d.groups[0].rules[0].condition = "D")),
  },
  {
    what: "noDataState Keep",
    rule: "alert-no-data-state",
    from: "dev",
    file: ALERTING,
    key: "groups[1].rules[0].noDataState",
    break: (f) => edit(f, ALERTING, (d) => (d.groups[1].rules[0].noDataState = "Keep")),
  },
  {
    what: "execErrState NoData",
    rule: "alert-exec-err-state",
    from: "dev",
    file: ALERTING,
    key: "groups[0].rules[1].execErrState",
    break: (f) => edit(f, ALERTING, (d) => (d.groups[0].rules[1].execErrState = "NoData")),
  },
  {
    what: "a root policy routing to an unknown contact point",
    rule: "policy-receiver",
    from: "prod",
    file: ALERTING,
    key: "policies[0].receiver",
    break: (f) => edit(f, ALERTING, (d) => (d.policies[0].receiver = "on-call")),
  },
  {
    what: "a nested route to an unknown contact point",
    rule: "policy-receiver",
    from: "prod",
    file: ALERTING,
    key: "policies[0].routes[0].routes[0].receiver",
    break: (f) =>
      edit(f, ALERTING, (d) => {
        d.policies[0].routes = [
          { object_matchers: [["severity", "=", "critical"]], routes: [{ receiver: "nobody", object_matchers: [["app", "=", "x"]] }] },
        ];
      }),
  },
  {
    what: "an unescaped $__tags in a datasource link query",
    rule: "dollar-escape",
    from: "dev",
    file: DATASOURCES,
    key: "datasources[1].jsonData.tracesToMetrics.queries[0].query",
    break: (f) =>
      edit(f, DATASOURCES, (d) => {
        const q = d.datasources[1].jsonData.tracesToMetrics.queries[0];
        q.query = q.query.replace("$$__tags", "$__tags");
      }),
  },
  {
    what: "an unescaped ${value} in an alert annotation",
    rule: "dollar-escape",
    from: "dev",
    file: ALERTING,
    key: "groups[0].rules[0].annotations.description",
    break: (f) => edit(f, ALERTING, (d) => (d.groups[0].rules[0].annotations.description += " Value: ${value}")),
  },
  {
    what: "a basic-auth password in jsonData",
    rule: "secret-placement",
    from: "dev",
    file: DATASOURCES,
    key: "datasources[0].jsonData.basicAuthPassword",
    break: (f) => edit(f, DATASOURCES, (d) => (d.datasources[0].jsonData.basicAuthPassword = SECRET)),
  },
  {
    what: "a password at a datasource's top level",
    rule: "secret-placement",
    from: "dev",
    file: DATASOURCES,
    key: "datasources[0].password",
    break: (f) => edit(f, DATASOURCES, (d) => (d.datasources[0].password = SECRET)),
  },
  {
    what: "a literal header value in secureJsonData",
    rule: "secret-placement",
    from: "dev",
    file: DATASOURCES,
    key: "datasources[0].secureJsonData.httpHeaderValue1",
    break: (f) => edit(f, DATASOURCES, (d) => (d.datasources[0].secureJsonData = { httpHeaderValue1: `Bearer ${SECRET}` })),
  },
  {
    what: "a literal webhook URL in a contact point",
    rule: "secret-placement",
    from: "webhook",
    file: ALERTING,
    key: "contactPoints[0].receivers[0].settings.url",
    break: (f) => edit(f, ALERTING, (d) => (d.contactPoints[0].receivers[0].settings.url = `https://hooks.example.com/${SECRET}`)),
  },
  {
    what: "a traces-to-metrics link to an unknown uid",
    rule: "datasource-reference",
    from: "dev",
    file: DATASOURCES,
    key: "datasources[1].jsonData.tracesToMetrics.datasourceUid",
    break: (f) => edit(f, DATASOURCES, (d) => (d.datasources[1].jsonData.tracesToMetrics.datasourceUid = "nope")),
  },
  {
    what: "a log derived field linking to an unknown uid",
    rule: "datasource-reference",
    from: "loki",
    file: DATASOURCES,
    key: "datasources[2].jsonData.derivedFields[0].datasourceUid",
    break: (f) => edit(f, DATASOURCES, (d) => (d.datasources[2].jsonData.derivedFields[0].datasourceUid = "nope")),
  },
  {
    what: "a dashboard target on an unknown uid",
    rule: "datasource-reference",
    from: "dev",
    file: STACK_DASHBOARD,
    key: "panels[1].targets[0].datasource.uid",
    break: (f) => edit(f, STACK_DASHBOARD, (d) => (d.panels[1].targets[0].datasource.uid = "nope")),
  },
  {
    what: "an alert query on an unknown uid",
    rule: "datasource-reference",
    from: "dev",
    file: ALERTING,
    key: "groups[0].rules[0].data[0].datasourceUid",
    break: (f) => edit(f, ALERTING, (d) => (d.groups[0].rules[0].data[0].datasourceUid = "nope")),
  },
  {
    what: "the traces datasource's name under a new uid",
    rule: "swap-name-new-uid",
    from: "dev",
    file: DATASOURCES,
    key: "datasources[1].uid",
    break: noChange,
    previous: (f) => edit(f, DATASOURCES, (d) => (d.datasources[1].uid = "jaeger-old")),
  },
  {
    what: "the traces uid under a new name, the old name not deleted",
    rule: "swap-uid-new-name",
    from: "dev",
    file: DATASOURCES,
    key: "datasources[1].name",
    break: noChange,
    previous: (f) => edit(f, DATASOURCES, (d) => (d.datasources[1].name = "Jaeger (old)")),
  },
];

describe("each rule catches the one thing broken", () => {
  it("GIVEN the failing cases WHEN listed THEN every rule has at least one", () => {
    expect(new Set(BROKEN.map((c) => c.rule))).toEqual(new Set(Object.keys(GRAFANA_CONTRACT_RULES)));
  });

  it.each(BROKEN)("GIVEN $what WHEN checked THEN exactly $rule is reported at $key", (c) => {
    const files = base(c.from);
    const violations = checkGrafanaProvisioning(c.break(files), c.previous?.(files));
    expect(violations.map((v) => [v.rule, v.file, v.key])).toEqual([[c.rule, c.file, c.key]]);
    expect(violations[0]!.message).toContain(c.file);
    expect(violations[0]!.message).toContain(c.key);
    expect(violations[0]!.message).toContain(`[${c.rule}]`);
    expect(violations[0]!.message).not.toContain(SECRET);
  });

  it("GIVEN three things broken in three files WHEN checked THEN all three are reported at once", () => {
    let files = edit(base("dev"), DATASOURCES, (d) => (d.apiVersion = 2));
    files = edit(files, ALERTING, (d) => (d.groups[0].rules[0].noDataState = "Keep"));
    files = edit(files, STACK_DASHBOARD, (d) => (d.uid = ""));
    expect(checkGrafanaProvisioning(files).map((v) => v.rule)).toEqual(["api-version", "uid-length", "alert-no-data-state"]);
  });
});

describe("what Grafana allows passes", () => {
  it("GIVEN dashboards on a variable, Grafana's built-in uids, the mixed source and a datasource name WHEN checked THEN there is no violation", () => {
    const files = edit(base("dev"), STACK_DASHBOARD, (d) => {
      d.panels[1].datasource = { type: "prometheus", uid: "${datasource}" };
      d.panels[1].targets[0].datasource = "$datasource";
      d.panels[2].datasource = { type: "datasource", uid: "-- Mixed --" };
      d.panels[2].targets[0].datasource = "VictoriaMetrics";
      d.annotations = { list: [{ datasource: { type: "datasource", uid: "grafana" } }, { datasource: "-- Grafana --" }] };
    });
    expect(checkGrafanaProvisioning(files)).toEqual([]);
  });

  it("GIVEN a secret in secureJsonData read from a file WHEN checked THEN there is no violation", () => {
    const files = edit(base("dev"), DATASOURCES, (d) => {
      d.datasources[0].jsonData.httpHeaderName1 = "Authorization";
      d.datasources[0].secureJsonData = { httpHeaderValue1: "$__file{/etc/grafana/secrets/metrics-token}" };
    });
    expect(checkGrafanaProvisioning(files)).toEqual([]);
  });

  it("GIVEN a uid renamed between deploys WHEN the old name is in deleteDatasources THEN the swap passes", () => {
    const previous = edit(base("dev"), DATASOURCES, (d) => (d.datasources[1].name = "Jaeger (old)"));
    const next = edit(base("dev"), DATASOURCES, (d) => d.deleteDatasources.push({ name: "Jaeger (old)", orgId: 1 }));
    expect(checkGrafanaProvisioning(next, previous)).toEqual([]);
  });

  it("GIVEN a backend swap WHEN the retired names are dropped from deleteDatasources THEN the swap fails as it did before renderDatasources deleted them", () => {
    const previous = grafanaFiles("prometheus/jaeger/none", combination("prometheus", "jaeger", "none"));
    const next = edit(base("dev"), DATASOURCES, (d) => delete d.deleteDatasources);
    expect(checkGrafanaProvisioning(next, previous).map((v) => [v.rule, v.key])).toEqual([["swap-uid-new-name", "datasources[0].name"]]);
  });
});
