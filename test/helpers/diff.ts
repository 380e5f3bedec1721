import type { Recorded } from "./program";

export interface GraphChange {
  /** Logical resource name. */
  name: string;
  type: string;
  change: "added" | "removed" | "changed";
  /** Top-level input keys that differ (for "changed"). */
  keys: string[];
}

/**
 * What `pulumi preview` would show between two programs: resources added, removed, or with
 * different inputs, by logical name.
 */
export function diffGraphs(before: Recorded[], after: Recorded[]): GraphChange[] {
  const index = (list: Recorded[]) => new Map(list.map((r) => [r.name, r]));
  const a = index(before);
  const b = index(after);
  const changes: GraphChange[] = [];
  for (const [name, r] of a) {
    const other = b.get(name);
    // Pulumi keys resources by type and name: a new type under the same name is a replacement.
    if (other && other.type !== r.type) {
      changes.push({ name, type: r.type, change: "removed", keys: [] }, { name, type: other.type, change: "added", keys: [] });
      continue;
    }
    if (!other) {
      changes.push({ name, type: r.type, change: "removed", keys: [] });
      continue;
    }
    const keys = [...new Set([...Object.keys(r.inputs), ...Object.keys(other.inputs)])].filter(
      (k) => JSON.stringify(r.inputs[k]) !== JSON.stringify(other.inputs[k]),
    );
    if (keys.length > 0 || r.parent !== other.parent) changes.push({ name, type: r.type, change: "changed", keys });
  }
  for (const [name, r] of b) if (!a.has(name)) changes.push({ name, type: r.type, change: "added", keys: [] });
  return changes.sort((x, y) => x.name.localeCompare(y.name));
}
