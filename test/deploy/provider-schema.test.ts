// The provider plugins we build ourselves (scripts/install-pulumi.sh, tools/pulumi-providers/)
// must speak the same names as the npm SDKs the program is written against: a resource token or
// property name the plugin does not know is silently dropped (inputs) or never set (outputs).
// This compares `pulumi package get-schema <plugin>` with the declarations of @pulumi/docker and
// @pulumi/random (their .d.ts files), for every resource class, recursively through nested input
// types. Skipped when the CLI and plugins are not built (TOOLS_DIR / PULUMI_HOME).
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const REPO = path.resolve(__dirname, "..", "..");
const TOOLS_DIR = process.env.TOOLS_DIR ?? path.join(REPO, ".tools");
const PULUMI_HOME = process.env.PULUMI_HOME ?? path.join(TOOLS_DIR, "pulumi-home");
const PULUMI = path.join(TOOLS_DIR, "bin", "pulumi");

interface Plugin {
  pkg: "docker" | "random";
  version: string;
  /** npm resource classes (file names without .d.ts) the program relies on: all must match fully */
  required: string[];
  /** npm resource tokens with no Terraform counterpart: may be missing from the schema */
  notBridged: string[];
}

const PLUGINS: Plugin[] = [
  {
    pkg: "docker",
    version: "5.2.0",
    required: ["container", "network", "volume", "remoteImage"],
    // docker.Image is pulumi-docker's native build resource, not part of the Terraform provider.
    notBridged: ["docker:index/image:Image"],
  },
  { pkg: "random", version: "4.21.2", required: ["randomPassword"], notBridged: [] },
];

const pluginBinary = (p: Plugin): string =>
  path.join(PULUMI_HOME, "plugins", `resource-${p.pkg}-v${p.version}`, `pulumi-resource-${p.pkg}`);

// The deploy tier runs after `npm run components`: a missing CLI or plugin is a failure, not a skip.
const missingTools = [PULUMI, ...PLUGINS.map(pluginBinary)].filter((f) => !fs.existsSync(f));
if (missingTools.length > 0)
  throw new Error(`not built: ${missingTools.join(", ")} (run scripts/install-pulumi.sh; TOOLS_DIR=${TOOLS_DIR})`);

// --- the npm side ------------------------------------------------------------
interface Decl {
  /** property name -> type text */
  props: Map<string, string>;
}
interface NpmResource {
  file: string;
  token: string;
  className: string;
  args: Decl;
  outputs: Decl;
}

function parse(file: string): ts.SourceFile {
  return ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
}

function declOf(members: ts.NodeArray<ts.ClassElement | ts.TypeElement>, src: ts.SourceFile, onlyOutputs = false): Decl {
  const props = new Map<string, string>();
  for (const m of members) {
    if (!(ts.isPropertySignature(m) || ts.isPropertyDeclaration(m)) || !m.type) continue;
    const name = m.name.getText(src);
    const type = m.type.getText(src);
    if (onlyOutputs && !type.startsWith("pulumi.Output<")) continue;
    props.set(name, type);
  }
  return { props };
}

function npmResources(pkg: string): NpmResource[] {
  const dir = path.join(REPO, "node_modules", "@pulumi", pkg);
  const out: NpmResource[] = [];
  for (const f of fs.readdirSync(dir).filter((n) => n.endsWith(".js"))) {
    const m = /__pulumiType = '([^']+)'/.exec(fs.readFileSync(path.join(dir, f), "utf8"));
    // the provider resource's type is the bare package name ("docker"): not a schema resource
    if (!m?.[1].includes(":")) continue;
    const file = f.replace(/\.js$/, "");
    const token = m[1];
    const className = token.split(":")[2];
    const src = parse(path.join(dir, `${file}.d.ts`));
    let args: Decl = { props: new Map() };
    let outputs: Decl = { props: new Map() };
    src.forEachChild((n) => {
      if (ts.isInterfaceDeclaration(n) && n.name.text === `${className}Args`) args = declOf(n.members, src);
      if (ts.isClassDeclaration(n) && n.name?.text === className) outputs = declOf(n.members, src, true);
    });
    out.push({ file, token, className, args, outputs });
  }
  return out;
}

/** every interface in @pulumi/<pkg>/types/input.d.ts, by name */
function npmInputTypes(pkg: string): Map<string, Decl> {
  const file = path.join(REPO, "node_modules", "@pulumi", pkg, "types", "input.d.ts");
  const types = new Map<string, Decl>();
  if (!fs.existsSync(file)) return types;
  const src = parse(file);
  const visit = (n: ts.Node): void => {
    if (ts.isInterfaceDeclaration(n)) types.set(n.name.text, declOf(n.members, src));
    n.forEachChild(visit);
  };
  visit(src);
  return types;
}

// --- the plugin side -----------------------------------------------------------
interface SchemaObject {
  properties?: Record<string, unknown>;
  inputProperties?: Record<string, unknown>;
}
interface PackageSchema {
  name: string;
  version: string;
  provider?: SchemaObject;
  resources: Record<string, SchemaObject>;
  types?: Record<string, SchemaObject>;
}

function getSchema(p: Plugin): PackageSchema {
  const json = execFileSync(PULUMI, ["package", "get-schema", pluginBinary(p)], {
    env: { ...process.env, PULUMI_HOME, PULUMI_SKIP_UPDATE_CHECK: "1", PULUMI_CONFIG_PASSPHRASE: "unused" },
    maxBuffer: 256 * 1024 * 1024,
    timeout: 120_000,
  }).toString();
  return JSON.parse(json) as PackageSchema;
}

/**
 * Input property names declared by npm (resource args and, recursively, the nested input
 * types they reference) that the schema lacks, as "Type.prop" strings.
 */
function missingInputs(r: NpmResource, schema: PackageSchema, inputs: Map<string, Decl>): string[] {
  const res = schema.resources[r.token];
  const schemaTypes = new Map<string, SchemaObject>();
  for (const [tok, t] of Object.entries(schema.types ?? {})) schemaTypes.set(tok.split(":")[2], t);
  const missing: string[] = [];
  const seen = new Set<string>();
  const walk = (owner: string, decl: Decl, have: Record<string, unknown>): void => {
    for (const [prop, type] of decl.props) {
      if (!(prop in have)) missing.push(`${owner}.${prop}`);
      for (const [, ref] of type.matchAll(/inputs\.(\w+)/g)) {
        if (seen.has(ref)) continue;
        seen.add(ref);
        const npmType = inputs.get(ref);
        const schemaType = schemaTypes.get(ref);
        if (!npmType) continue;
        if (!schemaType) missing.push(`type ${ref}`);
        else walk(ref, npmType, schemaType.properties ?? {});
      }
    }
  };
  walk(r.className, r.args, res.inputProperties ?? {});
  return missing;
}

describe("built provider plugins match the npm SDKs", () => {
  for (const p of PLUGINS) {
    describe(`${p.pkg} ${p.version}`, () => {
      const resources = npmResources(p.pkg);
      const inputs = npmInputTypes(p.pkg);
      let schema: PackageSchema | undefined;
      const load = (): PackageSchema => (schema ??= getSchema(p));

      it("reports the npm package's name and version", () => {
        expect(load().name).toBe(p.pkg);
        expect(load().version).toBe(p.version);
      });

      it("knows every resource type of the npm SDK", () => {
        const known = Object.keys(load().resources);
        const missing = resources.map((r) => r.token).filter((t) => !known.includes(t) && !p.notBridged.includes(t));
        expect(missing, `resource tokens of @pulumi/${p.pkg} missing from the plugin schema`).toEqual([]);
        for (const file of p.required) expect(resources.map((r) => r.file)).toContain(file);
      });

      for (const file of p.required) {
        it(`${file}: every input (recursively) and output of the npm class exists with the same name`, () => {
          const r = resources.find((x) => x.file === file);
          expect(r, `@pulumi/${p.pkg}/${file}.d.ts`).toBeDefined();
          if (!r) return;
          const res = load().resources[r.token];
          expect(res, `${r.token} in the plugin schema`).toBeDefined();
          expect(r.args.props.size, `${r.className}Args parsed from the .d.ts`).toBeGreaterThan(0);
          expect(missingInputs(r, load(), inputs), `inputs of ${r.token} missing from the plugin schema`).toEqual([]);
          const outs = [...r.outputs.props.keys()].filter((k) => k !== "urn" && k !== "id" && !(k in (res.properties ?? {})));
          expect(outs, `outputs of ${r.token} missing from the plugin schema`).toEqual([]);
        });
      }

      it("takes the npm Provider's configuration names", () => {
        const src = parse(path.join(REPO, "node_modules", "@pulumi", p.pkg, "provider.d.ts"));
        let args: Decl = { props: new Map() };
        src.forEachChild((n) => {
          if (ts.isInterfaceDeclaration(n) && n.name.text === "ProviderArgs") args = declOf(n.members, src);
        });
        const have = load().provider?.inputProperties ?? {};
        const missing = [...args.props.keys()].filter((k) => !(k in have));
        expect(missing, `ProviderArgs of @pulumi/${p.pkg} missing from the plugin schema`).toEqual([]);
      });

      it("every other bridged resource of the npm SDK has the same input names", () => {
        const others = resources.filter(
          (r) => !p.required.includes(r.file) && !p.notBridged.includes(r.token) && load().resources[r.token],
        );
        const missing = others.flatMap((r) => missingInputs(r, load(), inputs));
        expect(missing, `inputs missing from the plugin schema`).toEqual([]);
      });
    });
  }
});
