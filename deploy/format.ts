import type { OutputMap } from "@pulumi/pulumi/automation";
import { specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";

/** Outputs for humans: secrets stay `[secret]` (read one with `pulumi stack output <name> --show-secrets`). */
export function formatOutputs(outputs: OutputMap): string {
  const names = Object.keys(outputs).sort();
  const width = Math.max(0, ...names.map((n) => n.length));
  const show = (value: unknown) => (typeof value === "object" && value !== null ? JSON.stringify(value) : String(value));
  return names.map((n) => `${n.padEnd(width)}  ${outputs[n]!.secret ? "[secret]" : show(outputs[n]!.value)}`).join("\n");
}

/** The engine's serialized secret: `{ <sig key>: <secret sig>, ciphertext: "[secret]" }` in events (no value in it). */
function isSecret(value: unknown): boolean {
  return typeof value === "object" && value !== null && (value as Record<string, unknown>)[specialSigKey] === specialSecretSig;
}

/** A value with every secret inside it (an object's field, a list's item) replaced by `[secret]`. */
function masked(value: unknown): unknown {
  if (isSecret(value)) return "[secret]";
  if (Array.isArray(value)) return value.map(masked);
  if (typeof value === "object" && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, masked(v)]));
  return value;
}

/**
 * The stack's outputs from the engine's event for the stack resource. The engine serializes a secret in
 * its events as Pulumi's secret envelope whose ciphertext is the placeholder `[secret]` (events never
 * carry a secret's value; the CLI runs without --show-secrets): a top-level secret output is secret, with
 * no value to keep, and a secret nested in a plain output prints as `[secret]` where it sits.
 */
export function outputsFromEvent(outputs: Record<string, unknown>): OutputMap {
  return Object.fromEntries(
    Object.entries(outputs).map(([name, value]) => [
      name,
      isSecret(value) ? { value: undefined, secret: true } : { value: masked(value), secret: false },
    ]),
  );
}
