/**
 * Deploy benchmark (npm run bench:deploy; part of npm run bench): the program on the real Pulumi
 * engine and Docker engine, per tier. Measures `up` from nothing, a no-change `preview`, a `destroy`,
 * and each container's memory idle and under load — as `docker stats` shows it and as the memory
 * cgroup counts it against the limit (cgroup v1 `memory.usage_in_bytes`, page cache included).
 * Writes its section of docs/BENCHMARKS.md between the deploy markers (the rest is bench/run.ts's).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { TIERS, type TierName } from "../settings";
import { OtelClient } from "./lib/client";
import { containersOf, createStack, docker, prerequisites, purgeEnvironment } from "./lib/deploy-harness";

const DOC = path.resolve(__dirname, "..", "docs", "BENCHMARKS.md");
const BEGIN = "<!-- deploy-bench:begin (bench/deploy.ts) -->";
const END = "<!-- deploy-bench:end -->";
const TIER_LIST: TierName[] = (process.env.BENCH_TIERS?.split(",") as TierName[] | undefined) ?? ["small", "medium"];
const LOAD_SECONDS = Number(process.env.BENCH_LOAD_SECONDS ?? 30);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Sample {
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

async function main(): Promise<void> {
  const { toolchain, images, docker: engine } = await prerequisites();
  const sections: string[] = [];
  const started = new Date().toISOString();
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
      const limitOf = (name: string) => limits[name === "otel-collector" ? "collector" : name];
      const names = Object.keys(idle).sort();
      const sum = (rows: Record<string, Sample>, k: keyof Sample) => names.reduce((n, name) => n + (rows[name]?.[k] ?? 0), 0);
      const fmt = (n: number | undefined) => (n === undefined || Number.isNaN(n) ? "–" : n.toFixed(1));
      sections.push(
        [
          `### ${tier} tier`,
          "",
          `- \`up\` from nothing: **${(upMs / 1000).toFixed(1)} s**; no-change \`preview\`: **${(previewMs / 1000).toFixed(1)} s** (${JSON.stringify(preview.changeSummary)}); \`destroy\`: ${(destroyMs / 1000).toFixed(1)} s`,
          `- load: ${LOAD_SECONDS} s of 4 SDK clients × 500 series/s and 4 × 50 spans/s over OTLP/gRPC: ${result.acked} metric exports acknowledged, ${result.failed} failed`,
          "",
          "| container | limit MB | idle: docker stats MB | idle: cgroup MB | load peak: docker stats MB | load peak: cgroup MB |",
          "|---|---:|---:|---:|---:|---:|",
          ...names.map(
            (n) =>
              `| ${n} | ${limitOf(n) ?? "–"} | ${fmt(idle[n]?.statsMb)} | ${fmt(idle[n]?.cgroupMb)} | ${fmt(peak[n]?.statsMb)} | ${fmt(peak[n]?.cgroupMb)} |`,
          ),
          `| **whole stack** | ${names.reduce((n, x) => n + (limitOf(x) ?? 0), 0)} | **${fmt(sum(idle, "statsMb"))}** | ${fmt(sum(idle, "cgroupMb"))} | **${fmt(sum(peak, "statsMb"))}** | ${fmt(sum(peak, "cgroupMb"))} |`,
          "",
        ].join("\n"),
      );
      console.log(sections.at(-1));
    } finally {
      await stack.destroy().catch(() => undefined);
      await purgeEnvironment(stack.environment);
      await stack.stack.workspace.removeStack(stack.environment).catch(() => undefined);
    }
  }
  const section = [
    BEGIN,
    "## Deployed stack (real Pulumi engine and Docker engine)",
    "",
    `Generated by \`npm run bench:deploy\` (\`bench/deploy.ts\`) on ${started}: the dev stack file per tier with the local`,
    `images (\`scripts/build-images.sh\`; Grafana is the 10.0 backend, not 12.3), Docker engine ${engine} (cgroup v1), on this`,
    "machine's 2 cores. `docker stats` shows usage minus page cache; the cgroup column is what the memory limit",
    "counts (page cache of the binaries and data files included), so it reads higher. Idle = 30 s after `up`.",
    "The seeds' claim for the whole stack is 180–250 MB.",
    "",
    ...sections,
    END,
  ].join("\n");
  const doc = fs.existsSync(DOC) ? fs.readFileSync(DOC, "utf8") : "# Benchmarks\n";
  const start = doc.indexOf(BEGIN);
  const end = doc.indexOf(END);
  const next = start >= 0 && end > start ? doc.slice(0, start) + section + doc.slice(end + END.length) : `${doc.trimEnd()}\n\n${section}\n`;
  fs.writeFileSync(DOC, next);
  console.log(`wrote the deploy section of ${DOC}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
