/**
 * The swarm benchmark's data and its docs section, pure (bench/swarm.ts measures, this decides and
 * renders; test/bench-swarm.test.ts covers it): the ceiling search's next rate, whether a step held,
 * telemetrygen's own count, and the section of docs/BENCHMARKS.md between the swarm markers.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { withSection } from "./lib/results";

export const SWARM_RESULTS_DIR = path.join(__dirname, "results", "swarm");
export const SWARM_BEGIN = "<!-- swarm-bench:begin (bench/swarm.ts) -->";
export const SWARM_END = "<!-- swarm-bench:end -->";

/** A step holds when at least this share of the offered rate was generated (the clients wait for each acknowledgement). */
export const MIN_ACHIEVED = 0.8;

export interface TaskCpu {
  node: string;
  /** % of one core over the step. */
  cpuPct: number;
}

export interface TaskMemory {
  node: string;
  /** cgroup usage now (page cache included), MB. */
  usageMb: number;
  /** cgroup peak since the last reset (the phase start), MB. */
  peakMb: number;
  /** Anonymous memory (cgroup `rss`), MB. */
  rssMb: number;
}

export interface SwarmStep {
  offered: number;
  service: string;
  /** Records telemetrygen generated (all senders). */
  generated: number;
  failedExports: number;
  /** Records of the step's service.name in VictoriaLogs when the wait ended. */
  stored: number;
  /** generated / wall time of the senders. */
  achieved: number;
  durationS: number;
  /** Seconds from the senders' end until everything was stored (or the wait gave up). */
  storedAfterS: number;
  held: boolean;
  why: string;
  gatewayCpu: TaskCpu[];
  agentCpu: TaskCpu[];
  load1: number;
}

export interface SwarmPhase {
  replicas: number;
  /** Nodes the gateway tasks ran on. */
  gatewayNodes: string[];
  /** `up` wall time that brought this replica count. */
  upS: number;
  steps: SwarmStep[];
  /** Highest step that held (undefined: none held). */
  ceiling?: SwarmStep;
  agentMemory: TaskMemory[];
  gatewayMemory: TaskMemory[];
}

export interface SwarmFaults {
  rate: number;
  durationS: number;
  sender: string;
  generated: number;
  failedExports: number;
  stored: number;
  lost: number;
  killedOn: string;
  /** SIGKILL of a gateway task → the service at its replica count again. */
  gatewayRecoveryS: number;
  drained: string;
  /** Drain started → the gateway service at its replica count again (its task rescheduled). */
  drainRecoveryS: number;
  /** Senders' end → everything stored (or the wait's end). */
  catchUpS: number;
}

export interface SwarmRun {
  started: string;
  commit: string;
  machine: { cpus: number; model: string; memoryMb: number; kernel: string };
  lab: { name: string; nodes: number; dataNode: string; upS: number; imagesS: number };
  tier: string;
  stepS: number;
  signal: "logs";
  /** 1/5/15-min load averages at the start and the end, and the busiest other processes at the start. */
  loadAtStart: number[];
  loadAtEnd: number[];
  busiestAtStart: string[];
  /** The bench's nice value (the lab's daemons and tasks inherit it). */
  nice: number;
  idleAgentMemory: TaskMemory[];
  phases: SwarmPhase[];
  /** ceiling(2 replicas) / ceiling(1 replica), on the achieved rates. */
  ratio?: number;
  faults?: SwarmFaults;
  runtimeS: number;
  events: string[];
}

/** Whether a step held, and why not. */
export function verdict(s: Pick<SwarmStep, "offered" | "generated" | "failedExports" | "stored" | "achieved">): {
  held: boolean;
  why: string;
} {
  const problems: string[] = [];
  if (s.failedExports > 0) problems.push(`${s.failedExports} failed exports`);
  if (s.generated === 0) problems.push("nothing generated");
  if (s.stored < s.generated) problems.push(`${s.generated - s.stored} of ${s.generated} not stored in time`);
  if (s.stored > s.generated) problems.push(`${s.stored} stored > ${s.generated} generated (duplicates)`);
  if (s.achieved < MIN_ACHIEVED * s.offered)
    problems.push(`achieved ${Math.round(s.achieved)}/s < ${MIN_ACHIEVED * 100} % of ${s.offered}/s`);
  return { held: problems.length === 0, why: problems.join("; ") || "held" };
}

/** Records generated and failed exports from telemetrygen's output (one "logs generated" line per worker). */
export function parseTelemetrygen(output: string): { generated: number; failedExports: number } {
  let generated = 0;
  let failedExports = 0;
  for (const line of output.split("\n")) {
    const m = /logs generated.*?"logs":\s*(\d+)/.exec(line);
    if (m) generated += Number(m[1]);
    if (/exporter failed|failed to export|export.*error/i.test(line)) failedExports += 1;
  }
  return { generated, failedExports };
}

/** The highest achieved rate of any step that lost nothing (whether or not it reached its offered rate). */
export function zeroLossMax(p: SwarmPhase | undefined): number | undefined {
  const rates = (p?.steps ?? []).filter((s) => s.generated > 0 && s.stored === s.generated && s.failedExports === 0).map((s) => s.achieved);
  return rates.length ? Math.max(...rates) : undefined;
}

/** The highest step that held. */
export function ceilingOf(steps: SwarmStep[]): SwarmStep | undefined {
  return steps.filter((s) => s.held).sort((a, b) => b.achieved - a.achieved)[0];
}

const fmt = (n: number | undefined, digits = 0) =>
  n === undefined || !Number.isFinite(n)
    ? "–"
    : n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const cpuCell = (xs: TaskCpu[]) => (xs.length ? xs.map((x) => `${x.node} ${fmt(x.cpuPct)} %`).join(", ") : "–");

/** The docs section (between the swarm markers) from the saved runs, the newest in detail. */
export function renderSwarmSection(runs: SwarmRun[]): string {
  const out = [SWARM_BEGIN, "", "## Swarm: the gateway with 1 vs 2 replicas on 2 nodes", ""];
  const run = runs.at(-1);
  if (!run) {
    out.push("No run saved yet: `npm run bench:swarm`.", "", SWARM_END);
    return out.join("\n");
  }
  const [one, two] = [run.phases.find((p) => p.replicas === 1), run.phases.find((p) => p.replicas === 2)];
  out.push(
    `Generated by \`npm run bench:swarm\` (\`bench/swarm.ts\`) from \`bench/results/swarm/\`; the newest run (${run.started}, commit ${run.commit}, ${fmt(run.runtimeS / 60, 1)} min) in detail.`,
    "",
    `**Method.** A real ${run.lab.nodes}-node Docker Swarm of \`dockerd\`s in network namespaces on this one machine (\`test/swarm/lab.ts\`, lab \`${run.lab.name}\`: node1 = manager and data node, node2 = worker; up in ${fmt(run.lab.upS)} s, images loaded in ${fmt(run.lab.imagesS)} s), the stack deployed with \`engine: swarm\`, tier ${run.tier}, through the Automation API. ` +
      `Load: telemetrygen (OTLP/gRPC, TLS and the ingest credentials) in **each** node's network namespace to its own node's agent, half the rate each, ${run.stepS} s per step, one \`service.name\` per step; ` +
      `a step **holds** when no export failed, ≥ ${MIN_ACHIEVED * 100} % of the offered rate was generated and VictoriaLogs (on the data node) counts exactly the records generated within 30 s of the end. ` +
      "The ceiling search doubles from the start rate until a step fails, then bisects once. The replica count is changed by `collector.replicas` and a second `up` in the same run. CPU is each task's `cpuacct.usage` over the step (% of one core); memory is each task's memory cgroup (v1: usage and peak include page cache; rss = anonymous).",
    "",
    "| | 1 gateway replica | 2 gateway replicas |",
    "|---|---:|---:|",
    `| gateway task(s) on | ${one?.gatewayNodes.join(", ") ?? "–"} | ${two?.gatewayNodes.join(", ") ?? "–"} |`,
    `| **ceiling** (log records/s, zero loss; achieved rate of the highest step that held) | **${fmt(one?.ceiling?.achieved)}** | **${fmt(two?.ceiling?.achieved)}** |`,
    `| highest rate with zero loss in any step (stored = generated, no failed export; the senders may have fallen short of the offered rate) | ${fmt(zeroLossMax(one))} | ${fmt(zeroLossMax(two))} |`,
    `| steps (offered/s: result) | ${stepsCell(one)} | ${stepsCell(two)} |`,
    `| gateway CPU per task at the ceiling | ${cpuCell(one?.ceiling?.gatewayCpu ?? [])} | ${cpuCell(two?.ceiling?.gatewayCpu ?? [])} |`,
    `| agent CPU per node at the ceiling | ${cpuCell(one?.ceiling?.agentCpu ?? [])} | ${cpuCell(two?.ceiling?.agentCpu ?? [])} |`,
    `| gateway CPU, all tasks, at the ceiling | ${fmt(sum((one?.ceiling?.gatewayCpu ?? []).map((c) => c.cpuPct)))} % | ${fmt(sum((two?.ceiling?.gatewayCpu ?? []).map((c) => c.cpuPct)))} % |`,
    `| agent memory per node, peak of the phase (cgroup / rss MB) | ${memCell(one?.agentMemory)} | ${memCell(two?.agentMemory)} |`,
    `| gateway memory per task, peak of the phase (cgroup / rss MB) | ${memCell(one?.gatewayMemory)} | ${memCell(two?.gatewayMemory)} |`,
    `| 1-min load average during the steps | ${loadCell(one)} | ${loadCell(two)} |`,
    "",
    ...sameRateTable(one, two),
    `**Ratio 2 : 1 replicas = ${run.ratio === undefined ? "–" : `${fmt(run.ratio, 2)}×`}** (ceilings; on the zero-loss maxima ${zeroLossRatio(run)}). ` +
      ratioReason(run),
    "",
    `Agent memory per node, idle after the first \`up\` (cgroup / rss MB): ${memCell(run.idleAgentMemory, "usage")}.`,
    "",
  );
  const f = run.faults;
  if (f) {
    out.push(
      "### Loss and recovery: a gateway task killed, then a node drained, under load",
      "",
      `${fmt(f.rate)} log records/s for ${f.durationS} s from ${f.sender}'s agent with 2 gateway replicas; a gateway task on ${f.killedOn} SIGKILLed after 8 s, then ${f.drained} drained (its agent stops, its gateway task moves).`,
      "",
      "| | |",
      "|---|---:|",
      `| records generated / stored / **lost** | ${fmt(f.generated)} / ${fmt(f.stored)} / **${fmt(Math.max(0, f.lost))}**${f.lost < 0 ? ` (${fmt(-f.lost)} more stored than generated: duplicates, consistent with at-least-once re-sends of a batch in flight when the gateway was killed)` : ""} |`,
      `| failed exports seen by the sender | ${fmt(f.failedExports)} |`,
      `| gateway killed → 2/2 again | ${fmt(f.gatewayRecoveryS, 1)} s |`,
      `| drain started → 2/2 gateways again | ${fmt(f.drainRecoveryS, 1)} s |`,
      `| end of the load → everything stored | ${fmt(f.catchUpS, 1)} s |`,
      "",
    );
  }
  out.push(
    "### Machine and load",
    "",
    `${run.machine.cpus} × ${run.machine.model}, ${fmt(run.machine.memoryMb)} MB, kernel ${run.machine.kernel}. Load average (1/5/15 min) at the start ${run.loadAtStart.join(" / ")}, at the end ${run.loadAtEnd.join(" / ")}. ` +
      `The bench ran at nice ${run.nice} (the lab's daemons and tasks inherit it). Busiest other processes at the start: ${run.busiestAtStart.length ? run.busiestAtStart.map((p) => `\`${p}\``).join(", ") : "none"}. Events: ${run.events.length ? run.events.join("; ") : "none"}.`,
    "",
  );
  if (runs.length > 1) {
    out.push(
      "All saved runs:",
      "",
      "| run | ceiling 1 replica | ceiling 2 replicas | ratio | lost in the fault test | load at start |",
      "|---|---:|---:|---:|---:|---|",
    );
    for (const r of runs) {
      const c = (n: number) => fmt(r.phases.find((p) => p.replicas === n)?.ceiling?.achieved);
      out.push(
        `| ${r.started} | ${c(1)} | ${c(2)} | ${r.ratio === undefined ? "–" : `${fmt(r.ratio, 2)}×`} | ${r.faults ? `${fmt(Math.max(0, r.faults.lost))}${r.faults.lost < 0 ? ` (${fmt(-r.faults.lost)} duplicates)` : ""}` : "–"} | ${r.loadAtStart[0]} |`,
      );
    }
    out.push("");
  }
  out.push(SWARM_END);
  return out.join("\n");
}

/** Gateway CPU at the offered rates both phases ran: what a second replica does to each task's share. */
export function sameRateTable(one: SwarmPhase | undefined, two: SwarmPhase | undefined): string[] {
  if (!one || !two) return [];
  const rates = one.steps.map((s) => s.offered).filter((r) => two.steps.some((s) => s.offered === r));
  if (rates.length === 0) return [];
  const at = (p: SwarmPhase, r: number) => p.steps.find((s) => s.offered === r)!;
  return [
    "Gateway CPU at the same offered rate (% of one core per task; the achieved rate in brackets):",
    "",
    "| offered (records/s) | 1 replica | 2 replicas: per task | 2 replicas: sum |",
    "|---:|---|---|---:|",
    ...rates.map(
      (r) =>
        `| ${fmt(r)} | ${cpuCell(at(one, r).gatewayCpu)} (${fmt(at(one, r).achieved)}/s) | ${cpuCell(at(two, r).gatewayCpu)} (${fmt(at(two, r).achieved)}/s) | ${fmt(sum(at(two, r).gatewayCpu.map((c) => c.cpuPct)))} % |`,
    ),
    "",
  ];
}

function zeroLossRatio(run: SwarmRun): string {
  const [a, b] = [1, 2].map((n) => zeroLossMax(run.phases.find((p) => p.replicas === n)));
  return a && b ? `${fmt(b / a, 2)}×` : "–";
}

function stepsCell(p: SwarmPhase | undefined): string {
  return p ? p.steps.map((s) => `${fmt(s.offered)}: ${s.held ? "held" : `failed (${s.why})`}`).join("; ") : "–";
}
function memCell(ms: TaskMemory[] | undefined, which: "peak" | "usage" = "peak"): string {
  return ms?.length ? ms.map((m) => `${m.node} ${fmt(which === "peak" ? m.peakMb : m.usageMb, 1)} / ${fmt(m.rssMb, 1)}`).join(", ") : "–";
}
function loadCell(p: SwarmPhase | undefined): string {
  const loads = p?.steps.map((s) => s.load1) ?? [];
  return loads.length ? `${fmt(Math.min(...loads), 2)}–${fmt(Math.max(...loads), 2)}` : "–";
}

/** Why the ratio is what it is, from the measured CPU and the failing steps (not a fixed sentence). */
export function ratioReason(run: SwarmRun): string {
  const [one, two] = [run.phases.find((p) => p.replicas === 1), run.phases.find((p) => p.replicas === 2)];
  if (run.ratio === undefined || !one?.ceiling || !two?.ceiling) return "No ratio: a phase had no step that held.";
  const gw1 = sum(one.ceiling.gatewayCpu.map((c) => c.cpuPct));
  const firstFail = (p: SwarmPhase) => p.steps.find((s) => !s.held);
  const failed = [one, two].flatMap((p) => {
    const s = firstFail(p);
    return s ? [{ replicas: p.replicas, s }] : [];
  });
  const loadsDuring = [...one.steps, ...two.steps].map((s) => s.load1);
  const bottleneck =
    gw1 >= 80
      ? `With 1 replica the gateway used ${fmt(gw1)} % of a core at its ceiling: it was the bottleneck.`
      : `With 1 replica the gateway used only ${fmt(gw1)} % of a core at its ceiling (${fmt(one.ceiling.achieved)} records/s): it was not the bottleneck.`;
  const noLoss = failed.every(({ s }) => s.failedExports === 0 && s.stored === s.generated);
  const why = failed.length
    ? ` The first failing steps failed on: ${failed.map(({ replicas, s }) => `${replicas} replica${replicas > 1 ? "s" : ""} at ${fmt(s.offered)}/s — ${s.why}`).join("; ")}.` +
      (noLoss
        ? " In those steps too every record generated was stored and no export failed: what failed is the senders reaching the offered rate (telemetrygen waits for each acknowledgement, so a slow path or a starved generator lowers the rate)."
        : "")
    : " No step failed within the steps allowed (the search stopped at its step limit).";
  const cpus2 = two.ceiling.gatewayCpu.map((c) => c.cpuPct);
  const lopsided =
    cpus2.length > 1 && Math.max(...cpus2) > 2 * Math.min(...cpus2)
      ? ` With 2 replicas the load did not spread evenly (gateway CPU per task at the ceiling: ${cpuCell(two.ceiling.gatewayCpu)}), consistent with the agents' gRPC \`dns:///\` round robin resolving \`tasks.<gateway>\` when it connects and again only when a connection fails: agents already connected keep sending to the replica they knew after a scale-up (\`up\` from 1 to 2 replicas here) until a connection breaks.`
      : "";
  return (
    `${bottleneck}${why}${lopsided} Both "nodes" are network namespaces on the same ${run.machine.cpus} cores, shared with the senders, the agents, VictoriaLogs, two dockerds and other work on the machine ` +
    `(1-min load average ${fmt(Math.min(...loadsDuring), 1)}–${fmt(Math.max(...loadsDuring), 1)} during the steps): the end-to-end ceiling here is the machine's, and a second replica adds a process, not a core. ` +
    (lopsided
      ? ""
      : "What the run does show is the spread: at the same offered rate each task's CPU share with 2 replicas (table above) against the single task's. ") +
    "On real nodes each replica brings its own cores; this lab cannot measure that gain."
  );
}

/** Every saved run, oldest first. */
export function loadSwarmRuns(dir = SWARM_RESULTS_DIR): SwarmRun[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")) as SwarmRun);
}

/** Replaces the section between the swarm markers (or appends it). */
export function replaceSection(doc: string, section: string): string {
  return withSection(doc, SWARM_BEGIN, SWARM_END, section);
}
