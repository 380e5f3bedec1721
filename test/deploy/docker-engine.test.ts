/**
 * scripts/docker-engine.sh finds the daemon it manages by its socket and pid file, never by process
 * name: another process called `dockerd` (another daemon on another socket, like the swarm tier's
 * daemons in their network namespaces) neither blocks it nor is taken for it.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const SCRIPT = path.resolve(__dirname, "..", "..", "scripts", "docker-engine.sh");
let other: ChildProcess;
let dir: string;

/** The script's exit code and output, without throwing on a non-zero exit. */
async function engine(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run("bash", [SCRIPT, ...args], { env: { ...process.env, ...env } });
    return { code: 0, out: stdout + stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}

beforeAll(() => {
  // A process whose name is `dockerd` (a copy of sleep): what a second daemon looks like to pgrep.
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "obs-other-dockerd-"));
  fs.copyFileSync("/bin/sleep", path.join(dir, "dockerd"));
  fs.chmodSync(path.join(dir, "dockerd"), 0o755);
  other = spawn(path.join(dir, "dockerd"), ["600"], { stdio: "ignore" });
});

afterAll(() => {
  other?.kill("SIGKILL");
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("docker-engine.sh with another dockerd on the machine", () => {
  it("GIVEN another process named dockerd WHEN start runs THEN the engine on our socket is used as it is, no refusal", async () => {
    expect(fs.readFileSync(`/proc/${other.pid}/comm`, "utf8").trim()).toBe("dockerd");
    const result = await engine(["start"]);
    expect(result.out).toMatch(/docker-engine: running/);
    expect(result.code).toBe(0);
  });

  it("GIVEN a socket no daemon serves WHEN status is asked THEN it says not running, whatever other dockerd runs", async () => {
    const result = await engine(["status"], { DOCKER_HOST: `unix://${dir}/nobody.sock` });
    expect(result.code).toBe(3);
    expect(result.out).toMatch(/not running/);
  });

  it("GIVEN a daemon not started by the script on that socket WHEN stop runs THEN the other dockerd is left alone", async () => {
    // What the script recorded about the engine it may have started on the default socket.
    const marker = path.join(process.env.TOOLS_DIR ?? path.resolve(__dirname, "..", "..", ".tools"), "dockerd.started");
    const before = fs.existsSync(marker) ? fs.readFileSync(marker, "utf8") : undefined;
    const result = await engine(["stop"], { DOCKER_HOST: `unix://${dir}/nobody.sock` });
    // …is still there: stopping on another socket forgets nothing about this one (CI's trap stops it later).
    expect(fs.existsSync(marker) ? fs.readFileSync(marker, "utf8") : undefined).toBe(before);
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/not running/);
    expect(other.exitCode).toBeNull();
    expect(fs.existsSync(`/proc/${other.pid}`)).toBe(true);
  });
});
