import { load } from "js-yaml";
import { describe, expect, it } from "vitest";
import { alertInput, healthOfKinds } from "./fixtures/seed";
import { AlertInput, renderAlerting, renderDashboards } from "../dashboards";
import { FileReference, escapeProvisioning } from "../dashboards/alerts";

const BASE: AlertInput = alertInput({ environment: "production" });

const URL_FILE = "/run/secrets/alert_webhook_url";

interface Rule {
  uid: string;
  title: string;
  condition: string;
  for: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  data: { refId: string; datasourceUid: string; relativeTimeRange?: unknown; model: Record<string, unknown> }[];
}
interface Doc {
  apiVersion: number;
  groups: { name: string; folder: string; interval: string; rules: Rule[] }[];
  contactPoints?: { name: string; receivers: { uid: string; type: string; settings: Record<string, unknown> }[] }[];
  policies?: { receiver: string }[];
}

function rendered(patch: Partial<AlertInput> = {}): { yaml: string; doc: Doc; rules: Rule[] } {
  const yaml = renderAlerting({ ...BASE, ...patch });
  const doc = load(yaml) as Doc;
  return { yaml, doc, rules: doc.groups.flatMap((g) => g.rules) };
}

const exprOf = (rule: Rule) => rule.data.find((d) => d.refId === "A")!.model.expr as string;

describe("renderAlerting", () => {
  it("GIVEN the default input WHEN rendered THEN it is apiVersion 1 with the app's four rules and the stack's seven", () => {
    const { doc } = rendered();
    expect(doc.apiVersion).toBe(1);
    expect(doc.groups.map((g) => [g.name, g.folder, g.rules.length])).toEqual([
      ["scotty", "scotty", 4],
      ["observability-stack", "stack", 7],
    ]);
  });

  it("GIVEN the app rules WHEN their annotations are read THEN each links to the app dashboard panel that shows its measurement (alert states on the panel)", () => {
    const dash = JSON.parse(
      renderDashboards({ appName: "scotty", metricsUid: BASE.metricsUid, tracesUid: "t", backends: BASE.backends })[0]!.json,
    ) as {
      uid: string;
      panels: { id: number; title: string; targets?: { expr: string }[] }[];
    };
    const app = rendered().doc.groups.find((g) => g.name === "scotty")!.rules;
    for (const rule of app) {
      expect(rule.annotations.__dashboardUid__, rule.uid).toBe(dash.uid);
      const panel = dash.panels.find((p) => String(p.id) === rule.annotations.__panelId__);
      expect(panel, rule.uid).toBeDefined();
      // The panel shows the metric the rule measures.
      const metric = /scotty_[a-z_]+/.exec(exprOf(rule))![0];
      expect(
        panel!.targets!.some((t) => t.expr.includes(metric)),
        `${rule.uid} -> ${panel!.title}`,
      ).toBe(true);
    }
    const stack = rendered().doc.groups.find((g) => g.name === "observability-stack")!.rules;
    expect(stack.every((r) => r.annotations.__panelId__ === undefined)).toBe(true);
  });

  it("GIVEN any rendering WHEN rule uids are read THEN they are unique, stable and at most 40 characters", () => {
    const { rules } = rendered();
    const uids = rules.map((r) => r.uid);
    expect(new Set(uids).size).toBe(uids.length);
    for (const uid of uids) expect(uid).toMatch(/^[a-zA-Z0-9_-]{1,40}$/);
    expect(rendered().rules.map((r) => r.uid)).toEqual(uids);
  });

  it("GIVEN the longest app and environment names settings allow WHEN rendered THEN uids still fit 40 characters and stay unique", () => {
    const { rules } = rendered({ appName: "a_very_long_application_name_for_testing1", environment: "staging-eu-west-0001" });
    const uids = rules.map((r) => r.uid);
    expect(new Set(uids).size).toBe(uids.length);
    for (const uid of uids) expect(uid.length).toBeLessThanOrEqual(40);
  });

  it("GIVEN every rule WHEN its structure is read THEN A is an instant PromQL query on the metrics uid, B reduces A, C thresholds B and is the condition", () => {
    for (const rule of rendered().rules) {
      expect(rule.condition, rule.uid).toBe("C");
      const [a, b, c] = rule.data;
      expect(a).toMatchObject({ refId: "A", datasourceUid: "metrics-ds", model: { instant: true, refId: "A" } });
      expect(a!.relativeTimeRange).toMatchObject({ to: 0 });
      expect(b).toMatchObject({ refId: "B", datasourceUid: "__expr__", model: { type: "reduce", expression: "A" } });
      expect(c).toMatchObject({ refId: "C", datasourceUid: "__expr__", model: { type: "threshold", expression: "B" } });
      expect(["critical", "warning"]).toContain(rule.labels.severity);
      expect(rule.labels.environment).toBe("production");
      // A human-readable text, not a placeholder: at least a few words each.
      expect(rule.annotations.summary, rule.uid).toMatch(/\w+(\s+\S+){2,}/);
      expect(rule.annotations.description, rule.uid).toMatch(/\w+(\s+\S+){3,}/);
    }
  });

  it("GIVEN custom thresholds WHEN rendered THEN each seed rule measures the seed's quantity and fires above the given threshold", () => {
    const thresholds = {
      http5xxPerSecond: 0.25,
      memoryGrowthBytesPerSecond: 2_000_000,
      websocketAuthFailuresPerSecond: 3,
      taskFailuresPerSecond: 0.75,
      queueFillRatio: 0.9,
    };
    const { rules } = rendered({ thresholds });
    const byUid = (suffix: string) => rules.find((r) => r.uid.endsWith(suffix))!;
    const threshold = (r: Rule) => (r.data[2]!.model.conditions as { evaluator: { type: string; params: number[] } }[])[0]!.evaluator;
    const cases: [string, RegExp, string, number][] = [
      ["http-5xx", /rate\(scotty_http_requests_total\{status=~"5\.\."\}\[5m\]\)/, "gt", 0.25],
      ["memory-growth", /^deriv\(scotty_memory_rss_bytes\[30m\]\)$/, "gt", 2_000_000],
      ["ws-auth-failures", /rate\(scotty_websocket_auth_failures_total\[5m\]\)/, "gt", 3],
      ["task-failures", /rate\(scotty_task_failures_total\[5m\]\)/, "gt", 0.75],
      [
        "queue-fill",
        /otelcol_exporter_queue_size\{job="otel-collector"\}.* \/ .*otelcol_exporter_queue_capacity\{job="otel-collector"\}/,
        "gt",
        0.9,
      ],
    ];
    for (const [uid, expr, type, value] of cases) {
      expect(exprOf(byUid(uid)), uid).toMatch(expr);
      expect(threshold(byUid(uid)), uid).toEqual({ type, params: [value] });
    }
  });

  it.each([
    ["victoriametrics", "jaeger", "victoriametrics", "jaeger"],
    ["prometheus", "tempo", "prometheus", "tempo"],
  ] as const)(
    "GIVEN the health of backends %s + %s WHEN rendered THEN the down rules watch jobs %s and %s, robust to the series vanishing",
    (metrics, traces, metricsJob, tracesJob) => {
      const { rules } = rendered({ backends: healthOfKinds(metrics, traces) });
      const expr = (suffix: string) => exprOf(rules.find((r) => r.uid.endsWith(suffix))!);
      expect(expr("collector-down")).toBe('min(last_over_time(up{job="otel-collector"}[2m])) or vector(0)');
      expect(expr("metrics-backend-down")).toBe(`min(last_over_time(up{job="${metricsJob}"}[2m])) or vector(0)`);
      expect(expr("traces-backend-down")).toBe(`min(last_over_time(up{job="${tracesJob}"}[2m])) or vector(0)`);
    },
  );

  it("GIVEN no backend reports its health WHEN rendered THEN only the collector's stack rules remain (a down rule comes from a backend's health)", () => {
    const uids = rendered({ backends: [] })
      .doc.groups.find((g) => g.name === "observability-stack")!
      .rules.map((r) => r.uid);
    expect(uids.filter((uid) => uid.includes("backend-down"))).toEqual([]);
    expect(uids.some((uid) => uid.endsWith("collector-down"))).toBe(true);
  });

  it("GIVEN the stack rules WHEN export-failure rules are listed THEN there is one per signal on the collector's send_failed counters, 0 when nothing failed", () => {
    const failed = rendered().rules.filter((r) => r.uid.includes("export-failed"));
    // The collector creates a failure series only at the first failure: 0 per sending exporter
    // until then, and 0 for a signal without any pipeline (logs without a logs backend).
    const expected = (item: string) =>
      `sum by (exporter) (rate(otelcol_exporter_send_failed_${item}_total{job="otel-collector"}[5m]))` +
      ` or (sum by (exporter) (rate(otelcol_exporter_sent_${item}_total{job="otel-collector"}[5m])) * 0)` +
      " or on() vector(0)";
    expect(failed.map(exprOf)).toEqual([expected("metric_points"), expected("spans"), expected("log_records")]);
  });
});

describe("contact points", () => {
  it("GIVEN contact point none WHEN rendered THEN neither contact points nor policies are provisioned (Grafana's default stays)", () => {
    const { doc } = rendered();
    expect(doc.contactPoints).toBeUndefined();
    expect(doc.policies).toBeUndefined();
  });

  it.each(["webhook", "slack"] as const)(
    "GIVEN a %s contact point WHEN rendered THEN its URL is only a $__file reference and the policy routes to it",
    (kind) => {
      const { doc, yaml } = rendered({ contactPoint: { kind, urlFile: URL_FILE } });
      const receiver = doc.contactPoints![0]!.receivers[0]!;
      expect(receiver.type).toBe(kind);
      expect(receiver.settings.url).toBe(`$__file{${URL_FILE}}`);
      expect(doc.policies![0]!.receiver).toBe(doc.contactPoints![0]!.name);
      expect(yaml).not.toMatch(/https?:\/\//);
    },
  );

  it("GIVEN an email contact point WHEN rendered THEN the addresses are joined with ';'", () => {
    const { doc } = rendered({ contactPoint: { kind: "email", addresses: ["ops@example.com", "dev@example.com"] } });
    expect(doc.contactPoints![0]!.receivers[0]).toMatchObject({
      type: "email",
      settings: { addresses: "ops@example.com;dev@example.com" },
    });
  });

  it.each([
    ["a relative path", "secrets/url"],
    ["a path that closes the expansion", "/run/secrets/url}"],
    ["a path with a $", "/run/$HOME/url"],
    ["a real URL instead of a file", "https://hooks.example.com/T000/B000"],
  ])("GIVEN a webhook urlFile that is %s WHEN rendering THEN rendering must fail", (_why, urlFile) => {
    expect(() => renderAlerting({ ...BASE, contactPoint: { kind: "webhook", urlFile } })).toThrow(/urlFile/);
  });

  it.each([
    ["an email list that is empty", { kind: "email", addresses: [] }],
    ["an address that is not one", { kind: "email", addresses: ["not-an-address"] }],
    ["an unknown kind", { kind: "pagerduty" }],
  ])("GIVEN %s WHEN rendering THEN rendering must fail", (_why, contactPoint) => {
    expect(() => renderAlerting({ ...BASE, contactPoint } as unknown as AlertInput)).toThrow(/contactPoint/);
  });

  it.each([
    ["a negative 5xx threshold", { http5xxPerSecond: -1 }],
    ["a queue fill ratio above 1", { queueFillRatio: 1.5 }],
    ["a zero memory growth threshold", { memoryGrowthBytesPerSecond: 0 }],
  ])("GIVEN %s WHEN rendering THEN rendering must fail naming the threshold", (_why, patch) => {
    expect(() => renderAlerting({ ...BASE, thresholds: { ...BASE.thresholds, ...patch } })).toThrow(/thresholds/);
  });
});

describe("literal $ in provisioning YAML", () => {
  it("GIVEN strings with Grafana template variables WHEN escaped THEN every $ is doubled so provisioning does not expand it", () => {
    expect(escapeProvisioning({ description: "{{ $labels.job }} at {{ $value }}", list: ["$HOME", "${X}"] })).toEqual({
      description: "{{ $$labels.job }} at {{ $$value }}",
      list: ["$$HOME", "$${X}"],
    });
  });

  it("GIVEN a file reference WHEN escaped THEN it stays a single-$ $__file{...} expansion", () => {
    expect(escapeProvisioning({ url: new FileReference(URL_FILE), n: 1, b: true })).toEqual({ url: `$__file{${URL_FILE}}`, n: 1, b: true });
  });

  it("GIVEN a webhook rendering WHEN every $ of the YAML is inspected THEN each one is either doubled or starts the $__file expansion", () => {
    const { yaml } = rendered({ contactPoint: { kind: "webhook", urlFile: URL_FILE } });
    const singles = yaml.replace(/\$\$/g, "").replace(/\$__file\{/g, "");
    expect(singles).not.toContain("$");
    expect(yaml.match(/\$__file\{/g)).toHaveLength(1);
  });
});

describe("snapshots", () => {
  // The whole file is snapshotted once, as Pulumi.dev.yaml uploads it (rendered.test.ts); here only
  // what each contact point adds to it.
  it.each<[string, AlertInput["contactPoint"]]>([
    ["webhook", { kind: "webhook", urlFile: URL_FILE }],
    ["email", { kind: "email", addresses: ["ops@example.com"] }],
  ])("GIVEN contact point %s WHEN rendered THEN its contact point and policy match the snapshot", (_name, contactPoint) => {
    const { doc } = rendered({ contactPoint });
    expect({ contactPoints: doc.contactPoints, policies: doc.policies }).toMatchSnapshot();
  });
});
