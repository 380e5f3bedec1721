import { httpHealthcheck } from "./backends/contract";
import { toYaml } from "./serialize";
import type { Secret } from "../settings";
import { SECRET_NAMES, STACK_LABEL } from "../settings/names";
import type { RoutePlan, ServicePlan } from "./types";

export const TRAEFIK_STATIC_PATH = "/etc/traefik/traefik.yml";
export const TRAEFIK_DYNAMIC_TLS_PATH = "/etc/traefik/dynamic/tls.yml";
export const TRAEFIK_CERT_PATH = "/etc/traefik/certs/tls.crt";
export const TRAEFIK_KEY_PATH = "/etc/traefik/certs/tls.key";
export const TRAEFIK_ACME_PATH = "/letsencrypt/acme.json";
export const CERT_RESOLVER = "letsencrypt";

export interface RoutingInput {
  environment: string;
  domain: string;
  /** The network Traefik reaches the services on. */
  network: string;
  tls: "none" | "acme" | "files";
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

/**
 * Docker labels that make Traefik route `<subdomain>.<domain>` to this container, or (a route
 * without a port) to one of Traefik's internal services.
 */
export function routerLabels(
  input: RoutingInput,
  role: string,
  route: Omit<RoutePlan, "port"> & ({ port: number } | { internalService: string }),
  basicAuth: boolean,
): Record<string, string> {
  const router = routerName(input.environment, role);
  const prefix = `traefik.http.routers.${router}`;
  const labels: Record<string, string> = {
    "traefik.enable": "true",
    "traefik.docker.network": input.network,
    [`${prefix}.rule`]: `Host(\`${hostFor(route, input.domain)}\`)`,
    [`${prefix}.entrypoints`]: input.tls === "none" ? "web" : "websecure",
    ...("port" in route
      ? { [`${prefix}.service`]: router, [`traefik.http.services.${router}.loadbalancer.server.port`]: String(route.port) }
      : { [`${prefix}.service`]: route.internalService }),
  };
  if (input.tls !== "none") labels[`${prefix}.tls`] = "true";
  if (input.tls === "acme") labels[`${prefix}.tls.certresolver`] = CERT_RESOLVER;
  if (route.protectWithBasicAuth && basicAuth) labels[`${prefix}.middlewares`] = `${basicAuthMiddleware(input.environment)}@docker`;
  return labels;
}

/** Traefik's own dashboard at traefik.<domain> (its `api@internal` service), only ever behind basic auth. */
export function traefikDashboardLabels(input: RoutingInput): Record<string, string> {
  return routerLabels(input, "traefik", { subdomain: "traefik", internalService: "api@internal", protectWithBasicAuth: true }, true);
}

export interface TraefikStaticInput extends RoutingInput {
  acmeEmail?: string;
  dashboard: boolean;
  /** Entrypoint addresses; tests run the real Traefik on free loopback ports. */
  addresses?: { web: string; websecure: string; ping: string };
}

export const TRAEFIK_ADDRESSES = { web: ":80", websecure: ":443", ping: "127.0.0.1:8082" } as const;

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
        ...(tls ? { http: { redirections: { entryPoint: { to: "websecure", scheme: "https", permanent: true } } } } : {}),
      },
      ...(tls ? { websecure: { address: addresses.websecure, http: { tls: {} } } } : {}),
      // Health probe only; never published.
      ping: { address: addresses.ping },
    },
    providers: {
      docker: {
        endpoint: "unix:///var/run/docker.sock",
        exposedByDefault: false,
        network: input.network,
        // Only containers of this stack, even if others on the host carry traefik labels.
        constraints: `Label(\`${STACK_LABEL}\`, \`${input.environment}\`)`,
      },
      ...(input.tls === "files" ? { file: { filename: TRAEFIK_DYNAMIC_TLS_PATH, watch: false } } : {}),
    },
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

export function traefikServicePlan(input: {
  image: string;
  memoryMb: number;
  config: TraefikStaticInput;
  /** files mode: the certificate and key from config. */
  tlsFiles?: { certificate: Secret; key: Secret };
}): ServicePlan {
  if ((input.config.tls === "files") !== (input.tlsFiles !== undefined)) throw new Error("TLS files are given exactly in files mode");
  const { config } = input;
  return {
    role: "traefik",
    image: input.image,
    command: [`--configFile=${TRAEFIK_STATIC_PATH}`],
    env: {},
    memoryMb: input.memoryMb,
    ports: [{ name: "http", internal: 80 }, ...(config.tls !== "none" ? [{ name: "https", internal: 443 }] : [])],
    volumes: config.tls === "acme" ? [{ name: "acme", containerPath: TRAEFIK_ACME_PATH.replace(/\/[^/]+$/, "") }] : [],
    // Read-only stops file writes, not Docker API calls: the socket is root-equivalent. Documented
    // in the README's security notes; a filtering socket proxy is the next step.
    hostMounts: [{ hostPath: "/var/run/docker.sock", containerPath: "/var/run/docker.sock" }],
    files: [
      { path: TRAEFIK_STATIC_PATH, content: renderTraefikStatic(config) },
      ...(config.tls === "files" ? [{ path: TRAEFIK_DYNAMIC_TLS_PATH, content: renderTraefikTlsDynamic() }] : []),
    ],
    secretFiles: input.tlsFiles
      ? [
          { path: TRAEFIK_CERT_PATH, secret: SECRET_NAMES.tlsCertificate, value: input.tlsFiles.certificate },
          { path: TRAEFIK_KEY_PATH, secret: SECRET_NAMES.tlsKey, value: input.tlsFiles.key },
        ]
      : [],
    // Binds :80/:443 as root inside the container; needs nothing else.
    // Spelled as Docker reports it back (CAP_…): "NET_BIND_SERVICE" made every preview after a
    // `pulumi refresh` want to replace the container.
    capabilities: ["CAP_NET_BIND_SERVICE"],
    // busybox wget against the ping entrypoint, not `traefik healthcheck`: that starts a second
    // ~100 MB Traefik process inside the container's own memory limit (64 MB in the small tier) every
    // interval; under memory pressure on a busy host it outlived the timeout until Pulumi's wait gave up.
    healthcheck: httpHealthcheck(Number(TRAEFIK_ADDRESSES.ping.split(":")[1]), "/ping"),
  };
}
