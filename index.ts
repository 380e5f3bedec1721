import { defineStack } from "./deploy/program";

/**
 * The Pulumi program. Everything it does lives in deploy/program.ts so that the Automation API
 * (`npm run up|preview|destroy`, the deploy tier) runs exactly the same code as `pulumi up`.
 * Its exports are the stack outputs (a key is left out when it has no value).
 */
export = defineStack();
