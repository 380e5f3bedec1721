import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { ObservabilityStack } from "./components/stack";
import { readUserDashboards } from "./dashboards/custom";
import { decodeConfigValue, parseSettings } from "./settings";

/**
 * The edge: read this stack's config once, validate it (every problem reported at once, before any
 * resource exists), read user dashboards, and hand typed settings to the stack component.
 */
// Exported by the SDK's runtime but missing from its typings; only used to keep secret values out
// of validation messages.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- an untyped SDK-internal module
const { isConfigSecret } = require("@pulumi/pulumi/runtime/config") as { isConfigSecret: (key: string) => boolean };

const project = pulumi.getProject();
const prefix = `${project}:`;
const raw: Record<string, unknown> = {};
const secretKeys = new Set<string>();
for (const [key, value] of Object.entries(pulumi.runtime.allConfig())) {
  if (!key.startsWith(prefix)) continue;
  const name = key.slice(prefix.length);
  raw[name] = decodeConfigValue(value);
  if (isConfigSecret(key)) secretKeys.add(name);
}
const settings = parseSettings(raw, project, secretKeys);

const stack = new ObservabilityStack(settings.environment, {
  settings,
  userDashboards: readUserDashboards(path.join(__dirname, "dashboards", "custom")),
});

export const networkName = stack.networkName;
export const grafanaUrl = stack.grafanaUrl;
export const tracesUrl = stack.tracesUrl;
export const metricsUrl = stack.metricsUrl;
export const logsUrl = stack.logsUrl;
export const otlpGrpcEndpoint = stack.otlpGrpcEndpoint;
export const otlpHttpEndpoint = stack.otlpHttpEndpoint;
export const grafanaAdminUser = stack.grafanaAdminUser;
export const grafanaAdminPassword = stack.grafanaAdminPassword;
export const basicAuthPassword = stack.basicAuthPassword;
