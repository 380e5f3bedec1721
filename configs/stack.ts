import { AlertInput, DashboardInput, TRACE_LINK_VALUES, renderAlerting, renderDashboards } from "../dashboards";
import { Settings } from "../settings";
import { isLoopbackIpv4, sanCovers } from "../settings/checks";
import { keepDataOnDelete } from "../settings/data";
import { NETWORK_SUFFIXES, STACK_LABEL } from "../settings/names";
import { Backend, BackendAddressing, BackendPlans, chosenBackends, healthOf, planBackends, registeredBackends } from "./backends";
import {
  COLLECTOR_INTERNAL_ALIAS,
  COLLECTOR_PORTS,
  COLLECTOR_ROLE,
  CollectorConfigInput,
  collectorInputFromSettings,
  collectorProbePlan,
  collectorServicePlan,
  extraExporterPlans,
  INGEST_USER,
} from "./collector";
import { CONTACT_POINT_URL_FILE, GRAFANA_PORT, grafanaEnv, grafanaServicePlan } from "./grafana";
import {
  gatewayLabels,
  hostFor,
  publicUrl,
  RoutingInput,
  TraefikStaticInput,
  traefikServicePlan,
  upstreamCaPath,
  type TraefikRoute,
} from "./traefik";
import { planSwarmStack, SwarmPlan } from "./swarm";
import { DATASOURCE_UIDS, GeneratedSecret, NetworkAttachment, RoutePlan, SecretSource, ServicePlan, ServiceWiring } from "./types";

/**
 * What a network of the stack is for. `ingest`: the one applications join, where only the
 * collector's OTLP ports answer. `backend`: private to the stack (collector, backends, Grafana, the
 * collector's probe); no application and no external Traefik ever joins it. `routing`: Traefik (the
 * program's own, or its gateway for an external one) and exactly the services it routes. `edge`: an
 * external Traefik's network, joined by the gateway alone. `egress`: a way out for Grafana (plugin
 * downloads, contact points) when no routing network gives it one.
 */
export type NetworkPurpose = "ingest" | "backend" | "routing" | "edge" | "egress";

/** One Docker network, as data: a Swarm engine can take the same plan (names, members, internal flag). */
export interface NetworkPlan {
  purpose: NetworkPurpose;
  name: string;
  /** Created and deleted with the stack; false for an external Traefik's network, which it only joins. */
  create: boolean;
  /** Docker's `internal`: no route off the host, so a container only on internal networks reaches nothing outside the stack. */
  internal: boolean;
  /** `overlay` on a Swarm (configs/swarm.ts), spanning every node. */
  driver: "bridge" | "overlay";
  /** Swarm only: plain containers (`docker run --network`) may join it too (the ingest network, for apps). */
  attachable?: boolean;
  subnet?: string;
  labels: Record<string, string>;
  /** The roles (ServicePlan.role) that join it, each under these DNS aliases. */
  members: { role: string; aliases: string[] }[];
}

/** Everything the stack deploys, decided as data from settings. The component only creates it. */
export interface StackPlan {
  /** The network applications join (stack output `networkName`): the ingest network. */
  networkName: string;
  backends: BackendPlans;
  /** The collector's rendered-config input (tests render it again with loopback addresses). */
  collectorConfig: CollectorConfigInput;
  collector: ServicePlan;
  /** The busybox sidecar that probes the collector's health endpoint (its image cannot). */
  collectorProbe: ServicePlan;
  grafana: ServicePlan;
  /** Routing for Traefik (managed or external); undefined when traefik.mode is none. */
  routing?: RoutingInput;
  /** The program's own Traefik (managed: published; external: the unpublished gateway) and its static-config input. */
  traefik?: ServicePlan;
  traefikConfig?: TraefikStaticInput;
  /** Every container of the stack, backends first. */
  services: ServicePlan[];
  /** Public URLs of the UIs Traefik actually routes; a UI that is not routed has none. */
  urls: { grafana?: string; traces?: string; metrics?: string; logs?: string };
  /** The ingest network (the one `networkName` names). */
  network: NetworkPlan;
  /** Every network the stack creates or joins, in the order a container lists them (see NetworkPurpose). */
  networks: NetworkPlan[];
  /**
   * What every container shares: name prefix and stack label value, the host address ports bind to,
   * and whether volumes outlive their deletion (data.keepOnDelete).
   */
  common: { environment: string; bindAddress: string; keepData: boolean };
  /** busybox: run once per data volume that a non-root image mounts, and the carrier of every service's files. */
  initImage: string;
  /** Per role (ServicePlan.role): published ports, labels, networks. */
  wiring: Record<string, ServiceWiring>;
  /**
   * Basic auth in front of the UIs without a login of their own: one generated password, whose
   * bcrypt users file Traefik reads (a secret file; never a label).
   */
  basicAuth?: { user: string; password: GeneratedSecret };
  /** engine swarm: the services' modes, placement and update order, the collector agent (configs/swarm.ts); absent for docker. */
  swarm?: SwarmPlan;
  /** Stack outputs that are plain data (URLs above; passwords are SecretSources). */
  outputs: {
    otlpGrpcEndpoint?: string;
    otlpHttpEndpoint?: string;
    /** OTEL_EXPORTER_OTLP_HEADERS for clients, when the receivers require credentials (a secret). */
    otlpHeaders?: SecretSource;
    /** The CA clients trust for the receivers' TLS (public). */
    otlpCaCertificate?: string;
    grafanaAdminUser: string;
    grafanaAdminPassword: SecretSource;
  };
}

/** Generated when config sets none; exported as a secret output. */
const GRAFANA_ADMIN_PASSWORD: GeneratedSecret = { generate: { name: "grafana-admin-password", length: 32 } };
const BASIC_AUTH_PASSWORD: GeneratedSecret = { generate: { name: "basic-auth-password", length: 24 } };
const BASIC_AUTH_USER = "admin";
/** The OTLP clients' password (user `otlp`), when the receivers require credentials. */
const INGEST_PASSWORD: GeneratedSecret = { generate: { name: "otlp-password", length: 32 } };
/** OTLP/HTTP through the managed Traefik (ingest.route): the collector checks the credentials itself. */
const OTLP_ROUTE: RoutePlan = { subdomain: "otlp", port: COLLECTOR_PORTS.otlpHttp, protectWithBasicAuth: false };
/** The Grafana image's user (grafana/grafana: uid 472); owns its log tmpfs. */
const GRAFANA_UID = 472;
/**
 * Grafana's config file (GF_PATHS_CONFIG). The image ships one with every line commented out; the
 * config volume mounted at /etc/grafana hides it, and Grafana refuses to start when the file it is
 * pointed at is missing, so the plan provides an empty one (settings come from GF_* variables).
 */
const GRAFANA_INI = { path: "/etc/grafana/grafana.ini", content: "; settings come from GF_* environment variables (configs/grafana.ts)\n" };

export interface StackPlanOptions {
  /** Dashboards the user dropped into dashboards/custom (path relative to that folder → JSON). */
  userDashboards?: { path: string; json: string }[];
  addressing?: BackendAddressing;
}

/**
 * What the dashboard and alerting renderers are given for these settings.
 * @param chosen the deployed backends; @default - chosen from the settings
 */
export function rendererInputs(
  settings: Settings,
  logsEnabled: boolean,
  chosen: readonly Backend[] = Object.values(chosenBackends(settings)),
): { dashboards: DashboardInput; alerts: AlertInput } {
  const contact = settings.alerting.contactPoint;
  // What each deployed backend's module says about its own health: the renderers know no backend by name.
  const backends = chosen.flatMap((backend) => healthOf(backend) ?? []);
  // Links from span-metrics series to their traces: the query only the traces backend's module knows.
  const search = chosen.find((backend) => backend.signal === "traces")?.traceSearch;
  const traceSearch = search && {
    service: search({ service: TRACE_LINK_VALUES.service }),
    operation: search({ service: TRACE_LINK_VALUES.service, operation: TRACE_LINK_VALUES.operation }),
  };
  return {
    dashboards: {
      appName: settings.appName,
      metricsUid: DATASOURCE_UIDS.metrics,
      tracesUid: DATASOURCE_UIDS.traces,
      ...(logsEnabled ? { logsUid: DATASOURCE_UIDS.logs } : {}),
      backends,
      ...(settings.traces.spanMetrics.enabled ? { spanMetrics: traceSearch ? { traceSearch } : {} } : {}),
    },
    alerts: {
      appName: settings.appName,
      environment: settings.environment,
      metricsUid: DATASOURCE_UIDS.metrics,
      backends,
      thresholds: settings.alerting.thresholds,
      contactPoint:
        contact.kind === "webhook" || contact.kind === "slack"
          ? { kind: contact.kind, urlFile: CONTACT_POINT_URL_FILE }
          : contact.kind === "email"
            ? { kind: "email", addresses: contact.addresses }
            : { kind: "none" },
    },
  };
}

/** The chosen backends' plans, in signal order. */
type Chosen = BackendPlans[keyof BackendPlans] & object;
const chosenOf = (backends: BackendPlans): Chosen[] => [backends.metrics, backends.traces, ...(backends.logs ? [backends.logs] : [])];

/** The collector: its rendered-config input (every chosen backend's exporter and scrape job, the extras), its container and its probe. */
function planCollector(settings: Settings, backends: BackendPlans) {
  const chosen = chosenOf(backends);
  const config = collectorInputFromSettings(
    settings,
    settings.limits,
    [...chosen.map((c) => c.plan.exporter), ...extraExporterPlans(settings.exporters, backends.logs !== undefined)],
    chosen.flatMap((c) => c.plan.scrape),
  );
  const probe = collectorProbePlan(settings.images.init);
  const ingestTls = settings.ingest.tls.mode === "files" ? settings.ingest.tls : undefined;
  const service = collectorServicePlan({
    image: settings.images.collector,
    // Health and metrics bind to the collector's backend-network alias: on the ingest network only
    // the OTLP ports answer. (plan.collectorConfig stays address-free for the real tiers' re-render.)
    config: { ...config, internalHost: COLLECTOR_INTERNAL_ALIAS },
    extras: settings.exporters,
    ingest: {
      password: config.ingest?.htpasswdFile ? INGEST_PASSWORD : undefined,
      tls: ingestTls ? { certificate: ingestTls.certificate, key: ingestTls.key } : undefined,
    },
  });
  return { config, service, probe, ingestTls };
}

/** Routing for Traefik (managed or external); undefined when traefik.mode is none. */
function planRouting(settings: Settings): RoutingInput | undefined {
  return settings.traefik.mode === "none"
    ? undefined
    : {
        environment: settings.environment,
        domain: settings.domain,
        network: settings.traefik.mode === "external" ? settings.traefik.network! : routingNetworkName(settings),
        tls: settings.traefik.tls.mode,
      };
}

const GRAFANA_ROUTE: RoutePlan = { subdomain: "grafana", port: GRAFANA_PORT, protectWithBasicAuth: false };

/** Grafana: the chosen backends' datasources and plugins, the others' datasources retired, dashboards and alerting. */
function planGrafana(settings: Settings, backends: BackendPlans, routing: RoutingInput | undefined, options: StackPlanOptions) {
  const chosen = chosenOf(backends);
  const inputs = rendererInputs(
    settings,
    backends.logs !== undefined,
    chosen.map((c) => c.backend),
  );
  const alerting = renderAlerting(inputs.alerts);
  const plugins = chosen.flatMap((c) => c.backend.grafanaPlugins);

  const adminPassword: SecretSource = settings.grafana.adminPassword ?? GRAFANA_ADMIN_PASSWORD;
  const contact = settings.alerting.contactPoint;
  const service = grafanaServicePlan({
    image: settings.images.grafana,
    memoryMb: settings.limits.memoryMb.grafana,
    env: grafanaEnv({
      settings,
      rootUrl: routing ? publicUrl(GRAFANA_ROUTE, routing) : `http://localhost:${GRAFANA_PORT}/`,
      tls: settings.traefik.tls.mode !== "none",
      plugins,
    }),
    datasources: chosen.map((c) => c.plan.datasource),
    retiredDatasources: registeredBackends()
      .filter((backend) => !chosen.some((c) => c.backend === backend))
      .map((backend) => backend.displayName),
    dashboards: [
      ...renderDashboards(inputs.dashboards),
      ...(options.userDashboards ?? []).map((d) => ({ path: `custom/${d.path}`, json: d.json })),
    ],
    alerting,
    adminPassword,
    contactPointUrl: contact.kind === "webhook" || contact.kind === "slack" ? contact.url : undefined,
  });
  // Grafana writes its database and plugins to its volume and its log file to /var/log/grafana
  // (Grafana's [paths] data, plugins, logs); the root filesystem is read-only.
  const readOnlyReady: ServicePlan = {
    ...service,
    files: [GRAFANA_INI, ...service.files],
    tmpfs: [...(service.tmpfs ?? []), { path: "/var/log/grafana", uid: GRAFANA_UID, sizeMb: 16 }],
  };
  return { service: readOnlyReady, adminPassword };
}

/** Basic auth in front of the UIs without a login of their own, when routed and asked for. */
function planBasicAuth(settings: Settings, routing: RoutingInput | undefined): StackPlan["basicAuth"] {
  return routing && settings.traefik.basicAuth ? { user: BASIC_AUTH_USER, password: BASIC_AUTH_PASSWORD } : undefined;
}

/**
 * The program's own Traefik: in managed mode the published router; in external mode the stack's
 * gateway (unpublished, plain HTTP inside) that the existing Traefik routes every host to, so
 * nothing else of the stack joins the external Traefik's shared network. Both route from a rendered
 * file: each UI's host, limited to the paths its route lets through, basic auth from a secret file.
 */
function planTraefik(
  settings: Settings,
  routing: RoutingInput | undefined,
  routedServices: ServicePlan[],
  basicAuth: StackPlan["basicAuth"],
  collector: ReturnType<typeof planCollector>,
): { config?: TraefikStaticInput; service?: ServicePlan; routes: TraefikRoute[] } {
  if (!routing) return { routes: [] };
  const external = settings.traefik.mode === "external";
  const tls = settings.traefik.tls;
  const config: TraefikStaticInput = external
    ? // The external Traefik terminates TLS: the gateway listens on its plain `web` entrypoint only.
      { ...routing, network: routingNetworkName(settings), tls: "none", dashboard: false }
    : {
        ...routing,
        acmeEmail: tls.mode === "acme" ? tls.email : undefined,
        dashboard: settings.traefik.dashboard,
        publicHttpsPort: settings.exposure.ports.https,
      };
  // On an external Traefik's shared network (other projects' containers too), a UI without a login
  // of its own is routed only behind basic auth.
  const routable = (service: ServicePlan) => service.route !== undefined && (!external || !service.route.protectWithBasicAuth || basicAuth);
  const ingestTls = collector.ingestTls;
  const routes: TraefikRoute[] = [
    ...routedServices.flatMap((service) => (routable(service) ? [{ role: service.role, ...service.route! }] : [])),
    ...(!external && settings.traefik.dashboard
      ? [{ role: "traefik", subdomain: "traefik", internalService: "api@internal", protectWithBasicAuth: true }]
      : []),
    ...(settings.ingest.route
      ? [
          {
            role: COLLECTOR_ROLE,
            ...OTLP_ROUTE,
            // With ingest TLS the collector's receivers speak only TLS: Traefik verifies them with the CA.
            ...(ingestTls ? { upstreamTls: { caFile: upstreamCaPath(COLLECTOR_ROLE), serverName: COLLECTOR_ROLE } } : {}),
          },
        ]
      : []),
  ];
  if (tls.mode === "files" && tls.names) {
    const uncovered = routes.map((r) => hostFor(r, settings.domain)).filter((host) => !tls.names!.dns.some((san) => sanCovers(san, host)));
    if (uncovered.length > 0) {
      throw new Error(
        `traefik.tls.certificate does not cover ${uncovered.join(", ")}, which Traefik serves with it; allowed: a certificate whose subjectAltNames cover every UI host, e.g. DNS:*.${settings.domain}`,
      );
    }
  }
  const service = traefikServicePlan({
    image: settings.images.traefik,
    memoryMb: settings.limits.memoryMb.traefik,
    config,
    tlsFiles: !external && tls.mode === "files" ? { certificate: tls.certificate, key: tls.key } : undefined,
    routes,
    basicAuthUsers: basicAuth ? { basicAuthUsers: { user: basicAuth.user, password: basicAuth.password } } : undefined,
    upstreamCas: settings.ingest.route && ingestTls?.ca ? { [COLLECTOR_ROLE]: ingestTls.ca } : undefined,
  });
  return { config, service, routes };
}

const published = (entries: Record<string, number | undefined>) =>
  Object.fromEntries(Object.entries(entries).filter((e): e is [string, number] => e[1] !== undefined));

const backendNetworkName = (settings: Settings) => `${settings.network.name}${NETWORK_SUFFIXES.backend}`;
const routingNetworkName = (settings: Settings) => `${settings.network.name}${NETWORK_SUFFIXES.routing}`;
const egressNetworkName = (settings: Settings) => `${settings.network.name}${NETWORK_SUFFIXES.egress}`;

/**
 * The stack's networks and who joins which: the one place membership is decided (the component
 * creates what this says; a Swarm engine can take the same data).
 */
function planNetworks(
  settings: Settings,
  roles: { backends: string[]; collector: string; probe: string; grafana: string; traefik?: string },
  routed: string[],
): NetworkPlan[] {
  const labels = { [STACK_LABEL]: settings.environment };
  const network = (purpose: NetworkPurpose, name: string, internal: boolean, members: NetworkPlan["members"], subnet?: string) => ({
    purpose,
    name,
    create: true,
    internal,
    driver: "bridge" as const,
    ...(subnet ? { subnet } : {}),
    labels,
    members,
  });
  const as = (role: string, ...more: string[]) => ({ role, aliases: [role, ...more] });
  const networks: NetworkPlan[] = [
    // Applications join this one: the collector alone answers there (OTLP only; its health and
    // metrics endpoints bind to its backend-network alias). `network.subnet` is this network's.
    network("ingest", settings.network.name, false, [as(roles.collector)], settings.network.subnet),
  ];
  if (roles.traefik) {
    networks.push(network("routing", routingNetworkName(settings), false, [as(roles.traefik), ...routed.map((role) => as(role))]));
    if (settings.traefik.mode === "external") {
      networks.push({ ...network("edge", settings.traefik.network!, false, [as(roles.traefik)]), create: false, labels: {} });
    }
  }
  // Grafana downloads its datasource plugins and calls its contact points: it needs a way out, which
  // the routing network gives when Grafana is routed.
  if (!routed.includes(roles.grafana)) networks.push(network("egress", egressNetworkName(settings), false, [as(roles.grafana)]));
  networks.push(
    network("backend", backendNetworkName(settings), true, [
      as(roles.collector, COLLECTOR_INTERNAL_ALIAS),
      ...roles.backends.map((role) => as(role)),
      as(roles.grafana),
      as(roles.probe),
    ]),
  );
  return networks;
}

/** Per role: published host ports, labels (the gateway's, for an external Traefik) and its networks. */
function planWiring(
  settings: Settings,
  routing: RoutingInput | undefined,
  networks: NetworkPlan[],
  routes: TraefikRoute[],
  services: ServicePlan[],
  roles: { backends: string[]; collector: string; probe: string; grafana: string; traefik?: string },
): Record<string, ServiceWiring> {
  const { ports } = settings.exposure;
  const { cpus } = settings.limits;
  const attachments = (role: string): NetworkAttachment[] =>
    networks.flatMap((n) => n.members.filter((m) => m.role === role).map((m) => ({ network: n.name, aliases: m.aliases })));
  const cpusOf = (role: string): number =>
    role === roles.collector
      ? cpus.collector
      : role === roles.probe
        ? cpus.probe
        : role === roles.grafana
          ? cpus.grafana
          : role === roles.traefik
            ? cpus.traefik
            : cpus.backends;
  const wiring: Record<string, ServiceWiring> = {};
  for (const service of services) {
    wiring[service.role] = { publish: {}, labels: {}, networks: attachments(service.role), cpus: cpusOf(service.role) };
  }
  wiring[roles.collector]!.publish = published({ "otlp-grpc": ports.otlpGrpc, "otlp-http": ports.otlpHttp });
  if (roles.traefik && routing) {
    const traefik = wiring[roles.traefik]!;
    if (settings.traefik.mode === "managed") traefik.publish = published({ http: ports.http, https: ports.https });
    else traefik.labels = gatewayLabels(routing, routes);
  }
  return wiring;
}

/**
 * The host clients reach published OTLP at: the bind address, or for 0.0.0.0 (every address, not
 * one to connect to) the first name other hosts can use that the ingest certificate verifies for
 * (a DNS name, a wildcard as `otlp.<rest>`, else an IP; not localhost or loopback), else 127.0.0.1
 * (this host itself; TLS is required off loopback, so only an offline render without the
 * certificate gets there).
 */
function otlpHost(settings: Settings): string {
  const { bindAddress } = settings.exposure;
  if (bindAddress !== "0.0.0.0") return bindAddress;
  const names = settings.ingest.tls.mode === "files" ? settings.ingest.tls.names : undefined;
  const dns = names?.dns.find((name) => name !== "localhost" && !name.endsWith(".localhost"));
  if (dns) return dns.startsWith("*.") ? `otlp.${dns.slice(2)}` : dns;
  return names?.ip.find((ip) => !isLoopbackIpv4(ip) && ip !== "0.0.0.0") ?? "127.0.0.1";
}

/** Stack outputs that are plain data: the OTLP endpoints clients use, their credentials and CA, Grafana's admin. */
function planOutputs(
  settings: Settings,
  routes: TraefikRoute[],
  routing: RoutingInput | undefined,
  collector: ReturnType<typeof planCollector>,
  adminPassword: SecretSource,
): StackPlan["outputs"] {
  const { ports } = settings.exposure;
  const host = otlpHost(settings);
  const endpoint = (port: number | undefined, scheme: string) => (port === undefined ? undefined : `${scheme}${host}:${port}`);
  const otlpRouted = routing && routes.some((r) => r.role === COLLECTOR_ROLE) ? publicUrl(OTLP_ROUTE, routing) : undefined;
  return {
    otlpGrpcEndpoint: endpoint(ports.otlpGrpc, ""),
    otlpHttpEndpoint: otlpRouted ?? endpoint(ports.otlpHttp, collector.ingestTls ? "https://" : "http://"),
    otlpHeaders: collector.config.ingest?.htpasswdFile ? { otlpHeaders: { user: INGEST_USER, password: INGEST_PASSWORD } } : undefined,
    otlpCaCertificate: collector.ingestTls?.ca,
    grafanaAdminUser: settings.grafana.adminUser,
    grafanaAdminPassword: adminPassword,
  };
}

/** The whole stack as data: each concern planned by its own function above, from settings resolved once. */
export function planStack(settings: Settings, options: StackPlanOptions = {}): StackPlan {
  const plan = planDockerStack(settings, options);
  // The swarm engine takes the same plan and reshapes only what a Swarm does differently.
  return settings.engine === "swarm" ? planSwarmStack(settings, plan) : plan;
}

function planDockerStack(settings: Settings, options: StackPlanOptions): StackPlan {
  const backends = planBackends(settings, options.addressing);
  const backendServices = chosenOf(backends).map((c) => c.plan.service);
  const collector = planCollector(settings, backends);
  const routing = planRouting(settings);
  const grafana = planGrafana(settings, backends, routing, options);
  const basicAuth = planBasicAuth(settings, routing);
  const traefik = planTraefik(settings, routing, [...backendServices, grafana.service], basicAuth, collector);
  const services = [...backendServices, collector.service, collector.probe, grafana.service, ...(traefik.service ? [traefik.service] : [])];
  const roles = {
    backends: backendServices.map((s) => s.role),
    collector: collector.service.role,
    probe: collector.probe.role,
    grafana: grafana.service.role,
    traefik: traefik.service?.role,
  };
  // A role is routed when Traefik has a route to it (the gateway's own dashboard route excluded).
  const routed = [...new Set(traefik.routes.filter((r) => "port" in r).map((r) => r.role))];
  const networks = planNetworks(settings, roles, routed);
  // Only what Traefik routes gets a URL: an output never names a host that answers 404.
  const urlOf = (service: ServicePlan | undefined) =>
    routing && service?.route && routed.includes(service.role) ? publicUrl(service.route, routing) : undefined;

  return {
    networkName: settings.network.name,
    backends,
    collectorConfig: collector.config,
    collector: collector.service,
    collectorProbe: collector.probe,
    grafana: grafana.service,
    routing,
    traefik: traefik.service,
    traefikConfig: traefik.config,
    services,
    urls: {
      grafana: routing && routed.includes(grafana.service.role) ? publicUrl(GRAFANA_ROUTE, routing) : undefined,
      traces: urlOf(backends.traces.plan.service),
      metrics: urlOf(backends.metrics.plan.service),
      logs: urlOf(backends.logs?.plan.service),
    },
    network: networks.find((n) => n.purpose === "ingest")!,
    networks,
    common: { environment: settings.environment, bindAddress: settings.exposure.bindAddress, keepData: keepDataOnDelete(settings) },
    initImage: settings.images.init,
    wiring: planWiring(settings, routing, networks, traefik.routes, services, roles),
    basicAuth,
    outputs: planOutputs(settings, traefik.routes, routing, collector, grafana.adminPassword),
  };
}
