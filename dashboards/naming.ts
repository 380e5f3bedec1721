/**
 * OpenTelemetry instrument -> Prometheus metric name, as the collector's Prometheus remote-write
 * exporter writes it with its default translation (suffixes added, legacy character set).
 *
 * The rules mirror the OTel "Prometheus and OpenMetrics compatibility" spec as implemented by
 * `github.com/prometheus/otlptranslator` (normalizeName / buildUnitSuffixes), which the exporter
 * uses: dashboards and alerts must name exactly what lands in the backend, or they show nothing.
 */

export type InstrumentKind = "counter" | "updowncounter" | "gauge" | "histogram";

export interface InstrumentRef {
  /** Full OTel instrument name, e.g. `scotty.http.requests`. */
  name: string;
  kind: InstrumentKind;
  /** UCUM unit as given to the OTel SDK (`s`, `By`, `{request}`, `By/s`, `1`, ...). */
  unit: string;
}

/** UCUM "main" units -> Prometheus base-unit words (the spec's table; unknown units pass through). */
const UNIT_WORDS: Readonly<Record<string, string>> = {
  d: "days",
  h: "hours",
  min: "minutes",
  s: "seconds",
  ms: "milliseconds",
  us: "microseconds",
  ns: "nanoseconds",
  By: "bytes",
  KiBy: "kibibytes",
  MiBy: "mebibytes",
  GiBy: "gibibytes",
  TiBy: "tibibytes",
  KBy: "kilobytes",
  MBy: "megabytes",
  GBy: "gigabytes",
  TBy: "terabytes",
  m: "meters",
  V: "volts",
  A: "amperes",
  J: "joules",
  W: "watts",
  g: "grams",
  Cel: "celsius",
  Hz: "hertz",
  // Dimensionless: no unit word; gauges get `_ratio` instead (see below).
  "1": "",
  "%": "percent",
};

/** The denominator of `x/y` units is singular: `By/s` -> `bytes_per_second`. */
const PER_UNIT_WORDS: Readonly<Record<string, string>> = {
  s: "second",
  m: "minute",
  h: "hour",
  d: "day",
  w: "week",
  mo: "month",
  y: "year",
};

/** Characters outside the legacy metric-name set split the name into tokens. */
const NOT_NAME_CHAR = /[^a-zA-Z0-9:]+/;

function nameTokens(value: string): string[] {
  return value.split(NOT_NAME_CHAR).filter((t) => t !== "");
}

/** A unit word may itself hold invalid characters (unknown units pass through): make it name-safe. */
function cleanUnit(word: string): string {
  return word
    .replace(/[^a-zA-Z0-9:]/g, "_")
    .replace(/_+/g, "_")
    .replace(/^_/, "");
}

/** Annotations in braces (`{request}`) carry no unit: they never produce a suffix. */
function unitWord(part: string | undefined, table: Readonly<Record<string, string>>): string {
  const trimmed = (part ?? "").trim();
  if (trimmed === "" || /[{}]/.test(trimmed)) return "";
  return table[trimmed] ?? trimmed;
}

/** Main and "per" unit suffix words, e.g. `By/s` -> [`bytes`, `per_second`]. */
export function unitSuffixes(unit: string): { main: string; per: string } {
  const slash = unit.indexOf("/");
  const mainPart = slash === -1 ? unit : unit.slice(0, slash);
  const perPart = slash === -1 ? undefined : unit.slice(slash + 1);
  const main = cleanUnit(unitWord(mainPart, UNIT_WORDS));
  const perWord = unitWord(perPart, PER_UNIT_WORDS);
  const per = perWord === "" ? "" : cleanUnit(`per_${perWord}`).replace(/_$/, "");
  return { main, per };
}

/**
 * The Prometheus name of an instrument's series (for histograms: the base name to which
 * `_bucket`, `_sum` and `_count` are appended).
 *
 * Unit words are skipped when the name already contains them as a token (`process.cpu.seconds`
 * unit `s` stays `process_cpu_seconds`): the translator checks containment, not only the end, so
 * "already ends with it" is the common case of a broader rule.
 */
export function prometheusName(metric: InstrumentRef): string {
  let tokens = nameTokens(metric.name);
  const { main: rawMain, per } = unitSuffixes(metric.unit);
  // Mirrors the translator: a dangling `_` of the main word only matters before a "per" word.
  const main = per === "" ? rawMain : rawMain.replace(/_$/, "");
  if (main !== "" && !tokens.includes(main)) tokens.push(main);
  if (per !== "" && !tokens.includes(per)) tokens.push(per);

  // `_total` marks monotonic sums only; an existing `total` token moves to the end so it is never doubled.
  if (metric.kind === "counter") tokens = [...tokens.filter((t) => t !== "total"), "total"];
  // Only gauges get `_ratio`: receivers misuse unit "1" for counts of things, so the translator
  // limits the suffix to gauges (non-monotonic sums, i.e. up-down counters, do not get it).
  if (metric.kind === "gauge" && metric.unit === "1") tokens = [...tokens.filter((t) => t !== "ratio"), "ratio"];

  const joined = tokens.join("_");
  if (joined === "") {
    throw new Error(`prometheusName: instrument name ${JSON.stringify(metric.name)} has no valid characters`);
  }
  // A Prometheus name cannot start with a digit.
  return /^[0-9]/.test(joined) ? `_${joined}` : joined;
}

/** Every series name an instrument produces in the backend. */
export function seriesNames(metric: InstrumentRef): string[] {
  const base = prometheusName(metric);
  return metric.kind === "histogram" ? [`${base}_bucket`, `${base}_sum`, `${base}_count`] : [base];
}

/** OTel attribute key -> Prometheus label name (dots and other invalid characters become `_`). */
export function prometheusLabel(attribute: string): string {
  const label = attribute.replace(/[^a-zA-Z0-9_]/g, "_");
  if (/^[0-9]/.test(label)) return `key_${label}`;
  // A single leading `_` is prefixed; `__` stays reserved for Prometheus' own labels.
  if (label.startsWith("_") && !label.startsWith("__")) return `key${label}`;
  return label;
}

/** Grafana uids: at most 40 characters of `[a-zA-Z0-9_-]`. */
export const GRAFANA_UID_MAX = 40;

/**
 * A readable, stable Grafana uid from parts. Too-long uids keep a readable head and end in a
 * short hash of the whole, so two long names never collide by truncation.
 */
export function grafanaUid(...parts: string[]): string {
  const full = parts
    .join("-")
    .replace(/[^a-zA-Z0-9_-]+/g, "-")
    .replace(/-+/g, "-")
    .replace(/^-|-$/g, "");
  if (full.length <= GRAFANA_UID_MAX) return full;
  const hash = fnv1a32(full).toString(16).padStart(8, "0");
  return `${full.slice(0, GRAFANA_UID_MAX - hash.length - 1).replace(/-$/, "")}-${hash}`;
}

/** FNV-1a: tiny, deterministic, dependency-free; only used to disambiguate truncated uids. */
function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** Human title of an app name: `scotty` -> `Scotty`, `my-app` -> `My App`. */
export function displayName(appName: string): string {
  return appName
    .split(/[-_]+/)
    .filter((w) => w !== "")
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join(" ");
}
