import * as fs from "node:fs";
import * as path from "node:path";

/** What the user dashboards' reader refuses, naming the file (relative to the folder) and never its content. */
export class UserDashboardError extends Error {
  constructor(file: string, problem: string) {
    super(`dashboards/custom: ${file} ${problem}`);
    this.name = "UserDashboardError";
  }
}

/**
 * Where a JSON syntax error is, as line and column: V8's own message may quote the text around it
 * (`Unexpected token ' ', "{"a": tru secret}" is not valid JSON`), and a dashboard can hold a
 * datasource password, so only the position is reported.
 */
function jsonErrorLocation(text: string, error: unknown): string {
  const position = /at position (\d+)/.exec(error instanceof Error ? error.message : "");
  if (!position) return "";
  const before = text.slice(0, Number(position[1]));
  const line = before.split("\n").length;
  return ` at line ${line}, column ${before.length - before.lastIndexOf("\n")}`;
}

/**
 * Users' own dashboards: every `*.json` below `root` (sub-folders become Grafana folders), read at
 * the program's edge (deploy/program.ts) and provisioned next to the generated ones. A file that is
 * not JSON fails the program before anything is created. A symbolic link is followed only when it
 * stays inside `root` (the folder sits in the repository: a link must not upload a file from
 * elsewhere on the machine); a directory whose name ends in `.json` is a folder like any other;
 * anything but a regular file or a directory is refused.
 */
export function readUserDashboards(root: string): { path: string; json: string }[] {
  if (!fs.existsSync(root)) return [];
  const realRoot = fs.realpathSync(root);
  const found: { path: string; json: string }[] = [];
  const visited = new Set<string>();
  const inside = (real: string) => real === realRoot || real.startsWith(`${realRoot}${path.sep}`);
  // Every folder is walked by its real path, so a link inside the folder is read once.
  const walk = (dir: string) => {
    if (visited.has(dir)) return;
    visited.add(dir);
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, entry.name);
      const relative = path.relative(realRoot, full).split(path.sep).join("/");
      let target = full;
      if (entry.isSymbolicLink()) {
        let real: string;
        try {
          real = fs.realpathSync(full);
        } catch {
          throw new UserDashboardError(
            relative,
            "is a symbolic link to nothing (its target does not exist); allowed: files inside dashboards/custom",
          );
        }
        if (!inside(real)) {
          throw new UserDashboardError(
            relative,
            "is a symbolic link to a path outside dashboards/custom, which would upload a file from elsewhere on this machine; allowed: files and links inside dashboards/custom",
          );
        }
        target = real;
      }
      const stat = fs.statSync(target);
      if (stat.isDirectory()) {
        walk(target);
        continue;
      }
      if (!entry.name.endsWith(".json")) continue;
      if (!stat.isFile()) {
        throw new UserDashboardError(relative, "is not a regular file (a device, pipe or socket); allowed: a JSON file");
      }
      const json = fs.readFileSync(target, "utf8");
      try {
        JSON.parse(json);
      } catch (error) {
        throw new UserDashboardError(
          relative,
          `is not valid JSON${jsonErrorLocation(json, error)}; allowed: a dashboard JSON file (Grafana's export)`,
        );
      }
      found.push({ path: relative, json });
    }
  };
  walk(realRoot);
  return found;
}
