/**
 * `npm run up|preview|destroy|verify|outputs -- <stack> [options]`: the real Pulumi engine through the
 * Automation API (inline program = deploy/program.ts, the same code index.ts runs), for machines
 * where the Node.js language host is missing. Progress is streamed; outputs are printed at the end.
 *
 *   --yes             (destroy) do not ask; required without a terminal
 *   --purge-data      (destroy) also remove the volumes data.keepOnDelete kept (label obs.stack=<environment>)
 *   --local-images    set images.<role> in Pulumi.<stack>.yaml to the locally built images
 *                     ($TOOLS_DIR/images.json from scripts/build-images.sh) before running
 *   --ca <file>       (verify) PEM bundle that signed Traefik's certificate
 *   --address <host>  (verify) where to reach the published ports when exposure.bindAddress is 0.0.0.0
 *                     (default 127.0.0.1; engine swarm: the data node, where Traefik publishes)
 *   --cwd <dir>       the project directory (Pulumi.yaml + Pulumi.<stack>.yaml); default: this repository
 *
 * With OBS_DEPLOY_TIMINGS=<file>, the milestones of the run (ms since this process started: modules
 * loaded, prerequisites checked, stack selected, the engine's first and last resource event, done)
 * are written there as JSON: the deploy bench's breakdown of where a command's seconds go.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import type { EngineEvent, OutputMap, Stack } from "@pulumi/pulumi/automation";
import { formatOutputs, outputsFromEvent } from "./format";
import {
  checkDocker,
  findToolchain,
  listStackFiles,
  openStack,
  stackSettings,
  PrerequisiteError,
  PROJECT,
  purgeVolumes,
  stackVolumes,
  readStackFile,
  toolsDir,
} from "./automation";

const COMMANDS = ["up", "preview", "destroy", "verify", "outputs"] as const;
type Command = (typeof COMMANDS)[number];

interface Args {
  command: Command;
  stack: string;
  yes: boolean;
  localImages: boolean;
  ca?: string;
  address?: string;
  cwd?: string;
  purgeData: boolean;
}

function parseArgs(argv: string[]): Args {
  const [command, stack, ...rest] = argv;
  if (!COMMANDS.includes(command as Command) || !stack || stack.startsWith("-")) {
    throw new PrerequisiteError(
      `usage: npm run ${COMMANDS.join("|")} -- <stack> [--yes] [--purge-data] [--local-images] [--ca file] [--address host] [--cwd dir]  (stacks: ${listStackFiles().join(", ")})`,
    );
  }
  const args: Args = { command: command as Command, stack, yes: false, localImages: false, purgeData: false };
  for (let i = 0; i < rest.length; i++) {
    const flag = rest[i];
    if (flag === "--yes") args.yes = true;
    else if (flag === "--local-images") args.localImages = true;
    else if (flag === "--purge-data" && command === "destroy") args.purgeData = true;
    else if (flag === "--ca" && rest[i + 1]) args.ca = rest[++i];
    else if (flag === "--address" && command === "verify" && rest[i + 1]) args.address = rest[++i];
    else if (flag === "--cwd" && rest[i + 1]) args.cwd = rest[++i];
    else throw new PrerequisiteError(`unknown option ${flag}`);
  }
  return args;
}

async function useLocalImages(stack: Stack, stackName: string): Promise<void> {
  const file = path.join(toolsDir(), "images.json");
  if (!fs.existsSync(file))
    throw new PrerequisiteError(`--local-images: ${file} not found; build the images with \`bash scripts/build-images.sh\`.`);
  const images = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, string>;
  const config = Object.fromEntries(Object.entries(images).map(([role, tag]) => [`${PROJECT}:images.${role}`, { value: tag }]));
  await stack.setAllConfig(config, true);
  console.log(
    `--local-images: set ${Object.keys(images)
      .map((r) => `images.${r}`)
      .join(", ")} in Pulumi.${stackName}.yaml`,
  );
}

/** Milestones of this run in ms since the process started (performance.now()), for OBS_DEPLOY_TIMINGS. */
export type Milestones = Partial<
  Record<"loaded" | "prerequisites" | "stackSelected" | "firstResourceEvent" | "lastResourceEvent" | "engineDone" | "done", number>
>;
const milestones: Milestones = {};
/** Each resource step as the engine streamed it (OBS_DEPLOY_TIMINGS only): where the resource phase's seconds go. */
const steps: { ms: number; event: "pre" | "outputs"; op: string; urn: string }[] = [];
const mark = (name: keyof Milestones) => (milestones[name] = Math.round(performance.now()));

/** The stack resource's outputs as the engine reported them at the end of an update (secrets already `[secret]`). */
let engineOutputs: OutputMap | undefined;

/** Engine events as they stream: the first and last resource step the engine reported, and the stack's outputs. */
function onEvent(event: EngineEvent): void {
  const resourceStep = event.resourcePreEvent ?? event.resOutputsEvent;
  if (resourceStep) {
    milestones.firstResourceEvent ??= Math.round(performance.now());
    mark("lastResourceEvent");
    if (process.env.OBS_DEPLOY_TIMINGS)
      steps.push({
        ms: Math.round(performance.now()),
        event: event.resourcePreEvent ? "pre" : "outputs",
        op: resourceStep.metadata.op,
        urn: resourceStep.metadata.urn.split("::").slice(-2).join("::"),
      });
  }
  const step = event.resOutputsEvent?.metadata;
  if (step?.type === "pulumi:pulumi:Stack" && step.new) engineOutputs = outputsFromEvent(step.new.outputs ?? {});
}

/**
 * `stack.up()`, without its read-backs. After the update the Automation API runs `pulumi stack output`
 * twice and `pulumi stack history` one after another (three more CLI processes, each loading the state
 * and deriving the passphrase key: ~1 s of a no-change up, docs/BENCHMARKS.md "Deploy timings") only to
 * fill `result.outputs` and `result.summary`. This CLI prints the outputs the engine already reported
 * for the stack resource and uses no summary, so for this one call the stack answers both from that
 * event. Should a newer SDK stop reading back through these two methods, the up is as before, only
 * slower; `npm run outputs` still asks the CLI.
 */
async function upWithoutReadback(stack: Stack, onOutput: (out: string) => void): Promise<OutputMap> {
  const readBacks = { outputs: stack.outputs, info: stack.info };
  engineOutputs = undefined;
  Object.assign(stack, {
    outputs: async () => engineOutputs ?? readBacks.outputs.call(stack),
    info: async () => undefined,
  });
  try {
    const result = await stack.up({ onOutput, onEvent, color: "auto" });
    return result.outputs;
  } finally {
    Object.assign(stack, readBacks);
  }
}

function writeMilestones(): void {
  const file = process.env.OBS_DEPLOY_TIMINGS;
  if (file) fs.writeFileSync(file, JSON.stringify({ ...milestones, steps }));
}

async function main(argv: string[]): Promise<number> {
  mark("loaded");
  const args = parseArgs(argv);
  readStackFile(args.stack, args.cwd); // a clear line for a stack without a file
  // `pulumi version` (findToolchain) and the engine's ping run side by side.
  const [toolchain, docker] = await Promise.all([findToolchain(), checkDocker()]);
  mark("prerequisites");
  if (!process.env.PULUMI_CONFIG_PASSPHRASE && !process.env.PULUMI_CONFIG_PASSPHRASE_FILE) {
    throw new PrerequisiteError(
      "PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE) is not set: it encrypts this stack's secrets in the local state.",
    );
  }
  console.log(`pulumi: ${toolchain.description}; docker engine ${docker}; stack ${args.stack}`);
  const stack = await openStack({ stackName: args.stack, toolchain, workDir: args.cwd });
  if (args.localImages) await useLocalImages(stack, args.stack);
  mark("stackSelected");
  const onOutput = (out: string) => process.stdout.write(out);
  switch (args.command) {
    case "up": {
      const outputs = await upWithoutReadback(stack, onOutput);
      mark("engineDone");
      console.log(`\n${formatOutputs(outputs)}`);
      return 0;
    }
    case "preview": {
      await stack.preview({ onOutput, onEvent, diff: true, color: "auto" });
      mark("engineDone");
      return 0;
    }
    case "destroy": {
      if (!args.yes) throw new PrerequisiteError(`destroy removes every container of stack ${args.stack}: add --yes to confirm.`);
      const { environment } = await stackSettings(stack);
      await stack.destroy({ onOutput, onEvent, color: "auto" });
      mark("engineDone");
      const kept = await stackVolumes(environment);
      if (args.purgeData) {
        const removed = await purgeVolumes(environment);
        console.log(`--purge-data: removed ${removed.length} volume(s): ${removed.join(", ") || "none"}`);
      } else if (kept.length > 0) {
        console.log(
          `kept ${kept.length} data volume(s) (data.keepOnDelete): ${kept.join(", ")}\n` +
            `remove them with: npm run destroy -- ${args.stack} --yes --purge-data`,
        );
      }
      return 0;
    }
    case "outputs": {
      console.log(formatOutputs(await stack.outputs()));
      return 0;
    }
    case "verify": {
      // Loaded only here: the OpenTelemetry SDK it sends with is ~0.2 s of every other command's start.
      const [{ formatReport, verifyStack }, { verifyTargetFor }] = await Promise.all([import("./verify.js"), import("./verify-target.js")]);
      const outputs = Object.fromEntries(Object.entries(await stack.outputs()).map(([k, o]) => [k, o.value]));
      const target = verifyTargetFor(await stackSettings(stack), outputs, {
        caPem: args.ca ? fs.readFileSync(args.ca, "utf8") : undefined,
        connectAddress: args.address,
      });
      const report = await verifyStack(target);
      process.stdout.write(formatReport(report));
      return report.ok ? 0 : 1;
    }
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    mark("done");
    writeMilestones();
    process.exit(code);
  },
  (err: unknown) => {
    if (err instanceof PrerequisiteError) console.error(`error: ${err.message}`);
    else console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exit(err instanceof PrerequisiteError ? 2 : 1);
  },
);
