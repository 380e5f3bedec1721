import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { applyPatch } from "diff";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { planStack } from "../configs/stack";
import { DEFAULT_IMAGES, parseSettings, TIERS } from "../settings";
import { main, resolveBase } from "../scripts/diff";
import { diffReport, renderedFiles, SECRET_MARK, StackRendering, unifiedDiff } from "../scripts/plan-summary";
import { parseStackFile } from "../settings/stack-file";
import { makeCertificates } from "./helpers/certificates";

/**
 * `npm run diff`: the plan summary and the unified diff of every rendered file between a base and
 * the working tree. The pure parts run on plans built here (no git); one CLI test runs the real
 * command in a temporary git repository.
 */
const ROOT = path.resolve(__dirname, "..");
const CERTS = makeCertificates("*.ddev.site", ["DNS:*.ddev.site"]);
const devRaw = () => parseStackFile(fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8"));
const render = (raw: Record<string, unknown>): StackRendering => {
  const settings = parseSettings(raw);
  return { settings, plan: planStack(settings) };
};
const report = (base: Record<string, unknown>, head: Record<string, unknown>) =>
  diffReport({ stack: "dev", baseLabel: "base", base: render(base), head: render(head) });

/** The plan-summary lines that say something changed (`-`, `+`, `~`). */
const summaryChanges = (out: string) =>
  out
    .split("\n## Rendered files")[0]!
    .split("\n")
    .filter((l) => /^[-+~] /.test(l));
/** Files the unified diff names, as `changed`/`added`/`removed`. */
const diffedFiles = (out: string) => {
  const lines = out.split("\n");
  const files: string[] = [];
  lines.forEach((l, i) => {
    if (!l.startsWith("--- ")) return;
    const next = lines[i + 1]!;
    if (l === "--- /dev/null") files.push(`added ${next.slice(6)}`);
    else if (next === "+++ /dev/null") files.push(`removed ${l.slice(6)}`);
    else files.push(`changed ${l.slice(6)}`);
  });
  return files;
};
/** Changed lines of the unified diff (without the file headers). */
const diffBody = (out: string) =>
  out
    .split("\n## Rendered files")[1]!
    .split("\n")
    .filter((l) => /^[-+]/.test(l) && !/^(---|\+\+\+) /.test(l));

describe("npm run diff: the plan summary and rendered files", () => {
  it("GIVEN metrics.retention 30d → 90d WHEN diffed THEN only VictoriaMetrics' flag changes, nothing else", () => {
    const base = devRaw();
    const out = report(base, { ...base, metrics: { ...(base.metrics as object), retention: "90d" } });
    expect(summaryChanges(out)).toEqual(["~ dev-victoriametrics  changed: command"]);
    expect(diffedFiles(out)).toEqual(["changed victoriametrics/container.json"]);
    expect(diffBody(out)).toEqual(['-    "-retentionPeriod=30d",', '+    "-retentionPeriod=90d",']);
    expect(out).toContain("## Rendered files: 1 changed, 0 added, 0 removed, 16 unchanged");
  });

  it("GIVEN tier small → large WHEN diffed THEN every container's memory limit and only the tier's sizes change", () => {
    const base = devRaw();
    const out = report(base, { ...base, tier: "large" });
    const mem = (container: string, role: keyof (typeof TIERS)["small"]["memoryMb"]) => [
      `- dev-${container}  ${TIERS.small.memoryMb[role]} MB`,
      `+ dev-${container}  ${TIERS.large.memoryMb[role]} MB`,
    ];
    expect(summaryChanges(out)).toEqual([
      "~ dev-grafana  changed: memoryMb",
      "~ dev-jaeger  changed: memoryMb, files",
      "~ dev-otel-collector  changed: env, memoryMb, files",
      "~ dev-traefik  changed: memoryMb",
      "~ dev-victoriametrics  changed: command, memoryMb",
      ...mem("grafana", "grafana"),
      ...mem("jaeger", "jaeger"),
      ...mem("otel-collector", "collector"),
      ...mem("traefik", "traefik"),
      ...mem("victoriametrics", "victoriametrics"),
    ]);
    expect(diffedFiles(out)).toEqual([
      "changed grafana/container.json",
      "changed jaeger/container.json",
      "changed jaeger/etc/jaeger/config.yaml",
      "changed otel-collector/container.json",
      "changed otel-collector/etc/otelcol-contrib/config.yaml",
      "changed traefik/container.json",
      "changed victoriametrics/container.json",
    ]);
    // Every changed line is one of the tier's sizes, each once per side.
    const keys = diffBody(out).map((l) => /^([-+])\s*"?-?([A-Za-z_.]+)/.exec(l)!.slice(1).join(""));
    expect(keys.sort()).toEqual(
      [
        ...["memoryMb", "memoryMb", "memoryMb", "memoryMb", "memoryMb", "GOMEMLIMIT", "memory.allowedBytes", "max_traces"],
        ...["limit_mib", "spike_limit_mib", "queue_size", "min_size", "max_size", "resource_metrics_cache_size"],
      ]
        .flatMap((k) => [`-${k}`, `+${k}`])
        .sort(),
    );
  });

  it("GIVEN metrics.backend victoriametrics → prometheus WHEN diffed THEN the container, its route and volume, the datasource and what reads it change", () => {
    const base = devRaw();
    const out = report(base, { ...base, metrics: { ...(base.metrics as object), backend: "prometheus" } });
    expect(summaryChanges(out)).toEqual([
      "~ dev-grafana  changed: files",
      // Jaeger's Monitor tab reads the span metrics from the metrics backend.
      "~ dev-jaeger  changed: files",
      "~ dev-otel-collector  changed: files",
      "~ dev-traefik  changed: files",
      "+ dev-prometheus  role prometheus",
      "- dev-victoriametrics  role victoriametrics",
      `+ dev-prometheus  ${DEFAULT_IMAGES.prometheus}`,
      `- dev-victoriametrics  ${DEFAULT_IMAGES.victoriametrics}`,
      `+ dev-prometheus  ${TIERS.small.memoryMb.prometheus} MB`,
      `- dev-victoriametrics  ${TIERS.small.memoryMb.victoriametrics} MB`,
      "+ dev-prometheus http  :9090 (network only)",
      "- dev-victoriametrics http  :8428 (network only)",
      "+ dev-prometheus-data  dev-prometheus:/prometheus",
      "- dev-victoriametrics-data  dev-victoriametrics:/victoria-metrics-data (chown 65534)",
      "+ http://prometheus.ddev.site  dev-prometheus:9090",
      "- http://vm.ddev.site  dev-victoriametrics:8428",
      "- metrics  VictoriaMetrics (prometheus) http://victoriametrics:8428, default",
      "+ metrics  Prometheus (prometheus) http://prometheus:9090, default",
      expect.stringMatching(/^~ stack\/observability-stack-health\.json .*\(content changed\)$/),
      expect.stringMatching(/^~ stack-dev-metrics-backend-down .*\(content changed\)$/),
      // VictoriaMetrics' admin key goes with it (Prometheus' admin API is off: no key).
      "- dev-victoriametrics:/etc/victoriametrics/secrets/admin-auth-key  [secret]",
    ]);
    expect(diffedFiles(out)).toEqual([
      "changed grafana/etc/grafana/dashboards/stack/observability-stack-health.json",
      "changed grafana/etc/grafana/provisioning/alerting/alerting.yaml",
      "changed grafana/etc/grafana/provisioning/datasources/datasources.yaml",
      "changed jaeger/etc/jaeger/config.yaml",
      "changed otel-collector/etc/otelcol-contrib/config.yaml",
      "added prometheus/container.json",
      "added prometheus/etc/prometheus/prometheus.yml",
      "changed traefik/etc/traefik/dynamic/routes.yml",
      "removed victoriametrics/container.json",
    ]);
    expect(diffBody(out)).toEqual(
      expect.arrayContaining([
        "-      endpoint: http://victoriametrics:8428/api/v1/write",
        "+      endpoint: http://prometheus:9090/api/v1/write",
        "-          endpoint: http://victoriametrics:8428",
        "+          endpoint: http://prometheus:9090",
      ]),
    );
  });

  it("GIVEN the same inputs WHEN diffed twice THEN the output is byte-identical, and no change says so", () => {
    const base = devRaw();
    const head = { ...base, tier: "medium", logs: { backend: "victorialogs" } };
    expect(report(base, head)).toBe(report(base, head));
    const same = report(base, base);
    expect(summaryChanges(same)).toEqual([]);
    expect(same).toContain("## Rendered files: 0 changed, 0 added, 0 removed, 17 unchanged");
  });

  it("GIVEN secrets in the stack file (ciphertext) and in settings (plain) WHEN diffed THEN no value appears, secret files read [secret]", () => {
    const yamlText = [
      "config:",
      "  obs-stack:environment: dev",
      "  obs-stack:grafana:",
      "    adminPassword:",
      "      secure: v1:CIPHERTEXT-admin-0001",
      "  obs-stack:alerting:",
      "    contactPoint:",
      "      kind: slack",
      "      url:",
      "        secure: v1:CIPHERTEXT-slack-0002",
    ].join("\n");
    const fromFile = parseStackFile(yamlText);
    expect(fromFile).toEqual({
      environment: "dev",
      grafana: { adminPassword: SECRET_MARK },
      alerting: { contactPoint: { kind: "slack", url: SECRET_MARK } },
    });
    const plain = {
      environment: "dev",
      grafana: { adminPassword: "plain-S3CRET-admin" },
      alerting: { contactPoint: { kind: "webhook", url: "https://hooks.example.com/S3CRET-hook" } },
      exporters: [
        {
          name: "vendor",
          kind: "otlphttp",
          endpoint: "https://otlp.vendor.example.com",
          headers: { Authorization: "Bearer S3CRET-token" },
        },
        {
          name: "remote",
          kind: "prometheusremotewrite",
          endpoint: "https://prom.example.com/api/v1/write",
          basicAuth: { username: "u", password: "S3CRET-pass" },
        },
      ],
      traefik: {
        mode: "managed",
        basicAuth: true,
        // Real PEMs (traefik.tls is checked as PEM); the key's body must not appear below.
        tls: { mode: "files", certificate: CERTS.cert, key: CERTS.key },
      },
      exposure: { ports: { otlpGrpc: 4317, otlpHttp: 4318, http: 80, https: 443 } },
    };
    const out = [
      report({ environment: "dev" }, fromFile),
      report({ environment: "dev" }, plain),
      report(plain, { ...plain, tier: "large" }),
    ].join("\n");
    expect(out).not.toMatch(/S3CRET|CIPHERTEXT/);
    for (const line of CERTS.key.split("\n").slice(1, -2)) expect(out).not.toContain(line);
    const secretLines = out.split("\n").filter((l) => l.includes(SECRET_MARK));
    expect(secretLines).toEqual(
      expect.arrayContaining([
        "+ dev-grafana:/etc/grafana/secrets/contact-point-url  [secret]",
        "+ dev-otel-collector:/etc/otelcol-contrib/secrets/extra.vendor.header.authorization  [secret]",
        "+ dev-otel-collector:/etc/otelcol-contrib/secrets/extra.remote.basic-auth-password  [secret]",
        "+ dev-traefik:/etc/traefik/certs/tls.key  [secret]",
        "+ dev-traefik:/etc/traefik/secrets/basic-auth-users  [secret]",
        '+    "/etc/traefik/certs/tls.key": "[secret]",',
      ]),
    );
  });

  it("GIVEN a stack file only in the working tree WHEN diffed THEN everything is added", () => {
    const out = diffReport({ stack: "dev", baseLabel: "base", base: undefined, head: render(devRaw()) });
    expect(out).toContain("# (Pulumi.dev.yaml does not exist at the base)");
    expect(diffedFiles(out).every((f) => f.startsWith("added "))).toBe(true);
    expect(diffedFiles(out)).toHaveLength(renderedFiles(render(devRaw())).size);
  });
});

describe("unified diff", () => {
  it("GIVEN two files WHEN diffed THEN the output is diff -u's: headers, merged hunks, 3 lines of context", () => {
    const a = "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n";
    const b = "1\n2\n3\nfour\n5\n6\n7\n8\n9\nten\n11\n12\n13\n14\n15\n16\n";
    expect(unifiedDiff("f", a, b)).toBe(
      [
        "--- a/f",
        "+++ b/f",
        "@@ -1,13 +1,13 @@",
        " 1",
        " 2",
        " 3",
        "-4",
        "+four",
        " 5",
        " 6",
        " 7",
        " 8",
        " 9",
        "-10",
        "+ten",
        " 11",
        " 12",
        " 13",
        "",
      ].join("\n"),
    );
    const c = "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\nseventeen\n";
    expect(unifiedDiff("f", a, c)).toBe(["--- a/f", "+++ b/f", "@@ -14,3 +14,4 @@", " 14", " 15", " 16", "+seventeen", ""].join("\n"));
    expect(unifiedDiff("f", undefined, "x\n")).toBe("--- /dev/null\n+++ b/f\n@@ -0,0 +1 @@\n+x\n");
    expect(unifiedDiff("f", "x\n", undefined)).toBe("--- a/f\n+++ /dev/null\n@@ -1 +0,0 @@\n-x\n");
    expect(unifiedDiff("f", "x\ny", "x\ny\n")).toBe("--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n x\n-y\n\\ No newline at end of file\n+y\n");
    expect(unifiedDiff("f", "same\n", "same\n")).toBe("");
  });

  it("GIVEN files with more than 4000 differing lines WHEN diffed THEN the file is shown wholly replaced, in one hunk", () => {
    const a = Array.from({ length: 2001 }, (_, i) => `a${i}\n`).join("");
    const b = Array.from({ length: 2001 }, (_, i) => `b${i}`).join("\n");
    const patch = unifiedDiff("f", a, b);
    expect(patch.split("\n").slice(0, 4)).toEqual(["--- a/f", "+++ b/f", "@@ -1,2001 +1,2001 @@", "-a0"]);
    expect(patch.endsWith("+b2000\n\\ No newline at end of file\n")).toBe(true);
    expect(applyPatch(a, patch)).toBe(b);
  });

  it("GIVEN random files WHEN diffed THEN the patch turns the base into the head", () => {
    let seed = 42;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const file = () => {
      const lines = Array.from({ length: rand(30) }, () => String.fromCharCode(97 + rand(4)));
      return lines.length > 0 && rand(4) === 0 ? lines.join("\n") : lines.map((l) => `${l}\n`).join("");
    };
    for (let round = 0; round < 300; round++) {
      const a = file();
      const b = file();
      const patch = unifiedDiff("f", a, b, rand(4));
      if (a === b) expect(patch).toBe("");
      else expect(applyPatch(a, patch), patch).toBe(b);
    }
  });
});

describe("npm run diff (the CLI, in a temporary git repository)", () => {
  let repo: string;
  let mainSha: string;
  const git = (...args: string[]) =>
    execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], { cwd: repo, encoding: "utf8" }).trim();
  const cli = (...args: string[]) =>
    spawnSync(path.join(ROOT, "node_modules", ".bin", "tsx"), [path.join(ROOT, "scripts", "diff.ts"), ...args], {
      cwd: repo,
      encoding: "utf8",
    });

  beforeAll(() => {
    repo = fs.mkdtempSync(path.join(os.tmpdir(), "obs-diff-repo-"));
    for (const entry of ["configs", "settings", "dashboards", "Pulumi.yaml", "Pulumi.dev.yaml", "tsconfig.json", "package.json"]) {
      fs.cpSync(path.join(ROOT, entry), path.join(repo, entry), { recursive: true });
    }
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(repo, "node_modules"), "dir");
    fs.writeFileSync(path.join(repo, ".gitignore"), "node_modules\n");
    git("init", "-q", "-b", "main");
    git("add", ".");
    git("commit", "-q", "-m", "base");
    mainSha = git("rev-parse", "HEAD");
    // A feature branch with one commit, and an uncommitted change on top: both are "the change".
    git("checkout", "-q", "-b", "feature");
    const file = path.join(repo, "Pulumi.dev.yaml");
    fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace("retention: 30d", "retention: 90d"));
    git("commit", "-q", "-am", "retention");
    fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace("tier: small", "tier: medium"));
  });
  afterAll(() => fs.rmSync(repo, { recursive: true, force: true }));

  // One real run end to end (git archive of the base, both trees rendered with their own code); the
  // base choice and determinism are checked without re-rendering (resolveBase, the pure tests above).
  it("GIVEN a branch off main with a committed and an uncommitted change WHEN `diff dev` runs THEN both changes show against the merge base", () => {
    const first = cli("dev");
    expect(first.stderr).toBe("");
    expect(first.status).toBe(0);
    expect(first.stdout.split("\n")[0]).toBe(`# Rendered stack dev: merge base of HEAD and main@${mainSha.slice(0, 12)} → working tree`);
    expect(first.stdout).toContain('+    "-retentionPeriod=90d",');
    expect(first.stdout).toContain(`+ dev-otel-collector  ${TIERS.medium.memoryMb.collector} MB`);
    // Nothing of the run's temporary base tree leaks into the report (it would differ on every run).
    expect(first.stdout).not.toContain("obs-diff-base-");
  });

  it("GIVEN --base WHEN the base is resolved THEN it is that ref (the feature commit), else the merge base with main", () => {
    const head = git("rev-parse", "HEAD");
    expect(resolveBase(repo, "HEAD")).toEqual({ sha: head, label: `HEAD@${head.slice(0, 12)}` });
    expect(resolveBase(repo, undefined)).toEqual({ sha: mainSha, label: `merge base of HEAD and main@${mainSha.slice(0, 12)}` });
  });

  it("GIVEN bad usage WHEN run THEN exit 2 with the usage line; an unknown ref is an error", () => {
    const none = cli();
    expect(none.status).toBe(2);
    expect(none.stderr).toContain("usage: npm run diff -- <stack> [--base <git-ref>]");
    // Resolving the ref fails before anything is rendered: in-process is enough.
    expect(() => main(["dev", "--base", "no-such-ref"], repo)).toThrow("--base no-such-ref: not a commit in this repository");
  });
});
