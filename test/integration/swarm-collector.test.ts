import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderCollectorYaml } from "../../configs/collector";
import { AgentConfigInput, gatewayConfigInput, renderAgentYaml } from "../../configs/swarm";
import { planStack } from "../../configs/stack";
import { parseSettings } from "../../settings";
import { OtelClient } from "../../bench/lib/client";
import { binary, freePorts, Proc, promQuery, start, stopAll, tempDir, waitFor, waitHttpOk } from "../../bench/lib/harness";
import { LoopbackStack, loopbackStack, startBackend } from "../../bench/lib/stack";

/**
 * The swarm engine's two collector configs (configs/swarm.ts) on the real collector: `otelcol
 * validate` for every shape the settings allow, then a real agent process → a real gateway process →
 * real VictoriaMetrics and Jaeger on 127.0.0.1, with the OpenTelemetry JS SDK as the app: metrics,
 * spans (through the loadbalancing exporter's DNS resolver) and the agent's host metrics arrive.
 */
function validate(configPath: string): { ok: boolean; output: string } {
  try {
    // As Swarm fills them from its templates ({{.Node.Hostname}}, {{.Task.Name}}).
    const env = { ...process.env, OBS_NODE_NAME: "node1", OBS_TASK_NAME: "it-otel-collector.1.abc" };
    const output = execFileSync(binary("otelcol"), ["validate", `--config=${configPath}`], { encoding: "utf8", stdio: "pipe", env });
    return { ok: true, output };
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string };
    return { ok: false, output: `${e.stdout ?? ""}${e.stderr ?? ""}` };
  }
}

/** Secret files a config references must exist for the file provider: stand-ins in a temp dir. */
function writeLocalized(text: string, name: string): string {
  const dir = tempDir(name);
  const localized = text.replace(/\$\{file:([^}]+)\}/g, (_m, p: string) => {
    const local = path.join(dir, path.basename(p));
    fs.writeFileSync(local, "otlp:{SHA}qUqP5cyxm6YcTAhz05Hph5gvu9M=");
    return `\${file:${local}}`;
  });
  const file = path.join(dir, "config.yaml");
  fs.writeFileSync(file, localized);
  return file;
}

const SWARM = { engine: "swarm", exposure: { ports: {} }, traefik: { mode: "none" } } as const;

describe("otelcol validate accepts the swarm agent and gateway configs", () => {
  const shapes = [
    { title: "defaults", raw: {} },
    { title: "span metrics off", raw: { traces: { spanMetrics: { enabled: false } } } },
    { title: "logs and no persistent queue", raw: { logs: { backend: "victorialogs" }, collector: { persistentQueue: false } } },
    {
      title: "Prometheus, Tempo and an extra exporter",
      raw: {
        metrics: { backend: "prometheus" },
        traces: { backend: "tempo" },
        exporters: [
          { name: "vendor", kind: "otlphttp", endpoint: "https://otlp.example.com", basicAuth: { username: "u", password: "p" } },
        ],
      },
    },
    { title: "ingest auth required", raw: { ingest: { auth: "basic" } } },
  ];
  it.each(shapes)("GIVEN $title WHEN both configs are validated by the real collector THEN they pass", ({ raw }) => {
    const plan = planStack(parseSettings({ environment: "it", ...SWARM, ...raw }));
    const swarm = plan.swarm!;
    expect(swarm).toBeDefined();
    const agent = validate(writeLocalized(swarm.agent.files[0]!.content, "agent"));
    expect(agent.ok, agent.output).toBe(true);
    expect(agent.output).not.toMatch(/deprecated/i);
    const gateway = validate(writeLocalized(plan.collector.files[0]!.content, "gateway"));
    expect(gateway.ok, gateway.output).toBe(true);
    expect(gateway.output).not.toMatch(/deprecated/i);
  });

  it("GIVEN an agent config with a key the collector does not know WHEN validated THEN it must fail (the check is real)", () => {
    const plan = planStack(parseSettings({ environment: "it", ...SWARM }));
    const file = writeLocalized(plan.swarm!.agent.files[0]!.content.replace("routing_key: traceID", "routing_key: nodeID"), "agent-bad");
    expect(validate(file).ok).toBe(false);
  });
});

describe("a real agent forwards to a real gateway, which writes to the real backends", () => {
  let stack: LoopbackStack;
  let agent: Proc;
  let gateway: Proc;
  let agentFile: string;
  let gatewayFile: string;
  let agentPorts: { otlpGrpc: number; otlpHttp: number; health: number; metrics: number };
  const service = "swarm-app";

  beforeAll(async () => {
    stack = await loopbackStack(SWARM);
    await startBackend(stack, "metrics");
    await startBackend(stack, "traces");
    const gatewayPorts = await freePorts(["otlpGrpc", "otlpHttp", "health", "metrics"] as const);
    agentPorts = await freePorts(["otlpGrpc", "otlpHttp", "health", "metrics"] as const);
    const gatewayInput = {
      ...gatewayConfigInput(stack.plan.collectorConfig),
      bind: "127.0.0.1",
      ports: gatewayPorts,
      queueDirectory: tempDir("gateway-queue"),
    };
    gatewayFile = path.join(tempDir("gateway"), "config.yaml");
    fs.writeFileSync(gatewayFile, renderCollectorYaml(gatewayInput));
    const swarm = stack.plan.swarm!;
    const agentInput: AgentConfigInput = {
      ...swarm.agentConfig,
      bind: "127.0.0.1",
      ports: agentPorts,
      // What `tasks.<gateway>` is on a Swarm: a name the DNS resolver turns into the gateways' addresses.
      gateway: { host: "127.0.0.1", port: gatewayPorts.otlpGrpc },
      queueDirectory: tempDir("agent-queue"),
    };
    expect(agentInput.loadBalanceTraces).toBe(true);
    agentFile = path.join(tempDir("agent"), "config.yaml");
    fs.writeFileSync(agentFile, renderAgentYaml(agentInput));
    // Each with the runtime env its Swarm service gets (GOMEMLIMIT, GOGC), the Swarm templates filled in.
    const gatewayEnv = { ...stack.plan.collector.env, OBS_TASK_NAME: "it-gateway.1" };
    const agentEnv = { ...swarm.agent.env, OBS_NODE_NAME: "node-under-test" };
    for (const env of [gatewayEnv, agentEnv]) expect(Object.keys(env)).toEqual(expect.arrayContaining(["GOMEMLIMIT", "GOGC"]));
    gateway = start("gateway", binary("otelcol"), [`--config=${gatewayFile}`], { env: gatewayEnv });
    await waitHttpOk(`http://127.0.0.1:${gatewayPorts.health}/`, gateway, 60_000);
    agent = start("agent", binary("otelcol"), [`--config=${agentFile}`], { env: agentEnv });
    await waitHttpOk(`http://127.0.0.1:${agentPorts.health}/`, agent, 60_000);
  }, 180_000);

  afterAll(async () => stopAll());

  it("GIVEN a counter sent to the agent WHEN the gateway forwards it THEN VictoriaMetrics has it with the environment", async () => {
    const client = new OtelClient({ protocol: "grpc", grpcPort: agentPorts.otlpGrpc, httpPort: agentPorts.otlpHttp, serviceName: service });
    client.meter().createCounter("swarm.requests").add(7, { path: "/x" });
    expect(await client.exportMetricsNow()).toBe(true);
    const found = await waitFor("swarm_requests_total via agent and gateway", async () => {
      const result = await promQuery(stack.metricsUrl, `swarm_requests_total{job="${service}",deployment_environment="it"}`);
      return result.length > 0 ? result : undefined;
    });
    expect(Number(found[0]!.value[1])).toBe(7);
    // The agent sent it to the gateway zstd-compressed (configs/swarm.ts): the same pinned collector decoded it.
    const ran = yaml.load(fs.readFileSync(agentFile, "utf8")) as any;
    expect(ran.exporters["otlp_grpc/gateway"].compression).toBe("zstd");
    await client.shutdown();
  }, 90_000);

  it("GIVEN a span sent to the agent WHEN it goes through the loadbalancing exporter THEN Jaeger has the trace and span metrics count it", async () => {
    const client = new OtelClient({ protocol: "http", grpcPort: agentPorts.otlpGrpc, httpPort: agentPorts.otlpHttp, serviceName: service });
    const span = client.tracer().startSpan("GET /swarm");
    const traceId = span.spanContext().traceId;
    span.end();
    await client.flushSpans();
    const trace = await waitFor(`trace ${traceId} in Jaeger`, async () => {
      const response = await fetch(`${stack.tracesUrl}/api/traces/${traceId}`);
      if (!response.ok) return undefined;
      return ((await response.json()) as { data: any[] }).data?.[0];
    });
    expect(trace.spans[0].operationName).toBe("GET /swarm");
    // The gateway (span metrics on) turned the span into calls: the whole trace reached one gateway.
    const calls = await waitFor(
      "span metrics of the forwarded span",
      async () => {
        const result = await promQuery(stack.metricsUrl, `sum(traces_span_metrics_calls_total{service_name="${service}"})`);
        return result.length > 0 && Number(result[0]!.value[1]) >= 1 ? result : undefined;
      },
      90_000,
    );
    expect(Number(calls[0]!.value[1])).toBe(1);
    // zstd from the agent's loadbalancing exporter, and from the gateway to Jaeger.
    const agentRan = yaml.load(fs.readFileSync(agentFile, "utf8")) as any;
    expect(agentRan.exporters["loadbalancing/traces"].protocol.otlp.compression).toBe("zstd");
    const gatewayRan = yaml.load(fs.readFileSync(gatewayFile, "utf8")) as any;
    expect(gatewayRan.exporters["otlp_grpc/traces"].compression).toBe("zstd");
    await client.shutdown();
  }, 150_000);

  it("GIVEN the agent's hostmetrics receiver WHEN it scrapes THEN the node's CPU and memory arrive named after the node", async () => {
    const memory = await waitFor(
      "system_memory_usage_bytes from the agent",
      async () => {
        const result = await promQuery(stack.metricsUrl, `system_memory_usage_bytes{deployment_environment="it"}`);
        return result.length > 0 ? result : undefined;
      },
      90_000,
    );
    expect(memory.map((r) => [r.metric.job, r.metric.instance])).toContainEqual(["otel-agent", "node-under-test"]);
    const cpu = await promQuery(stack.metricsUrl, `system_cpu_time_seconds_total{deployment_environment="it"}`);
    expect(cpu.length).toBeGreaterThan(0);
  }, 120_000);

  it("GIVEN the gateway's self-scrape WHEN it lands THEN its instance is the Swarm task name, not a shared 127.0.0.1", async () => {
    const up = await waitFor(
      "up{job=otel-collector}",
      async () => {
        const result = await promQuery(stack.metricsUrl, `up{job="otel-collector"}`);
        return result.length > 0 ? result : undefined;
      },
      90_000,
    );
    expect(up.map((r) => r.metric.instance)).toEqual(["it-gateway.1"]);
  }, 120_000);
});
