/** What every bench script does with its result: save it as JSON, and write its section of docs/BENCHMARKS.md. */
import * as fs from "node:fs";
import * as path from "node:path";

/** Saved formatted as the repo's prettier config wants it: `npm run format:check` covers bench/results too. */
export async function saveJson(file: string, data: unknown): Promise<void> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const prettier = await import("prettier");
  const options = (await prettier.resolveConfig(file)) ?? {};
  fs.writeFileSync(file, await prettier.format(JSON.stringify(data), { ...options, filepath: file }));
}

/**
 * `doc` with the part between `begin` and `end` (markers included) replaced by `section`; without the
 * markers, the section goes before the first occurrence of `before` when given and present, else at the end.
 */
export function withSection(doc: string, begin: string, end: string, section: string, before?: string): string {
  const start = doc.indexOf(begin);
  const stop = doc.indexOf(end);
  if (start >= 0 && stop > start) return doc.slice(0, start) + section + doc.slice(stop + end.length);
  const at = before === undefined ? -1 : doc.indexOf(before);
  return at >= 0 ? `${doc.slice(0, at).trimEnd()}\n\n${section}\n\n${doc.slice(at).trimStart()}` : `${doc.trimEnd()}\n\n${section}\n`;
}
