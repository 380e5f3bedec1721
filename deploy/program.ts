import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { ObservabilityStack, StackOutputs } from "../components/stack";
import { planStack } from "../configs/stack";
import { readUserDashboards } from "../dashboards/custom";
import { ConfigError, decodeConfigValue, foreignNamespaceWarnings, parseSettings } from "../settings";

/** Repository root: user dashboards are found relative to the code, not the working directory. */
const REPO_ROOT = path.resolve(__dirname, "..");

// Exported by the SDK's runtime but missing from its typings; only used to keep secret values out
// of validation messages.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- an untyped SDK-internal module
const { isConfigSecret } = require("@pulumi/pulumi/runtime/config") as { isConfigSecret: (key: string) => boolean };

/** This stack's config as the engine handed it over: top-level keys without the project prefix. */
export function readStackConfig(): { project: string; raw: Record<string, unknown>; secretKeys: Set<string> } {
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
  return { project, raw, secretKeys };
}

/**
 * The program, shared by `index.ts` (the Pulumi CLI) and the Automation API's inline program
 * (`npm run up`, the deploy tier): read the config once, validate it (every problem at once, before
 * any resource exists), read user dashboards, build the stack, return its outputs.
 */
export function defineStack(): StackOutputs {
  const { project, raw, secretKeys } = readStackConfig();
  // Keys that look like ours under another namespace (`OBS-STACK:tier`, `obs_stack:…`) are ignored by
  // the engine's lookup: say so instead of deploying defaults silently.
  for (const warning of foreignNamespaceWarnings(Object.keys(pulumi.runtime.allConfig()), project)) void pulumi.log.warn(warning);
  let settings;
  try {
    // A real deploy: the offline-render placeholder "[secret]" is refused as a value.
    settings = parseSettings(raw, project, secretKeys, { mode: "deploy" });
  } catch (error) {
    // The message lists every problem; a stack trace into the validator would only hide it.
    // RunError is printed without one; it keeps the ConfigError's name and problem list.
    if (error instanceof ConfigError)
      throw Object.assign(new pulumi.RunError(error.message), { name: error.name, problems: error.problems });
    throw error;
  }
  const plan = planStack(settings, { userDashboards: readUserDashboards(path.join(REPO_ROOT, "dashboards", "custom")) });
  const stack = new ObservabilityStack(settings.environment, { plan });
  return stack.outputs;
}
