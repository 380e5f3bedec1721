import { createPrivateKey, KeyObject, X509Certificate } from "node:crypto";

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
/** A full version somewhere in the tag: major.minor.patch (`3.5.3`, `v1.151.0`, `12.3.0-ubuntu`, `alpine-3.19.1`). */
const FULL_VERSION = /(^|[^0-9.])v?\d+\.\d+\.\d+(?![0-9])/i;
/** A date-stamped release: `2024-01-15`, `20240115`, `RELEASE.2024-01-15T10-00-00Z`. */
const DATE_STAMP = /(^|\D)(19|20)\d{2}(-?)(0[1-9]|1[0-2])\3(0[1-9]|[12]\d|3[01])(?!\d)/;

/**
 * Why an image reference is not pinned, or undefined when it is: a tag naming one release (a full
 * version or a date stamp, with no moving name in any of its words) or a digest. A major or minor
 * tag (`traefik:v3`, `grafana/grafana:12`, `busybox:1`) is re-pointed at every patch release, and
 * a moving word anywhere (`v1-latest`, `1-main`, `2024-nightly`) at every build.
 */
export function unpinnedImage(ref: string): string | undefined {
  if (DIGEST.test(ref)) return undefined;
  // A registry host may carry a port (`mirror:5000/grafana/grafana:12.3.0`): the tag follows the last '/'.
  const tag = ref.slice(ref.lastIndexOf("/") + 1).split(":")[1];
  if (tag === undefined || tag === "") return "it has no tag";
  const words = tag.toLowerCase().split(/[-_.+]/);
  if (words.some((word) => (MOVING_TAGS as readonly string[]).includes(word))) return `tag '${tag}' moves to new builds`;
  if (!/\d/.test(tag)) return `tag '${tag}' has no version number`;
  if (!FULL_VERSION.test(tag) && !DATE_STAMP.test(tag)) {
    return `tag '${tag}' is not a full version (a major or minor tag is moved to every new release under it)`;
  }
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
  // Docker's default bridge (docker0): a second bridge on it makes the host's routes ambiguous.
  { cidr: "172.17.0.0/16", what: "Docker's default bridge, docker0" },
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

/** Whether two well-formed CIDRs share an address. */
export function cidrsOverlap(a: string, b: string): boolean {
  const x = range(a);
  const y = range(b);
  return x.start < y.start + y.size && y.start < x.start + x.size;
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
 * Why an IPv4 address cannot be a bind address for published ports, or undefined: Docker binds
 * them with a listening socket, which broadcast, multicast and class E addresses cannot take and
 * link-local addresses only take on one interface (and change with it).
 */
export function unusableBindAddress(ip: string): string | undefined {
  const n = ipv4Number(ip);
  const within = (cidr: string) => {
    const r = range(cidr);
    return n >= r.start && n < r.start + r.size;
  };
  if (ip === "255.255.255.255") return "the broadcast address";
  if (within("224.0.0.0/4")) return "a multicast address (224.0.0.0/4)";
  if (within("240.0.0.0/4")) return "a reserved address (240.0.0.0/4)";
  if (within("169.254.0.0/16")) return "a link-local address (169.254.0.0/16)";
  if (within("0.0.0.0/8") && ip !== "0.0.0.0") return "an address in 0.0.0.0/8 ('this network'; 0.0.0.0 itself means every address)";
  return undefined;
}

/**
 * Query or fragment parameter names that carry a credential, compared without case, '-' or '_'
 * (`api_key`, `API-KEY`, `apiKey` are one name); also any name ending in one of SECRET_SUFFIXES.
 */
const SECRET_PARAMS = new Set([
  "apikey",
  "key",
  "token",
  "accesstoken",
  "password",
  "passwd",
  "pwd",
  "secret",
  "sig",
  "signature",
  "auth",
  "authorization",
  "jwt",
  "credential",
  "credentials",
]);
const SECRET_SUFFIXES = [
  "token",
  "secret",
  "password",
  "passwd",
  "apikey",
  "accesskey",
  "privatekey",
  "signature",
  "jwt",
  "credential",
  "credentials",
];

/** `new URL` that returns undefined instead of throwing (URL.parse needs Node 22; engines allow 20.6). */
export function parseUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

/**
 * An absolute URL split as Go's net/url splits it (what the collector does with an endpoint). Unlike
 * WHATWG's `new URL`, Go keeps the host as written: `2130706433` or `0x7f000001` is a name to
 * resolve, not 127.0.0.1, and `;` or `#` are not folded into anything.
 */
export interface GoUrl {
  scheme: string;
  userinfo: string;
  /** Lower case; an IPv6 literal keeps its brackets. */
  host: string;
  port: string;
  path: string;
  /** The text after '?', undefined when there is no '?'. */
  query?: string;
  /** The text after '#', undefined when there is no '#'. */
  fragment?: string;
}

export function parseGoUrl(value: string): GoUrl | undefined {
  const match = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/([^/?#]*)([^?#]*)(?:\?([^#]*))?(?:#([\s\S]*))?$/.exec(value);
  if (!match) return undefined;
  const [, scheme, authority, path, query, fragment] = match as unknown as [string, string, string, string, string?, string?];
  const at = authority.lastIndexOf("@");
  const hostPort = authority.slice(at + 1);
  let host = hostPort;
  let port = "";
  if (hostPort.startsWith("[")) {
    const end = hostPort.indexOf("]");
    host = hostPort.slice(0, end + 1);
    port = hostPort.slice(end + 1).replace(/^:/, "");
  } else if (hostPort.includes(":")) {
    host = hostPort.slice(0, hostPort.lastIndexOf(":"));
    port = hostPort.slice(hostPort.lastIndexOf(":") + 1);
  }
  return {
    scheme: scheme.toLowerCase(),
    userinfo: at >= 0 ? authority.slice(0, at) : "",
    host: host.toLowerCase(),
    port,
    path,
    query,
    fragment,
  };
}

/** Four decimal octets as Go's net.ParseIP reads them (no leading zeros, no other radix). */
const STRICT_IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/**
 * True only for a host that cannot leave the collector's own container: `localhost`, a literal
 * IPv4 address in 127.0.0.0/8 or the IPv6 literal ::1. Any other name goes through DNS, which
 * anything on the network may answer (`metadata`, `mimir`), and numeric forms such as
 * `2130706433` or `0x7f000001` are names to Go, not addresses.
 */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  if (h === "localhost") return true;
  if (STRICT_IPV4.test(h)) return isLoopbackIpv4(h);
  if (h.startsWith("[") && h.endsWith("]")) {
    const inner = h.slice(1, -1);
    if (!/^[0:]*:0*1$/.test(inner)) return false;
    return parseUrl(`http://${h}/`)?.hostname === "[::1]";
  }
  return false;
}

/** `name=value` pairs split on '&' and ';' (servers differ on ';'; Go's ParseQuery rejects it). */
function parameterNames(text: string): string[] {
  return text
    .split(/[&;]/)
    .map((pair) => pair.split("=")[0]!)
    .map((name) => {
      try {
        return decodeURIComponent(name.replace(/\+/g, " "));
      } catch {
        return name;
      }
    })
    .filter((name) => name !== "");
}

/**
 * What credential an http(s) URL carries in plain text, or undefined. Only names are returned,
 * never the values: callers put this into error messages.
 */
export function urlCredentials(value: string): string | undefined {
  const url = parseGoUrl(value);
  if (!url) return undefined;
  if (url.userinfo !== "") return "a user name or password before the host (user:pass@)";
  // `;name=value` in a path segment: matrix parameters, which some servers read as the query.
  const pathParameters = url.path
    .split("/")
    .flatMap((segment) => segment.split(";").slice(1))
    .join("&");
  for (const [where, text] of [
    ["path parameter", pathParameters === "" ? undefined : pathParameters],
    ["query parameter", url.query],
    ["fragment parameter", url.fragment],
  ] as const) {
    if (text === undefined) continue;
    for (const name of parameterNames(text)) {
      const bare = name.toLowerCase().replace(/[-_ ]/g, "");
      if (SECRET_PARAMS.has(bare) || SECRET_SUFFIXES.some((suffix) => bare.endsWith(suffix))) return `the ${where} '${name}'`;
    }
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
 * Domains that resolve to 127.0.0.1 wherever they are looked up: `localhost` and its subdomains
 * (RFC 6761, resolved on the host itself) and ddev's `*.ddev.site` (public DNS that answers
 * 127.0.0.1). Names under `.internal`, `.local`, `.home.arpa`, `.lan`, `.corp` or `.test` resolve on
 * a LAN's DNS, so a stack served at them is as reachable as a public one.
 */
export const LOCAL_DOMAIN_SUFFIXES = ["ddev.site", "localhost"] as const;

export function isLocalDomain(domain: string): boolean {
  return LOCAL_DOMAIN_SUFFIXES.some((suffix) => domain === suffix || domain.endsWith(`.${suffix}`));
}

/** One `-----BEGIN <type>-----` … `-----END <type>-----` block of a PEM text. */
export interface PemBlock {
  type: string;
  text: string;
}

export function pemBlocks(text: string): PemBlock[] {
  return [...text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g)].map((m) => ({ type: m[1]!, text: m[0] }));
}

/** True when a text holds a private key block of any kind (PKCS#8, RSA, EC, encrypted, OpenSSH). */
export function containsPrivateKey(text: string): boolean {
  return /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(text);
}

/** `DNS:a, IP Address:1.2.3.4` (X509Certificate.subjectAltName) as lists; quoted forms are left out. */
export function subjectAltNames(cert: X509Certificate): { dns: string[]; ip: string[] } {
  const names = (cert.subjectAltName ?? "").split(/,\s*/).filter(Boolean);
  return {
    dns: names.filter((n) => n.startsWith("DNS:")).map((n) => n.slice(4).toLowerCase()),
    ip: names.filter((n) => n.startsWith("IP Address:")).map((n) => n.slice(11)),
  };
}

/** Whether a DNS SAN (`*.example.com` covers exactly one more label) covers a host name. */
export function sanCovers(san: string, host: string): boolean {
  if (san.startsWith("*.")) {
    const rest = host.slice(host.indexOf(".") + 1);
    return host.includes(".") && rest === san.slice(2) && !host.slice(0, host.indexOf(".")).includes("*");
  }
  return san === host;
}

/**
 * What is wrong with a server certificate's names for the hosts it serves, or undefined. Clients
 * (browsers, Go) ignore the common name, so only subjectAltNames count; a certificate that did not
 * parse (reported elsewhere) or a stand-in (no names at all) is not judged here.
 */
export function uncoveredHosts(names: { dns: string[]; ip: string[] } | undefined, hosts: string[]): string | undefined {
  if (!names) return undefined;
  if (names.dns.length + names.ip.length === 0) {
    return `has no subjectAltName, and clients (browsers, Go) ignore the common name, so it verifies for no host; allowed: a certificate whose subjectAltNames cover ${hosts.join(", ")}, e.g. DNS:*.${hosts[0]!.slice(hosts[0]!.indexOf(".") + 1)}`;
  }
  const missing = hosts.filter((host) => !names.dns.some((san) => sanCovers(san, host)));
  if (missing.length === 0) return undefined;
  const listed = [...names.dns.map((d) => `DNS:${d}`), ...names.ip.map((i) => `IP:${i}`)].join(", ");
  return `names ${listed}, which does not cover ${missing.join(", ")}, served by Traefik with it (browsers would refuse them); allowed: a certificate whose subjectAltNames cover every UI host, e.g. DNS:*.${missing[0]!.slice(missing[0]!.indexOf(".") + 1)}`;
}

/** Certificates of a PEM text, or what is wrong with it (names block types and numbers, never contents). */
export function parseCertificates(text: string, now: Date, what: string): { certificates: X509Certificate[]; problems: string[] } {
  const blocks = pemBlocks(text);
  const problems: string[] = [];
  const certificates: X509Certificate[] = [];
  if (blocks.length === 0) {
    return {
      certificates,
      problems: [`must be a PEM certificate (-----BEGIN CERTIFICATE-----…), but holds no PEM block; allowed: ${what}`],
    };
  }
  blocks.forEach((block, i) => {
    if (block.type !== "CERTIFICATE") {
      problems.push(`block ${i + 1} is '${block.type}'; allowed: ${what}`);
      return;
    }
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(block.text);
    } catch {
      problems.push(`block ${i + 1} does not parse as an X.509 certificate; allowed: ${what}`);
      return;
    }
    certificates.push(cert);
    if (new Date(cert.validTo).getTime() < now.getTime()) {
      problems.push(
        `certificate ${i + 1} (${cert.subject.replace(/\n/g, ", ")}) expired on ${new Date(cert.validTo).toISOString()}; allowed: a certificate valid now`,
      );
    } else if (new Date(cert.validFrom).getTime() > now.getTime()) {
      problems.push(
        `certificate ${i + 1} (${cert.subject.replace(/\n/g, ", ")}) is not valid before ${new Date(cert.validFrom).toISOString()}; allowed: a certificate valid now`,
      );
    }
  });
  return { certificates, problems };
}

/** The private key of a PEM text, or what is wrong with it (never its contents). */
export function parsePrivateKey(text: string): { key?: KeyObject; problem?: string } {
  const blocks = pemBlocks(text);
  const keys = blocks.filter((b) => b.type.endsWith("PRIVATE KEY"));
  const allowed = "allowed: one unencrypted PEM private key (-----BEGIN PRIVATE KEY-----, RSA or EC PRIVATE KEY)";
  if (keys.length !== 1 || blocks.length !== 1) {
    return { problem: `holds ${blocks.length === 0 ? "no PEM block" : blocks.map((b) => `'${b.type}'`).join(", ")}; ${allowed}` };
  }
  if (keys[0]!.type === "ENCRYPTED PRIVATE KEY") return { problem: `is encrypted, and the collector is given no passphrase; ${allowed}` };
  try {
    return { key: createPrivateKey(keys[0]!.text) };
  } catch {
    return { problem: `does not parse as a private key; ${allowed}` };
  }
}
