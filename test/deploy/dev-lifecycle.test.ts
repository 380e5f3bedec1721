/**
 * The dev stack's life, as a user lives it, on the real engine: `up` from nothing, a retention
 * change, a tier change, a collector crash under load, and `destroy`. One stack, in order: each
 * step starts from what the previous one left, as it would for a user.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TIERS } from "../../settings";
import { stackSettings } from "../../deploy/automation";
import { verifyTargetFor } from "../../deploy/verify-target";
import { formatReport, verifyStack } from "../../deploy/verify";
import { OtelClient } from "../../bench/lib/client";
import { sleep, waitFor } from "../../bench/lib/harness";
import {
  containersOf,
  createStack,
  DeployedStack,
  docker,
  getJson,
  outputValue,
  prerequisites,
  promQuery,
  purgeEnvironment,
  viaTraefik,
} from "../../bench/lib/deploy-harness";

let deployed: DeployedStack;
let outputs: Awaited<ReturnType<DeployedStack["up"]>>;
const timings: Record<string, number> = {};
const timed = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
  const t0 = Date.now();
  try {
    return await fn();
  } finally {
    timings[what] = Date.now() - t0;
  }
};

const vm = () => viaTraefik(deployed, "vm.ddev.site");
const jaeger = () => viaTraefik(deployed, "jaeger.ddev.site");
const grafana = () =>
  viaTraefik(deployed, "grafana.ddev.site", {
    auth: { username: "admin", password: String(outputValue(outputs, "grafanaAdminPassword")) },
  });

async function emit(serviceName: string, marker: string, points = 1): Promise<{ acked: number; traceId?: string }> {
  const client = new OtelClient({ protocol: "grpc", grpcPort: deployed.ports.otlpGrpc, httpPort: deployed.ports.otlpHttp, serviceName });
  const counter = client.meter().createCounter("deploy.probe", { description: "deploy-tier probe" });
  let acked = 0;
  for (let i = 0; i < points; i++) {
    counter.add(1, { marker });
    if (await client.exportMetricsNow()) acked += 1;
  }
  const span = client.tracer().startSpan(`deploy-${marker}`);
  const traceId = span.spanContext().traceId;
  span.end();
  await client.flushSpans();
  await client.shutdown();
  return { acked, traceId };
}

const seriesCount = async (marker: string) => (await promQuery(vm(), `deploy_probe_total{marker="${marker}"}`)).length;

beforeAll(async () => {
  const { toolchain, images } = await prerequisites();
  deployed = await createStack("dev", toolchain, images);
});

afterAll(async () => {
  if (!deployed) return;
  await deployed.destroy().catch(() => undefined);
  await purgeEnvironment(deployed.environment);
  await deployed.stack.workspace.removeStack(deployed.environment).catch(() => undefined);
  console.log(`deploy timings (ms): ${JSON.stringify(timings)}`);
});

describe("dev stack on the real engine", () => {
  it("GIVEN nothing WHEN up THEN every container runs (healthy where probed) and the outputs are right", async () => {
    outputs = await timed("up from nothing", () => deployed.up());
    timings["Traefik routes every UI, after up"] = deployed.routeLagMs ?? -1;
    const containers = await containersOf(deployed.environment);
    const services = containers
      .filter((c) => !c.name.endsWith("-init"))
      .map((c) => c.name)
      .sort();
    const env = deployed.environment;
    expect(services).toEqual([
      `${env}-grafana`,
      `${env}-jaeger`,
      `${env}-otel-collector`,
      `${env}-otel-collector-probe`,
      `${env}-traefik`,
      `${env}-victoriametrics`,
    ]);
    for (const c of containers.filter((c) => !c.name.endsWith("-init"))) {
      expect(c.running, c.name).toBe(true);
      if (c.health !== undefined) expect(c.health, c.name).toBe("healthy");
    }
    expect(outputValue(outputs, "grafanaUrl")).toBe("http://grafana.ddev.site");
    expect(outputValue(outputs, "otlpGrpcEndpoint")).toBe(`127.0.0.1:${deployed.ports.otlpGrpc}`);
    expect(outputs.grafanaAdminPassword!.secret).toBe(true);
    expect(Object.keys(outputs)).not.toContain("logsUrl");
  });

  it("GIVEN the stack just deployed WHEN previewed again THEN nothing changes (what the program sends is what Docker reports back)", async () => {
    const preview = await deployed.stack.preview({ diff: true });
    expect(preview.changeSummary, preview.stdout.slice(-3000)).toEqual({ same: expect.any(Number) });
  });

  it("GIVEN the running stack WHEN the OTel SDK sends a metric and a span THEN they are queryable through Traefik", async () => {
    const { acked, traceId } = await emit("deploy-app", "first", 3);
    expect(acked).toBe(3);
    await waitFor(
      "the metric in VictoriaMetrics via vm.ddev.site",
      async () => ((await seriesCount("first")) > 0 ? true : undefined),
      90_000,
      1_000,
    );
    const trace = await waitFor(
      "the span in Jaeger via jaeger.ddev.site",
      async () => {
        const body = await getJson(jaeger(), `/api/traces/${traceId}`);
        return body.data?.length ? body.data[0] : undefined;
      },
      90_000,
      1_000,
    );
    expect(trace.traceID).toBe(traceId);
  });

  it("GIVEN the running stack WHEN the Grafana stand-in's API is asked THEN it loaded the provisioning, every datasource is healthy from inside the network, and every panel and alert query evaluates on the real backends", async () => {
    // Grafana's slot runs the project's stand-in (tools/grafana-standin): NOT Grafana. It loads the
    // provisioning files the program uploaded, applies the provisioning contract, and runs each
    // datasource's health request and every dashboard/alert query against the real backends.
    const health = await getJson(grafana(), "/api/health");
    expect(health.database).toBe("ok");
    expect(health.version).toMatch(/stand-in/);
    const datasources = await getJson<any[]>(grafana(), "/api/datasources");
    expect(datasources.map((d) => d.uid).sort()).toEqual(["metrics", "traces"]);
    const metrics = await getJson(grafana(), "/api/datasources/uid/metrics/health");
    expect(metrics.status, `metrics datasource: ${metrics.message}`).toBe("OK");
    const traces = await getJson(grafana(), "/api/datasources/uid/traces/health");
    expect(traces.status, `traces datasource: ${traces.message}`).toBe("OK");
    const services = await getJson(grafana(), "/api/datasources/proxy/uid/traces/api/services");
    expect(services.data).toContain("deploy-app");
    const dashboards = await getJson<any[]>(grafana(), "/api/search?type=dash-db");
    expect(dashboards.length).toBeGreaterThanOrEqual(2);
    const rules = await getJson<any[]>(grafana(), "/api/v1/provisioning/alert-rules");
    expect(rules.length).toBeGreaterThanOrEqual(11);
    const report = await getJson<{ items: { ok: boolean; query: string; error?: string; panel?: string }[] }>(
      grafana(),
      "/api/standin/report",
    );
    const failed = report.items.filter((i) => !i.ok);
    expect(report.items.length).toBeGreaterThan(20);
    expect(failed, failed.map((f) => `${f.panel ?? ""}: ${f.query} → ${f.error}`).join("\n")).toEqual([]);
  });

  it("GIVEN the deployed stack WHEN verify runs against its outputs THEN every check passes", async () => {
    const values = Object.fromEntries(Object.entries(outputs).map(([k, o]) => [k, o.value]));
    const target = verifyTargetFor(await stackSettings(deployed.stack), values);
    const report = await timed("verify", () => verifyStack(target));
    expect(report.ok, formatReport(report)).toBe(true);
  });

  it("GIVEN data in VictoriaMetrics WHEN metrics.retention changes THEN preview shows one replace and the data survives up", async () => {
    await deployed.reconfigure({ metrics: { retention: "60d" } });
    const preview = await timed("preview", () => deployed.stack.preview({ diff: true }));
    expect(preview.changeSummary.replace).toBe(1);
    expect(preview.stdout).toMatch(/\+-docker:index\/container:Container: \(replace\)[\s\S]*-metrics-container\]/);
    outputs = await timed("up: retention", () => deployed.up());
    const args = JSON.parse(await docker("inspect", `${deployed.environment}-victoriametrics`))[0].Args as string[];
    expect(args).toContain("-retentionPeriod=60d");
    await waitFor("the earlier series after the replace", async () => ((await seriesCount("first")) > 0 ? true : undefined), 90_000, 1_000);
  });

  it("GIVEN the small tier WHEN tier is medium THEN docker shows the medium memory limits and the data is kept", async () => {
    await deployed.reconfigure({ tier: "medium" });
    outputs = await timed("up: tier", () => deployed.up());
    const byName = Object.fromEntries((await containersOf(deployed.environment)).map((c) => [c.name, c.memoryBytes / 2 ** 20]));
    const env = deployed.environment;
    const medium = TIERS.medium.memoryMb;
    expect(byName[`${env}-victoriametrics`]).toBe(medium.victoriametrics);
    expect(byName[`${env}-otel-collector`]).toBe(medium.collector);
    expect(byName[`${env}-jaeger`]).toBe(medium.jaeger);
    expect(byName[`${env}-grafana`]).toBe(medium.grafana);
    expect(byName[`${env}-traefik`]).toBe(medium.traefik);
    await waitFor(
      "the earlier series after the tier change",
      async () => ((await seriesCount("first")) > 0 ? true : undefined),
      90_000,
      1_000,
    );
  });

  it("GIVEN load on the collector WHEN its process is killed THEN the restart policy brings it back and nothing acknowledged is lost", async () => {
    const env = deployed.environment;
    const acked: number[] = [];
    const [before] = (await containersOf(env)).filter((c) => c.name === `${env}-otel-collector`);
    for (let tick = 0; tick < 60; tick++) {
      // SIGKILL to the container's main process, as the kernel's OOM killer or a crash would;
      // `docker kill` counts as a manual stop, which the restart policy leaves alone.
      if (tick === 20) process.kill(before!.pid, "SIGKILL");
      // One SDK client per tick: its one export carries only this tick's series, so a stored series
      // proves that export's data arrived (a long-lived cumulative counter would resend them all).
      const client = new OtelClient({
        protocol: "grpc",
        grpcPort: deployed.ports.otlpGrpc,
        httpPort: deployed.ports.otlpHttp,
        serviceName: "deploy-crash",
        timeoutMillis: 3_000,
      });
      client
        .meter()
        .createCounter("deploy.probe")
        .add(1, { marker: `crash-${tick}` });
      if (await client.exportMetricsNow()) acked.push(tick);
      await client.shutdown();
      await sleep(500);
    }
    const [after] = (await containersOf(env)).filter((c) => c.name === `${env}-otel-collector`);
    expect(after!.running).toBe(true);
    expect(after!.restartCount).toBeGreaterThanOrEqual(1);
    expect(acked.length).toBeGreaterThan(40);
    const missing = await waitFor(
      "every acknowledged tick's series",
      async () => {
        const stored = new Set((await promQuery(vm(), `deploy_probe_total{marker=~"crash-.*"}`)).map((r) => r.metric.marker));
        const lost = acked.filter((t) => !stored.has(`crash-${t}`));
        return lost.length === 0 ? lost : undefined;
      },
      120_000,
      2_000,
    );
    expect(missing).toEqual([]);
  });

  it("GIVEN the stack WHEN destroyed THEN no container, volume or network of it is left", async () => {
    await timed("destroy", () => deployed.destroy());
    const filter = `label=obs.stack=${deployed.environment}`;
    expect(await docker("ps", "-aq", "--filter", filter)).toBe("");
    expect(await docker("volume", "ls", "-q", "--filter", filter)).toBe("");
    expect(await docker("network", "ls", "-q", "--filter", filter)).toBe("");
  });
});
