import { createHash } from "node:crypto";
import * as path from "node:path";
import { vi } from "vitest";
import { PROJECT, readStackFileConfig } from "../../settings/stack-file";

/** One resource as the Pulumi engine would have received it. */
export interface Recorded {
  type: string;
  name: string;
  /** Resolved inputs (secrets unwrapped to their plain value; see `secretPaths`). */
  inputs: Record<string, any>;
  /** Logical name of the parent resource (undefined for the stack's root children). */
  parent?: string;
  custom: boolean;
  /** Input property paths that arrived as Pulumi secrets. */
  secretPaths: string[];
  /** The resource option `deleteBeforeReplace`. */
  deleteBeforeReplace: boolean;
  /** The resource option `retainOnDelete`: Pulumi forgets it on delete, the object stays. */
  retainOnDelete: boolean;
  /** Logical names of the resources it explicitly depends on (`dependsOn`). */
  dependsOn: string[];
}

export interface ProgramRun {
  resources: Recorded[];
  outputs: Record<string, { value: unknown; secret: boolean }>;
  error?: Error;
}

export const ROOT = path.resolve(__dirname, "..", "..");
export { PROJECT };

/** The config of a committed stack file (unprefixed keys), read as render and diff read it. */
export function stackFileConfig(stack: "dev" | "prod"): Record<string, unknown> {
  return readStackFileConfig(stack, ROOT, PROJECT);
}

const SECRET_SIG = "4dabf18193072939515e22adb298388d";

/** Unwrap serialized secrets, remembering where they were. */
function unwrapSecrets(value: any, at: string, found: string[]): any {
  if (value && typeof value === "object") {
    if (value[SECRET_SIG] === "1b47061264138c4ac30d75fd1eb44270") {
      found.push(at);
      return unwrapSecrets(value.value, at, found);
    }
    if (Array.isArray(value)) return value.map((v, i) => unwrapSecrets(v, `${at}[${i}]`, found));
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v, at ? `${at}.${k}` : k, found)]));
  }
  return value;
}

const fakeId = (text: string) => createHash("sha256").update(text).digest("hex");

/**
 * Run index.ts under Pulumi's mocks with the given stack config; record every registered resource
 * (type, name, inputs, parent) and the stack's exported outputs. Unmocked provider calls fail.
 */
export async function runProgram(
  config: Record<string, unknown>,
  options: { stack?: string; preview?: boolean; secretKeys?: string[] } = {},
): Promise<ProgramRun> {
  return runUnderMocks(() => import("../../index.js"), { ...options, config });
}

/**
 * Run `program` under Pulumi's mocks in a fresh module graph (so it must import what it uses, the
 * Pulumi SDK included, dynamically): record every registered resource and the Outputs it returns.
 */
export async function runUnderMocks(
  program: () => Promise<Record<string, unknown>>,
  options: { config?: Record<string, unknown>; stack?: string; preview?: boolean; secretKeys?: string[] } = {},
): Promise<ProgramRun> {
  vi.resetModules();
  const pulumi = await import("@pulumi/pulumi");
  const config = options.config ?? {};
  const stack = options.stack ?? String(config.environment ?? "test");
  const resources: Recorded[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        const state: Record<string, unknown> = { ...args.inputs };
        switch (args.type) {
          case "docker:index/remoteImage:RemoteImage":
            state.imageId = `sha256:${fakeId(String(args.inputs.name))}`;
            state.repoDigest = `${String(args.inputs.name).split(":")[0]}@sha256:${fakeId(String(args.inputs.name))}`;
            break;
          case "random:index/randomPassword:RandomPassword":
            state.result = `generated-${args.name}-${fakeId(args.name).slice(0, 12)}`;
            state.bcryptHash = `$2a$10$${fakeId(`bcrypt-${args.name}`).slice(0, 53)}`;
            break;
          default:
            break;
        }
        return { id: args.custom ? `${args.name}-id` : undefined, state };
      },
      call(args) {
        throw new Error(`unexpected provider call ${args.token}`);
      },
    },
    PROJECT,
    stack,
    options.preview ?? false,
  );
  // The mock monitor sees each registration's parent URN; mocks' newResource does not.
  const monitor = pulumi.runtime.getMonitor() as any;
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req: any, callback: any) => {
    const parentUrn: string = req.getParent();
    const secretPaths: string[] = [];
    // Deserialize again for the record, keeping secrets visible as secrets.
    const rpc = require("@pulumi/pulumi/runtime/rpc");
    const inputs = unwrapSecrets(rpc.deserializeProperties(req.getObject(), true), "", secretPaths);
    resources.push({
      type: req.getType(),
      name: req.getName(),
      inputs,
      parent: parentUrn ? parentUrn.split("::").pop() : undefined,
      custom: req.getCustom(),
      secretPaths,
      deleteBeforeReplace: req.getDeletebeforereplace(),
      retainOnDelete: req.getRetainondelete() ?? false,
      dependsOn: (req.getDependenciesList() as string[]).map((urn) => urn.split("::").pop()!),
    });
    return register(req, callback);
  };
  const flat: Record<string, string> = {};
  for (const [key, value] of Object.entries(config)) {
    flat[`${PROJECT}:${key}`] = typeof value === "string" ? value : JSON.stringify(value);
  }
  pulumi.runtime.setAllConfig(
    flat,
    (options.secretKeys ?? []).map((k) => `${PROJECT}:${k}`),
  );

  let error: Error | undefined;
  const outputs: ProgramRun["outputs"] = {};
  // The SDK stamps `new Error().stack` on every promise it makes (runtime/debuggable.ts, for its
  // leak report); under vitest each stack is source-mapped, which was ~2/3 of a registration's
  // time. Test runs never read those stacks: capture none while the program runs.
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    for (const [name, out] of Object.entries(await program())) {
      if (!pulumi.Output.isInstance(out)) continue;
      const value = await new Promise((resolve) => (out as any).apply(resolve));
      const secret = await (out as any).isSecret;
      outputs[name] = { value, secret };
    }
  } catch (e) {
    error = e as Error;
  }
  // Let in-flight registrations land before the caller inspects the graph: the SDK's own wait for
  // its RPC queue to drain (what `disconnect` does at the end of a real run), not a guessed delay.
  const { waitForRPCs } = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs: () => Promise<void> };
  await waitForRPCs();
  Error.stackTraceLimit = stackTraceLimit;
  // A service's files travel in its config carrier (components/service.ts): remember which is whose.
  for (const r of resources) {
    if (r.type !== CONTAINER) continue;
    const carrierId = (r.inputs.labels as { label: string; value: string }[] | undefined)?.find((l) => l.label === CONFIG_CARRIER)?.value;
    const carrier = carrierId ? resources.find((c) => c.type === CONTAINER && `${c.name}-id` === carrierId) : undefined;
    if (carrier) carriers.set(r, carrier);
  }
  return { resources, outputs, error };
}

/** components/service.ts CONFIG_CARRIER_LABEL (not imported: the program's modules load fresh under each run). */
const CONFIG_CARRIER = "obs.config-carrier";
const carriers = new WeakMap<Recorded, Recorded>();

/** The container that carries a service's uploads (its config carrier), or the container itself when it has none. */
export const carrierOf = (container: Recorded): Recorded => carriers.get(container) ?? container;

export const byType = (run: ProgramRun, type: string) => run.resources.filter((r) => r.type === type);
export const byName = (run: ProgramRun, name: string) => {
  const found = run.resources.find((r) => r.name === name);
  if (!found) throw new Error(`no resource named ${name}; have ${run.resources.map((r) => r.name).join(", ")}`);
  return found;
};
export const CONTAINER = "docker:index/container:Container";
export const labelsOf = (container: Recorded): Record<string, string> =>
  Object.fromEntries((container.inputs.labels as { label: string; value: string }[]).map((l) => [l.label, l.value]));
/** The files a service gets (uploaded into its config volume by its carrier), by path. */
export const uploadsOf = (container: Recorded): Record<string, string> =>
  Object.fromEntries((carrierOf(container).inputs.uploads ?? []).map((u: { file: string; content: string }) => [u.file, u.content]));
export const envOf = (container: Recorded): Record<string, string> =>
  Object.fromEntries((container.inputs.envs ?? []).map((e: string) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
