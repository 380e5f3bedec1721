import { httpHealthcheck } from "./healthcheck";
import { toYaml } from "./serialize";
import type { Secret, TlsMode } from "../settings";
import { NOBODY_UID, SECRET_NAMES } from "../settings/names";
import type { PathMatch, RoutePaths, RoutePlan, SecretSource, ServicePlan } from "./types";

export const TRAEFIK_STATIC_PATH = "/etc/traefik/traefik.yml";
/** The file provider reads every file here: the routes and (TLS from files) the certificates. */
export const TRAEFIK_DYNAMIC_DIR = "/etc/traefik/dynamic";
export const TRAEFIK_DYNAMIC_ROUTES_PATH = `${TRAEFIK_DYNAMIC_DIR}/routes.yml`;
export const TRAEFIK_DYNAMIC_TLS_PATH = `${TRAEFIK_DYNAMIC_DIR}/tls.yml`;
/** `admin:<bcrypt>`, a secret file (basicAuth.usersFile), never part of the rendered routes. */
export const TRAEFIK_BASIC_AUTH_USERS_PATH = "/etc/traefik/secrets/basic-auth-users";
export const TRAEFIK_CERT_PATH = "/etc/traefik/certs/tls.crt";
export const TRAEFIK_KEY_PATH = "/etc/traefik/certs/tls.key";
export const TRAEFIK_ACME_PATH = "/letsencrypt/acme.json";
export const CERT_RESOLVER = "letsencrypt";
/** The CA a TLS-speaking service (the collector with ingest TLS) is verified with: public, a plain file. */
export const TRAEFIK_UPSTREAM_CA_DIR = "/etc/traefik/upstream-ca";

export interface RoutingInput {
  environment: string;
  domain: string;
  /** The network Traefik reaches the services on. */
  network: string;
  tls: TlsMode;
}

export const routerName = (environment: string, role: string) => `${environment}-${role}`;
export const basicAuthMiddleware = (environment: string) => `${environment}-basic-auth`;

export function hostFor(route: Pick<RoutePlan, "subdomain">, domain: string): string {
  return `${route.subdomain}.${domain}`;
}

const matcher = (m: PathMatch): string => {
  const [kind, value] = "exact" in m ? ["Path", m.exact] : "prefix" in m ? ["PathPrefix", m.prefix] : ["PathRegexp", m.regexp];
  if (value.includes("`")) throw new Error(`a route path must not contain a backtick: ${value}`);
  return `${kind}(\`${value}\`)`;
};

/**
 * The router rule: the host, and (when the route names them) only the paths it lets through.
 * Traefik cleans `..` and `//` out of a path before matching (entryPoints.*.http.sanitizePath,
 * on by default in v3), so a listed prefix cannot be walked out of.
 */
export function routeRule(host: string, paths?: RoutePaths): string {
  const hostRule = `Host(\`${host}\`)`;
  if (!paths) return hostRule;
  const list = "allow" in paths ? paths.allow : paths.deny;
  if (list.length === 0) throw new Error("a route's path list is empty");
  const any = list.map(matcher).join(" || ");
  return "allow" in paths ? `${hostRule} && (${any})` : `${hostRule} && !(${any})`;
}

export function publicUrl(route: Pick<RoutePlan, "subdomain">, input: Pick<RoutingInput, "domain" | "tls">): string {
  return `${input.tls === "none" ? "http" : "https"}://${hostFor(route, input.domain)}`;
}

/**
 * traefik.mode external: Docker labels on the stack's gateway (its own Traefik, unpublished) that
 * make the existing Traefik route each host to it. The gateway does the rest (paths, basic auth
 * from a secret file), so the external Traefik's shared network holds the gateway and nothing else
 * of the stack, and no label carries a credential.
 */
export function gatewayLabels(input: RoutingInput, routes: Pick<TraefikRoute, "role" | "subdomain">[]): Record<string, string> {
  const labels: Record<string, string> = { "traefik.enable": "true", "traefik.docker.network": input.network };
  for (const route of routes) {
    const router = routerName(input.environment, route.role);
    const prefix = `traefik.http.routers.${router}`;
    labels[`${prefix}.rule`] = `Host(\`${hostFor(route, input.domain)}\`)`;
    labels[`${prefix}.entrypoints`] = input.tls === "none" ? "web" : "websecure";
    labels[`${prefix}.service`] = gatewayServiceName(input.environment);
    if (input.tls !== "none") labels[`${prefix}.tls`] = "true";
    if (input.tls === "acme") labels[`${prefix}.tls.certresolver`] = CERT_RESOLVER;
  }
  labels[`traefik.http.services.${gatewayServiceName(input.environment)}.loadbalancer.server.port`] = String(portOf(TRAEFIK_ADDRESSES.web));
  return labels;
}

const gatewayServiceName = (environment: string) => `${environment}-gateway`;

export interface TraefikStaticInput extends RoutingInput {
  acmeEmail?: string;
  dashboard: boolean;
  /**
   * The host port HTTPS is published on (exposure.ports.https): HTTP redirects there, not to the
   * entrypoint's port inside the container (8443).
   */
  publicHttpsPort?: number;
  /** Entrypoint addresses; tests run the real Traefik on free loopback ports. */
  addresses?: { web: string; websecure: string; ping: string };
}

/**
 * Unprivileged ports inside the container (published as the host's 80/443): Traefik then runs as
 * nobody with no capability at all, instead of root with CAP_NET_BIND_SERVICE.
 */
export const TRAEFIK_ADDRESSES = { web: ":8000", websecure: ":8443", ping: "127.0.0.1:8082" } as const;
/** nobody: owns nothing in the image; reads the uploaded (0644) files, writes only the ACME volume. */
export const TRAEFIK_UID = NOBODY_UID;
const portOf = (address: string) => Number(address.slice(address.lastIndexOf(":") + 1));

/** Traefik's static config when the program runs Traefik itself. */
export function renderTraefikStatic(input: TraefikStaticInput): string {
  const tls = input.tls !== "none";
  const addresses = input.addresses ?? TRAEFIK_ADDRESSES;
  return toYaml({
    global: { checkNewVersion: false, sendAnonymousUsage: false },
    log: { level: "INFO", format: "json" },
    accessLog: { format: "json" },
    ping: { entryPoint: "ping" },
    api: { dashboard: input.dashboard, insecure: false },
    entryPoints: {
      web: {
        address: addresses.web,
        ...(tls
          ? {
              http: {
                redirections: {
                  entryPoint: { to: input.publicHttpsPort ? `:${input.publicHttpsPort}` : "websecure", scheme: "https", permanent: true },
                },
              },
            }
          : {}),
      },
      ...(tls ? { websecure: { address: addresses.websecure, http: { tls: {} } } } : {}),
      // Health probe only; never published.
      ping: { address: addresses.ping },
    },
    // Every route is known at deploy time and rendered into the file provider's directory: no
    // Docker socket (root-equivalent even read-only), and no route that depends on Traefik seeing a
    // container's "healthy" event (missed once, Grafana stayed unrouted for minutes after `up`).
    providers: { file: { directory: TRAEFIK_DYNAMIC_DIR, watch: false } },
    ...(input.tls === "acme"
      ? {
          certificatesResolvers: {
            [CERT_RESOLVER]: {
              acme: { email: input.acmeEmail, storage: TRAEFIK_ACME_PATH, httpChallenge: { entryPoint: "web" } },
            },
          },
        }
      : {}),
  });
}

/** File-provider TLS: the certificate and key are uploaded as secret files at these paths. */
export function renderTraefikTlsDynamic(): string {
  return toYaml({
    tls: {
      stores: { default: { defaultCertificate: { certFile: TRAEFIK_CERT_PATH, keyFile: TRAEFIK_KEY_PATH } } },
      certificates: [{ certFile: TRAEFIK_CERT_PATH, keyFile: TRAEFIK_KEY_PATH }],
      options: { default: { minVersion: "VersionTLS12" } },
    },
  });
}

/** One UI Traefik routes by host name: to a stack service (its alias and port) or to Traefik's own API. */
export type TraefikRoute = Omit<RoutePlan, "port"> & { role: string } & ({ port: number } | { internalService: string });

/** Where a route's upstream TLS CA is uploaded (one file per routed role). */
export const upstreamCaPath = (role: string) => `${TRAEFIK_UPSTREAM_CA_DIR}/${role}.crt`;

/**
 * The file provider's routers, services and middlewares for the program's own Traefik: what the
 * Docker labels say in external mode, rendered as one file. Services are reached by their alias on
 * the stack network.
 */
export function renderTraefikRoutes(input: RoutingInput, routes: TraefikRoute[], basicAuth: boolean): string {
  const routers: Record<string, unknown> = {};
  const services: Record<string, unknown> = {};
  const transports: Record<string, unknown> = {};
  for (const route of routes) {
    const name = routerName(input.environment, route.role);
    routers[name] = {
      rule: routeRule(hostFor(route, input.domain), route.paths),
      entryPoints: [input.tls === "none" ? "web" : "websecure"],
      service: "port" in route ? name : route.internalService,
      ...(input.tls === "files" ? { tls: {} } : input.tls === "acme" ? { tls: { certResolver: CERT_RESOLVER } } : {}),
      ...(route.protectWithBasicAuth && basicAuth ? { middlewares: [basicAuthMiddleware(input.environment)] } : {}),
    };
    if (!("port" in route)) continue;
    const scheme = route.upstreamTls ? "https" : "http";
    services[name] = {
      loadBalancer: {
        servers: [{ url: `${scheme}://${route.role}:${route.port}` }],
        ...(route.upstreamTls ? { serversTransport: name } : {}),
      },
    };
    // Verified, never skipped: the service's certificate must chain to its CA and name serverName.
    if (route.upstreamTls) transports[name] = { serverName: route.upstreamTls.serverName, rootCAs: [route.upstreamTls.caFile] };
  }
  if (!basicAuth && routes.some((r) => !("port" in r))) throw new Error("Traefik's own API is only routed behind basic auth");
  const protectedRoutes = routes.some((r) => r.protectWithBasicAuth);
  return toYaml({
    http: {
      routers,
      ...(Object.keys(services).length > 0 ? { services } : {}),
      ...(Object.keys(transports).length > 0 ? { serversTransports: transports } : {}),
      ...(basicAuth && protectedRoutes
        ? { middlewares: { [basicAuthMiddleware(input.environment)]: { basicAuth: { usersFile: TRAEFIK_BASIC_AUTH_USERS_PATH } } } }
        : {}),
    },
  });
}

export function traefikServicePlan(input: {
  image: string;
  memoryMb: number;
  config: TraefikStaticInput;
  /** files mode: the certificate and key from config. */
  tlsFiles?: { certificate: Secret; key: Secret };
  /** The UIs to route (file provider). */
  routes: TraefikRoute[];
  /** The users file for basic auth, when the stack has it. */
  basicAuthUsers?: SecretSource;
  /** CA certificates (public) of the routes whose service speaks TLS, by route role. */
  upstreamCas?: Record<string, string>;
}): ServicePlan {
  for (const route of input.routes) {
    if (route.upstreamTls && input.upstreamCas?.[route.role] === undefined)
      throw new Error(`route ${route.role}: no CA for its upstream TLS`);
  }
  if ((input.config.tls === "files") !== (input.tlsFiles !== undefined)) throw new Error("TLS files are given exactly in files mode");
  const { config } = input;
  return {
    role: "traefik",
    image: input.image,
    command: [`--configFile=${TRAEFIK_STATIC_PATH}`],
    env: {},
    memoryMb: input.memoryMb,
    user: `${TRAEFIK_UID}:${TRAEFIK_UID}`,
    ports: [
      { name: "http", internal: portOf(TRAEFIK_ADDRESSES.web) },
      ...(config.tls !== "none" ? [{ name: "https", internal: portOf(TRAEFIK_ADDRESSES.websecure) }] : []),
    ],
    volumes:
      config.tls === "acme" ? [{ name: "acme", containerPath: TRAEFIK_ACME_PATH.replace(/\/[^/]+$/, ""), ownerUid: TRAEFIK_UID }] : [],
    // No Docker socket: routes come from the rendered file (renderTraefikRoutes).
    hostMounts: [],
    files: [
      { path: TRAEFIK_STATIC_PATH, content: renderTraefikStatic(config) },
      { path: TRAEFIK_DYNAMIC_ROUTES_PATH, content: renderTraefikRoutes(config, input.routes, input.basicAuthUsers !== undefined) },
      ...(config.tls === "files" ? [{ path: TRAEFIK_DYNAMIC_TLS_PATH, content: renderTraefikTlsDynamic() }] : []),
      ...Object.entries(input.upstreamCas ?? {}).map(([role, content]) => ({ path: upstreamCaPath(role), content })),
    ],
    secretFiles: [
      ...(input.tlsFiles
        ? [
            { path: TRAEFIK_CERT_PATH, secret: SECRET_NAMES.tlsCertificate, value: input.tlsFiles.certificate },
            { path: TRAEFIK_KEY_PATH, secret: SECRET_NAMES.tlsKey, value: input.tlsFiles.key },
          ]
        : []),
      ...(input.basicAuthUsers ? [{ path: TRAEFIK_BASIC_AUTH_USERS_PATH, secret: "basicAuthUsers", value: input.basicAuthUsers }] : []),
    ],
    // Unprivileged ports, so no capability at all (it was CAP_NET_BIND_SERVICE for :80/:443 as root).
    capabilities: [],
    // busybox wget against the ping entrypoint, not `traefik healthcheck`: that starts a second
    // ~100 MB Traefik process inside the container's own memory limit (64 MB in the small tier) every
    // interval; under memory pressure on a busy host it outlived the timeout until Pulumi's wait gave up.
    healthcheck: httpHealthcheck(portOf(TRAEFIK_ADDRESSES.ping), "/ping"),
  };
}
