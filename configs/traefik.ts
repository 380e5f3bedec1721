import { httpHealthcheck } from "./healthcheck";
import { toYaml } from "./serialize";
import type { Secret, TlsMode } from "../settings";
import { NOBODY_UID, SECRET_NAMES } from "../settings/names";
import type { RoutePlan, SecretSource, ServicePlan } from "./types";

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

export interface RoutingInput {
  environment: string;
  domain: string;
  /** The network Traefik reaches the services on. */
  network: string;
  tls: TlsMode;
}

export const routerName = (environment: string, role: string) => `${environment}-${role}`;
export const basicAuthMiddleware = (environment: string) => `${environment}-basic-auth`;
/** Label carrying the bcrypt users list; its value is a secret the component fills in. */
export const basicAuthUsersLabel = (environment: string) => `traefik.http.middlewares.${basicAuthMiddleware(environment)}.basicauth.users`;

export function hostFor(route: Pick<RoutePlan, "subdomain">, domain: string): string {
  return `${route.subdomain}.${domain}`;
}

export function publicUrl(route: Pick<RoutePlan, "subdomain">, input: Pick<RoutingInput, "domain" | "tls">): string {
  return `${input.tls === "none" ? "http" : "https"}://${hostFor(route, input.domain)}`;
}

/** Docker labels that make an external Traefik route `<subdomain>.<domain>` to this container. */
export function routerLabels(input: RoutingInput, role: string, route: RoutePlan, basicAuth: boolean): Record<string, string> {
  const router = routerName(input.environment, role);
  const prefix = `traefik.http.routers.${router}`;
  const labels: Record<string, string> = {
    "traefik.enable": "true",
    "traefik.docker.network": input.network,
    [`${prefix}.rule`]: `Host(\`${hostFor(route, input.domain)}\`)`,
    [`${prefix}.entrypoints`]: input.tls === "none" ? "web" : "websecure",
    [`${prefix}.service`]: router,
    [`traefik.http.services.${router}.loadbalancer.server.port`]: String(route.port),
  };
  if (input.tls !== "none") labels[`${prefix}.tls`] = "true";
  if (input.tls === "acme") labels[`${prefix}.tls.certresolver`] = CERT_RESOLVER;
  if (route.protectWithBasicAuth && basicAuth) labels[`${prefix}.middlewares`] = `${basicAuthMiddleware(input.environment)}@docker`;
  return labels;
}

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

/**
 * The file provider's routers, services and middlewares for the program's own Traefik: what the
 * Docker labels say in external mode, rendered as one file. Services are reached by their alias on
 * the stack network.
 */
export function renderTraefikRoutes(input: RoutingInput, routes: TraefikRoute[], basicAuth: boolean): string {
  const routers: Record<string, unknown> = {};
  const services: Record<string, unknown> = {};
  for (const route of routes) {
    const name = routerName(input.environment, route.role);
    routers[name] = {
      rule: `Host(\`${hostFor(route, input.domain)}\`)`,
      entryPoints: [input.tls === "none" ? "web" : "websecure"],
      service: "port" in route ? name : route.internalService,
      ...(input.tls === "files" ? { tls: {} } : input.tls === "acme" ? { tls: { certResolver: CERT_RESOLVER } } : {}),
      ...(route.protectWithBasicAuth && basicAuth ? { middlewares: [basicAuthMiddleware(input.environment)] } : {}),
    };
    if ("port" in route) services[name] = { loadBalancer: { servers: [{ url: `http://${route.role}:${route.port}` }] } };
  }
  if (!basicAuth && routes.some((r) => !("port" in r))) throw new Error("Traefik's own API is only routed behind basic auth");
  const protectedRoutes = routes.some((r) => r.protectWithBasicAuth);
  return toYaml({
    http: {
      routers,
      ...(Object.keys(services).length > 0 ? { services } : {}),
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
}): ServicePlan {
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
