import * as yaml from "js-yaml";

/**
 * YAML for a rendered config: deterministic, no anchors, no folding (diffs stay line-for-line).
 * The JSON round trip drops `undefined` fields and throws on a Secret (its toJSON refuses).
 */
export function toYaml(value: unknown): string {
  return yaml.dump(JSON.parse(JSON.stringify(value)), { noRefs: true, sortKeys: false, lineWidth: -1 });
}

/**
 * Grafana expands `$VAR` and `${VAR}` in provisioning YAML; a literal `$` must be `$$`.
 * Apply to values that are meant literally (link URLs, queries), never to `$__file{…}`.
 */
export function grafanaLiteral(text: string): string {
  return text.replace(/\$/g, "$$$$");
}
