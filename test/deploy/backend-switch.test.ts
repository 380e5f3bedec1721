/**
 * Every backend flag the real tiers can run, there and back, on the real engine: each `up` must
 * succeed, Grafana's slot (the project's stand-in, which applies the provisioning contract
 * including the cross-deploy datasource rules) must stay healthy — a swap used to leave a real
 * Grafana failing datasource provisioning — and `verify` must find new data in the backend now
 * chosen. Tempo and Loki are AGPL and never run here: their swaps are covered by the rendered-config
 * contract (test/loki-tempo-contract.test.ts) and the provisioning contract (test/grafana-contract.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stackSettings } from "../../deploy/automation";
import { verifyTargetFor } from "../../deploy/verify-target";
import { formatReport, verifyStack } from "../../deploy/verify";
import {
  containersOf,
  createStack,
  DeployedStack,
  getJson,
  outputValue,
  prerequisites,
  purgeEnvironment,
  viaTraefik,
} from "../../bench/lib/deploy-harness";

let deployed: DeployedStack;
let images: Record<string, string>;

async function upAndVerify(): Promise<void> {
  const outputs = await deployed.up();
  const env = deployed.environment;
  const grafana = (await containersOf(env)).find((c) => c.name === `${env}-grafana`);
  expect(grafana?.health, "Grafana stand-in container health after up").toBe("healthy");
  const values = Object.fromEntries(Object.entries(outputs).map(([k, o]) => [k, o.value]));
  const report = await verifyStack(verifyTargetFor(await stackSettings(deployed.stack), values));
  expect(report.ok, formatReport(report)).toBe(true);
  const auth = { username: "admin", password: String(outputValue(outputs, "grafanaAdminPassword")) };
  const datasources = await getJson<any[]>(viaTraefik(deployed, "grafana.ddev.site", { auth }), "/api/datasources");
  const settings = await stackSettings(deployed.stack);
  expect(datasources.map((d) => d.uid).sort()).toEqual(["metrics", "traces", ...(settings.logs.backend === "none" ? [] : ["logs"])].sort());
}

beforeAll(async () => {
  const prereq = await prerequisites();
  images = prereq.images;
  deployed = await createStack("dev", prereq.toolchain, images, { environment: "swap" });
  await deployed.up();
});

afterAll(async () => {
  if (!deployed) return;
  await deployed.destroy().catch(() => undefined);
  await purgeEnvironment(deployed.environment);
  await deployed.stack.workspace.removeStack(deployed.environment).catch(() => undefined);
});

describe("backend flags on the real engine", () => {
  it("GIVEN VictoriaMetrics WHEN metrics.backend is prometheus THEN up succeeds, the Grafana stand-in stays healthy and new data lands in Prometheus", async () => {
    await deployed.reconfigure({ metrics: { backend: "prometheus" } });
    await upAndVerify();
  });

  it("GIVEN Prometheus WHEN metrics.backend is victoriametrics again THEN up succeeds and new data lands in VictoriaMetrics", async () => {
    await deployed.reconfigure({ metrics: { backend: "victoriametrics" } });
    await upAndVerify();
  });

  it("GIVEN no logs WHEN logs.backend is victorialogs THEN up succeeds, a log record is found in VictoriaLogs and the stand-in's logs datasource is healthy", async () => {
    expect(images.victorialogs, "scripts/build-images.sh built no VictoriaLogs image").toBeDefined();
    await deployed.reconfigure({ logs: { backend: "victorialogs" } });
    await upAndVerify();
  });

  it("GIVEN VictoriaLogs WHEN logs.backend is none again THEN up succeeds and the Grafana stand-in has no logs datasource", async () => {
    await deployed.reconfigure({ logs: { backend: "none" } });
    await upAndVerify();
  });
});
