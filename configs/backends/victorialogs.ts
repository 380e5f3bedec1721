import { NOBODY_UID } from "../../settings/names";
import { httpHealthcheck } from "../healthcheck";
import type { GeneratedSecret, RoutePaths } from "../types";
import { defineBackend } from "./contract";
import { backendService, logsDatasource, otlpLogsExporter } from "./shared";

/** The key VictoriaLogs' admin endpoints ask for (`?authKey=`): generated, a secret file read with `file://`. */
export const VL_ADMIN_KEY: GeneratedSecret = { generate: { name: "victorialogs-admin-key", length: 32 } };
export const VL_ADMIN_KEY_PATH = "/etc/victorialogs/secrets/admin-auth-key";

/**
 * v1.52.2's auth-key flags (`victoria-logs -help`) for endpoints that change state (force flush and
 * merge, partitions, the new-streams log) or profile it. `/delete/*` is off unless `-delete.enable`
 * (not set). Not `-metricsAuthKey` (the collector scrapes `/metrics` in the backend network) nor
 * `-flagsAuthKey`: `/flags` prints key flags as "secret", is never routed, and is how the real
 * tiers read the retention the binary runs with.
 */
export const VL_AUTH_KEY_FLAGS = [
  "forceFlushAuthKey",
  "forceMergeAuthKey",
  "logNewStreamsAuthKey",
  "partitionManageAuthKey",
  "pprofAuthKey",
] as const;

/** What Traefik routes: the index page and `/select/*` (vmui and the LogsQL read API); never `/insert/*`, `/internal/*`, `/delete/*`. */
export const VL_ROUTED_PATHS: RoutePaths = { allow: [{ exact: "/" }, { prefix: "/select/" }] };

/** VictoriaLogs: OTLP logs in; Grafana reads it through the VictoriaLogs plugin. */
export const victoriaLogs = defineBackend("victorialogs", {
  defaultPorts: { http: 9428 },
  grafanaPlugins: ["victoriametrics-logs-datasource@0.21.0"],
  selfMetrics: { port: "http", path: "/metrics" },
  plan(input) {
    const port = input.ports.http!;
    const base = `http://${input.host}:${port}`;
    const service = backendService(this.kind, input, {
      command: [
        "-storageDataPath=/victoria-logs-data",
        `-retentionPeriod=${input.retention.text}`,
        `-httpListenAddr=:${port}`,
        ...(input.maxDiskGb !== undefined ? [`-retention.maxDiskSpaceUsageBytes=${input.maxDiskGb}GB`] : []),
        ...VL_AUTH_KEY_FLAGS.map((flag) => `-${flag}=file://${VL_ADMIN_KEY_PATH}`),
      ],
      ports: [{ name: "http", internal: port }],
      // The image runs as root; nothing it does needs root, so it runs as nobody and the init job
      // hands it the data volume (an existing root-owned one too, on the first deploy after).
      user: `${NOBODY_UID}:${NOBODY_UID}`,
      volumes: [{ name: "data", containerPath: "/victoria-logs-data", ownerUid: NOBODY_UID }],
      healthcheck: httpHealthcheck(port, "/health"),
      route: { subdomain: "logs", port, protectWithBasicAuth: true, paths: VL_ROUTED_PATHS },
    });
    return {
      service: { ...service, secretFiles: [{ path: VL_ADMIN_KEY_PATH, secret: "victorialogs.adminKey", value: VL_ADMIN_KEY }] },
      exporter: otlpLogsExporter("logs_endpoint", `${base}/insert/opentelemetry/v1/logs`, "zstd"),
      queryUrl: base,
      datasource: logsDatasource(this.displayName, "victoriametrics-logs-datasource", base),
    };
  },
});
