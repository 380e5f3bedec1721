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
 *   --cwd <dir>       the project directory (Pulumi.yaml + Pulumi.<stack>.yaml); default: this repository
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { OutputMap, Stack } from "@pulumi/pulumi/automation";
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
import { formatReport, verifyStack } from "./verify";
import { verifyTargetFor } from "./verify-target";

const COMMANDS = ["up", "preview", "destroy", "verify", "outputs"] as const;
type Command = (typeof COMMANDS)[number];

interface Args {
  command: Command;
  stack: string;
  yes: boolean;
  localImages: boolean;
  ca?: string;
  cwd?: string;
  purgeData: boolean;
}

function parseArgs(argv: string[]): Args {
  const [command, stack, ...rest] = argv;
  if (!COMMANDS.includes(command as Command) || !stack || stack.startsWith("-")) {
    throw new PrerequisiteError(
      `usage: npm run ${COMMANDS.join("|")} -- <stack> [--yes] [--purge-data] [--local-images] [--ca file] [--cwd dir]  (stacks: ${listStackFiles().join(", ")})`,
    );
  }
  const args: Args = { command: command as Command, stack, yes: false, localImages: false, purgeData: false };
  for (let i = 0; i < rest.length; i++) {
    const flag = rest[i];
    if (flag === "--yes") args.yes = true;
    else if (flag === "--local-images") args.localImages = true;
    else if (flag === "--purge-data" && command === "destroy") args.purgeData = true;
    else if (flag === "--ca" && rest[i + 1]) args.ca = rest[++i];
    else if (flag === "--cwd" && rest[i + 1]) args.cwd = rest[++i];
    else throw new PrerequisiteError(`unknown option ${flag}`);
  }
  return args;
}

/** Outputs for humans: secrets stay `[secret]` (read one with `pulumi stack output <name> --show-secrets`). */
export function formatOutputs(outputs: OutputMap): string {
  const names = Object.keys(outputs).sort();
  const width = Math.max(0, ...names.map((n) => n.length));
  return names.map((n) => `${n.padEnd(width)}  ${outputs[n]!.secret ? "[secret]" : String(outputs[n]!.value)}`).join("\n");
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

async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  readStackFile(args.stack, args.cwd); // a clear line for a stack without a file
  const toolchain = await findToolchain();
  const docker = await checkDocker();
  if (!process.env.PULUMI_CONFIG_PASSPHRASE && !process.env.PULUMI_CONFIG_PASSPHRASE_FILE) {
    throw new PrerequisiteError(
      "PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE) is not set: it encrypts this stack's secrets in the local state.",
    );
  }
  console.log(`pulumi: ${toolchain.description}; docker engine ${docker}; stack ${args.stack}`);
  const stack = await openStack({ stackName: args.stack, toolchain, workDir: args.cwd });
  if (args.localImages) await useLocalImages(stack, args.stack);
  const onOutput = (out: string) => process.stdout.write(out);
  switch (args.command) {
    case "up": {
      const result = await stack.up({ onOutput, color: "auto" });
      console.log(`\n${formatOutputs(result.outputs)}`);
      return 0;
    }
    case "preview": {
      await stack.preview({ onOutput, diff: true, color: "auto" });
      return 0;
    }
    case "destroy": {
      if (!args.yes) throw new PrerequisiteError(`destroy removes every container of stack ${args.stack}: add --yes to confirm.`);
      const { environment } = await stackSettings(stack);
      await stack.destroy({ onOutput, color: "auto" });
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
      const outputs = Object.fromEntries(Object.entries(await stack.outputs()).map(([k, o]) => [k, o.value]));
      const target = verifyTargetFor(await stackSettings(stack), outputs, {
        caPem: args.ca ? fs.readFileSync(args.ca, "utf8") : undefined,
      });
      const report = await verifyStack(target);
      process.stdout.write(formatReport(report));
      return report.ok ? 0 : 1;
    }
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof PrerequisiteError) console.error(`error: ${err.message}`);
    else console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exit(err instanceof PrerequisiteError ? 2 : 1);
  },
);
