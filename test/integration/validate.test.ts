import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { LOGS_BACKENDS, METRICS_BACKENDS, TRACES_BACKENDS } from "../../configs/backends";
import { stackFileConfig } from "../helpers/program";
import { binary, tempDir } from "../../bench/lib/harness";
import { loopbackStack } from "../../bench/lib/stack";

/** `otelcol validate` with the real collector built at the image's version. */
function validate(configPath: string): { ok: boolean; output: string } {
  try {
    const output = execFileSync(binary("otelcol"), ["validate", `--config=${configPath}`], { encoding: "utf8", stdio: "pipe" });
    return { ok: true, output };
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string };
    return { ok: false, output: `${e.stdout ?? ""}${e.stderr ?? ""}` };
  }
}

const EXTRAS = [
  {
    name: "thanos",
    kind: "prometheusremotewrite",
    endpoint: "https://thanos.example.com/api/v1/write",
    headers: { "X-Scope-OrgID": "tenant" },
  },
  { name: "vendor", kind: "otlphttp", endpoint: "https://otlp.vendor.example.com", basicAuth: { username: "u", password: "p" } },
  {
    name: "vendorb",
    kind: "otlphttp",
    endpoint: "https://otlp.b.example.com",
    signals: ["traces"],
    headers: { Authorization: "Bearer x" },
  },
];

const combos = Object.keys(METRICS_BACKENDS).flatMap((metrics) =>
  Object.keys(TRACES_BACKENDS).flatMap((traces) =>
    ["none", ...Object.keys(LOGS_BACKENDS)].flatMap((logs) => [false, true].map((extras) => ({ metrics, traces, logs, extras }))),
  ),
);

describe("otelcol validate accepts every collector config the settings allow", () => {
  it.each(["dev", "prod"] as const)("GIVEN Pulumi.%s.yaml WHEN validated by the real collector THEN it passes", async (stack) => {
    const s = await loopbackStack(stackFileConfig(stack));
    const result = validate(s.collectorConfigPath);
    expect(result.output).not.toMatch(/deprecated/i);
    expect(result.ok, result.output).toBe(true);
  });

  it.each(combos)("GIVEN metrics=$metrics traces=$traces logs=$logs extras=$extras WHEN validated THEN it passes", async (c) => {
    const s = await loopbackStack({
      metrics: { backend: c.metrics as "victoriametrics" },
      traces: { backend: c.traces as "jaeger" },
      logs: { backend: c.logs as "none", ...(c.logs !== "none" ? { dockerLogs: true } : {}) },
      exporters: c.extras ? EXTRAS : [],
      // Half the combinations without the persistent queue: another exporter shape and the metrics batch processor.
      collector: { debug: c.extras, persistentQueue: !c.extras },
    } as Record<string, unknown>);
    // Secret files the config references must exist for the file provider to resolve them.
    const text = fs.readFileSync(s.collectorConfigPath, "utf8");
    const secretsDir = tempDir("secrets");
    const localized = text.replace(/\$\{file:([^}]+)\}/g, (_m, p: string) => {
      const local = path.join(secretsDir, path.basename(p));
      fs.writeFileSync(local, "value");
      return `\${file:${local}}`;
    });
    fs.writeFileSync(s.collectorConfigPath, localized);
    const result = validate(s.collectorConfigPath);
    expect(result.ok, result.output).toBe(true);
    expect(result.output).not.toMatch(/deprecated/i);
  });

  it("GIVEN a config with a key the collector does not know WHEN validated THEN it must fail (the check is real)", async () => {
    const s = await loopbackStack({});
    fs.appendFileSync(s.collectorConfigPath, "\nprocessors_typo: {}\n");
    expect(validate(s.collectorConfigPath).ok).toBe(false);
  });
});
