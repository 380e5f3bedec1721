import { AlertInput, DashboardInput, renderAlerting, renderDashboards } from "../dashboards";
import { Settings } from "../settings";
import { keepDataOnDelete } from "../settings/data";
import { STACK_LABEL } from "../settings/names";
import { Backend, BackendAddressing, BackendPlans, chosenBackends, healthOf, planBackends, registeredBackends } from "./backends";
import {
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
  basicAuthUsersLabel,
  publicUrl,
  routerLabels,
  RoutingInput,
  TraefikStaticInput,
  traefikServicePlan,
  type TraefikRoute,
} from "./traefik";
import { DATASOURCE_UIDS, GeneratedSecret, RoutePlan, SecretSource, ServicePlan, ServiceWiring } from "./types";

/** Everything the stack deploys, decided as data from settings. The component only creates it. */
export interface StackPlan {
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
  /** The program's own Traefik (traefik.mode managed) and its static-config input. */
  traefik?: ServicePlan;
  traefikConfig?: TraefikStaticInput;
  /** Every container of the stack, backends first. */
  services: ServicePlan[];
  /** Public URLs of the UIs (through Traefik), or undefined when not routed. */
  urls: { grafana?: string; traces?: string; metrics?: string; logs?: string };
  /** The stack's Docker network. */
  network: { name: string; driver: "bridge"; subnet?: string; labels: Record<string, string> };
  /**
   * What every container shares: name prefix and stack label value, the host address ports bind to,
   * and whether volumes outlive their deletion (data.keepOnDelete).
   */
  common: { environment: string; bindAddress: string; keepData: boolean };
  /** busybox, run once per data volume that a non-root image mounts. */
  initImage: string;
  /** Per role (ServicePlan.role): published ports, labels, extra networks. */
  wiring: Record<string, ServiceWiring>;
  /**
   * Basic auth in front of the UIs without a login of their own: one generated password, whose
   * bcrypt users list (`<user>:<hash>`) is the value of `usersLabel` on every protected container.
   */
  basicAuth?: { user: string; password: GeneratedSecret; usersLabel: string };
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
  return {
    dashboards: {
      appName: settings.appName,
      metricsUid: DATASOURCE_UIDS.metrics,
      tracesUid: DATASOURCE_UIDS.traces,
      ...(logsEnabled ? { logsUid: DATASOURCE_UIDS.logs } : {}),
      backends,
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
    config,
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
        network: settings.traefik.mode === "external" ? settings.traefik.network! : settings.network.name,
        tls: settings.traefik.tls.mode,
      };
}

const GRAFANA_ROUTE: RoutePlan = { subdomain: "grafana", port: GRAFANA_PORT, protectWithBasicAuth: false };
const urlOf = (routing: RoutingInput | undefined, route: RoutePlan | undefined) =>
  routing && route ? publicUrl(route, routing) : undefined;

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
      rootUrl: urlOf(routing, GRAFANA_ROUTE) ?? `http://localhost:${GRAFANA_PORT}/`,
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
  return { service, adminPassword };
}

/** Basic auth in front of the UIs without a login of their own, when routed and asked for. */
function planBasicAuth(settings: Settings, routing: RoutingInput | undefined): StackPlan["basicAuth"] {
  return routing && settings.traefik.basicAuth
    ? { user: BASIC_AUTH_USER, password: BASIC_AUTH_PASSWORD, usersLabel: basicAuthUsersLabel(settings.environment) }
    : undefined;
}

/** The program's own Traefik (traefik.mode managed): its static config and its container, routing every routed service. */
function planTraefik(
  settings: Settings,
  routing: RoutingInput | undefined,
  routedServices: ServicePlan[],
  basicAuth: StackPlan["basicAuth"],
): { config?: TraefikStaticInput; service?: ServicePlan } {
  const config: TraefikStaticInput | undefined =
    settings.traefik.mode === "managed" && routing
      ? {
          ...routing,
          acmeEmail: settings.traefik.tls.mode === "acme" ? settings.traefik.tls.email : undefined,
          dashboard: settings.traefik.dashboard,
          publicHttpsPort: settings.exposure.ports.https,
        }
      : undefined;
  if (!config) return {};
  const tls = settings.traefik.tls;
  // The program's own Traefik routes from a rendered file; only an external one reads labels.
  const routes: TraefikRoute[] = [
    ...routedServices.flatMap((service) => (service.route ? [{ role: service.role, ...service.route }] : [])),
    ...(settings.traefik.dashboard
      ? [{ role: "traefik", subdomain: "traefik", internalService: "api@internal", protectWithBasicAuth: true }]
      : []),
    ...(settings.ingest.route ? [{ role: COLLECTOR_ROLE, ...OTLP_ROUTE }] : []),
  ];
  const service = traefikServicePlan({
    image: settings.images.traefik,
    memoryMb: settings.limits.memoryMb.traefik,
    config,
    tlsFiles: tls.mode === "files" ? { certificate: tls.certificate, key: tls.key } : undefined,
    routes,
    basicAuthUsers: basicAuth ? { basicAuthUsers: { user: basicAuth.user, password: basicAuth.password } } : undefined,
  });
  return { config, service };
}

const published = (entries: Record<string, number | undefined>) =>
  Object.fromEntries(Object.entries(entries).filter((e): e is [string, number] => e[1] !== undefined));

/** Per role: published host ports, Traefik labels and extra networks (an external Traefik's). */
function planWiring(
  settings: Settings,
  routing: RoutingInput | undefined,
  basicAuth: StackPlan["basicAuth"],
  services: { backends: ServicePlan[]; collector: ServicePlan; grafana: ServicePlan; collectorProbe: ServicePlan; traefik?: ServicePlan },
): Record<string, ServiceWiring> {
  const { ports } = settings.exposure;
  const external = settings.traefik.mode === "external";
  const externalNetworks = external ? [settings.traefik.network!] : [];
  // Only what the external Traefik routes joins its network, and a UI without a login of its own
  // only behind basic auth: a backend never sits on a shared network unauthenticated.
  const joinsExternal = (service: ServicePlan) =>
    external && routing !== undefined && service.route !== undefined && (!service.route.protectWithBasicAuth || basicAuth !== undefined);
  const routed = (service: ServicePlan): ServiceWiring => ({
    publish: {},
    labels: joinsExternal(service) ? routerLabels(routing!, service.role, service.route!, settings.traefik.basicAuth) : {},
    basicAuthUsers: joinsExternal(service) && service.route?.protectWithBasicAuth === true,
    extraNetworks: joinsExternal(service) ? externalNetworks : [],
  });
  const { collector, grafana, collectorProbe, traefik } = services;
  return {
    ...Object.fromEntries(services.backends.map((service) => [service.role, routed(service)])),
    [collector.role]: { ...routed(collector), publish: published({ "otlp-grpc": ports.otlpGrpc, "otlp-http": ports.otlpHttp }) },
    [grafana.role]: routed(grafana),
    [collectorProbe.role]: { publish: {}, labels: {}, basicAuthUsers: false, extraNetworks: [] },
    ...(traefik && routing
      ? {
          [traefik.role]: {
            publish: published({ http: ports.http, https: ports.https }),
            labels: {},
            basicAuthUsers: false,
            extraNetworks: [],
          },
        }
      : {}),
  };
}

/** Stack outputs that are plain data: the OTLP endpoints clients use, their credentials and CA, Grafana's admin. */
function planOutputs(
  settings: Settings,
  routing: RoutingInput | undefined,
  collector: ReturnType<typeof planCollector>,
  adminPassword: SecretSource,
): StackPlan["outputs"] {
  const { ports, bindAddress } = settings.exposure;
  const endpoint = (port: number | undefined, scheme: string) => (port === undefined ? undefined : `${scheme}${bindAddress}:${port}`);
  const otlpRouted = routing && settings.ingest.route ? publicUrl(OTLP_ROUTE, routing) : undefined;
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
  const backends = planBackends(settings, options.addressing);
  const backendServices = chosenOf(backends).map((c) => c.plan.service);
  const collector = planCollector(settings, backends);
  const routing = planRouting(settings);
  const grafana = planGrafana(settings, backends, routing, options);
  const basicAuth = planBasicAuth(settings, routing);
  const traefik = planTraefik(settings, routing, [...backendServices, grafana.service], basicAuth);
  const services = {
    backends: backendServices,
    collector: collector.service,
    grafana: grafana.service,
    collectorProbe: collector.probe,
    traefik: traefik.service,
  };

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
    services: [...backendServices, collector.service, collector.probe, grafana.service, ...(traefik.service ? [traefik.service] : [])],
    urls: {
      grafana: urlOf(routing, GRAFANA_ROUTE),
      traces: urlOf(routing, backends.traces.plan.service.route),
      metrics: urlOf(routing, backends.metrics.plan.service.route),
      logs: urlOf(routing, backends.logs?.plan.service.route),
    },
    network: {
      name: settings.network.name,
      driver: "bridge",
      subnet: settings.network.subnet,
      labels: { [STACK_LABEL]: settings.environment },
    },
    common: { environment: settings.environment, bindAddress: settings.exposure.bindAddress, keepData: keepDataOnDelete(settings) },
    initImage: settings.images.init,
    wiring: planWiring(settings, routing, basicAuth, services),
    basicAuth,
    outputs: planOutputs(settings, routing, collector, grafana.adminPassword),
  };
}
