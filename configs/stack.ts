import { AlertInput, DashboardInput, renderAlerting, renderDashboards } from "../dashboards";
import { GRAFANA_PLUGINS, Settings, TIERS } from "../settings";
import { BackendAddressing, BackendPlans, LOGS_BACKENDS, METRICS_BACKENDS, planBackends, TRACES_BACKENDS } from "./backends";
import { CollectorConfigInput, collectorInputFromSettings, collectorServicePlan, extraExporterPlans } from "./collector";
import { CONTACT_POINT_URL_FILE, GRAFANA_PORT, grafanaEnv, grafanaServicePlan } from "./grafana";
import { publicUrl, RoutingInput, TraefikStaticInput, traefikServicePlan } from "./traefik";
import { DATASOURCE_UIDS, RoutePlan, ServicePlan } from "./types";

/** Everything the stack deploys, decided as data from settings. The component only creates it. */
export interface StackPlan {
  networkName: string;
  backends: BackendPlans;
  /** The collector's rendered-config input (tests render it again with loopback addresses). */
  collectorConfig: CollectorConfigInput;
  collector: ServicePlan;
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
}

export interface StackPlanOptions {
  /** Dashboards the user dropped into dashboards/custom (path relative to that folder → JSON). */
  userDashboards?: { path: string; json: string }[];
  addressing?: BackendAddressing;
}

/** What the dashboard and alerting renderers are given for these settings. */
export function rendererInputs(settings: Settings, logsEnabled: boolean): { dashboards: DashboardInput; alerts: AlertInput } {
  const contact = settings.alerting.contactPoint;
  return {
    dashboards: {
      appName: settings.appName,
      metricsUid: DATASOURCE_UIDS.metrics,
      tracesUid: DATASOURCE_UIDS.traces,
      ...(logsEnabled ? { logsUid: DATASOURCE_UIDS.logs } : {}),
      metricsBackend: settings.metrics.backend,
      tracesBackend: settings.traces.backend,
    },
    alerts: {
      appName: settings.appName,
      environment: settings.environment,
      metricsUid: DATASOURCE_UIDS.metrics,
      metricsBackend: settings.metrics.backend,
      tracesBackend: settings.traces.backend,
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
  const networkName = settings.network.name ?? `obs-${settings.environment}`;

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
  const plugins = backends.logs?.plan.datasource.type === "victoriametrics-logs-datasource" ? [GRAFANA_PLUGINS.victorialogs] : [];

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
    retiredDatasources: [...Object.values(METRICS_BACKENDS), ...Object.values(TRACES_BACKENDS), ...Object.values(LOGS_BACKENDS)]
      .filter((backend) => !chosen.some((c) => c.backend === backend))
      .map((backend) => backend.displayName),
    dashboards: [
      ...renderDashboards(inputs.dashboards),
      ...(options.userDashboards ?? []).map((d) => ({ path: `custom/${d.path}`, json: d.json })),
    ],
    alerting,
    contactPointUrl: inputs.alerts.contactPoint.kind === "webhook" || inputs.alerts.contactPoint.kind === "slack",
  });
  const traefikConfig: TraefikStaticInput | undefined =
    settings.traefik.mode === "managed" && routing
      ? {
          ...routing,
          acmeEmail: settings.traefik.tls.mode === "acme" ? settings.traefik.tls.email : undefined,
          dashboard: settings.traefik.dashboard,
        }
      : undefined;
  const traefik = traefikConfig
    ? traefikServicePlan({ image: settings.images.traefik, memoryMb: tier.memoryMb.traefik, config: traefikConfig })
    : undefined;
  const collectorPlan = collectorServicePlan({ image: settings.images.collector, config: collector, extras: settings.exporters });

  return {
    networkName,
    backends,
    collectorConfig: collector,
    collector: collectorPlan,
    grafana,
    routing,
    traefik,
    traefikConfig,
    services: [...chosen.map((c) => c.plan.service), collectorPlan, grafana, ...(traefik ? [traefik] : [])],
    urls: {
      grafana: urlOf(grafanaRoute),
      traces: urlOf(backends.traces.plan.service.route),
      metrics: urlOf(backends.metrics.plan.service.route),
      logs: urlOf(backends.logs?.plan.service.route),
    },
  };
}
