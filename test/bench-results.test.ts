/** Where a bench script's section goes in docs/BENCHMARKS.md (bench/lib/results.ts withSection). */
import { describe, expect, it } from "vitest";
import { withSection } from "../bench/lib/results";

const [B, E] = ["<!-- x:begin -->", "<!-- x:end -->"];

describe("a bench script's section in the document", () => {
  it("GIVEN the markers WHEN written THEN only what is between them (markers included) is replaced", () => {
    expect(withSection(`# Doc\n\n${B}\nold\n${E}\n\n## After\n`, B, E, `${B}\nnew\n${E}`)).toBe(`# Doc\n\n${B}\nnew\n${E}\n\n## After\n`);
  });
  it("GIVEN no markers and a heading to go before WHEN written THEN the section goes just above that heading", () => {
    expect(withSection("# Doc\n\n## Ratios\n\n## Tiers compared\n", B, E, `${B}\nnew\n${E}`, "## Tiers compared")).toBe(
      `# Doc\n\n## Ratios\n\n${B}\nnew\n${E}\n\n## Tiers compared\n`,
    );
  });
  it("GIVEN no markers and no such heading WHEN written THEN the section is appended", () => {
    expect(withSection("# Doc\n", B, E, `${B}\nnew\n${E}`, "## Missing")).toBe(`# Doc\n\n${B}\nnew\n${E}\n`);
  });
});
