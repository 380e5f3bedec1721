/**
 * The one version table (settings/components.json) is consistent with itself and with the
 * dependency rule: tags and versions agree, Go module versions map to the release they are, and no
 * role is built from a module the approved list forbids. The integration tier
 * (test/integration/versions.test.ts) then runs every built binary against the same table.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { COMPONENT_TABLE, DEFAULT_IMAGES, ImageRole } from "../settings/images";

const roles = Object.keys(COMPONENT_TABLE) as ImageRole[];

/** Module tags that are not the release number itself (upstream's own mapping). */
const releaseOfModule = (role: ImageRole, moduleVersion: string): string => {
  if (role === "prometheus") {
    // Prometheus vX.Y.Z is tagged v0.X(YY).Z as a Go module (3.15.0 -> v0.315.0)
    const m = /^v0\.(\d)(\d\d)\.(\d+)$/.exec(moduleVersion);
    return m ? `${m[1]}.${Number(m[2])}.${m[3]}` : moduleVersion;
  }
  // Jaeger v2 has no /v2 module path: release 2.N.0 is module v1.(N+63).0 (v1.75.0 = v2.12.0,
  // stated in Jaeger's CHANGELOG of v1.76.0 / v2.13.0).
  if (role === "jaeger") {
    const m = /^v1\.(\d+)\.(\d+)$/.exec(moduleVersion);
    return m ? `2.${Number(m[1]) - 63}.${m[2]}` : moduleVersion;
  }
  if (role === "init") return moduleVersion.replace(/^\d+:/, "").replace(/-.*$/, ""); // Debian 1:1.35.0-4… -> 1.35.0
  return moduleVersion.replace(/^v/, "");
};

describe("the version table", () => {
  it.each(roles)("GIVEN role %s WHEN its row is read THEN tag, version and default image agree", (role) => {
    const row = COMPONENT_TABLE[role];
    expect(row.tag.replace(/^v/, "")).toBe(row.version);
    expect(DEFAULT_IMAGES[role]).toBe(`${row.image}:${row.tag}`);
    // Exactly one of the two: how the tiers run this version, or why they cannot.
    expect([row.build !== undefined, row.notRun !== undefined], `${role}: build xor notRun`).toSatisfy(([b, n]: boolean[]) => b !== n);
  });

  it.each(roles.filter((r) => COMPONENT_TABLE[r].build && COMPONENT_TABLE[r].build!.how !== "ocb"))(
    "GIVEN role %s WHEN its build module version is mapped to a release THEN it is the pinned version",
    (role) => {
      expect(releaseOfModule(role, COMPONENT_TABLE[role].build!.moduleVersion)).toBe(COMPONENT_TABLE[role].version);
    },
  );

  it("GIVEN the collector WHEN built with ocb THEN the builder is the collector's own release", () => {
    expect(COMPONENT_TABLE.collector.build!.moduleVersion).toBe(`v${COMPONENT_TABLE.collector.version}`);
  });

  it("GIVEN the dependency rule WHEN every build row is read THEN none is AGPL or a not-to-use module", () => {
    for (const role of roles) {
      const row = COMPONENT_TABLE[role];
      if (!row.build) continue;
      expect(row.build.module, role).not.toMatch(/github\.com\/grafana\/(grafana|loki|tempo)(\/|$)/);
      expect(row.licence, role).not.toMatch(/AGPL/);
    }
    // Jaeger only at the approved module version (v1.76.0 is served but not an approved release).
    expect(COMPONENT_TABLE.jaeger.build!.moduleVersion).toBe("v1.75.0");
  });

  it("GIVEN a role that cannot run here WHEN read THEN it says why, and AGPL roles are exactly those", () => {
    const notRun = roles.filter((r) => COMPONENT_TABLE[r].notRun).sort();
    expect(notRun).toEqual(["grafana", "loki", "tempo"]);
    for (const role of notRun) expect(COMPONENT_TABLE[role].licence).toMatch(/AGPL/);
  });
});

describe("the README's versions table", () => {
  const readme = readFileSync(path.join(__dirname, "..", "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("### Versions and licences"), readme.indexOf("**After a deploy"));

  it.each(roles)("GIVEN role %s WHEN the README's table is read THEN it names the pinned image and licence", (role) => {
    const row = section.split("\n").find((line) => line.startsWith(`| ${role} |`));
    expect(row, `README row for ${role}`).toBeDefined();
    expect(row).toContain(`\`${DEFAULT_IMAGES[role]}\``);
    expect(row).toContain(COMPONENT_TABLE[role].licence.split(" ")[0]);
    if (COMPONENT_TABLE[role].build?.moduleVersion.startsWith("v")) expect(row).toContain(COMPONENT_TABLE[role].build!.moduleVersion);
  });
});
