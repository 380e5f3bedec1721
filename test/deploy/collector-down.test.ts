/**
 * The collector image is FROM scratch, so nothing inside it can be probed: before its sidecar probe,
 * `up` reported success with a collector that exited at once. Here the collector "image" is one that
 * starts and then rejects the rendered config (Jaeger v2's: a collector build without the prometheus
 * receiver or the basicauth extension), as a collector with a broken config would: `up` must fail,
 * naming the probe.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createStack, DeployedStack, containersOf, prerequisites, purgeEnvironment } from "../../bench/lib/deploy-harness";

let deployed: DeployedStack;

beforeAll(async () => {
  const { toolchain, images } = await prerequisites();
  deployed = await createStack("dev", toolchain, { ...images, collector: images.jaeger! }, { environment: "down" });
});

afterAll(async () => {
  if (!deployed) return;
  await deployed.destroy().catch(() => undefined);
  await purgeEnvironment(deployed.environment);
  await deployed.stack.workspace.removeStack(deployed.environment).catch(() => undefined);
});

describe("a collector that is not serving fails the deploy", () => {
  it("GIVEN a collector container that exits WHEN up runs THEN up fails on the probe's health, and the probe is unhealthy", async () => {
    const t0 = Date.now();
    const error = await deployed.up().then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error, "up succeeded with a collector that is not serving").toBeDefined();
    // Measured: "down-…-collector-probe-container … container failed to be in healthy state" after
    // the provider's 180 s wait (it waits the whole timeout rather than stopping at "unhealthy").
    expect(String(error)).toMatch(/collector-probe-container[^\n]*container failed to be in healthy state/);
    const probe = (await containersOf(deployed.environment, true)).find((c) => c.name.endsWith("-otel-collector-probe"));
    if (probe) expect(probe.health).toBe("unhealthy");
    expect(Date.now() - t0).toBeLessThan(300_000);
  });
});
