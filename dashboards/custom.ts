import * as fs from "node:fs";
import * as path from "node:path";

/**
 * Users' own dashboards: every `*.json` below `root` (sub-folders become Grafana folders), read at
 * the program's edge (index.ts) and provisioned next to the generated ones. A file that is not
 * JSON fails the program before anything is created.
 */
export function readUserDashboards(root: string): { path: string; json: string }[] {
  if (!fs.existsSync(root)) return [];
  const found: { path: string; json: string }[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith(".json")) {
        const json = fs.readFileSync(full, "utf8");
        try {
          JSON.parse(json);
        } catch (error) {
          throw new Error(`dashboards/custom: ${path.relative(root, full)} is not valid JSON: ${(error as Error).message}`);
        }
        found.push({ path: path.relative(root, full).split(path.sep).join("/"), json });
      }
    }
  };
  walk(root);
  return found;
}
