import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { ChosenBackend } from "../configs/backends";
import { StackPlan, planStack } from "../configs/stack";
import { basicAuthUsersLabel, routerLabels } from "../configs/traefik";
import type { ServicePlan } from "../configs/types";
import { Settings } from "../settings";
import { Backend } from "./backend";
import { Grafana } from "./grafana";
import { OtelCollector } from "./otel-collector";
import { ServiceCommon } from "./service";
import { Traefik } from "./traefik";

export interface ObservabilityStackArgs {
  /** Validated settings (parse once, in index.ts). */
  settings: Settings;
  /** JSON dashboards from dashboards/custom, read by index.ts. */
  userDashboards?: { path: string; json: string }[];
}

/** The whole stack on one Docker network: collector, backends, Grafana and (optionally) Traefik. */
export class ObservabilityStack extends pulumi.ComponentResource {
  readonly plan: StackPlan;
  /**
   * The stack outputs. A key is present only when it has a value (no logs backend: no `logsUrl`;
   * no basic auth: no `basicAuthPassword`), so `pulumi up` never warns about undefined outputs.
   */
  readonly outputs: StackOutputs;

  constructor(name: string, args: ObservabilityStackArgs, opts?: pulumi.ComponentResourceOptions) {
    super("obs:stack:ObservabilityStack", name, {}, opts);
    const { settings } = args;
    const plan = planStack(settings, { userDashboards: args.userDashboards });
    this.plan = plan;
    const child = { parent: this };

    const network = new docker.Network(
      `${name}-network`,
      {
        name: plan.networkName,
        driver: "bridge",
        ipamConfigs: settings.network.subnet ? [{ subnet: settings.network.subnet }] : undefined,
        labels: [{ label: "obs.stack", value: settings.environment }],
      },
      child,
    );
    const initImage = new docker.RemoteImage(`${name}-init-image`, { name: settings.images.init, keepLocally: true }, child);
    const common: ServiceCommon = {
      environment: settings.environment,
      networkName: network.name,
      initImageId: initImage.imageId,
      bindAddress: settings.exposure.bindAddress,
    };

    // Basic auth for UIs without a login of their own: one generated password, bcrypt in labels.
    const basicAuth =
      plan.routing && settings.traefik.basicAuth
        ? new random.RandomPassword(`${name}-basic-auth-password`, { length: 24, special: false }, child)
        : undefined;
    const basicAuthUsers = basicAuth ? pulumi.secret(pulumi.interpolate`admin:${basicAuth.bcryptHash}`) : undefined;
    const extraNetworks = settings.traefik.mode === "external" ? [settings.traefik.network!] : undefined;
    const labelsFor = (service: Pick<ServicePlan, "role" | "route">): Record<string, pulumi.Input<string>> | undefined => {
      if (!plan.routing || !service.route) return undefined;
      const labels: Record<string, pulumi.Input<string>> = routerLabels(plan.routing, service.role, service.route, settings.traefik.basicAuth);
      if (service.route.protectWithBasicAuth && basicAuthUsers) labels[basicAuthUsersLabel(settings.environment)] = basicAuthUsers;
      return labels;
    };

    const backend = (role: string, chosen: ChosenBackend) =>
      new Backend(
        `${name}-${role}`,
        {
          displayName: chosen.backend.displayName,
          plan: chosen.plan,
          common,
          labels: labelsFor(chosen.plan.service),
          extraNetworks: chosen.plan.service.route ? extraNetworks : undefined,
        },
        child,
      );
    const metrics = backend("metrics", plan.backends.metrics);
    const traces = backend("traces", plan.backends.traces);
    const logs = plan.backends.logs ? backend("logs", plan.backends.logs) : undefined;

    const secretValues: Record<string, pulumi.Input<string>> = {};
    for (const extra of settings.exporters) {
      for (const [header, value] of Object.entries(extra.headers)) secretValues[`exporters.${extra.name}.${header}`] = pulumi.secret(value.reveal());
      if (extra.basicAuth) secretValues[`exporters.${extra.name}.basicAuth.password`] = pulumi.secret(extra.basicAuth.password.reveal());
    }
    new OtelCollector(
      `${name}-collector`,
      {
        plan: plan.collector,
        common,
        publish: { otlpGrpc: settings.exposure.ports.otlpGrpc, otlpHttp: settings.exposure.ports.otlpHttp },
        secrets: secretValues,
      },
      { ...child, dependsOn: [metrics, traces, ...(logs ? [logs] : [])] },
    );

    const adminPassword = settings.grafana.adminPassword
      ? pulumi.secret(settings.grafana.adminPassword.reveal())
      : new random.RandomPassword(`${name}-grafana-admin-password`, { length: 32, special: false }, child).result;
    const contact = settings.alerting.contactPoint;
    new Grafana(
      `${name}-grafana`,
      {
        plan: plan.grafana,
        common,
        adminPassword: pulumi.secret(adminPassword),
        contactPointUrl: contact.kind === "webhook" || contact.kind === "slack" ? pulumi.secret(contact.url.reveal()) : undefined,
        labels: labelsFor(plan.grafana),
        extraNetworks,
      },
      { ...child, dependsOn: [metrics, traces, ...(logs ? [logs] : [])] },
    );

    if (plan.traefik) {
      const tls = settings.traefik.tls;
      new Traefik(
        `${name}-traefik`,
        {
          plan: plan.traefik,
          common,
          publish: { http: settings.exposure.ports.http, https: settings.exposure.ports.https },
          tls: tls.mode === "files" ? { certificate: pulumi.secret(tls.certificate.reveal()), key: pulumi.secret(tls.key.reveal()) } : undefined,
          labels: settings.traefik.dashboard && basicAuthUsers ? traefikDashboardLabels(settings.environment, plan, basicAuthUsers) : undefined,
        },
        child,
      );
    }

    const endpoint = (port: number | undefined, scheme: string) =>
      port === undefined ? undefined : `${scheme}${settings.exposure.bindAddress}:${port}`;
    this.outputs = definedOutputs({
      networkName: network.name,
      grafanaUrl: plan.urls.grafana,
      tracesUrl: plan.urls.traces,
      metricsUrl: plan.urls.metrics,
      logsUrl: plan.urls.logs,
      otlpGrpcEndpoint: endpoint(settings.exposure.ports.otlpGrpc, ""),
      otlpHttpEndpoint: endpoint(settings.exposure.ports.otlpHttp, "http://"),
      grafanaAdminUser: settings.grafana.adminUser,
      grafanaAdminPassword: pulumi.secret(adminPassword),
      basicAuthPassword: basicAuth ? pulumi.secret(basicAuth.result) : undefined,
    });
    this.registerOutputs(this.outputs);
  }
}

/** What the stack exports; optional keys are left out when they have no value. */
export interface StackOutputs {
  networkName: pulumi.Output<string>;
  grafanaUrl?: pulumi.Output<string>;
  tracesUrl?: pulumi.Output<string>;
  metricsUrl?: pulumi.Output<string>;
  logsUrl?: pulumi.Output<string>;
  otlpGrpcEndpoint?: pulumi.Output<string>;
  otlpHttpEndpoint?: pulumi.Output<string>;
  grafanaAdminUser: pulumi.Output<string>;
  grafanaAdminPassword: pulumi.Output<string>;
  basicAuthPassword?: pulumi.Output<string>;
}

type OutputInputs = Record<keyof StackOutputs, pulumi.Input<string> | undefined>;

function definedOutputs(values: OutputInputs): StackOutputs {
  const outputs: Record<string, pulumi.Output<string>> = {};
  for (const [key, value] of Object.entries(values)) if (value !== undefined) outputs[key] = pulumi.output(value);
  return outputs as unknown as StackOutputs;
}

/** Traefik's own dashboard at traefik.<domain>, only ever behind basic auth. */
function traefikDashboardLabels(
  environment: string,
  plan: StackPlan,
  users: pulumi.Input<string>,
): Record<string, pulumi.Input<string>> {
  const labels: Record<string, pulumi.Input<string>> = routerLabels(plan.routing!, "traefik", { subdomain: "traefik", port: 8080, protectWithBasicAuth: true }, true);
  const router = `traefik.http.routers.${environment}-traefik`;
  labels[`${router}.service`] = "api@internal";
  delete labels[`traefik.http.services.${environment}-traefik.loadbalancer.server.port`];
  labels[basicAuthUsersLabel(environment)] = users;
  return labels;
}
