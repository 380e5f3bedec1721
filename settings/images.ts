import COMPONENTS from "./components.json";

/**
 * Pinned image references, from THE version table (settings/components.json): each role's image
 * and tag there is also the version scripts/install-components.sh builds for the real tiers, and
 * test/integration/versions.test.ts runs every built binary to prove the two agree. Every entry is
 * overridable in stack config (`images.<role>`), e.g. to point at a registry mirror, but an
 * override must stay pinned (a tag other than `latest`, or a digest).
 */
export type ImageRole = Exclude<keyof typeof COMPONENTS, "$comment">;

/** One role's row of the table. `build` says how the real tiers get the same version; `notRun` why they cannot. */
export interface ComponentEntry {
  image: string;
  tag: string;
  /** The version the binary reports (the tag without its `v`). */
  version: string;
  licence: string;
  build?: {
    binary: string;
    how: "ocb" | "go-install" | "module-tree" | "debian";
    module: string;
    package?: string;
    moduleVersion: string;
    ldflags?: string;
    versionCommand: string[];
  };
  notRun?: string;
}

const { $comment: _comment, ...rows } = COMPONENTS;
export const COMPONENT_TABLE = rows as Record<ImageRole, ComponentEntry>;

export const DEFAULT_IMAGES = Object.fromEntries(
  (Object.keys(COMPONENT_TABLE) as ImageRole[]).map((role) => [role, `${COMPONENT_TABLE[role].image}:${COMPONENT_TABLE[role].tag}`]),
) as Record<ImageRole, string>;

/** Collector version the renderer targets: component type names depend on it (REFERENCE.md). */
export const COLLECTOR_VERSION = COMPONENT_TABLE.collector.version;
