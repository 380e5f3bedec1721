import type { Settings } from "../settings";
import { toYaml } from "./serialize";
import { httpHealthcheck } from "./healthcheck";
import type { Secret } from "../settings";
import { SECRET_NAMES } from "../settings/names";
import type { DatasourcePlan, FilePlan, SecretSource, ServicePlan } from "./types";

export const GRAFANA_PROVISIONING = "/etc/grafana/provisioning";
/** Dashboards live outside the data volume: uploads there are re-done on every container change. */
export const GRAFANA_DASHBOARDS_DIR = "/etc/grafana/dashboards";
export const GRAFANA_SECRETS_DIR = "/etc/grafana/secrets";
export const GRAFANA_ADMIN_PASSWORD_FILE = `${GRAFANA_SECRETS_DIR}/admin-password`;
/** The alert contact point URL (webhook / Slack) is a secret file Grafana reads with $__file{}. */
export const CONTACT_POINT_URL_FILE = `${GRAFANA_SECRETS_DIR}/contact-point-url`;
export const GRAFANA_PORT = 3000;

/**
 * @param retired names of datasources other backends of the same signals would have provisioned.
 * Grafana matches provisioned datasources by NAME: after a backend swap the new one (same uid per
 * signal, new name) would be inserted next to the old and fail with "data source with the same uid
 * already exists", leaving Grafana unhealthy. Deleting the retired names first makes every swap,
 * and every swap back, an in-place change.
 */
export function renderDatasources(datasources: DatasourcePlan[], retired: string[] = []): string {
  const uids = datasources.map((d) => d.uid);
  const duplicate = uids.find((uid, i) => uids.indexOf(uid) !== i);
  if (duplicate) throw new Error(`two datasources share the uid ${duplicate}`);
  if (datasources.filter((d) => d.isDefault).length !== 1) throw new Error("exactly one datasource must be the default");
  const names = new Set(datasources.map((d) => d.name));
  const deleted = [...new Set(retired)].filter((name) => !names.has(name)).sort();
  return toYaml({
    apiVersion: 1,
    ...(deleted.length > 0 ? { deleteDatasources: deleted.map((name) => ({ name, orgId: 1 })) } : {}),
    // A datasource dropped from config (e.g. after a backend swap) is deleted, not left dangling
    // (Grafana >= 11.1; deleteDatasources above covers the backends this program knows).
    prune: true,
    datasources,
  });
}

export function renderDashboardProvider(): string {
  return toYaml({
    apiVersion: 1,
    providers: [
      {
        name: "stack",
        type: "file",
        disableDeletion: true,
        allowUiUpdates: false,
        updateIntervalSeconds: 60,
        options: { path: GRAFANA_DASHBOARDS_DIR, foldersFromFilesStructure: true },
      },
    ],
  });
}

export interface GrafanaEnvInput {
  settings: Settings;
  /** Public URL Grafana is served at (Traefik host route). */
  rootUrl: string;
  tls: boolean;
  plugins: string[];
}

/** Non-secret environment. The admin password comes from a file (GF_…__FILE), never an env value. */
export function grafanaEnv(input: GrafanaEnvInput): Record<string, string> {
  const env: Record<string, string> = {
    GF_SECURITY_ADMIN_USER: input.settings.grafana.adminUser,
    GF_SECURITY_ADMIN_PASSWORD__FILE: GRAFANA_ADMIN_PASSWORD_FILE,
    GF_USERS_ALLOW_SIGN_UP: "false",
    GF_AUTH_ANONYMOUS_ENABLED: "false",
    GF_SERVER_ROOT_URL: input.rootUrl,
    GF_SECURITY_COOKIE_SAMESITE: "strict",
    GF_SECURITY_DISABLE_GRAVATAR: "true",
    GF_ANALYTICS_REPORTING_ENABLED: "false",
    GF_ANALYTICS_CHECK_FOR_UPDATES: "false",
    GF_NEWS_NEWS_FEED_ENABLED: "false",
    GF_LOG_MODE: "console",
  };
  if (input.tls) {
    env.GF_SECURITY_COOKIE_SECURE = "true";
    env.GF_SECURITY_STRICT_TRANSPORT_SECURITY = "true";
  }
  if (input.plugins.length > 0) env.GF_PLUGINS_PREINSTALL = input.plugins.join(",");
  return env;
}

export interface GrafanaPlanInput {
  image: string;
  memoryMb: number;
  env: Record<string, string>;
  datasources: DatasourcePlan[];
  /** Datasource names of the backends not chosen (deleted before provisioning; see renderDatasources). */
  retiredDatasources?: string[];
  /** Dashboard JSON files by path relative to the dashboards folder (folder = first path segment). */
  dashboards: { path: string; json: string }[];
  /** Alerting provisioning YAML (rules, contact point, policy). */
  alerting: string;
  /** The admin password: from config, or generated. */
  adminPassword: SecretSource;
  /** The contact point's URL (webhook / Slack): a secret file. */
  contactPointUrl?: Secret;
}

/** The image's own entrypoint (grafana/grafana: `/run.sh`), which the wrapper below ends in. */
export const GRAFANA_IMAGE_ENTRYPOINT = "/run.sh";

/**
 * GF_SECURITY_ADMIN_PASSWORD only seeds a NEW database: on an existing one a changed
 * `grafana.adminPassword` did nothing, and the `grafanaAdminPassword` output lied. Before Grafana
 * starts on an existing database, `grafana cli admin reset-admin-password` sets the password from
 * the secret file (≈3 s, measured; the password never appears in an argument or a log line). A
 * changed password re-uploads that file, which replaces the container, so the new one applies it.
 * `set -e`: if the reset fails, the container exits and `up` fails instead of leaving the old one.
 */
export function grafanaEntrypoint(): string[] {
  const script = [
    "set -e",
    'if [ -f "$GF_PATHS_DATA/grafana.db" ]; then',
    `  grafana cli --homepath "$GF_PATHS_HOME" admin reset-admin-password --password-from-stdin < ${GRAFANA_ADMIN_PASSWORD_FILE} > /dev/null`,
    "fi",
    `exec ${GRAFANA_IMAGE_ENTRYPOINT} "$@"`,
  ].join("\n");
  // "$0" is the name sh gives the script; the image's CMD (none) would follow as "$@".
  return ["/bin/sh", "-c", script, "grafana-entrypoint"];
}

export function grafanaServicePlan(input: GrafanaPlanInput): ServicePlan {
  const paths = input.dashboards.map((d) => d.path);
  const clash = paths.find((p, i) => paths.indexOf(p) !== i);
  if (clash) throw new Error(`two dashboards would be written to ${clash}`);
  const files: FilePlan[] = [
    {
      path: `${GRAFANA_PROVISIONING}/datasources/datasources.yaml`,
      content: renderDatasources(input.datasources, input.retiredDatasources),
    },
    { path: `${GRAFANA_PROVISIONING}/dashboards/provider.yaml`, content: renderDashboardProvider() },
    { path: `${GRAFANA_PROVISIONING}/alerting/alerting.yaml`, content: input.alerting },
    ...input.dashboards.map((d) => ({ path: `${GRAFANA_DASHBOARDS_DIR}/${d.path}`, content: d.json })),
  ];
  return {
    role: "grafana",
    image: input.image,
    entrypoint: grafanaEntrypoint(),
    env: input.env,
    memoryMb: input.memoryMb,
    ports: [{ name: "http", internal: GRAFANA_PORT }],
    // /var/lib/grafana exists in the image owned by uid 472: the named volume inherits it.
    volumes: [{ name: "data", containerPath: "/var/lib/grafana" }],
    hostMounts: [],
    files,
    secretFiles: [
      { path: GRAFANA_ADMIN_PASSWORD_FILE, secret: SECRET_NAMES.grafanaAdminPassword, value: input.adminPassword },
      ...(input.contactPointUrl
        ? [{ path: CONTACT_POINT_URL_FILE, secret: SECRET_NAMES.contactPointUrl, value: input.contactPointUrl }]
        : []),
    ],
    healthcheck: httpHealthcheck(GRAFANA_PORT, "/api/health"),
    route: { subdomain: "grafana", port: GRAFANA_PORT, protectWithBasicAuth: false },
  };
}
