import * as fs from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { OtelClient } from "../../bench/lib/client";
import { cgroupPeakMb, memoryCgroup, peakRssMb, Proc, sleep, stopAll, waitFor } from "../../bench/lib/harness";
import { LoopbackStack, loopbackStack, RunningBackend, startBackend, startCollector } from "../../bench/lib/stack";

/**
 * Fault tests of the SHIPPED collector config (persistent queue, bounded retries, memory_limiter
 * from the small tier). Each prints sent / acknowledged / stored / lost / duplicated counts.
 */
afterEach(async () => {
  await stopAll();
});

interface StreamResult {
  ticks: number;
  ackedSampleTimes: Set<number>;
  unackedSampleTimes: Set<number>;
  ackedSpanIds: Set<string>;
  unackedSpanIds: Set<string>;
}

/** A steady stream: every tick one counter sample and one span, each export's ack recorded. */
async function stream(client: OtelClient, ticks: number, everyMs: number, during: (tick: number) => Promise<void>): Promise<StreamResult> {
  const counter = client.meter().createCounter("fault.ticks");
  const tracer = client.tracer();
  const result: StreamResult = {
    ticks,
    ackedSampleTimes: new Set(),
    unackedSampleTimes: new Set(),
    ackedSpanIds: new Set(),
    unackedSpanIds: new Set(),
  };
  for (let tick = 0; tick < ticks; tick++) {
    const started = Date.now();
    counter.add(1);
    tracer.startSpan(`tick ${tick}`).end();
    const metrics = await client.exportMetricsWithTimes();
    for (const t of metrics.timesMs) (metrics.ok ? result.ackedSampleTimes : result.unackedSampleTimes).add(t);
    const spans = await client.exportCapturedSpans();
    for (const id of spans.spanIds) (spans.ok ? result.ackedSpanIds : result.unackedSpanIds).add(id);
    await during(tick);
    await sleep(Math.max(0, everyMs - (Date.now() - started)));
  }
  return result;
}

/** Raw samples of one series as VictoriaMetrics stored them (export API: no dedup on read). */
async function storedSamples(stack: LoopbackStack, selector: string): Promise<number[]> {
  const response = await fetch(`${stack.metricsUrl}/api/v1/export?${new URLSearchParams({ "match[]": selector })}`);
  const text = await response.text();
  return text
    .split("\n")
    .filter(Boolean)
    .flatMap((line) => (JSON.parse(line) as { timestamps: number[] }).timestamps);
}

async function storedSpanIds(stack: LoopbackStack, service: string): Promise<string[]> {
  const response = await fetch(`${stack.tracesUrl}/api/traces?${new URLSearchParams({ service, limit: "1000", lookback: "1h" })}`);
  if (!response.ok) return [];
  const body = (await response.json()) as { data: { spans: { spanID: string }[] }[] };
  return (body.data ?? []).flatMap((trace) => trace.spans.map((s) => s.spanID));
}

interface Tally {
  signal: string;
  sent: number;
  acked: number;
  stored: number;
  lost: number;
  duplicated: number;
  storedUnacked: number;
}

function tally(signal: string, acked: Set<string | number>, unacked: Set<string | number>, stored: (string | number)[]): Tally {
  const distinct = new Set(stored);
  return {
    signal,
    sent: acked.size + unacked.size,
    acked: acked.size,
    stored: stored.length,
    lost: [...acked].filter((x) => !distinct.has(x)).length,
    duplicated: stored.length - distinct.size,
    storedUnacked: [...unacked].filter((x) => distinct.has(x)).length,
  };
}

/** Wait until every acknowledged item is stored (or time runs out), then count. */
async function settle(stack: LoopbackStack, service: string, result: StreamResult, timeoutMs: number): Promise<Tally[]> {
  const selector = `fault_ticks_total{job="${service}"}`;
  const counts = async () => [
    tally("metrics", result.ackedSampleTimes, result.unackedSampleTimes, await storedSamples(stack, selector)),
    tally("traces", result.ackedSpanIds, result.unackedSpanIds, await storedSpanIds(stack, service)),
  ];
  try {
    return await waitFor(
      "every acknowledged item to be stored",
      async () => {
        const t = await counts();
        return t.every((x) => x.lost === 0) ? t : undefined;
      },
      timeoutMs,
      2_000,
    );
  } catch {
    return counts();
  }
}

function report(name: string, tallies: Tally[]): void {
  for (const t of tallies) {
    console.log(
      `[fault ${name}] ${t.signal}: sent=${t.sent} acked=${t.acked} stored=${t.stored} lost=${t.lost} duplicated=${t.duplicated} stored-but-unacked=${t.storedUnacked}`,
    );
  }
}

describe("fault (a): kill -9 the collector in the middle of a steady stream", () => {
  it("GIVEN the persistent queue WHEN the collector is SIGKILLed and restarted THEN every acknowledged sample and span is stored", async () => {
    const stack = await loopbackStack({ traces: { storage: "memory" } });
    await startBackend(stack, "metrics");
    await startBackend(stack, "traces");
    let collector: Proc = await startCollector(stack);
    const service = "fault-kill";
    const client = new OtelClient({
      protocol: "grpc",
      grpcPort: stack.collectorPorts.otlpGrpc,
      httpPort: stack.collectorPorts.otlpHttp,
      serviceName: service,
      captureSpans: true,
      timeoutMillis: 3_000,
    });
    const result = await stream(client, 100, 150, async (tick) => {
      if (tick === 40) {
        await collector.kill9();
        expect(fs.readdirSync(stack.queueDir).length, "the queue's file storage exists on disk").toBeGreaterThan(0);
      }
      if (tick === 46) collector = await startCollector(stack);
    });
    await client.shutdown();
    const tallies = await settle(stack, service, result, 90_000);
    report("kill -9", tallies);
    for (const t of tallies) {
      expect(t.acked, `${t.signal}: some exports must have been acknowledged`).toBeGreaterThan(50);
      expect(t.lost, `${t.signal}: acknowledged but lost`).toBe(0);
    }
    expect(result.unackedSampleTimes.size, "exports during the outage were refused, not silently accepted").toBeGreaterThan(0);
  });
});

describe("fault (b): the metrics backend is down for 30 s under load", () => {
  it("GIVEN retries and the persistent queue WHEN VictoriaMetrics stops for 30 s and comes back THEN nothing is lost", async () => {
    const stack = await loopbackStack({ traces: { storage: "memory" } });
    let vm: RunningBackend = await startBackend(stack, "metrics");
    await startBackend(stack, "traces");
    const collectorProc = await startCollector(stack);
    const service = "fault-backend";
    const client = new OtelClient({
      protocol: "http",
      grpcPort: stack.collectorPorts.otlpGrpc,
      httpPort: stack.collectorPorts.otlpHttp,
      serviceName: service,
      captureSpans: true,
      timeoutMillis: 5_000,
    });
    let downAt = 0;
    let upAt = 0;
    const result = await stream(client, 240, 200, async (tick) => {
      if (tick === 25) {
        await vm.proc.stop();
        downAt = Date.now();
      }
      if (downAt && !upAt && Date.now() - downAt >= 30_000) {
        vm = await vm.restart();
        upAt = Date.now();
      }
    });
    if (!upAt) {
      vm = await vm.restart();
      upAt = Date.now();
    }
    await client.shutdown();
    const tallies = await settle(stack, service, result, 120_000);
    report(`backend down ${Math.round((upAt - downAt) / 1000)}s`, tallies);
    const stored = new Set(await storedSamples(stack, `fault_ticks_total{job="${service}"}`));
    const lost = [...result.ackedSampleTimes].filter((t) => !stored.has(t)).map((t) => `${((t - downAt) / 1000).toFixed(1)}s`);
    if (lost.length > 0)
      console.log(
        collectorProc
          .output()
          .split("\n")
          .filter((l) => /drop|permanent|error/i.test(l))
          .slice(0, 8)
          .join("\n"),
      );
    if (lost.length > 0)
      console.log(
        `[fault backend down] lost samples at (relative to the stop): ${lost.join(", ")}; up again at ${((upAt - downAt) / 1000).toFixed(1)}s`,
      );
    expect(upAt - downAt).toBeGreaterThanOrEqual(30_000);
    for (const t of tallies) {
      expect(t.lost, `${t.signal}: acknowledged but lost`).toBe(0);
      // The collector kept acknowledging while the backend was down: the queue absorbed it.
      expect(t.acked).toBe(t.sent);
    }
  });
});

describe("fault (c): a burst far above the small tier's memory_limiter", () => {
  it("GIVEN the small tier's container limit (192 MB) WHEN ~375 MiB of spans flood in over 16 connections THEN the collector refuses some, is not OOM-killed, and serves the next request", async () => {
    const stack = await loopbackStack({ tier: "small", traces: { storage: "memory" } });
    await startBackend(stack, "metrics");
    await startBackend(stack, "traces");
    const limitMb = stack.plan.collector.memoryMb;
    const cgroup = memoryCgroup(limitMb);
    const collector = await startCollector(stack, { cgroupDir: cgroup?.dir });
    const payload = "x".repeat(2_048);
    // 16 app instances, each pushing 12 batches of 1 000 spans × 2 KiB back to back (~2 MiB each):
    // about 375 MiB against a memory_limiter of 112 MiB (soft 84) in a 192 MB container.
    const clients = Array.from(
      { length: 16 },
      (_, i) =>
        new OtelClient({
          protocol: i % 2 ? "http" : "grpc",
          grpcPort: stack.collectorPorts.otlpGrpc,
          httpPort: stack.collectorPorts.otlpHttp,
          serviceName: `fault-burst-${i}`,
          captureSpans: true,
          timeoutMillis: 30_000,
        }),
    );
    let accepted = 0;
    let refused = 0;
    await Promise.all(
      clients.map(async (client) => {
        for (let round = 0; round < 12; round++) {
          const tracer = client.tracer();
          for (let i = 0; i < 1_000; i++) tracer.startSpan(`burst ${i}`, { attributes: { payload } }).end();
          if ((await client.exportCapturedSpans()).ok) accepted += 1;
          else refused += 1;
        }
      }),
    );
    expect(collector.exited(), `collector died:\n${collector.output().slice(-2000)}`).toBe(false);
    const metrics = await (await fetch(`http://127.0.0.1:${stack.collectorPorts.metrics}/metrics`)).text();
    const refusedSpans = metrics
      .split("\n")
      .filter((l) => l.startsWith("otelcol_receiver_refused_spans"))
      .reduce((sum, l) => sum + Number(l.split(" ").pop()), 0);
    const peak = cgroup ? cgroupPeakMb(cgroup.dir) : peakRssMb(collector.pid);
    console.log(
      `[fault burst] requests=${accepted + refused} (1 000 spans × 2 KiB), accepted=${accepted}, failed after client retries=${refused}, spans refused by memory_limiter=${refusedSpans}, peak memory=${peak.toFixed(0)} MB of ${limitMb} MB (${cgroup ? "cgroup-capped like the container" : "no cgroup here: RSS only"}), oom-kills=${cgroup?.oomKills() ?? "n/a"}`,
    );
    if (cgroup) expect(cgroup.oomKills()).toBe(0);
    expect(refusedSpans, "back-pressure: the memory_limiter must have refused data").toBeGreaterThan(0);
    const after = new OtelClient({
      protocol: "grpc",
      grpcPort: stack.collectorPorts.otlpGrpc,
      httpPort: stack.collectorPorts.otlpHttp,
      serviceName: "fault-burst-after",
      captureSpans: true,
    });
    await waitFor(
      "the collector to accept again",
      async () => {
        after.tracer().startSpan("after the burst").end();
        return (await after.exportCapturedSpans()).ok ? true : undefined;
      },
      60_000,
      1_000,
    );
    await Promise.all([...clients, after].map((c) => c.shutdown()));
    await collector.stop();
    cgroup?.remove();
  });
});
