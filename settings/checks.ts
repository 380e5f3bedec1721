/**
 * Pure checks the settings schema runs on single values: image references, IPv4 subnets, exporter
 * URLs. Each returns what is wrong (to put in the message) or nothing; the schema decides the key.
 */

/** Image tags that are moved to new builds, so they pin nothing (also with a suffix: `latest-alpine`). */
export const MOVING_TAGS = [
  "latest",
  "main",
  "master",
  "dev",
  "develop",
  "edge",
  "nightly",
  "stable",
  "lts",
  "head",
  "canary",
  "rolling",
] as const;

const DIGEST = /@sha256:[a-f0-9]{64}$/;

/** Why an image reference is not pinned, or undefined when it is (a version-like tag or a digest). */
export function unpinnedImage(ref: string): string | undefined {
  if (DIGEST.test(ref)) return undefined;
  // A registry host may carry a port (`mirror:5000/grafana/grafana:12.3.0`): the tag follows the last '/'.
  const tag = ref.slice(ref.lastIndexOf("/") + 1).split(":")[1];
  if (tag === undefined || tag === "") return "it has no tag";
  const first = tag.toLowerCase().split(/[-_.]/)[0]!;
  if ((MOVING_TAGS as readonly string[]).includes(first)) return `tag '${tag}' moves to new builds`;
  if (!/\d/.test(tag)) return `tag '${tag}' has no version number`;
  return undefined;
}

/** IPv4 address as an unsigned 32-bit number. */
export function ipv4Number(ip: string): number {
  return ip.split(".").reduce((n, octet) => n * 256 + Number(octet), 0);
}

function ipv4Text(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");
}

/** Ranges a Docker bridge subnet must not overlap: the host routes them elsewhere or nowhere. */
export const RESERVED_IPV4_RANGES: readonly { cidr: string; what: string }[] = [
  { cidr: "0.0.0.0/8", what: "'this network'" },
  { cidr: "127.0.0.0/8", what: "loopback" },
  { cidr: "169.254.0.0/16", what: "link-local" },
  { cidr: "224.0.0.0/4", what: "multicast" },
  { cidr: "240.0.0.0/4", what: "reserved (class E and broadcast)" },
];

function range(cidr: string): { start: number; size: number } {
  const [ip, bits] = cidr.split("/") as [string, string];
  const size = 2 ** (32 - Number(bits));
  return { start: Math.floor(ipv4Number(ip) / size) * size, size };
}

/** The reserved range a well-formed CIDR overlaps, if any. */
export function reservedRangeOf(cidr: string): { cidr: string; what: string } | undefined {
  const a = range(cidr);
  return RESERVED_IPV4_RANGES.find((reserved) => {
    const b = range(reserved.cidr);
    return a.start < b.start + b.size && b.start < a.start + a.size;
  });
}

/** The network address a well-formed CIDR should be written with, when its host bits are set. */
export function networkAddressFor(cidr: string): string | undefined {
  const [ip, bits] = cidr.split("/") as [string, string];
  const { start } = range(cidr);
  return start === ipv4Number(ip) ? undefined : `${ipv4Text(start)}/${bits}`;
}

export function isLoopbackIpv4(ip: string): boolean {
  return ip.split(".")[0] === "127";
}

/**
 * Query parameter names that carry a credential, compared without case, '-' or '_'
 * (`api_key`, `API-KEY`, `apiKey` are one name); also any name ending in one of SECRET_SUFFIXES.
 */
const SECRET_PARAMS = new Set(["apikey", "key", "token", "accesstoken", "password", "secret", "sig", "signature", "auth"]);
const SECRET_SUFFIXES = ["token", "secret", "password", "apikey", "signature"];

/** `new URL` that returns undefined instead of throwing (URL.parse needs Node 22; engines allow 20.6). */
export function parseUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

/**
 * What credential an http(s) URL carries in plain text, or undefined. Only names are returned,
 * never the values: callers put this into error messages.
 */
export function urlCredentials(value: string): string | undefined {
  const url = parseUrl(value);
  if (!url) return undefined;
  if (url.username !== "" || url.password !== "") return "a user name or password before the host (user:pass@)";
  for (const name of url.searchParams.keys()) {
    const bare = name.toLowerCase().replace(/[-_]/g, "");
    if (SECRET_PARAMS.has(bare) || SECRET_SUFFIXES.some((suffix) => bare.endsWith(suffix))) return `the query parameter '${name}'`;
  }
  return undefined;
}

/** True when any string inside `value` (a URL, or an object/array holding one) carries a credential. */
export function containsUrlCredentials(value: unknown): boolean {
  if (typeof value === "string") return urlCredentials(value) !== undefined;
  if (value !== null && typeof value === "object") return Object.values(value).some(containsUrlCredentials);
  return false;
}

/**
 * Hosts a secret may be sent to over plain http: loopback (the collector's own container), and
 * names without a dot, which Docker resolves to containers on the stack network (`mimir:9009`).
 */
export function isLocalHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  if (host === "localhost" || host === "[::1]") return true;
  if (/^\d+\.\d+\.\d+\.\d+$/.test(host)) return isLoopbackIpv4(host);
  return !host.includes(".") && !host.startsWith("[");
}

/**
 * Domains that only ever resolve on the developer's machine: ddev's `*.ddev.site` (public DNS that
 * answers 127.0.0.1) and the names RFC 6761 / RFC 8375 reserve for local use.
 */
export const LOCAL_DOMAIN_SUFFIXES = ["ddev.site", "localhost", "test", "local", "internal", "home.arpa"] as const;

export function isLocalDomain(domain: string): boolean {
  return LOCAL_DOMAIN_SUFFIXES.some((suffix) => domain === suffix || domain.endsWith(`.${suffix}`));
}
