// Loads index.ts the way `pulumi up` does on a user's machine: @pulumi/pulumi's own runtime
// (cmd/run/run.js) registers ts-node with tsconfig.json's compilerOptions on top of its defaults,
// type-checking on, and then requires the program. vitest and `tsc --noEmit` see every file the
// tsconfig includes; ts-node only sees what the program imports, so a type that only a `.d.ts`
// reached through `include` supplies passes there and fails here.
// Usage (from the repository root): node test/helpers/load-under-pulumi-tsnode.cjs <stack>
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const yaml = require("js-yaml");
const pulumi = require("@pulumi/pulumi");
const tsutils = require("@pulumi/pulumi/tsutils");

const stack = process.argv[2] || "dev";
const tsConfigPath = "tsconfig.json";
const compilerOptions = tsutils.loadTypeScriptCompilerOptions(tsConfigPath);
const { tsnodeRequire, typescriptRequire } = tsutils.typeScriptRequireStrings();
// Same options as @pulumi/pulumi 3.248 cmd/run/run.js for a CommonJS project with TypeScript >= 4.7.
require(tsnodeRequire).register({
  compiler: typescriptRequire,
  transpileOnly: process.env.PULUMI_NODEJS_TRANSPILE_ONLY ? process.env.PULUMI_NODEJS_TRANSPILE_ONLY === "true" : compilerOptions.noCheck,
  project: tsConfigPath,
  skipProject: !fs.existsSync(tsConfigPath),
  compilerOptions: { target: "ES2020", module: "nodenext", moduleResolution: "nodenext", sourceMap: "true", ...compilerOptions },
});

const doc = yaml.load(fs.readFileSync(`Pulumi.${stack}.yaml`, "utf8"));
const config = {};
for (const [key, value] of Object.entries(doc.config)) config[key] = typeof value === "string" ? value : JSON.stringify(value);
pulumi.runtime.setMocks(
  {
    newResource: (args) => ({ id: `${args.name}-id`, state: { ...args.inputs, imageId: "sha256:0", result: "x", bcryptHash: "$2a$10$x" } }),
    call: (args) => {
      throw new Error(`unexpected call ${args.token}`);
    },
  },
  "obs-stack",
  stack,
  false,
);
pulumi.runtime.setAllConfig(config);

const program = require(path.resolve("index.ts"));
const names = Object.keys(program).filter((k) => pulumi.Output.isInstance(program[k]));
console.log(
  `loaded index.ts under Pulumi's ts-node (${require(tsnodeRequire).VERSION}, typescript ${require(typescriptRequire).version}): ${names.length} outputs: ${names.join(", ")}`,
);
