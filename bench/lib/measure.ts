/**
 * What the benchmark reads: Prometheus text endpoints (the collector's and the backends' own
 * counters), a process's CPU time, a memory cgroup's usage and its split into anonymous memory
 * and page cache, the load average.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export interface MetricSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** One scrape of a Prometheus text endpoint; undefined when it does not answer. */
export async function scrape(url: string): Promise<MetricSample[] | undefined> {
  const text = await fetch(url, { signal: AbortSignal.timeout(5_000) }).then(
    (r) => (r.ok ? r.text() : undefined),
    () => undefined,
  );
  if (text === undefined) return undefined;
  const out: MetricSample[] = [];
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[3] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[4]) });
  }
  return out;
}

/** Sum of a metric family's samples whose labels match (a string is equality, a RegExp a test). */
export function total(samples: MetricSample[] | undefined, name: string, match: Record<string, string | RegExp> = {}): number {
  if (!samples) return NaN;
  return samples
    .filter((s) => s.name === name)
    .filter((s) => Object.entries(match).every(([k, v]) => (typeof v === "string" ? s.labels[k] === v : v.test(s.labels[k] ?? ""))))
    .reduce((sum, s) => sum + s.value, 0);
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** User + system CPU seconds a process has used (Linux /proc/<pid>/stat, clock ticks of 1/100 s). */
export function cpuSeconds(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

export function load1(): number {
  return Number(os.loadavg()[0]!.toFixed(2));
}

const MB = 1024 * 1024;

/** A v1 memory cgroup's own numbers (not its children's), MB except the fault and fail counts. */
export interface CgroupStat {
  /** What the limit is checked against: anonymous memory + page cache (+ kernel memory). */
  usageMb: number;
  /** Highest usage since the last resetPeak. */
  peakMb: number;
  /** Anonymous memory: Go heap, stacks. */
  rssMb: number;
  /** Page cache charged to the cgroup: the binary's pages (if it read them first) and files it wrote. */
  cacheMb: number;
  /** The part of the cache that is mapped into the process (the executable's text and data). */
  mappedFileMb: number;
  /** Major page faults so far: pages read back from disk, e.g. binary pages evicted under pressure. */
  pgmajfault: number;
  /** Times the usage hit the limit. */
  failcnt: number;
}

export function cgroupStat(dir: string): CgroupStat {
  const read = (file: string) => Number(fs.readFileSync(path.join(dir, file), "utf8"));
  const stat = Object.fromEntries(
    fs
      .readFileSync(path.join(dir, "memory.stat"), "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => [l.split(" ")[0]!, Number(l.split(" ")[1])]),
  );
  return {
    usageMb: read("memory.usage_in_bytes") / MB,
    peakMb: read("memory.max_usage_in_bytes") / MB,
    rssMb: (stat.rss ?? 0) / MB,
    cacheMb: (stat.cache ?? 0) / MB,
    mappedFileMb: (stat.mapped_file ?? 0) / MB,
    pgmajfault: stat.pgmajfault ?? 0,
    failcnt: read("memory.failcnt"),
  };
}

/** Start a new peak measurement (cgroup v1: writing 0 resets max_usage_in_bytes). */
export function resetPeak(dir: string): void {
  try {
    fs.writeFileSync(path.join(dir, "memory.max_usage_in_bytes"), "0");
  } catch {
    /* not resettable here: the peak then covers the whole run */
  }
}

/** The machine a bench run measured on, as every result file records it. */
export function machineInfo(): { cpus: number; model: string; memoryMb: number; kernel: string } {
  return {
    cpus: os.cpus().length,
    model: os.cpus()[0]?.model ?? "n/a",
    memoryMb: Math.round(os.totalmem() / 2 ** 20),
    kernel: os.release(),
  };
}

export function sh(command: string): string {
  try {
    return require("node:child_process")
      .execSync(command, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] })
      .trim();
  } catch {
    return "n/a";
  }
}
