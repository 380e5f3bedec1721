import { AlertInput, DashboardInput, renderAlerting, renderDashboards } from "../dashboards";
import { Settings, TIERS } from "../settings";
import { keepDataOnDelete } from "../settings/data";
import { defaultNetworkName, STACK_LABEL } from "../settings/names";
import { BackendAddressing, BackendPlans, chosenBackends, healthOf, planBackends, registeredBackends } from "./backends";
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

/** What the dashboard and alerting renderers are given for these settings. */
export function rendererInputs(settings: Settings, logsEnabled: boolean): { dashboards: DashboardInput; alerts: AlertInput } {
  const contact = settings.alerting.contactPoint;
  // What each deployed backend's module says about its own health: the renderers know no backend by name.
  const backends = Object.values(chosenBackends(settings)).flatMap((backend) => healthOf(backend) ?? []);
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

export function planStack(settings: Settings, options: StackPlanOptions = {}): StackPlan {
  const tier = TIERS[settings.tier];
  const backends = planBackends(settings, options.addressing);
  const chosen = [backends.metrics, backends.traces, ...(backends.logs ? [backends.logs] : [])];
  const networkName = settings.network.name ?? defaultNetworkName(settings.environment);

  const collector = collectorInputFromSettings(
    settings,
    tier,
    [...chosen.map((c) => c.plan.exporter), ...extraExporterPlans(settings.exporters, backends.logs !== undefined)],
    chosen.flatMap((c) => c.plan.scrape),
  );

  const tlsMode = settings.traefik.tls.mode;
  const routing: RoutingInput | undefined =
    settings.traefik.mode === "none"
      ? undefined
      : {
          environment: settings.environment,
          domain: settings.domain,
          network: settings.traefik.mode === "external" ? settings.traefik.network! : networkName,
          tls: tlsMode,
        };
  const grafanaRoute: RoutePlan = { subdomain: "grafana", port: GRAFANA_PORT, protectWithBasicAuth: false };
  const urlOf = (route: RoutePlan | undefined) => (routing && route ? publicUrl(route, routing) : undefined);

  const inputs = rendererInputs(settings, backends.logs !== undefined);
  const alerting = renderAlerting(inputs.alerts);
  const plugins = chosen.flatMap((c) => c.backend.grafanaPlugins);

  const adminPassword: SecretSource = settings.grafana.adminPassword ?? GRAFANA_ADMIN_PASSWORD;
  const contact = settings.alerting.contactPoint;
  const grafana = grafanaServicePlan({
    image: settings.images.grafana,
    memoryMb: tier.memoryMb.grafana,
    env: grafanaEnv({
      settings,
      rootUrl: urlOf(grafanaRoute) ?? `http://localhost:${GRAFANA_PORT}/`,
      tls: tlsMode !== "none",
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
  const traefikConfig: TraefikStaticInput | undefined =
    settings.traefik.mode === "managed" && routing
      ? {
          ...routing,
          acmeEmail: settings.traefik.tls.mode === "acme" ? settings.traefik.tls.email : undefined,
          dashboard: settings.traefik.dashboard,
          publicHttpsPort: settings.exposure.ports.https,
        }
      : undefined;
  const basicAuth =
    routing && settings.traefik.basicAuth
      ? { user: BASIC_AUTH_USER, password: BASIC_AUTH_PASSWORD, usersLabel: basicAuthUsersLabel(settings.environment) }
      : undefined;
  const tls = settings.traefik.tls;
  // The program's own Traefik routes from a rendered file; only an external one reads labels.
  const routes: TraefikRoute[] = [
    ...[...chosen.map((c) => c.plan.service), grafana].flatMap((service) =>
      service.route ? [{ role: service.role, ...service.route }] : [],
    ),
    ...(settings.traefik.dashboard
      ? [{ role: "traefik", subdomain: "traefik", internalService: "api@internal", protectWithBasicAuth: true }]
      : []),
    ...(settings.ingest.route ? [{ role: COLLECTOR_ROLE, ...OTLP_ROUTE }] : []),
  ];
  const traefik = traefikConfig
    ? traefikServicePlan({
        image: settings.images.traefik,
        memoryMb: tier.memoryMb.traefik,
        config: traefikConfig,
        tlsFiles: tls.mode === "files" ? { certificate: tls.certificate, key: tls.key } : undefined,
        routes,
        basicAuthUsers: basicAuth ? { basicAuthUsers: { user: basicAuth.user, password: basicAuth.password } } : undefined,
      })
    : undefined;
  const collectorProbe = collectorProbePlan(settings.images.init);
  const ingestTls = settings.ingest.tls.mode === "files" ? settings.ingest.tls : undefined;
  const collectorPlan = collectorServicePlan({
    image: settings.images.collector,
    config: collector,
    extras: settings.exporters,
    ingest: {
      password: collector.ingest?.htpasswdFile ? INGEST_PASSWORD : undefined,
      tls: ingestTls ? { certificate: ingestTls.certificate, key: ingestTls.key } : undefined,
    },
  });

  const { ports, bindAddress } = settings.exposure;
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
  const published = (entries: Record<string, number | undefined>) =>
    Object.fromEntries(Object.entries(entries).filter((e): e is [string, number] => e[1] !== undefined));
  const wiring: Record<string, ServiceWiring> = {
    ...Object.fromEntries(chosen.map((c) => [c.plan.service.role, routed(c.plan.service)])),
    [collectorPlan.role]: { ...routed(collectorPlan), publish: published({ "otlp-grpc": ports.otlpGrpc, "otlp-http": ports.otlpHttp }) },
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
  const endpoint = (port: number | undefined, scheme: string) => (port === undefined ? undefined : `${scheme}${bindAddress}:${port}`);
  const otlpRouted = routing && settings.ingest.route ? publicUrl(OTLP_ROUTE, routing) : undefined;

  return {
    networkName,
    backends,
    collectorConfig: collector,
    collector: collectorPlan,
    collectorProbe,
    grafana,
    routing,
    traefik,
    traefikConfig,
    services: [...chosen.map((c) => c.plan.service), collectorPlan, collectorProbe, grafana, ...(traefik ? [traefik] : [])],
    urls: {
      grafana: urlOf(grafanaRoute),
      traces: urlOf(backends.traces.plan.service.route),
      metrics: urlOf(backends.metrics.plan.service.route),
      logs: urlOf(backends.logs?.plan.service.route),
    },
    network: { name: networkName, driver: "bridge", subnet: settings.network.subnet, labels: { [STACK_LABEL]: settings.environment } },
    common: { environment: settings.environment, bindAddress, keepData: keepDataOnDelete(settings) },
    initImage: settings.images.init,
    wiring,
    basicAuth,
    outputs: {
      otlpGrpcEndpoint: endpoint(ports.otlpGrpc, ""),
      otlpHttpEndpoint: otlpRouted ?? endpoint(ports.otlpHttp, ingestTls ? "https://" : "http://"),
      otlpHeaders: collector.ingest?.htpasswdFile ? { otlpHeaders: { user: INGEST_USER, password: INGEST_PASSWORD } } : undefined,
      otlpCaCertificate: ingestTls?.ca,
      grafanaAdminUser: settings.grafana.adminUser,
      grafanaAdminPassword: adminPassword,
    },
  };
}
