import { renderAlerting, renderDashboards } from "../dashboards";
import { GRAFANA_PLUGINS, Settings, TIERS } from "../settings";
import { BackendAddressing, BackendPlans, planBackends } from "./backends";
import { CollectorConfigInput, collectorInputFromSettings, extraExporterPlans } from "./collector";
import { CONTACT_POINT_URL_FILE, GRAFANA_PORT, grafanaEnv } from "./grafana";
import { publicUrl, RoutingInput, TraefikStaticInput } from "./traefik";
import { DATASOURCE_UIDS, RoutePlan } from "./types";

/** Everything the stack deploys, decided as data from settings. The component only creates it. */
export interface StackPlan {
  networkName: string;
  backends: BackendPlans;
  collector: CollectorConfigInput;
  grafana: {
    env: Record<string, string>;
    dashboards: { path: string; json: string }[];
    alerting: string;
    contactPointUrl: boolean;
  };
  /** Routing for Traefik (managed or external); undefined when traefik.mode is none. */
  routing?: RoutingInput;
  /** Static config when the program runs Traefik itself. */
  traefik?: TraefikStaticInput;
  /** Public URLs of the UIs (through Traefik), or undefined when not routed. */
  urls: { grafana?: string; traces?: string; metrics?: string; logs?: string };
}

export interface StackPlanOptions {
  /** Dashboards the user dropped into dashboards/custom (path relative to that folder → JSON). */
  userDashboards?: { path: string; json: string }[];
  addressing?: BackendAddressing;
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

  const dashboardInput = {
    appName: settings.appName,
    metricsUid: DATASOURCE_UIDS.metrics,
    tracesUid: DATASOURCE_UIDS.traces,
    ...(backends.logs ? { logsUid: DATASOURCE_UIDS.logs } : {}),
    metricsBackend: settings.metrics.backend,
    tracesBackend: settings.traces.backend,
  };
  const contact = settings.alerting.contactPoint;
  const alerting = renderAlerting({
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
  });
  const plugins = backends.logs?.plan.datasource.type === "victoriametrics-logs-datasource" ? [GRAFANA_PLUGINS.victorialogs] : [];

  return {
    networkName,
    backends,
    collector,
    grafana: {
      env: grafanaEnv({
        settings,
        rootUrl: urlOf(grafanaRoute) ?? `http://localhost:${GRAFANA_PORT}/`,
        tls: tlsMode !== "none",
        plugins,
      }),
      dashboards: [
        ...renderDashboards(dashboardInput),
        ...(options.userDashboards ?? []).map((d) => ({ path: `custom/${d.path}`, json: d.json })),
      ],
      alerting,
      contactPointUrl: contact.kind === "webhook" || contact.kind === "slack",
    },
    routing,
    traefik:
      settings.traefik.mode === "managed" && routing
        ? {
            ...routing,
            acmeEmail: settings.traefik.tls.mode === "acme" ? settings.traefik.tls.email : undefined,
            dashboard: settings.traefik.dashboard,
          }
        : undefined,
    urls: {
      grafana: urlOf(grafanaRoute),
      traces: urlOf(backends.traces.plan.service.route),
      metrics: urlOf(backends.metrics.plan.service.route),
      logs: urlOf(backends.logs?.plan.service.route),
    },
  };
}
