/**
 * The versions the real tiers prove are the versions users deploy: every role of the one version
 * table (settings/components.json) that the tiers run is executed here, and the version the binary
 * reports must equal the version of the image tag the program pins for that role.
 */
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { COMPONENT_TABLE, DEFAULT_IMAGES, ImageRole } from "../../settings/images";
import { binary } from "../../bench/lib/harness";

/** Where a role's binary is: built ones under $TOOLS_DIR/bin, Debian's busybox where apt puts it. */
const pathOf = (role: ImageRole): string => {
  const build = COMPONENT_TABLE[role].build!;
  return build.how === "debian" ? "/bin/busybox" : binary(build.binary);
};

/** The first x.y.z the binary prints (`otelcol version 0.160.0`, `"gitVersion":"v2.12.0"`, `BusyBox v1.35.0 …`). */
export const reportedVersion = (output: string): string | undefined => /(\d+\.\d+\.\d+)/.exec(output)?.[1];

const built = (Object.keys(COMPONENT_TABLE) as ImageRole[]).filter((role) => COMPONENT_TABLE[role].build);

describe("every binary the real tiers run reports its role's pinned version", () => {
  it.each(built)("GIVEN the %s binary WHEN asked for its version THEN it equals the pinned image tag's", (role) => {
    const entry = COMPONENT_TABLE[role];
    let output: string;
    try {
      output = execFileSync(pathOf(role), entry.build!.versionCommand, { encoding: "utf8", stdio: "pipe", timeout: 30_000 });
    } catch (error) {
      // busybox without an applet prints its banner and exits 1; the banner is what we read.
      const e = error as { stdout?: string; stderr?: string };
      output = `${e.stdout ?? ""}${e.stderr ?? ""}`;
      if (!output) throw error;
    }
    expect(reportedVersion(output), `${pathOf(role)} ${entry.build!.versionCommand.join(" ")} printed: ${output.slice(0, 200)}`).toBe(
      entry.version,
    );
    expect(DEFAULT_IMAGES[role]).toBe(`${entry.image}:${entry.tag}`);
  });

  it("GIVEN Prometheus WHEN its promtool is asked THEN it is the same release", () => {
    const output = execFileSync(binary("promtool3"), ["--version"], { encoding: "utf8" });
    expect(reportedVersion(output)).toBe(COMPONENT_TABLE.prometheus.version);
  });
});
