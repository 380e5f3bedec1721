/**
 * `npm run bench:profile` (tsx bench/profile.ts): where the collector's CPU goes (issue 22, item 1).
 *
 * For each signal (metrics, traces, logs) and each config — OURS as configs/collector.ts renders it for
 * the small tier, BASELINE the seeds' (bench/baseline.ts), and OURS with `collector.persistentQueue:
 * false` (what the durability guarantee costs) — the collector runs as in `npm run bench` (its memory
 * cgroup, a fresh copy of its binary charged to it, GOMEMLIMIT for ours only, fresh real backends:
 * bench/lib/components.ts), with the pprof extension added on 127.0.0.1 to the bench's copy of its
 * config only. The same fixed load for every config (telemetrygen, scored by the main bench's loadStep:
 * nothing refused, lost or failed), and a CPU profile of BENCH_PROFILE_S seconds (default 25) taken from
 * /debug/pprof/profile while the load runs. The configs alternate within each signal, and their order
 * rotates from one signal to the next, so drift on the shared machine does not favour one of them.
 *
 * Rates: BENCH_PROFILE_RATE_<SIGNAL> items/s, else 75 % of OUR ceiling (accepted/s at its highest
 * zero-loss step) in the newest bench/results/<run>.json, rounded down to 1,000.
 * BENCH_PROFILE_VARIANTS (default ours,baseline,ours-no-pq), BENCH_PROFILE_SIGNALS (default all three).
 *
 * Writes bench/results/profiles/<start>-<signal>-<variant>.pb.gz (raw) and .txt (`go tool pprof -top
 * -nodecount=25` and the component table), bench/results/profiles/profile-<start>.json, and the
 * "Where the CPU goes" section of docs/BENCHMARKS.md (between its markers) from that JSON
 * (BENCH_PROFILE_REPORT_ONLY=1 re-renders it from the newest JSON).
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { toYaml } from "../configs/serialize";
import { backendBinary, kindsOf } from "../settings";
import { renderBaselineYaml } from "./baseline";
import {
  collectorPorts,
  runtimeEnvOf,
  startBackends,
  startCollectorProcess,
  writeConfig,
  type CollectorSpec,
  type Variant,
} from "./lib/components";
import { freePort, runBench, sleep } from "./lib/harness";
import type { Signal } from "./lib/load";
import { load1, sh } from "./lib/measure";
import { saveJson, withSection } from "./lib/results";
import { loopbackStack } from "./lib/stack";
import { CROSS_CUTTING, GROUP_NAMES, groupSamples, parseTop, parseTraces, type Grouped, type TopRow } from "./profile-groups";
import { PROFILE_BEGIN, PROFILE_END, RESULTS_DIR } from "./report";
import { loadStep, type Ctx, type StepResult } from "./steps";

const PROFILES_DIR = path.join(RESULTS_DIR, "profiles");
const DOC = path.resolve(__dirname, "..", "docs", "BENCHMARKS.md");
export { PROFILE_BEGIN, PROFILE_END } from "./report";
const TIER = "small" as const;
/** The logs backend bench/run.ts runs: the first one the tiers run that has a local binary (as bench/span-metrics.ts picks it). */
const LOGS_KIND = kindsOf("logs").find((kind) => backendBinary(kind) !== undefined);
const SIGNALS: Signal[] = ["metrics", "traces", "logs"];
const PROFILE_S = Number(process.env.BENCH_PROFILE_S ?? 25);
/** Load runs this long before the profile starts (clients connected, queues warm) and after it ends. */
const LEAD_S = 5;
const TAIL_S = 3;
/** Share of our measured ceiling the default load runs at. */
const CEILING_SHARE = 0.75;

/** A profiled configuration: the program's (with or without the persistent queue) or the seeds'. */
export type ProfileVariant = "ours" | "baseline" | "ours-no-pq";
const VARIANT_LABEL: Record<ProfileVariant, string> = {
  ours: "ours",
  baseline: "baseline",
  "ours-no-pq": "ours, persistentQueue false",
};
const VARIANTS = (process.env.BENCH_PROFILE_VARIANTS ?? "ours,baseline,ours-no-pq").split(",") as ProfileVariant[];
for (const v of VARIANTS)
  if (!(v in VARIANT_LABEL))
    throw new Error(`BENCH_PROFILE_VARIANTS: ${JSON.stringify(v)} is not a variant; allowed: ${Object.keys(VARIANT_LABEL).join(", ")}`);
const PROFILED_SIGNALS = (process.env.BENCH_PROFILE_SIGNALS ?? SIGNALS.join(",")).split(",") as Signal[];
for (const s of PROFILED_SIGNALS)
  if (!SIGNALS.includes(s)) throw new Error(`BENCH_PROFILE_SIGNALS: ${JSON.stringify(s)} is not a signal; allowed: ${SIGNALS.join(", ")}`);

const started = Date.now();
const stamp = new Date(started).toISOString();
const fileStamp = stamp.replace(/[:.]/g, "-");
const log = (msg: string) => console.log(`[bench:profile +${((Date.now() - started) / 1000).toFixed(0)}s] ${msg}`);

interface ProfileRun {
  signal: Signal;
  variant: ProfileVariant;
  /** Position in the run (1-based): configs alternate. */
  order: number;
  rate: number;
  uptimeBefore: string;
  uptimeAfter: string;
  load1Before: number;
  load1After: number;
  /** The main bench's scoring of the same load (bench/steps.ts loadStep). */
  step: Pick<
    StepResult,
    | "offered"
    | "acceptedPerSec"
    | "refused"
    | "failedExports"
    | "sendFailed"
    | "enqueueFailed"
    | "notDelivered"
    | "cpuPct"
    | "cpuPctPer10k"
    | "ok"
    | "why"
  > & { peakMb: number };
  profile: {
    file: string;
    summary: string;
    durationS: number;
    /** CPU seconds the profile sampled. */
    cpuS: number;
    /** % of one core over the profile window. */
    pctOfCore: number;
    /** % of one core per 10k items/s accepted (profile CPU over the step's accepted rate). */
    pctPer10k: number;
    groups: Grouped;
    top: TopRow[];
    /** `go tool pprof -top -nodecount=25` as printed. */
    topText: string;
  };
}

interface ProfileResult {
  started: string;
  commit: string;
  /** Working-tree files that differ from the commit (the run measures the tree, not only HEAD). */
  dirty: string[];
  machine: { cpus: number; model: string; memoryMb: number };
  otelcol: string;
  go: string;
  tier: string;
  profileS: number;
  rates: Record<Signal, number>;
  rateSource: string;
  /** What this run's config was, in words (BENCH_PROFILE_NOTE): which change it measures. */
  note?: string;
  runs: ProfileRun[];
  loadAtStart: number;
  loadAtEnd: number;
  runtimeS: number;
}

function newestCeilings(): { rates: Record<Signal, number>; source: string } {
  const runs = fs
    .readdirSync(RESULTS_DIR)
    .filter((f) => /^\d{4}-.*\.json$/.test(f))
    .sort();
  const newest = runs.at(-1);
  const rates = {} as Record<Signal, number>;
  let source = "";
  const fromFile = newest ? (JSON.parse(fs.readFileSync(path.join(RESULTS_DIR, newest), "utf8")) as any) : undefined;
  const problems: string[] = [];
  for (const signal of SIGNALS) {
    const env = process.env[`BENCH_PROFILE_RATE_${signal.toUpperCase()}`];
    if (env !== undefined) {
      const rate = Number(env);
      if (!Number.isInteger(rate) || rate <= 0)
        problems.push(`BENCH_PROFILE_RATE_${signal.toUpperCase()}=${JSON.stringify(env)}: must be a positive integer (items/s)`);
      rates[signal] = rate;
      continue;
    }
    const best = fromFile?.tiers?.[TIER]?.ours?.ceilings?.[signal]?.best?.acceptedPerSec as number | undefined;
    if (!best) {
      problems.push(
        `no ${signal} ceiling for ours (${TIER}) in bench/results/${newest ?? "<none>"}: set BENCH_PROFILE_RATE_${signal.toUpperCase()}`,
      );
      continue;
    }
    rates[signal] = Math.floor((best * CEILING_SHARE) / 1000) * 1000;
    source = `${CEILING_SHARE * 100} % of ours' ceiling in bench/results/${newest}, rounded down to 1,000`;
  }
  if (problems.length > 0) throw new Error(problems.join("\n"));
  return { rates, source: source || "BENCH_PROFILE_RATE_* flags" };
}

/** The bench's copy of a collector config with the pprof extension on 127.0.0.1 (never the deployed one). */
export function withPprof(configYaml: string, port: number): string {
  const config = yaml.load(configYaml) as { extensions?: Record<string, unknown>; service: { extensions?: string[] } };
  if (config.extensions?.pprof) throw new Error("the collector config already has a pprof extension");
  config.extensions = { ...config.extensions, pprof: { endpoint: `127.0.0.1:${port}` } };
  config.service.extensions = [...(config.service.extensions ?? []), "pprof"];
  return toYaml(config);
}

const uptime = () => sh("uptime");

async function profileOne(signal: Signal, variant: ProfileVariant, rate: number, order: number): Promise<ProfileRun> {
  if (!LOGS_KIND)
    throw new Error("no logs backend has a binary the tiers run (settings/components.json): the benchmark's backends need one");
  const uptimeBefore = uptime();
  const load1Before = load1();
  const stack = await loopbackStack({
    tier: TIER,
    traces: { storage: "memory" },
    logs: { backend: LOGS_KIND, retention: "7d" },
    ...(variant === "ours-no-pq" ? { collector: { persistentQueue: false } } : {}),
  });
  const backends = await startBackends(stack);
  const ours = variant !== "baseline";
  const ports = ours ? stack.collectorPorts : await collectorPorts();
  const rendered = ours
    ? fs.readFileSync(stack.collectorConfigPath, "utf8")
    : renderBaselineYaml(stack.plan.collectorConfig.exporters, ports);
  const pprofPort = await freePort();
  const configPath = writeConfig(`profile-${variant}`, withPprof(rendered, pprofPort));
  const spec: CollectorSpec = {
    variant: (ours ? "ours" : "baseline") satisfies Variant,
    configPath,
    ports,
    limitMb: stack.plan.collector.memoryMb,
    env: runtimeEnvOf(stack, variant, rendered),
    chargeBinary: true,
  };
  const ctx: Ctx = {
    collector: await startCollectorProcess(spec),
    backends,
    events: [],
    log,
    stepS: PROFILE_S + LEAD_S + TAIL_S,
    restartCollector: async () => {
      throw new Error(`the ${variant} collector died during the ${signal} profile`);
    },
  };
  const base = path.join(PROFILES_DIR, `${fileStamp}-${signal}-${variant}`);
  try {
    log(`${order}. ${signal} / ${VARIANT_LABEL[variant]}: ${rate}/s, profile ${PROFILE_S} s (${uptimeBefore})`);
    const profile = (async () => {
      await sleep(LEAD_S * 1000);
      const response = await fetch(`http://127.0.0.1:${pprofPort}/debug/pprof/profile?seconds=${PROFILE_S}`, {
        signal: AbortSignal.timeout((PROFILE_S + 30) * 1000),
      });
      if (!response.ok) throw new Error(`pprof answered ${response.status}: ${await response.text()}`);
      fs.writeFileSync(`${base}.pb.gz`, Buffer.from(await response.arrayBuffer()));
    })();
    const [step] = await Promise.all([loadStep(ctx, signal, rate, PROFILE_S + LEAD_S + TAIL_S), profile]);
    const run: ProfileRun = {
      signal,
      variant,
      order,
      rate,
      uptimeBefore,
      uptimeAfter: uptime(),
      load1Before,
      load1After: load1(),
      step: {
        offered: step.offered,
        acceptedPerSec: step.acceptedPerSec,
        refused: step.refused,
        failedExports: step.failedExports,
        sendFailed: step.sendFailed,
        enqueueFailed: step.enqueueFailed,
        notDelivered: step.notDelivered,
        cpuPct: step.cpuPct,
        cpuPctPer10k: step.cpuPctPer10k,
        ok: step.ok,
        why: step.why,
        peakMb: step.memory.peakMb,
      },
      profile: analyse(base, step.acceptedPerSec),
    };
    fs.writeFileSync(`${base}.txt`, summaryText(run));
    const pctOfCore = run.profile.pctOfCore;
    log(
      `${signal} / ${VARIANT_LABEL[variant]}: ${pctOfCore.toFixed(1)} % of a core (profile), ${step.cpuPct.toFixed(1)} % (step), accepted ${step.acceptedPerSec}/s${step.ok ? "" : `, FAIL: ${step.why}`}`,
    );
    return run;
  } finally {
    await ctx.collector.stop();
    await backends.stop();
    for (const dir of [stack.queueDir, path.dirname(stack.collectorConfigPath), path.dirname(configPath)])
      fs.rmSync(dir, { recursive: true, force: true });
  }
}

const ROOT = path.resolve(__dirname, "..");

/** `go tool pprof` on a saved profile: the top functions and every stack, grouped (bench/profile-groups.ts). */
function analyse(base: string, acceptedPerSec: number): ProfileRun["profile"] {
  const pprof = (...args: string[]) =>
    execFileSync("go", ["tool", "pprof", ...args, `${base}.pb.gz`], {
      encoding: "utf8",
      maxBuffer: 256 * 2 ** 20,
      stdio: ["ignore", "pipe", "pipe"],
    });
  const topText = pprof("-top", "-nodecount=25");
  const traces = parseTraces(pprof("-traces"));
  const pctOfCore = (traces.totalS / traces.durationS) * 100;
  return {
    file: path.relative(ROOT, `${base}.pb.gz`),
    summary: path.relative(ROOT, `${base}.txt`),
    durationS: traces.durationS,
    cpuS: traces.totalS,
    pctOfCore,
    pctPer10k: acceptedPerSec > 0 ? pctOfCore / (acceptedPerSec / 10_000) : NaN,
    groups: groupSamples(traces),
    top: parseTop(topText),
    topText,
  };
}

const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : "–");

function summaryText(run: ProfileRun): string {
  const g = run.profile.groups;
  return [
    `${run.signal} / ${VARIANT_LABEL[run.variant]} — bench/profile.ts run of ${stamp}, step ${run.order}`,
    `load: ${run.rate} items/s offered, ${run.step.acceptedPerSec}/s accepted; step ${run.step.ok ? "held" : `FAILED: ${run.step.why}`}`,
    `collector CPU: ${f1(run.profile.pctOfCore)} % of a core over the ${run.profile.durationS} s profile, ${f1(run.step.cpuPct)} % over the whole load`,
    `uptime before: ${run.uptimeBefore}`,
    `uptime after:  ${run.uptimeAfter}`,
    "",
    "components (% of the sampled CPU / % of a core):",
    ...GROUP_NAMES.map(
      (n) => `  ${n.padEnd(56)} ${f1(g.share[n]!).padStart(6)} % ${f1((g.share[n]! * run.profile.pctOfCore) / 100).padStart(6)}`,
    ),
    "across the components:",
    ...CROSS_CUTTING.map((c) => `  ${c.name.padEnd(56)} ${f1(g.crossCutting[c.name]!.share).padStart(6)} %`),
    "what decided each component (heaviest frames):",
    ...GROUP_NAMES.flatMap((n) =>
      (g.deciding[n] ?? []).length === 0 ? [] : [`  ${n}:`, ...g.deciding[n]!.map((d) => `    ${d.seconds.toFixed(2)}s ${d.name}`)],
    ),
    "",
    `go tool pprof -top -nodecount=25 ${path.basename(run.profile.file)}`,
    run.profile.topText.trimEnd(),
    "",
  ].join("\n");
}

// ---------------------------------------------------------------------------------------------------
// docs/BENCHMARKS.md: "Where the CPU goes", every figure from the result file.

/** Short function name for a table cell: package path trimmed to its last element. */
function shortName(name: string): string {
  return name.replace(/^.*\/(?=[^/]*$)/, "").replace(/\|/g, "\\|");
}

/** A share (%) of a run's profile as % of a core per 10k items/s accepted. */
const per10k = (r: ProfileRun, share: number) => (share * r.profile.pctPer10k) / 100;

/** Per signal, a config's CPU per 10k items/s over the baseline's, in the same run. */
function ratio(result: ProfileResult, signal: Signal, variant: ProfileVariant): number {
  const of = (v: ProfileVariant) => result.runs.find((r) => r.signal === signal && r.variant === v)?.profile.pctPer10k ?? NaN;
  return of(variant) / of("baseline");
}

/** The newest runs' ratios side by side: what a config change did, each against its own run's baseline. */
function runsTable(results: ProfileResult[]): string[] {
  const x = (n: number) => (Number.isFinite(n) ? `×${n.toFixed(2)}` : "–");
  return [
    "### Runs side by side: CPU per 10k items/s, over the same run's baseline",
    "",
    `| run | config | ${SIGNALS.map((s) => `${s}: ours`).join(" | ")} | ${SIGNALS.map((s) => `${s}: ours, persistentQueue false`).join(" | ")} | 1-min load start / end |`,
    `|---|---|${SIGNALS.map(() => "---:").join("|")}|${SIGNALS.map(() => "---:").join("|")}|---|`,
    ...results.map(
      (r) =>
        `| ${r.started} (${r.commit}) | ${r.note ?? "—"} | ${SIGNALS.map((s) => x(ratio(r, s, "ours"))).join(" | ")} | ${SIGNALS.map((s) => x(ratio(r, s, "ours-no-pq"))).join(" | ")} | ${r.loadAtStart} / ${r.loadAtEnd} |`,
    ),
    "",
  ];
}

export function renderSection(result: ProfileResult, previous: ProfileResult[] = []): string {
  const variants = [...new Set(result.runs.map((r) => r.variant))];
  const label = (v: ProfileVariant) => VARIANT_LABEL[v];
  const out: string[] = [
    PROFILE_BEGIN,
    "## Where the CPU goes (collector CPU profiles, ours vs baseline)",
    "",
    `\`npm run bench:profile\` (bench/profile.ts), run of ${result.started} at commit ${result.commit}` +
      (result.dirty.length > 0 ? ` plus uncommitted changes to ${result.dirty.join(", ")}` : "") +
      `; otelcol \`${result.otelcol}\`, ${result.go}. ` +
      `Per signal, each config ran with fresh backends as in \`npm run bench\` (${result.tier} tier, the collector in its memory cgroup, the program's Go runtime settings for ours only: GOMEMLIMIT, and GOGC in runs from 2026-12-07T17:30) ` +
      `with the pprof extension added to the bench's copy of its config, under the same fixed load (${SIGNALS.filter((s) => result.rates[s])
        .map((s) => `${s} ${result.rates[s].toLocaleString("en-US")}/s`)
        .join(", ")}; ${result.rateSource}), ` +
      `and a ${result.profileS} s CPU profile taken ${LEAD_S} s into it. The configs alternate, their order rotating per signal. ` +
      `**Shared machine** (${result.machine.cpus} cores, ${result.machine.model}; other work ran beside it: 1-min load average ${result.loadAtStart} at the start, ${result.loadAtEnd} at the end; each run's own is in its table): compare the configs within this run, not with other sections.`,
    "",
    "How samples are grouped (bench/profile-groups.ts): a sample whose stack contains the persistent queue, file storage/bbolt or fsync, the remote-write WAL, a compressor, the memory_limiter's periodic check or a background GC worker is charged to that; otherwise to the component of its leaf-most recognisable frame (protobuf marshal/unmarshal, remote-write translation, batching, the span_metrics connector, OTLP receive, export send, …); stacks of runtime frames only are scheduler/netpoll time. Allocation and GC assist happen inside every component and are shown across them below each table.",
    "",
    "The accepted rates differ between configs (the clients wait for each acknowledgement, and the machine was shared), so configs are compared in % of a core **per 10k items/s accepted**: the profile's CPU over the profile window, divided by the step's accepted rate. " +
      "Raw profiles (`.pb.gz`, not committed) and `go tool pprof -top -nodecount=25` summaries with the frames behind each component (`.txt`): `bench/results/profiles/`.",
    "",
    ...(result.runs.some((r) => r.signal === "logs" && /not in the backend/.test(r.step.why))
      ? [
          'The logs steps\' "not in the backend" is the step check\'s, not a loss: bench/steps.ts then counted VictoriaLogs\' `vl_rows_ingested_total{type="opentelemetry"}`, and the VictoriaLogs the bench runs labels those rows `type="opentelemetry_protobuf"`, so that run\'s check read nothing (bench/steps.ts has matched `type=~"opentelemetry.*"` since; `npm run bench` counts them).',
          "",
        ]
      : []),
  ];
  for (const signal of SIGNALS) {
    const runs = variants.map((v) => result.runs.find((r) => r.signal === signal && r.variant === v));
    if (runs.every((r) => !r)) continue;
    const unit = { metrics: "data points/s", traces: "spans/s", logs: "log records/s" }[signal];
    out.push(`### ${signal} (${result.rates[signal].toLocaleString("en-US")} ${unit} offered)`, "");
    const header = `| | ${runs.map((r, i) => (r ? `${label(variants[i]!)} (step ${r.order})` : label(variants[i]!))).join(" | ")} |`;
    out.push(header, `|---|${runs.map(() => "---:").join("|")}|`);
    const row = (name: string, cell: (r: ProfileRun) => string) =>
      out.push(`| ${name} | ${runs.map((r) => (r ? cell(r) : "–")).join(" | ")} |`);
    row(
      "accepted/s; step held?",
      (r) => `${r.step.acceptedPerSec.toLocaleString("en-US")}; ${r.step.ok ? "yes" : `**no**: ${r.step.why}`}`,
    );
    row("collector CPU over the profile (% of a core)", (r) => `**${f1(r.profile.pctOfCore)}**`);
    row("… per 10k items/s accepted", (r) => f1(r.profile.pctPer10k));
    row("collector CPU over the whole load (% of a core, /proc)", (r) => f1(r.step.cpuPct));
    row("cgroup peak (MB)", (r) => f1(r.step.peakMb));
    row("1-min load average before / after", (r) => `${r.load1Before} / ${r.load1After}`);
    out.push(`| **component**: % of a core per 10k items/s (share of the collector's CPU) |${runs.map(() => " |").join("")}`);
    const present = GROUP_NAMES.filter((n) => runs.some((r) => r && r.profile.groups.share[n]! >= 0.05));
    for (const n of present) row(n, (r) => `${f1(per10k(r, r.profile.groups.share[n]!))} (${f1(r.profile.groups.share[n]!)} %)`);
    out.push(`| *across the components* |${runs.map(() => " |").join("")}`);
    for (const c of CROSS_CUTTING)
      row(
        c.name,
        (r) => `${f1(per10k(r, r.profile.groups.crossCutting[c.name]!.share))} (${f1(r.profile.groups.crossCutting[c.name]!.share)} %)`,
      );
    out.push("", `Top 10 functions by own (flat) CPU, % of the profile's samples:`, "");
    out.push(`| # | ${runs.map((_, i) => label(variants[i]!)).join(" | ")} |`, `|---:|${runs.map(() => "---").join("|")}|`);
    for (let i = 0; i < 10; i++)
      out.push(
        `| ${i + 1} | ${runs.map((r) => (r?.profile.top[i] ? `\`${shortName(r.profile.top[i]!.name)}\` ${f1(r.profile.top[i]!.flatPct)} %` : "")).join(" | ")} |`,
      );
    out.push("");
  }
  out.push(...findings(result), "", ...runsTable([...previous, result]), PROFILE_END);
  return out.join("\n");
}

/** What the numbers say, computed from them: the components where ours spends more than the baseline. */
function findings(result: ProfileResult): string[] {
  const lines = [
    "### What this suggests",
    "",
    "Which of ours' extra costs buy a guarantee issue 22 keeps: the persistent queue (each request encoded and written to bbolt on Offer, read and decoded, then deleted: three write transactions) and the remote-write WAL (one fsync per incoming request, in the receive path) are what make acknowledged data survive a crash or an outage, and most of ours' extra GC is their allocation (bbolt's page buffers, decoded copies); `persistentQueue: false` is the same config without them. " +
      "What bought nothing was connection churn: the remote-write exporter sends with 5 workers but Go keeps 2 idle connections per host, so it dialled a new connection for most exports; `configs/collector.ts` now keeps 8 (the runs table below shows each run's config). " +
      "Sending uncompressed to the in-stack backends removed gzip from the traces profile but was not kept: with it the small collector died in the span burst of test/integration/faults.test.ts (fault (c)), which passes with gzip. " +
      "zstd was kept (since 2026-12-07): the collector compresses what it sends Jaeger and VictoriaLogs (and, on a Swarm, what an agent sends the gateways) with zstd instead of the exporters' default gzip, each pinned receiver proven to take it in test/integration, fault (c) included; the baseline keeps the seeds' default gzip. The compression row above is where it shows. " +
      "Since the evening of 2026-12-07 ours runs with `GOGC=200` (Go's default is 100) and a memory_limiter that forces a GC at its soft limit before it refuses (`min_gc_interval_when_soft_limited: 0s`; configs/collector.ts `COLLECTOR_GOGC`, `memoryLimiterConfig`): fewer GC cycles for a heap that is mostly short-lived request copies, the heap still bounded by GOMEMLIMIT and the limiter. The GC rows above are where it shows; GOGC=200 without the soft-limit GC made the limiter refuse logs at 80,000 records/s on small (its default waits 10 s between forced GCs and refuses meanwhile), so the two go together.",
    "",
  ];
  for (const signal of SIGNALS) {
    const ours = result.runs.find((r) => r.signal === signal && r.variant === "ours");
    const base = result.runs.find((r) => r.signal === signal && r.variant === "baseline");
    const nopq = result.runs.find((r) => r.signal === signal && r.variant === "ours-no-pq");
    if (!ours || !base) continue;
    const core = (r: ProfileRun, n: string) => per10k(r, r.profile.groups.share[n]!);
    const extra = ours.profile.pctPer10k - base.profile.pctPer10k;
    const diffs = GROUP_NAMES.map((n) => ({ n, d: core(ours, n) - core(base, n) }))
      .filter((x) => x.d >= 0.2)
      .sort((a, b) => b.d - a.d);
    const less = GROUP_NAMES.map((n) => ({ n, d: core(base, n) - core(ours, n) }))
      .filter((x) => x.d >= 0.2)
      .sort((a, b) => b.d - a.d);
    lines.push(
      `- **${signal}** (% of a core per 10k items/s): ours ${f1(ours.profile.pctPer10k)}, baseline ${f1(base.profile.pctPer10k)} (×${(ours.profile.pctPer10k / base.profile.pctPer10k).toFixed(2)}; ${extra >= 0 ? "+" : ""}${f1(extra)})` +
        (nopq
          ? `, ours with \`persistentQueue: false\` ${f1(nopq.profile.pctPer10k)} (×${(nopq.profile.pctPer10k / base.profile.pctPer10k).toFixed(2)} baseline)`
          : "") +
        `. Ours spends more on: ${diffs.map((x) => `${x.n} +${f1(x.d)}`).join(", ") || "nothing by ≥ 0.2"}; less on: ${less.map((x) => `${x.n} −${f1(x.d)}`).join(", ") || "nothing by ≥ 0.2"}.`,
    );
  }
  return lines;
}

function writeSection(result: ProfileResult): void {
  const doc = fs.readFileSync(DOC, "utf8");
  // The run before this one, for the side-by-side ratios.
  const previous = resultFiles()
    .map((f) => JSON.parse(fs.readFileSync(f, "utf8")) as ProfileResult)
    .filter((r) => r.started < result.started)
    .slice(-2);
  fs.writeFileSync(DOC, withSection(doc, PROFILE_BEGIN, PROFILE_END, renderSection(result, previous)));
}

function resultFiles(): string[] {
  return fs.existsSync(PROFILES_DIR)
    ? fs
        .readdirSync(PROFILES_DIR)
        .filter((f) => /^profile-.*\.json$/.test(f))
        .sort()
        .map((f) => path.join(PROFILES_DIR, f))
    : [];
}

function newestResult(): { result: ProfileResult; file: string } {
  const file = resultFiles().at(-1);
  if (!file) throw new Error(`no profile-*.json in ${PROFILES_DIR}: run npm run bench:profile first`);
  return { result: JSON.parse(fs.readFileSync(file, "utf8")) as ProfileResult, file };
}

async function main(): Promise<void> {
  if (process.env.BENCH_PROFILE_REPORT_ONLY === "1") {
    // Re-read the saved profiles (the grouping may have changed since), then the section.
    const { result, file } = newestResult();
    for (const run of result.runs) {
      const base = path.join(ROOT, run.profile.file.replace(/\.pb\.gz$/, ""));
      if (!fs.existsSync(`${base}.pb.gz`)) continue;
      run.profile = analyse(base, run.step.acceptedPerSec);
      fs.writeFileSync(`${base}.txt`, summaryText(run));
    }
    await saveJson(file, result);
    writeSection(result);
    log(`wrote ${path.relative(process.cwd(), DOC)}`);
    return;
  }
  const { rates, source } = newestCeilings();
  fs.mkdirSync(PROFILES_DIR, { recursive: true });
  const result: ProfileResult = {
    started: stamp,
    commit: sh("git rev-parse --short HEAD"),
    dirty: sh("git status --porcelain -- configs settings bench/lib bench/baseline.ts")
      .split("\n")
      .filter(Boolean)
      // `sh` trims the output, the first line's leading status column with it.
      .map((l) => l.replace(/^\s*\S{1,2}\s+/, "")),
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? "n/a", memoryMb: Math.round(os.totalmem() / 2 ** 20) },
    otelcol: sh(`cat ${path.join(process.env.TOOLS_DIR ?? path.resolve(__dirname, "..", ".tools"), "bin", "otelcol.version")}`),
    go: sh("go version"),
    tier: TIER,
    profileS: PROFILE_S,
    rates,
    rateSource: source,
    ...(process.env.BENCH_PROFILE_NOTE ? { note: process.env.BENCH_PROFILE_NOTE } : {}),
    runs: [],
    loadAtStart: load1(),
    loadAtEnd: 0,
    runtimeS: 0,
  };
  const file = path.join(PROFILES_DIR, `profile-${fileStamp}.json`);
  const save = () => saveJson(file, result);
  let order = 0;
  for (const [i, signal] of PROFILED_SIGNALS.entries()) {
    // Rotate the order per signal: ours first, then baseline first, …
    const order_ = [...VARIANTS.slice(i % VARIANTS.length), ...VARIANTS.slice(0, i % VARIANTS.length)];
    for (const variant of order_) {
      result.runs.push(await profileOne(signal, variant, rates[signal], ++order));
      await save();
      await sleep(2_000);
    }
  }
  result.loadAtEnd = load1();
  result.runtimeS = Math.round((Date.now() - started) / 1000);
  await save();
  log(`saved ${path.relative(process.cwd(), file)}`);
  writeSection(result);
  log(`wrote ${path.relative(process.cwd(), DOC)}`);
}

if (require.main === module) runBench(main);
