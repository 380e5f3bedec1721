import { z } from "zod";

/**
 * A secret value from stack config. Settings are plain data handed to pure renderers; a secret leaf
 * is wrapped so it can never be serialised into a rendered file, a log line or a snapshot by
 * accident: renderers reference secrets by file path instead, and only a component turns a Secret
 * into a `pulumi.secret(...)` Output with `reveal()`.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** The plain value. Only components call this, to build a `pulumi.secret(...)`. */
  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return "[secret]";
  }

  toJSON(): never {
    throw new Error("a Secret must not be serialised; reference it by file path instead");
  }
}

/** A secret in stack config: a non-empty string, wrapped in a Secret as it is parsed. */
export const secret = z
  .string({ error: "must be a string (set it with `pulumi config set --secret`)" })
  .min(1, { error: "must not be empty" })
  .transform((value) => new Secret(value));
