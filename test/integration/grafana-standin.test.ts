/**
 * The Grafana STAND-IN (tools/grafana-standin; not Grafana) against the real backends on
 * 127.0.0.1: the grafana service plan's files as the program renders them (materialize() rewrites
 * them into a temp dir), real VictoriaMetrics, Jaeger and VictoriaLogs, the stand-in bundle run
 * with node as the image's /run.sh would run it. No real Grafana is involved anywhere.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, hasBinary, Proc, start, stopAll, tempDir, TOOLS_BIN, waitFor, waitHttpOk } from "../../bench/lib/harness";
import { LoopbackStack, loopbackStack, materialize, startBackend, startCollector } from "../../bench/lib/stack";
import { formatReport, verifyStack } from "../../deploy/verify";
import { GRAFANA_DASHBOARDS_DIR, GRAFANA_PROVISIONING } from "../../configs/grafana";

const REPO = path.resolve(__dirname, "..", "..");
const TOOLS_DIR = path.dirname(TOOLS_BIN);
const BUNDLE = path.join(TOOLS_DIR, "grafana-standin", "standin.cjs");
const ADMIN = "admin";
const PASSWORD = "stand-in-first-password-0123456789";
const JAEGER_WAIT_MS = 20 * 60_000;

let stack: LoopbackStack;
let root: string;
let dataDir: string;
let provisioningDir: string;
let passwordFile: string;
let port: number;
let standin: Proc;

const base = () => `http://127.0.0.1:${port}`;
const basic = (user: string, password: string) => ({ Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}` });

async function api(pathname: string, auth: Record<string, string> = basic(ADMIN, PASSWORD)): Promise<{ status: number; body: any }> {
  const response = await fetch(`${base()}${pathname}`, { headers: { Accept: "application/json", ...auth } });
  const text = await response.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* HTML or text */
  }
  return { status: response.status, body };
}

/** The stand-in as the image's /run.sh starts it: `grafana server --homepath … cfg:default.paths.*=…`. */
function runStandin(name: string, provisioning: string, data: string, listen: number): Proc {
  return start(
    name,
    process.execPath,
    [
      BUNDLE,
      "server",
      "--homepath=/usr/share/grafana",
      "--config=/etc/grafana/grafana.ini",
      "--packaging=docker",
      "cfg:default.log.mode=console",
      `cfg:default.paths.data=${data}`,
      `cfg:default.paths.logs=${path.join(data, "log")}`,
      `cfg:default.paths.plugins=${path.join(data, "plugins")}`,
      `cfg:default.paths.provisioning=${provisioning}`,
    ],
    {
      env: {
        ...stack.plan.grafana.env,
        GF_SECURITY_ADMIN_PASSWORD__FILE: passwordFile,
        GF_SERVER_HTTP_ADDR: "127.0.0.1",
        GF_SERVER_HTTP_PORT: String(listen),
        GF_PATHS_DATA: data,
        GF_PATHS_PROVISIONING: provisioning,
      },
    },
  );
}

async function exitOf(proc: Proc, timeoutMs = 30_000): Promise<number | null> {
  await waitFor(`${proc.name} to exit`, async () => (proc.exited() ? true : undefined), timeoutMs, 100);
  return proc.child.exitCode;
}

/** Every panel target and every non-expression rule query the rendered files hold. */
function expectedQueries(): { dashboards: string[]; rules: string[]; targets: string[]; ruleQueries: string[] } {
  const dashboards: string[] = [];
  const targets: string[] = [];
  for (const file of stack.plan.grafana.files.filter((f) => f.path.startsWith(`${GRAFANA_DASHBOARDS_DIR}/`))) {
    const json = JSON.parse(file.content);
    dashboards.push(json.uid);
    const walk = (panels: any[] = []) => {
      for (const p of panels) {
        for (const t of p.targets ?? []) targets.push(`${json.uid}/${p.id}/${t.refId}`);
        walk(p.panels);
      }
    };
    walk(json.panels);
  }
  const alerting = yaml.load(
    stack.plan.grafana.files.find((f) => f.path === `${GRAFANA_PROVISIONING}/alerting/alerting.yaml`)!.content,
  ) as any;
  const rules: string[] = [];
  const ruleQueries: string[] = [];
  for (const group of alerting.groups)
    for (const rule of group.rules) {
      rules.push(rule.uid);
      for (const q of rule.data) if (q.datasourceUid !== "__expr__") ruleQueries.push(`${rule.uid}/${q.refId}`);
    }
  return { dashboards, rules, targets, ruleQueries };
}

beforeAll(async () => {
  execFileSync("bash", [path.join(REPO, "scripts", "install-grafana-standin.sh")], { env: { ...process.env, TOOLS_DIR }, stdio: "pipe" });
  stack = await loopbackStack({ logs: { backend: "victorialogs" } });
  // Jaeger may still be building (scripts/install-components.sh): wait for its binary.
  await waitFor(
    "the jaeger binary (scripts/install-components.sh)",
    async () => (hasBinary("jaeger") ? true : undefined),
    JAEGER_WAIT_MS,
    5_000,
  );
  await Promise.all([startBackend(stack, "metrics"), startBackend(stack, "traces"), startBackend(stack, "logs")]);
  const materialized = materialize(stack.plan.grafana);
  root = materialized.root;
  provisioningDir = path.join(root, "files", GRAFANA_PROVISIONING);
  dataDir = path.join(root, "volumes", "data");
  passwordFile = path.join(tempDir("standin-secret"), "admin-password");
  fs.writeFileSync(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
  port = await freePort();
  standin = runStandin("grafana-standin", provisioningDir, dataDir, port);
  await waitHttpOk(`${base()}/api/health`, standin, 30_000);
}, JAEGER_WAIT_MS + 180_000);

afterAll(async () => {
  await stopAll();
});

describe("Grafana stand-in (not Grafana) on the real backends", () => {
  it("GIVEN the stand-in WHEN /api/health and /login are asked THEN both say stand-in and name the Grafana version it stands in for", async () => {
    const health = await api("/api/health", {});
    expect(health.status).toBe(200);
    expect(health.body.database).toBe("ok");
    expect(health.body.version).toMatch(/stand-in/);
    expect(health.body.version).toMatch(/not Grafana/);
    expect(health.body.version).toContain("12.3.0");
    expect(health.body.commit).toBe("stand-in");
    const login = await api("/login", {});
    expect(login.status).toBe(200);
    expect(String(login.body)).toMatch(/stand-in/);
    expect(standin.output()).toMatch(/stand-in/);
    expect(standin.output()).not.toContain(PASSWORD);
  });

  it("GIVEN no or wrong credentials WHEN the stand-in's API is asked THEN 401 Unauthorized, and the admin's own are accepted", async () => {
    expect(await api("/api/datasources", {})).toEqual({ status: 401, body: { message: "Unauthorized" } });
    expect(await api("/api/user", basic(ADMIN, "wrong-password"))).toEqual({ status: 401, body: { message: "Unauthorized" } });
    expect((await api("/api/user", basic("someone", PASSWORD))).status).toBe(401);
    const user = await api("/api/user");
    expect(user.status).toBe(200);
    expect(user.body.login).toBe(ADMIN);
  });

  it("GIVEN the rendered datasources WHEN the stand-in lists them THEN it has the plan's uids, and each answers by uid", async () => {
    const planned = Object.values(stack.plan.backends).map((b) => b!.plan.datasource);
    const list = await api("/api/datasources");
    expect(list.status).toBe(200);
    expect(list.body.map((d: any) => d.uid).sort()).toEqual(planned.map((d) => d.uid).sort());
    for (const d of planned) {
      const one = await api(`/api/datasources/uid/${d.uid}`);
      expect(one.status).toBe(200);
      expect(one.body).toMatchObject({ uid: d.uid, name: d.name, type: d.type, url: d.url, isDefault: d.isDefault });
    }
    expect((await api("/api/datasources/uid/nope")).status).toBe(404);
  });

  it("GIVEN real VictoriaMetrics, Jaeger and VictoriaLogs WHEN the stand-in health-checks every datasource THEN each is OK", async () => {
    const list = (await api("/api/datasources")).body as any[];
    expect(list.map((d) => d.type).sort()).toEqual(["jaeger", "prometheus", "victoriametrics-logs-datasource"]);
    for (const d of list) {
      const health = await api(`/api/datasources/uid/${d.uid}/health`);
      expect(health.body.status, `${d.uid} (${d.type}): ${health.body.message}`).toBe("OK");
      expect(health.status).toBe(200);
    }
  });

  it("GIVEN a logs backend that is down and a dashboard with a broken query WHEN the stand-in checks them THEN health is 400 ERROR, the proxy 502, and the report marks only the broken query", async () => {
    const variant = materialize(stack.plan.grafana);
    const dir = path.join(variant.root, "files", GRAFANA_PROVISIONING);
    const file = path.join(dir, "datasources", "datasources.yaml");
    const closed = await freePort(); // handed out, never listened on
    const doc = yaml.load(fs.readFileSync(file, "utf8")) as any;
    doc.datasources.find((d: any) => d.uid === "logs").url = `http://127.0.0.1:${closed}`;
    fs.writeFileSync(file, yaml.dump(doc));
    const custom = path.join(variant.root, "files", GRAFANA_DASHBOARDS_DIR, "custom");
    fs.mkdirSync(custom, { recursive: true });
    const target = (refId: string, expr: string) => ({ refId, expr, datasource: { type: "prometheus", uid: "metrics" } });
    fs.writeFileSync(
      path.join(custom, "standin-check.json"),
      JSON.stringify({
        uid: "standin-check",
        title: "Stand-in check",
        templating: {
          list: [{ name: "job", type: "custom", query: "otel-collector", current: { text: "otel-collector", value: "otel-collector" } }],
        },
        panels: [
          { id: 1, type: "timeseries", title: "valid", targets: [target("A", 'sum(rate(up{job="$job"}[$__rate_interval]))')] },
          { id: 2, type: "timeseries", title: "broken", targets: [target("A", "sum(rate(up[$__rate_interval])")] },
        ],
      }),
    );
    const listen = await freePort();
    const proc = runStandin("grafana-standin-variant", dir, path.join(variant.root, "volumes", "data"), listen);
    await waitHttpOk(`http://127.0.0.1:${listen}/api/health`, proc, 30_000);
    const get = (p: string) => fetch(`http://127.0.0.1:${listen}${p}`, { headers: basic(ADMIN, PASSWORD) });
    const health = await get("/api/datasources/uid/logs/health");
    expect(health.status).toBe(400);
    expect(await health.json()).toMatchObject({ status: "ERROR", message: expect.stringContaining(String(closed)) });
    expect((await get("/api/datasources/uid/metrics/health")).status).toBe(200);
    expect((await get("/api/datasources/proxy/uid/logs/select/logsql/query?query=*")).status).toBe(502);
    expect((await get("/api/datasources/proxy/uid/nope/api/v1/labels")).status).toBe(404);
    const report = (await (await get("/api/standin/report")).json()) as any;
    const mine = report.items.filter((i: any) => i.dashboard === "standin-check");
    expect(mine.find((i: any) => i.panel.startsWith("1:"))).toMatchObject({
      ok: true,
      httpStatus: 200,
      query: 'sum(rate(up{job="otel-collector"}[1m]))',
    });
    const broken = mine.find((i: any) => i.panel.startsWith("2:"));
    expect(broken).toMatchObject({ ok: false, query: "sum(rate(up[1m])" });
    expect(broken.httpStatus).toBeGreaterThanOrEqual(400);
    // The backend's own parse error comes through (VictoriaMetrics: "argList: unexpected token …").
    expect(broken.error).toMatch(/unexpected token/);
    expect(report.ok).toBe(false);
    expect(report.items.filter((i: any) => !i.ok)).toEqual([broken]);
    await proc.stop();
  });

  it("GIVEN Jaeger behind the traces datasource WHEN the stand-in's datasource proxy is asked for /api/services THEN Jaeger's answer comes back", async () => {
    const services = await api("/api/datasources/proxy/uid/traces/api/services");
    expect(services.status).toBe(200);
    expect(Array.isArray(services.body.data)).toBe(true);
    const metrics = await api(`/api/datasources/proxy/uid/metrics/api/v1/query?query=${encodeURIComponent("1+1")}`);
    expect(metrics.status).toBe(200);
    expect(metrics.body.status).toBe("success");
  });

  it("GIVEN the rendered dashboards and alerting WHEN the stand-in lists them THEN every dashboard and rule is provisioned in Grafana's API shape", async () => {
    const expected = expectedQueries();
    const search = await api("/api/search?type=dash-db");
    expect(search.status).toBe(200);
    expect(search.body.map((d: any) => d.uid).sort()).toEqual([...expected.dashboards].sort());
    for (const hit of search.body) {
      expect(hit).toMatchObject({ type: "dash-db", url: expect.stringMatching(/^\/d\//), uri: expect.stringMatching(/^db\//) });
      expect(typeof hit.folderTitle).toBe("string");
      const one = await api(`/api/dashboards/uid/${hit.uid}`);
      expect(one.status).toBe(200);
      expect(one.body.dashboard.uid).toBe(hit.uid);
      expect(one.body.meta).toMatchObject({ provisioned: true, folderTitle: hit.folderTitle });
    }
    const rules = await api("/api/v1/provisioning/alert-rules");
    expect(rules.status).toBe(200);
    expect(rules.body.map((r: any) => r.uid).sort()).toEqual([...expected.rules].sort());
    for (const rule of rules.body) {
      for (const key of [
        "uid",
        "title",
        "condition",
        "data",
        "folderUID",
        "ruleGroup",
        "noDataState",
        "execErrState",
        "for",
        "labels",
        "annotations",
        "orgID",
      ])
        expect(rule, `${rule.uid}.${key}`).toHaveProperty(key);
    }
  });

  it("GIVEN real backends WHEN the stand-in's report runs every panel and rule query THEN each is listed and accepted by its backend", async () => {
    const expected = expectedQueries();
    const report = await api("/api/standin/report");
    expect(report.status).toBe(200);
    expect(report.body.standin).toMatch(/stand-in/);
    const panelItems = report.body.items.filter((i: any) => i.dashboard);
    const ruleItems = report.body.items.filter((i: any) => i.rule);
    expect(panelItems.map((i: any) => `${i.dashboard}/${i.panel.split(":")[0]}/${i.refId}`).sort()).toEqual([...expected.targets].sort());
    expect(ruleItems.map((i: any) => `${i.rule}/${i.refId}`).sort()).toEqual([...expected.ruleQueries].sort());
    const failed = report.body.items.filter((i: any) => !i.ok);
    expect(failed, JSON.stringify(failed.slice(0, 5), null, 1)).toEqual([]);
    for (const item of report.body.items) expect(item.query).not.toMatch(/\$__(rate_interval|interval|range)/);
    // Every rule's expression nodes are skipped with a reason, not run.
    expect(report.body.skipped.length).toBeGreaterThan(0);
    for (const s of report.body.skipped) expect(s.reason).toMatch(/expression/);
  });

  it("GIVEN the real collector and the stand-in in Grafana's slot WHEN npm run verify's checks run THEN every signal and every Grafana row passes (the rows a real Grafana would answer)", async () => {
    await startCollector(stack);
    const report = await verifyStack({
      environment: "it",
      otlp: { endpoint: `http://127.0.0.1:${stack.collectorPorts.otlpHttp}` },
      metrics: { kind: "victoriametrics", api: { url: stack.metricsUrl } },
      traces: { kind: "jaeger", api: { url: stack.tracesUrl } },
      logs: { kind: "victorialogs", api: { url: stack.plan.backends.logs!.plan.queryUrl } },
      grafana: { api: { url: base() }, adminUser: ADMIN, adminPassword: PASSWORD, expectDatasources: ["metrics", "traces", "logs"] },
      timeoutMs: 60_000,
    });
    console.log(formatReport(report));
    expect(report.ok, formatReport(report)).toBe(true);
    expect(report.checks.map((c) => c.check)).toEqual(
      expect.arrayContaining(["Grafana /api/health", "Grafana datasources", "datasource VictoriaLogs (logs)"]),
    );
    expect(formatReport(report)).not.toContain(PASSWORD);
  });

  it("GIVEN an existing admin store WHEN reset-admin-password runs and the stand-in restarts THEN only the new password logs in", async () => {
    await standin.stop();
    const changed = "stand-in-changed-password-9876543210";
    const cli = spawnSync(
      process.execPath,
      [BUNDLE, "cli", "--homepath", "/usr/share/grafana", "admin", "reset-admin-password", "--password-from-stdin"],
      {
        input: `${changed}\n`,
        env: { ...process.env, GF_PATHS_DATA: dataDir },
        encoding: "utf8",
      },
    );
    expect(cli.status, cli.stderr).toBe(0);
    expect(cli.stdout + cli.stderr).not.toContain(changed);
    expect(cli.stdout).toMatch(/stand-in/);
    // The environment still carries the first password: an existing store must not take it.
    standin = runStandin("grafana-standin-restarted", provisioningDir, dataDir, port);
    await waitHttpOk(`${base()}/api/health`, standin, 30_000);
    expect((await api("/api/user", basic(ADMIN, PASSWORD))).status).toBe(401);
    const ok = await api("/api/user", basic(ADMIN, changed));
    expect(ok.status).toBe(200);
    expect(ok.body.login).toBe(ADMIN);
    expect(standin.output()).not.toContain(changed);
  });

  it("GIVEN a datasources file with a duplicate uid WHEN the stand-in starts THEN it exits non-zero naming the file and the contract rule", async () => {
    const bad = materialize(stack.plan.grafana);
    const file = path.join(bad.root, "files", GRAFANA_PROVISIONING, "datasources", "datasources.yaml");
    const doc = yaml.load(fs.readFileSync(file, "utf8")) as any;
    doc.datasources[1].uid = doc.datasources[0].uid;
    fs.writeFileSync(file, yaml.dump(doc));
    const proc = runStandin(
      "grafana-standin-bad",
      path.join(bad.root, "files", GRAFANA_PROVISIONING),
      path.join(bad.root, "volumes", "data"),
      await freePort(),
    );
    const code = await exitOf(proc);
    expect(code).not.toBe(0);
    expect(proc.output()).toContain(`${GRAFANA_PROVISIONING}/datasources/datasources.yaml`);
    expect(proc.output()).toContain("datasource-uid-unique");
    expect(proc.output()).toMatch(/stand-in/);
  });
});
