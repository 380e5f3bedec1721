/** How `npm run bench` splits a load over telemetrygen processes (bench/lib/load.ts). */
import { describe, expect, it } from "vitest";
import { clientSpecs, SPANS_PER_CLIENT, telemetrygenArgs, type LoadSpec } from "../bench/lib/load";

const spec = (signal: LoadSpec["signal"], itemsPerSec: number): LoadSpec => ({
  signal,
  itemsPerSec,
  durationS: 10,
  grpcPort: 4317,
  service: "s",
});
const flag = (args: string[], name: string) => Number(args[args.indexOf(name) + 1]);

describe("span load: one telemetrygen process per SPANS_PER_CLIENT spans/s", () => {
  it("GIVEN 40,000 spans/s WHEN split THEN four processes of 10,000/s carry the same workers and rate", () => {
    const clients = clientSpecs(spec("traces", 4 * SPANS_PER_CLIENT));
    expect(clients).toHaveLength(4);
    const args = clients.map(telemetrygenArgs);
    expect(args.map((a) => flag(a, "--workers") * flag(a, "--rate")).reduce((x, y) => x + y)).toBeCloseTo(4 * SPANS_PER_CLIENT, 0);
    expect(args.map((a) => flag(a, "--workers")).reduce((x, y) => x + y)).toBe(160); // 250 spans/s per worker, as in one process
  });
  it("GIVEN a rate that does not divide WHEN split THEN no process carries more than SPANS_PER_CLIENT", () => {
    const clients = clientSpecs(spec("traces", 25_000));
    expect(clients).toHaveLength(3);
    for (const c of clients) expect(c.itemsPerSec).toBeLessThanOrEqual(SPANS_PER_CLIENT);
    expect(clients.reduce((sum, c) => sum + c.itemsPerSec, 0)).toBeCloseTo(25_000, 6);
  });
  it("GIVEN metrics or logs WHEN split THEN one process: their workers each send synchronously already", () => {
    expect(clientSpecs(spec("metrics", 80_000))).toEqual([spec("metrics", 80_000)]);
    expect(clientSpecs(spec("logs", 80_000))).toHaveLength(1);
  });
});
