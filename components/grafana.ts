import * as pulumi from "@pulumi/pulumi";
import {
  CONTACT_POINT_URL_FILE,
  GRAFANA_ADMIN_PASSWORD_FILE,
  GRAFANA_DASHBOARDS_DIR,
  GRAFANA_PORT,
  GRAFANA_PROVISIONING,
  renderDashboardProvider,
  renderDatasources,
} from "../configs/grafana";
import { httpHealthcheck } from "../configs/backends/contract";
import type { DatasourcePlan, FilePlan, ServicePlan } from "../configs/types";
import { createService, ServiceCommon } from "./service";


export interface GrafanaPlanInput {
  image: string;
  memoryMb: number;
  env: Record<string, string>;
  datasources: DatasourcePlan[];
  /** Dashboard JSON files by path relative to the dashboards folder (folder = first path segment). */
  dashboards: { path: string; json: string }[];
  /** Alerting provisioning YAML (rules, contact point, policy). */
  alerting: string;
  /** The contact point's URL is a secret file. */
  contactPointUrl: boolean;
}

export function grafanaServicePlan(input: GrafanaPlanInput): ServicePlan {
  const paths = input.dashboards.map((d) => d.path);
  const clash = paths.find((p, i) => paths.indexOf(p) !== i);
  if (clash) throw new Error(`two dashboards would be written to ${clash}`);
  const files: FilePlan[] = [
    { path: `${GRAFANA_PROVISIONING}/datasources/datasources.yaml`, content: renderDatasources(input.datasources) },
    { path: `${GRAFANA_PROVISIONING}/dashboards/provider.yaml`, content: renderDashboardProvider() },
    { path: `${GRAFANA_PROVISIONING}/alerting/alerting.yaml`, content: input.alerting },
    ...input.dashboards.map((d) => ({ path: `${GRAFANA_DASHBOARDS_DIR}/${d.path}`, content: d.json })),
  ];
  return {
    role: "grafana",
    image: input.image,
    env: input.env,
    memoryMb: input.memoryMb,
    ports: [{ name: "http", internal: GRAFANA_PORT }],
    // /var/lib/grafana exists in the image owned by uid 472: the named volume inherits it.
    volumes: [{ name: "data", containerPath: "/var/lib/grafana" }],
    hostMounts: [],
    files,
    secretFiles: [
      { path: GRAFANA_ADMIN_PASSWORD_FILE, secret: "adminPassword" },
      ...(input.contactPointUrl ? [{ path: CONTACT_POINT_URL_FILE, secret: "contactPointUrl" }] : []),
    ],
    healthcheck: httpHealthcheck(GRAFANA_PORT, "/api/health"),
    route: { subdomain: "grafana", port: GRAFANA_PORT, protectWithBasicAuth: false },
  };
}

export interface GrafanaArgs {
  plan: GrafanaPlanInput;
  common: ServiceCommon;
  adminPassword: pulumi.Input<string>;
  contactPointUrl?: pulumi.Input<string>;
  labels?: Record<string, pulumi.Input<string>>;
  extraNetworks?: pulumi.Input<string>[];
}

/** Grafana with provisioned datasources, dashboards and alerting; admin password from a secret file. */
export class Grafana extends pulumi.ComponentResource {
  readonly containerName: pulumi.Output<string>;

  constructor(name: string, args: GrafanaArgs, opts?: pulumi.ComponentResourceOptions) {
    super("obs:stack:Grafana", name, {}, opts);
    const service = createService(this, name, {
      plan: grafanaServicePlan(args.plan),
      common: args.common,
      labels: args.labels,
      extraNetworks: args.extraNetworks,
      secrets: {
        adminPassword: args.adminPassword,
        ...(args.contactPointUrl !== undefined ? { contactPointUrl: args.contactPointUrl } : {}),
      },
    });
    this.containerName = service.container.name;
    this.registerOutputs({ containerName: this.containerName });
  }
}
