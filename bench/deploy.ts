/**
 * Deploy benchmark (npm run bench:deploy; part of npm run bench): the program on the real Pulumi
 * engine and Docker engine.
 *
 * 1. **Command timings** (`timings`): the wall time of the whole command as a user waits for it —
 *    `npm run up|preview|destroy -- <stack>` in a child process, npm and node start included — for a
 *    first `up`, a no-change `preview`, a no-change `up` and a `destroy` of the dev stack, repeated
 *    BENCH_DEPLOY_REPEATS times (default 3; the median is reported), with the 1-minute load average
 *    before each command (the machine is shared). Each command also reports its own milestones
 *    (deploy/cli.ts, OBS_DEPLOY_TIMINGS): where the seconds went. A "no-change" run that changed
 *    anything fails the bench. Results: bench/results/deploy/<time>.json.
 * 2. **Memory per tier** (`memory`): `up` from nothing, a no-change `preview`, a `destroy`, and each
 *    container's memory idle and under load — as `docker stats` shows it and as the memory cgroup
 *    counts it against the limit (cgroup v1 `memory.usage_in_bytes`, page cache included).
 *
 * BENCH_DEPLOY_PARTS=timings,memory (default both) picks the parts (`timings-report`, `memory-report`:
 * that section again from the newest saved results, deploying nothing). Results of both parts are saved
 * in bench/results/deploy/ (`kind` tells them apart). Writes its sections of
 * docs/BENCHMARKS.md between the deploy markers (the rest is bench/run.ts's).
 */
import { execFile, execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { TIERS, type TierName } from "../settings";
import type { Milestones } from "../deploy/cli";
import { OtelClient } from "./lib/client";
import { containersOf, createStack, docker, prerequisites, purgeEnvironment, TOOLS } from "./lib/deploy-harness";
import { saveJson } from "./lib/results";

const ROOT = path.resolve(__dirname, "..");
const DOC = path.join(ROOT, "docs", "BENCHMARKS.md");
// A folder of its own: bench/report.ts reads every *.json directly in bench/results as a collector run.
const RESULTS = path.join(ROOT, "bench", "results", "deploy");
const BEGIN = "<!-- deploy-bench:begin (bench/deploy.ts) -->";
const END = "<!-- deploy-bench:end -->";
const TIMINGS_BEGIN = "<!-- deploy-timings:begin (bench/deploy.ts) -->";
const TIMINGS_END = "<!-- deploy-timings:end -->";
const PARTS = (process.env.BENCH_DEPLOY_PARTS ?? "timings,memory").split(",");
const REPEATS = Number(process.env.BENCH_DEPLOY_REPEATS ?? 3);
const TIER_LIST: TierName[] = (process.env.BENCH_TIERS?.split(",") as TierName[] | undefined) ?? ["small", "medium"];
const LOAD_SECONDS = Number(process.env.BENCH_LOAD_SECONDS ?? 30);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Sample {
  statsMb: number;
  cgroupMb: number;
}

/** docker stats (what users see) and the cgroup's own usage, by container name. */
async function sampleMemory(environment: string): Promise<Record<string, Sample>> {
  const containers = (await containersOf(environment)).filter((c) => !c.name.endsWith("-init"));
  const stats = (await docker("stats", "--no-stream", "--format", "{{.Name}} {{.MemUsage}}", ...containers.map((c) => c.name))).split("\n");
  const out: Record<string, Sample> = {};
  for (const line of stats) {
    const [name, usage] = [line.split(" ")[0]!, line.slice(line.indexOf(" ") + 1)];
    const m = /^([\d.]+)([KMG]i?B)/.exec(usage);
    const unit = m?.[2]?.startsWith("G") ? 1024 : m?.[2]?.startsWith("K") ? 1 / 1024 : 1;
    const id = (await docker("inspect", "-f", "{{.Id}}", name)).trim();
    const file = `/sys/fs/cgroup/memory/docker/${id}/memory.usage_in_bytes`;
    const cgroupMb = fs.existsSync(file) ? Number(fs.readFileSync(file, "utf8")) / 2 ** 20 : NaN;
    out[name.replace(`${environment}-`, "")] = { statsMb: m ? Number(m[1]) * unit : NaN, cgroupMb };
  }
  return out;
}

/** The SDK as load: 4 clients × 500 series every second, plus a 50-span trace per client per second. */
async function load(
  ports: { otlpGrpc: number; otlpHttp: number },
  seconds: number,
  onTick: () => Promise<void>,
): Promise<{ acked: number; failed: number }> {
  const clients = Array.from(
    { length: 4 },
    (_, i) => new OtelClient({ protocol: "grpc", grpcPort: ports.otlpGrpc, httpPort: ports.otlpHttp, serviceName: `bench-${i}` }),
  );
  const counters = clients.map((c) => c.meter().createCounter("bench.requests"));
  for (let s = 0; s < seconds; s++) {
    const t0 = Date.now();
    await Promise.all(
      clients.map(async (client, i) => {
        for (let k = 0; k < 500; k++) counters[i]!.add(1, { route: `/r${k}` });
        const tracer = client.tracer();
        const root = tracer.startSpan("bench");
        for (let k = 0; k < 49; k++) tracer.startSpan(`child-${k}`).end();
        root.end();
        await client.exportMetricsNow();
      }),
    );
    await onTick();
    await sleep(Math.max(0, 1000 - (Date.now() - t0)));
  }
  await Promise.all(clients.map((c) => c.flushSpans()));
  const acked = clients.reduce((n, c) => n + c.acked, 0);
  const failed = clients.reduce((n, c) => n + c.failed, 0);
  await Promise.all(clients.map((c) => c.shutdown()));
  return { acked, failed };
}

export const OPERATIONS = ["first up", "no-change preview", "no-change up", "destroy"] as const;
export type Operation = (typeof OPERATIONS)[number];

export interface CommandRun {
  operation: Operation;
  repeat: number;
  /** The whole command (`npm run …`), as the user waits for it. */
  wallMs: number;
  /** 1-, 5-, 15-minute load averages just before the command. */
  loadBefore: number[];
  milestones: Milestones;
  /** The engine's resource summary line ("40 unchanged", "+ 40 created", "- 40 deleted"). */
  summary: string;
}

export interface DeployTimings {
  kind: "deploy-timings";
  started: string;
  commit: string;
  machine: { cpus: number; model: string; memoryMb: number; kernel: string; node: string; dockerEngine: string; pulumi: string };
  stack: string;
  resources: number;
  runs: CommandRun[];
  medians: Record<Operation, { wallMs: number; loadBefore: number }>;
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** The command a user types, for one operation. */
function commandOf(operation: Operation): string[] {
  if (operation === "destroy") return ["destroy", "--yes"];
  return [operation.endsWith("preview") ? "preview" : "up"];
}

/** `npm run <command> -- <stack> --cwd <workspace>`: wall time, milestones and the engine's summary. */
async function timeCommand(operation: Operation, repeat: number, stack: string, workDir: string): Promise<CommandRun> {
  const [command, ...flags] = commandOf(operation);
  const milestonesFile = path.join(workDir, `milestones-${process.pid}.json`);
  fs.rmSync(milestonesFile, { force: true });
  const loadBefore = os.loadavg().map((l) => Number(l.toFixed(2)));
  const t0 = performance.now();
  const output = await new Promise<string>((resolve, reject) =>
    execFile(
      "npm",
      ["run", "--silent", command!, "--", stack, "--cwd", workDir, ...flags],
      {
        cwd: ROOT,
        maxBuffer: 64 * 1024 * 1024,
        env: {
          ...process.env,
          TOOLS_DIR: TOOLS,
          // The passphrase the harness created the workspace's stack with (bench/lib/deploy-harness.ts).
          PULUMI_CONFIG_PASSPHRASE: "deploy-tier",
          PULUMI_SKIP_UPDATE_CHECK: "true",
          OBS_DEPLOY_TIMINGS: milestonesFile,
        },
      },
      (error, stdout, stderr) =>
        error
          ? reject(new Error(`npm run ${command} failed: ${String(error)}\n${stdout.slice(-3000)}\n${stderr.slice(-3000)}`))
          : resolve(stdout),
    ),
  );
  const wallMs = Math.round(performance.now() - t0);
  // The engine's "Resources:" block: its counted lines, e.g. "+ 40 created" or "40 unchanged".
  const block = /Resources:\n((?:\s+.*\d+ \w+.*\n)+)/.exec(output)?.[1] ?? "";
  const summary = block
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean)
    .join(", ");
  if (operation.startsWith("no-change") && !/^\d+ unchanged$/.test(summary))
    throw new Error(`${operation} was not a no-change run: the engine reported "${summary || output.slice(-2000)}"`);
  // A CLI from before the milestones existed writes none: the wall time still counts.
  // deploy/cli.ts also lists every resource step (for looking into one run by hand); the results keep the milestones.
  const { steps: _steps, ...milestones } = (
    fs.existsSync(milestonesFile) ? JSON.parse(fs.readFileSync(milestonesFile, "utf8")) : {}
  ) as Milestones & {
    steps?: unknown;
  };
  console.log(`${operation} #${repeat}: ${(wallMs / 1000).toFixed(1)} s wall (load ${loadBefore[0]}): ${summary}`);
  return { operation, repeat, wallMs, loadBefore, milestones, summary };
}

/** Part 1: the four commands as a user runs them, REPEATS times, through deploy/cli.ts (npm run …). */
async function commandTimings(
  toolchain: Awaited<ReturnType<typeof prerequisites>>["toolchain"],
  images: Record<string, string>,
  engine: string,
): Promise<DeployTimings> {
  const started = new Date().toISOString();
  // The workspace (Pulumi.yaml with its own file backend, the dev stack file with the local images and
  // free ports) is written by the harness, as for the deploy tier's CLI test; the commands do the rest.
  const deployed = await createStack("dev", toolchain, images, { environment: "timing" });
  const runs: CommandRun[] = [];
  try {
    for (let repeat = 1; repeat <= REPEATS; repeat++) {
      for (const operation of OPERATIONS) runs.push(await timeCommand(operation, repeat, deployed.environment, deployed.workDir));
    }
  } finally {
    await deployed.destroy().catch(() => undefined);
    await purgeEnvironment(deployed.environment);
  }
  const resources = Number(/(\d+) created/.exec(runs.find((r) => r.operation === "first up")?.summary ?? "")?.[1] ?? NaN);
  const medians = Object.fromEntries(
    OPERATIONS.map((op) => {
      const of = runs.filter((r) => r.operation === op);
      return [op, { wallMs: median(of.map((r) => r.wallMs)), loadBefore: median(of.map((r) => r.loadBefore[0]!)) }];
    }),
  ) as DeployTimings["medians"];
  const cpus = os.cpus();
  return {
    kind: "deploy-timings",
    started,
    commit: commitOf(),
    machine: {
      cpus: cpus.length,
      model: cpus[0]?.model ?? "unknown",
      memoryMb: Math.round(os.totalmem() / 2 ** 20),
      kernel: os.release(),
      node: process.version,
      dockerEngine: engine,
      pulumi: toolchain.description,
    },
    stack: "dev (Pulumi.dev.yaml with the local images, its own environment and free ports)",
    resources,
    runs,
    medians,
  };
}

/** `git describe --dirty` of the tree measured; BENCH_COMMIT names a tree that is no git checkout (an export). */
function commitOf(): string {
  if (process.env.BENCH_COMMIT) return process.env.BENCH_COMMIT;
  return execFileSync("git", ["describe", "--always", "--dirty", "--abbrev=7"], { cwd: ROOT, encoding: "utf8" }).trim();
}

const seconds = (ms: number | undefined) => (ms === undefined ? "–" : (ms / 1000).toFixed(1));

/** The timings section of docs/BENCHMARKS.md, from one results file. */
export function renderTimings(t: DeployTimings, saved: DeployTimings[] = [t]): string {
  const phase = (r: CommandRun) => {
    const m = r.milestones;
    const engineStart = m.stackSelected;
    return [
      seconds(r.wallMs - (m.done ?? r.wallMs)),
      seconds(m.loaded),
      seconds(m.prerequisites !== undefined && m.loaded !== undefined ? m.prerequisites - m.loaded : undefined),
      seconds(engineStart !== undefined && m.prerequisites !== undefined ? engineStart - m.prerequisites : undefined),
      seconds(m.firstResourceEvent !== undefined && engineStart !== undefined ? m.firstResourceEvent - engineStart : undefined),
      seconds(
        m.lastResourceEvent !== undefined && m.firstResourceEvent !== undefined ? m.lastResourceEvent - m.firstResourceEvent : undefined,
      ),
      seconds(m.done !== undefined && m.lastResourceEvent !== undefined ? m.done - m.lastResourceEvent : undefined),
    ];
  };
  const medianRun = (op: Operation) => {
    const of = t.runs.filter((r) => r.operation === op).sort((a, b) => a.wallMs - b.wallMs);
    return of[Math.floor((of.length - 1) / 2)]!;
  };
  return [
    TIMINGS_BEGIN,
    "## Deploy timings (the whole command, as a user waits for it)",
    "",
    `Generated by \`npm run bench:deploy\` (\`bench/deploy.ts\`) on ${t.started} at commit ${t.commit}: \`npm run up|preview|destroy -- <stack>\``,
    `on the ${t.stack}, ${t.resources} resources, ${t.machine.cpus} × ${t.machine.model} shared with other work (load averages below),`,
    `Docker engine ${t.machine.dockerEngine}, ${t.machine.pulumi}, Node ${t.machine.node}. Each command ${t.runs.length / OPERATIONS.length} times, in the order`,
    "first up → no-change preview → no-change up → destroy; the median is shown. Results: `bench/results/deploy/*.json`.",
    "",
    `| command | median wall | each run (1-min load before it) |`,
    "|---|---:|---|",
    ...OPERATIONS.map(
      (op) =>
        `| ${op} | **${seconds(t.medians[op].wallMs)} s** | ${t.runs
          .filter((r) => r.operation === op)
          .map((r) => `${seconds(r.wallMs)} s (${r.loadBefore[0]})`)
          .join(", ")} |`,
    ),
    "",
    "Where the seconds of the median run went (deploy/cli.ts's own milestones, `OBS_DEPLOY_TIMINGS`):",
    "",
    "| command | npm + node exit | node start + program modules loaded | `pulumi version` + Docker ping | stack select | engine start → first resource step | resource steps | after the last step (outputs, volumes) |",
    "|---|---:|---:|---:|---:|---:|---:|---:|",
    ...OPERATIONS.map((op) => `| ${op} | ${phase(medianRun(op)).join(" | ")} |`),
    "",
    "Every saved run (`bench/results/deploy/`, oldest first; medians, with the median 1-minute load before the command):",
    "",
    `| run | tree measured | ${OPERATIONS.join(" | ")} |`,
    `|---|---|${OPERATIONS.map(() => "---:").join("|")}|`,
    ...saved.map(
      (s) =>
        `| ${s.started} | ${s.commit} | ${OPERATIONS.map((op) => `${seconds(s.medians[op].wallMs)} s (${s.medians[op].loadBefore})`).join(" | ")} |`,
    ),
    TIMINGS_END,
  ].join("\n");
}

/** The text from `begin` to `end` (markers included) in `text`; "" when absent. */
function between(text: string, begin: string, end: string): string {
  const start = text.indexOf(begin);
  const stop = text.indexOf(end);
  return start >= 0 && stop > start ? text.slice(start, stop + end.length) : "";
}

/**
 * docs/BENCHMARKS.md's deploy block (bench/report.ts keeps it as it is when it rewrites the rest):
 * the timings section (its own inner markers) and then the memory section; a part not given is kept
 * as the document has it, so `BENCH_DEPLOY_PARTS=timings` leaves the memory tables alone.
 */
function writeDeployBlock(parts: { timings?: string; memory?: string }): void {
  const doc = fs.existsSync(DOC) ? fs.readFileSync(DOC, "utf8") : "# Benchmarks\n";
  const block = between(doc, BEGIN, END);
  const keptTimings = between(block, TIMINGS_BEGIN, TIMINGS_END);
  const keptMemory = block.replace(BEGIN, "").replace(END, "").replace(keptTimings, "").trim();
  const next = [BEGIN, parts.timings ?? keptTimings, parts.memory ?? keptMemory, END].filter(Boolean).join("\n\n");
  fs.writeFileSync(DOC, block ? doc.replace(block, () => next) : `${doc.trimEnd()}\n\n${next}\n`);
}

/** Every saved run of one kind in bench/results/deploy/, oldest first. */
function saved<K extends (DeployTimings | DeployMemory)["kind"]>(kind: K): Extract<DeployTimings | DeployMemory, { kind: K }>[] {
  if (!fs.existsSync(RESULTS)) return [];
  return fs
    .readdirSync(RESULTS)
    .filter((f) => f.endsWith(".json"))
    .map((f) => JSON.parse(fs.readFileSync(path.join(RESULTS, f), "utf8")) as DeployTimings | DeployMemory)
    .filter((r): r is Extract<DeployTimings | DeployMemory, { kind: K }> => r.kind === kind)
    .sort((a, b) => a.started.localeCompare(b.started));
}
const savedTimings = () => saved("deploy-timings");

export interface ContainerMemory {
  /** The tier's limit for the container's role, MB; undefined for a container with none (the probe). */
  limitMb?: number;
  idle: Sample;
  peak: Sample;
}

export interface TierMemory {
  tier: TierName;
  upMs: number;
  previewMs: number;
  /** The no-change preview's change summary (e.g. {"same": 40}). */
  changeSummary: Record<string, number>;
  destroyMs: number;
  load: { seconds: number; acked: number; failed: number };
  /** By container name without the environment prefix. */
  containers: Record<string, ContainerMemory>;
}

export interface DeployMemory {
  kind: "deploy-memory";
  started: string;
  commit: string;
  machine: { cpus: number; model: string; dockerEngine: string };
  /** The image each role ran (scripts/build-images.sh's tags); the grafana slot's names the stand-in. */
  images: Record<string, string>;
  tiers: TierMemory[];
}

/** Each tier's dev stack from nothing: up, a no-change preview, memory idle and under load, destroy. */
async function memoryPerTier(
  toolchain: Awaited<ReturnType<typeof prerequisites>>["toolchain"],
  images: Record<string, string>,
  engine: string,
): Promise<DeployMemory> {
  const started = new Date().toISOString();
  const tiers: TierMemory[] = [];
  for (const tier of TIER_LIST) {
    const stack = await createStack("dev", toolchain, images, { environment: `bench${tier[0]}`, tier });
    try {
      let t0 = Date.now();
      await stack.up();
      const upMs = Date.now() - t0;
      t0 = Date.now();
      const preview = await stack.stack.preview();
      const previewMs = Date.now() - t0;
      await sleep(30_000);
      const idle = await sampleMemory(stack.environment);
      const peak: Record<string, Sample> = {};
      const result = await load(stack.ports, LOAD_SECONDS, async () => {
        for (const [name, s] of Object.entries(await sampleMemory(stack.environment))) {
          const p = (peak[name] ??= { statsMb: 0, cgroupMb: 0 });
          p.statsMb = Math.max(p.statsMb, s.statsMb);
          p.cgroupMb = Math.max(p.cgroupMb, s.cgroupMb);
        }
      });
      t0 = Date.now();
      await stack.destroy();
      const destroyMs = Date.now() - t0;
      const limits = TIERS[tier].memoryMb as Record<string, number>;
      const containers = Object.fromEntries(
        Object.keys(idle)
          .sort()
          .map((name) => [
            name,
            { limitMb: limits[name === "otel-collector" ? "collector" : name], idle: idle[name]!, peak: peak[name] ?? idle[name]! },
          ]),
      );
      tiers.push({
        tier,
        upMs,
        previewMs,
        changeSummary: preview.changeSummary as Record<string, number>,
        destroyMs,
        load: { seconds: LOAD_SECONDS, ...result },
        containers,
      });
      console.log(renderTierMemory(tiers.at(-1)!));
    } finally {
      await stack.destroy().catch(() => undefined);
      await purgeEnvironment(stack.environment);
      await stack.stack.workspace.removeStack(stack.environment).catch(() => undefined);
    }
  }
  const cpus = os.cpus();
  return {
    kind: "deploy-memory",
    started,
    commit: commitOf(),
    machine: { cpus: cpus.length, model: cpus[0]?.model ?? "unknown", dockerEngine: engine },
    images,
    tiers,
  };
}

const mb = (n: number | undefined) => (n === undefined || Number.isNaN(n) ? "–" : n.toFixed(1));

function renderTierMemory(t: TierMemory): string {
  const rows = Object.entries(t.containers);
  const sum = (pick: (c: ContainerMemory) => number) => rows.reduce((n, [, c]) => n + pick(c), 0);
  const resources = Object.values(t.changeSummary).reduce((n, k) => n + k, 0);
  return [
    `### ${t.tier} tier`,
    "",
    `- \`up\` from nothing: **${seconds(t.upMs)} s**; no-change \`preview\`: **${seconds(t.previewMs)} s** (${resources} resources: ${JSON.stringify(t.changeSummary)}); \`destroy\`: ${seconds(t.destroyMs)} s`,
    `- load: ${t.load.seconds} s of 4 SDK clients × 500 series/s and 4 × 50 spans/s over OTLP/gRPC: ${t.load.acked} metric exports acknowledged, ${t.load.failed} failed`,
    "",
    "| container | limit MB | idle: docker stats MB | idle: cgroup MB | load peak: docker stats MB | load peak: cgroup MB |",
    "|---|---:|---:|---:|---:|---:|",
    ...rows.map(
      ([n, c]) =>
        `| ${n} | ${c.limitMb ?? "–"} | ${mb(c.idle.statsMb)} | ${mb(c.idle.cgroupMb)} | ${mb(c.peak.statsMb)} | ${mb(c.peak.cgroupMb)} |`,
    ),
    `| **whole stack** | ${sum((c) => c.limitMb ?? 0)} | **${mb(sum((c) => c.idle.statsMb))}** | ${mb(sum((c) => c.idle.cgroupMb))} | **${mb(sum((c) => c.peak.statsMb))}** | ${mb(sum((c) => c.peak.cgroupMb))} |`,
    "",
  ].join("\n");
}

/** The memory section of docs/BENCHMARKS.md, from one results file. */
export function renderMemory(run: DeployMemory): string {
  const grafana = run.images.grafana;
  const grafanaNote = grafana?.includes("standin")
    ? `the grafana row is the project's stand-in (\`${grafana}\`, NOT Grafana: the real server cannot be built here), so it says nothing of Grafana's own memory`
    : `grafana ran \`${grafana ?? "the stack file's image"}\``;
  return [
    "## Deployed stack (real Pulumi engine and Docker engine)",
    "",
    `Generated by \`npm run bench:deploy\` (\`bench/deploy.ts\`) on ${run.started} at commit ${run.commit}: the dev stack file per tier with the`,
    `local images (\`scripts/build-images.sh\`; ${grafanaNote}), Docker engine ${run.machine.dockerEngine} (cgroup v1), on this`,
    `machine's ${run.machine.cpus} cores. \`docker stats\` shows usage minus page cache; the cgroup column is what the memory limit`,
    "counts (page cache of the binaries and data files included), so it reads higher. Idle = 30 s after `up`.",
    "The seeds' claim for the whole stack is 180–250 MB. Results: `bench/results/deploy/memory-*.json`.",
    "",
    ...run.tiers.map(renderTierMemory),
  ].join("\n");
}

async function main(): Promise<void> {
  const {
    toolchain,
    images,
    docker: engine,
  } = PARTS.some((p) => p === "timings" || p === "memory") ? await prerequisites() : ({} as Awaited<ReturnType<typeof prerequisites>>);
  if (PARTS.includes("timings")) {
    const timings = await commandTimings(toolchain, images, engine);
    const file = path.join(RESULTS, `${timings.started.replace(/[:.]/g, "-")}.json`);
    await saveJson(file, timings);
    writeDeployBlock({ timings: renderTimings(timings, savedTimings()) });
    console.log(`wrote ${file} and the deploy timings section of ${DOC}`);
  }
  if (PARTS.includes("timings-report")) {
    // The section again from the newest saved timings, without deploying anything.
    const saved = savedTimings();
    const newest = saved.at(-1);
    if (!newest) throw new Error(`no deploy timings in ${RESULTS}: run \`BENCH_DEPLOY_PARTS=timings npm run bench:deploy\``);
    writeDeployBlock({ timings: renderTimings(newest, saved) });
    console.log(`wrote the deploy timings section of ${DOC} from the run of ${newest.started}`);
  }
  if (PARTS.includes("memory")) {
    const run = await memoryPerTier(toolchain, images, engine);
    const file = path.join(RESULTS, `memory-${run.started.replace(/[:.]/g, "-")}.json`);
    await saveJson(file, run);
    writeDeployBlock({ memory: renderMemory(run) });
    console.log(`wrote ${file} and the deploy memory section of ${DOC}`);
  }
  if (PARTS.includes("memory-report")) {
    const newest = saved("deploy-memory").at(-1);
    if (!newest) throw new Error(`no deploy memory runs in ${RESULTS}: run \`BENCH_DEPLOY_PARTS=memory npm run bench:deploy\``);
    writeDeployBlock({ memory: renderMemory(newest) });
    console.log(`wrote the deploy memory section of ${DOC} from the run of ${newest.started}`);
  }
}

if (require.main === module)
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
