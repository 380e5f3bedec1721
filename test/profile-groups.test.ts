import { describe, expect, it } from "vitest";
import { groupOf, groupSamples, OTHER, parseDuration, parseTop, parseTraces, RUNTIME_ONLY } from "../bench/profile-groups";

// The shape `go tool pprof -traces` prints for a CPU profile (leaf first), trimmed to three samples.
const TRACES = `File: otelcol
Type: cpu
Time: 2026-12-06 00:21:06 UTC
Duration: 10s, Total samples = 60ms ( 0.60%)
-----------+-------------------------------------------------------
      30ms   runtime.memmove
             go.opentelemetry.io/collector/pdata/internal.(*Span).MarshalProto
             go.etcd.io/bbolt.(*Tx).Commit
             go.opentelemetry.io/collector/exporter/exporterhelper/internal/queue.(*persistentQueue[go.shape.interface {}]).Offer
             go.opentelemetry.io/collector/processor/memorylimiterprocessor.(*memoryLimiterProcessor).processTraces
             go.opentelemetry.io/collector/receiver/otlpreceiver/internal/trace.(*Receiver).Export
-----------+-------------------------------------------------------
      20ms   runtime.mallocgc
             go.opentelemetry.io/collector/pdata/internal.(*Span).UnmarshalProto (inline)
             go.opentelemetry.io/collector/receiver/otlpreceiver/internal/trace.(*Receiver).Export
             google.golang.org/grpc.(*Server).handleStream
-----------+-------------------------------------------------------
      10ms   runtime.futex
             runtime.findRunnable
             runtime.schedule
-----------+-------------------------------------------------------
`;

describe("reading a collector CPU profile (bench/profile-groups.ts)", () => {
  it("GIVEN pprof durations WHEN parsed THEN they are seconds, and an unknown unit is named in the error", () => {
    expect(parseDuration("10ms")).toBeCloseTo(0.01);
    expect(parseDuration("1.25s")).toBeCloseTo(1.25);
    expect(parseDuration("2mins")).toBe(120);
    expect(() => parseDuration("3parsecs")).toThrow(/"3parsecs"/);
  });

  it("GIVEN -traces output WHEN parsed THEN every sample keeps its stack, leaf first, without (inline)", () => {
    const traces = parseTraces(TRACES);
    expect(traces.durationS).toBe(10);
    expect(traces.totalS).toBeCloseTo(0.06);
    expect(traces.samples.map((s) => [s.seconds, s.frames.length])).toEqual([
      [0.03, 6],
      [0.02, 4],
      [0.01, 3],
    ]);
    expect(traces.samples[1]!.frames[1]).toBe("go.opentelemetry.io/collector/pdata/internal.(*Span).UnmarshalProto");
    expect(() => parseTraces("File: otelcol\n")).toThrow(/Total samples/);
  });

  it("GIVEN the pipeline's synchronous stacks WHEN grouped THEN an owner takes its work and a stage is its leaf-most frame", () => {
    const [queued, received, idle] = parseTraces(TRACES).samples;
    // The persistent queue owns the proto encoding and bbolt beneath it, not the memory_limiter or the receiver above it.
    expect(groupOf(queued!.frames).group).toMatch(/^persistent queue/);
    expect(groupOf(queued!.frames).frame).toMatch(/persistentQueue.*Offer$/);
    // Unmarshalling in the receiver is protobuf work (its leaf-most recognisable frame), not "receive".
    expect(groupOf(received!.frames).group).toBe("protobuf marshal/unmarshal");
    expect(groupOf(idle!.frames).group).toBe(RUNTIME_ONLY);
    expect(groupOf(["main.main"]).group).toBe(OTHER);
    expect(groupOf(["runtime.scanObject", "runtime.gcDrain", "runtime.gcBgMarkWorker"]).group).toMatch(/^GC \(background/);
  });

  it("GIVEN samples WHEN summed by group THEN shares add up to 100 % and cross-cutting measures count every stack they appear in", () => {
    const g = groupSamples(parseTraces(TRACES));
    expect(Object.values(g.share).reduce((a, b) => a + b, 0)).toBeCloseTo(100);
    expect(g.share["protobuf marshal/unmarshal"]).toBeCloseTo(100 / 3);
    expect(g.crossCutting["allocation (runtime.mallocgc)"]!.share).toBeCloseTo(100 / 3);
    expect(g.deciding[RUNTIME_ONLY]).toEqual([{ name: "runtime.futex", seconds: 0.01 }]);
  });

  it("GIVEN -top output WHEN parsed THEN each row has flat and cumulative seconds and shares", () => {
    const rows = parseTop(`Showing top 2 nodes out of 224
      flat  flat%   sum%        cum   cum%
     0.28s 13.66% 13.66%      0.35s 17.07%  compress/flate.(*compressor).findMatch
     0.07s  3.41% 41.46%      0.07s  3.41%  compress/flate.matchLen (inline)
`);
    expect(rows).toEqual([
      { flatS: 0.28, flatPct: 13.66, cumS: 0.35, cumPct: 17.07, name: "compress/flate.(*compressor).findMatch" },
      { flatS: 0.07, flatPct: 3.41, cumS: 0.07, cumPct: 3.41, name: "compress/flate.matchLen" },
    ]);
  });
});
