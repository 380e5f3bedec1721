/**
 * `npm run preview|up|outputs|verify|destroy -- <stack>` as a user runs them (deploy/launch.mjs, what
 * the npm scripts run: deploy/cli.ts bundled to plain JavaScript, in a child process, `--cwd` pointing
 * at a workspace of its own), and the one-line answers when a prerequisite is missing.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createStack, DeployedStack, docker, prerequisites, purgeEnvironment, TOOLS } from "../../bench/lib/deploy-harness";

const ROOT = path.resolve(__dirname, "..", "..");
const LAUNCH = path.join(ROOT, "deploy", "launch.mjs");
let deployed: DeployedStack;

async function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const base = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TOOLS_DIR: TOOLS,
    PULUMI_CONFIG_PASSPHRASE: "deploy-tier",
    PULUMI_SKIP_UPDATE_CHECK: "true",
  };
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [LAUNCH, ...args], {
      cwd: ROOT,
      env: { ...base, ...env } as NodeJS.ProcessEnv,
      timeout: 600_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

const args = (command: string, ...more: string[]) => [command, deployed.environment, "--cwd", deployed.workDir, ...more];

beforeAll(async () => {
  const { toolchain, images } = await prerequisites();
  // The workspace (Pulumi.yaml with its own file backend, the stack file) is written by the harness;
  // everything after that goes through the CLI.
  deployed = await createStack("dev", toolchain, images, { environment: "cli" });
});

afterAll(async () => {
  if (!deployed) return;
  await deployed.destroy().catch(() => undefined);
  await purgeEnvironment(deployed.environment);
});

describe("npm run preview|up|outputs|verify|destroy", () => {
  it("GIVEN no passphrase WHEN a command runs THEN it stops with one line saying what is missing", async () => {
    const result = await cli(args("preview"), { PULUMI_CONFIG_PASSPHRASE: "" });
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toMatch(/^error: PULUMI_CONFIG_PASSPHRASE \(or PULUMI_CONFIG_PASSPHRASE_FILE\) is not set/);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("GIVEN no Docker engine at DOCKER_HOST WHEN a command runs THEN one line names the socket", async () => {
    const result = await cli(args("preview"), { DOCKER_HOST: "unix:///nonexistent/docker.sock" });
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toMatch(/^error: No Docker engine answers at \/nonexistent\/docker\.sock/);
  });

  it("GIVEN no Pulumi CLI WHEN a command runs THEN one line says how to get it", async () => {
    const result = await cli(args("preview"), { TOOLS_DIR: "/nonexistent", PATH: path.dirname(process.execPath) });
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toMatch(/^error: Pulumi CLI not found/);
  });

  it("GIVEN a new stack WHEN previewed THEN the plan lists what up would create, and the run's milestones come in order", async () => {
    const milestones = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "obs-cli-")), "milestones.json");
    const result = await cli(args("preview"), { OBS_DEPLOY_TIMINGS: milestones });
    expect(result.code, result.stderr).toBe(0);
    // 24 before the collector's health probe (its image and container), 27 since VictoriaMetrics runs as nobody (its volume init job),
    // 40 since every service's files reach it through a config volume and its carrier container (read-only root filesystems).
    expect(result.stdout).toMatch(/\+ 40 to create/);
    // The deploy bench's breakdown (bench/deploy.ts) reads these: each a time since the process started.
    const { steps, ...m } = JSON.parse(fs.readFileSync(milestones, "utf8")) as Record<string, number> & {
      steps: { ms: number; event: string; op: string; urn: string }[];
    };
    const order = ["loaded", "prerequisites", "stackSelected", "firstResourceEvent", "lastResourceEvent", "engineDone", "done"];
    expect(Object.keys(m).sort()).toEqual([...order].sort());
    expect(order.map((k) => m[k])).toEqual(order.map((k) => m[k]).sort((a, b) => a! - b!));
    expect(m.loaded).toBeGreaterThan(0);
    // And each resource step between the first and the last resource event: a pre event per planned
    // resource, and one per default provider (docker, random), which the plan's count leaves out.
    const creates = steps.filter((s) => s.event === "pre" && s.op === "create").map((s) => s.urn);
    expect(creates.filter((urn) => !urn.startsWith("pulumi:providers:"))).toHaveLength(40);
    expect(creates.filter((urn) => urn.startsWith("pulumi:providers:")).map((urn) => urn.split("::")[0])).toEqual(
      expect.arrayContaining(["pulumi:providers:docker", "pulumi:providers:random"]),
    );
    expect(steps[0]!.ms).toBe(m.firstResourceEvent);
    expect(steps.at(-1)!.ms).toBe(m.lastResourceEvent);
    expect(steps.map((s) => s.ms)).toEqual(steps.map((s) => s.ms).sort((a, b) => a - b));
    expect(steps.map((s) => s.urn)).toContain(`pulumi:pulumi:Stack::obs-stack-${deployed.environment}`);
  });

  it("GIVEN the bundle WHEN a file it was built from changes THEN the next command rebuilds it first; unchanged THEN it does not", async () => {
    const debug = { OBS_DEPLOY_DEBUG: "1" };
    await cli(args("outputs"), debug); // whatever state the bundle was in, it is current after this
    const unchanged = await cli(args("outputs"), debug);
    expect(unchanged.stderr).not.toMatch(/deploy\/launch: bundled/);
    // A new mtime on one input (its content is the same): the size/mtime record no longer matches.
    const input = path.join(ROOT, "configs", "healthcheck.ts");
    const now = new Date();
    fs.utimesSync(input, now, now);
    const changed = await cli(args("outputs"), debug);
    expect(changed.stderr).toMatch(/deploy\/launch: bundled \d+ files in \d+ ms \(configs\/healthcheck\.ts changed\)/);
  });

  it("GIVEN the preview WHEN up runs THEN progress streams and the outputs print, secrets masked", async () => {
    const result = await cli(args("up"));
    expect(result.code, result.stderr.slice(-2000)).toBe(0);
    expect(result.stdout).toMatch(/creating/);
    expect(result.stdout).toMatch(/^grafanaAdminPassword\s+\[secret\]$/m);
    expect(result.stdout).toMatch(/^grafanaUrl\s+http:\/\/grafana\.ddev\.site$/m);
    const outputs = await cli(args("outputs"));
    expect(outputs.stdout).toMatch(new RegExp(`^otlpGrpcEndpoint\\s+127\\.0\\.0\\.1:${deployed.ports.otlpGrpc}$`, "m"));
  });

  it("GIVEN the deployed stack WHEN verify runs THEN the table passes and the exit code is 0", async () => {
    const result = await cli(args("verify"));
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/metric → VictoriaMetrics\s+PASS/);
    expect(result.stdout).toMatch(/span → Jaeger\s+PASS/);
    expect(result.stdout).toMatch(/: \d+ passed, 0 failed/);
  });

  it("GIVEN destroy without --yes WHEN run THEN nothing is removed; with --yes THEN nothing of the stack is left", async () => {
    const refused = await cli(args("destroy"));
    expect(refused.code).toBe(2);
    expect(await docker("ps", "-q", "--filter", `label=obs.stack=${deployed.environment}`)).not.toBe("");
    const result = await cli(args("destroy", "--yes"));
    expect(result.code, result.stderr.slice(-2000)).toBe(0);
    expect(await docker("ps", "-aq", "--filter", `label=obs.stack=${deployed.environment}`)).toBe("");
  });
});
