import { execFile } from "node:child_process";
import * as path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "..");

describe("index.ts under Pulumi's own TypeScript loader", () => {
  // `pulumi up` compiles with @pulumi/pulumi's vendored ts-node, which only sees what the program
  // imports (not tsconfig `include`): a `.d.ts` shim for the Grafana SDK passed tsc and vitest but
  // failed there with TS2307. This runs the same registration in a child process.
  it("GIVEN Pulumi.dev.yaml WHEN index.ts is loaded with ts-node as the Pulumi runtime registers it THEN it type-checks and exports the stack outputs", async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [path.join(ROOT, "test/helpers/load-under-pulumi-tsnode.cjs"), "dev"], {
      cwd: ROOT,
      timeout: 120_000,
    });
    expect(stdout).toMatch(/loaded index\.ts under Pulumi's ts-node \(7\.0\.1, typescript 5\.9\.3\)/);
    expect(stdout).toMatch(/outputs: .*grafanaUrl.*otlpGrpcEndpoint/);
  }, 120_000);
});
