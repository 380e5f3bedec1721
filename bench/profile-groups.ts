/**
 * Reading a collector CPU profile (`go tool pprof`): the top functions (`-top`) and every sample's
 * stack (`-traces`), grouped into the components issue 22 asks about. Pure text in, numbers out
 * (bench/profile.ts runs the tool and writes the files).
 *
 * Grouping a sample by its stack (leaf first, as `-traces` prints it):
 * 1. OWNERS, in this order, anywhere in the stack: the work beneath them is theirs whatever it is
 *    (the persistent queue's proto encoding and bbolt's fdatasync are "persistent queue", the zstd
 *    encoder under a gRPC write is "compression").
 * 2. Otherwise the leaf-most frame that matches one of STAGES: the pipeline calls the next stage
 *    synchronously, so a frame far from the leaf (the receiver, the memory_limiter's pass-through)
 *    would otherwise own everything downstream of it.
 * 3. Otherwise a stack of runtime frames only (scheduler, netpoll, timers) is "GC/runtime"; the rest is
 *    "other".
 */

export interface Group {
  name: string;
  match: RegExp;
}

/** Own every sample they appear in, first match wins. */
export const OWNERS: Group[] = [
  { name: "GC (background mark/sweep/scavenge)", match: /^runtime\.(gcBgMarkWorker|bgsweep|bgscavenge)$/ },
  {
    name: "compression (zstd/gzip/snappy)",
    match: /klauspost\/compress|^compress\/(gzip|flate|zlib)|golang\/snappy|\/snappy\.|\/s2\.|grpc\/encoding\/gzip/,
  },
  // The WAL before the queue: both can fsync, and each owns its own.
  {
    name: "remote-write WAL (encode, write, fsync)",
    match: /prometheusremotewriteexporter\.\(\*prweWAL\)|prometheusremotewriteexporter\..*[wW][aA][lL]|tidwall\/wal/,
  },
  {
    name: "persistent queue (encode/decode, file storage/bbolt, fsync)",
    match: /persistentQueue|extension\/storage\/filestorage|go\.etcd\.io\/bbolt/,
  },
  { name: "fsync elsewhere", match: /^syscall\.(Fsync|Fdatasync)$/ },
  { name: "memory_limiter (its periodic check)", match: /memorylimiter.*(checkMemLimits|readMemStats|startMonitoring|CheckMemLimits)/ },
];

/** The leaf-most matching frame decides. */
export const STAGES: Group[] = [
  { name: "span_metrics connector", match: /spanmetricsconnector/ },
  {
    name: "protobuf marshal/unmarshal",
    match:
      /\.(Marshal|Unmarshal|MarshalProto|UnmarshalProto|SizeProto|MarshalToSizedBuffer|Size)$|google\.golang\.org\/protobuf|gogo\/protobuf|grpc\/encoding\/proto|pdata\/internal\/proto/,
  },
  { name: "prometheusremotewrite translation", match: /prometheusremotewrite/ },
  { name: "batching (exporter batcher / batch processor)", match: /queuebatch|batchprocessor|MergeSplit|[bB]atcher/ },
  {
    name: "self-scrape + internal telemetry",
    match:
      /prometheusreceiver|prometheus\/prometheus\/(scrape|model|storage)|client_golang|otel\/sdk\/metric|otel\/exporters\/prometheus|processscraper/,
  },
  {
    name: "receive (OTLP gRPC/HTTP server)",
    match: /otlpreceiver|\(\*http2Server\)|grpc\.\(\*Server\)|grpc\.\(\*serverStream\)|net\/http\.\(\*conn\)|serverHandlerTransport/,
  },
  {
    name: "export send (gRPC/HTTP client)",
    match:
      /otlpexporter|otlphttpexporter|\(\*http2Client\)|grpc\.\(\*ClientConn\)|grpc\.invoke|grpc\.\(\*clientStream\)|net\/http\.\(\*persistConn\)|net\/http\.\(\*Transport\)|net\/http\.\(\*Client\)/,
  },
  {
    name: "gRPC/HTTP2 transport (framing, socket writes; both directions)",
    match: /grpc\/internal\/transport\.\(\*(loopyWriter|bufWriter|controlBuffer|itemList)\)|golang\.org\/x\/net\/http2\.\(\*Framer\)/,
  },
  { name: "exporter queue + sender (in-memory)", match: /exporterhelper|exporter\/exporterqueue|memoryQueue|sendingQueue/ },
  { name: "other pipeline (processors, fan-out, pdata)", match: /go\.opentelemetry\.io\/collector|opentelemetry-collector-contrib/ },
];

export const RUNTIME_ONLY = "GC/runtime (scheduler, netpoll, timers)";
export const OTHER = "other";

/** Measures across the groups: a sample counts in each whose pattern any frame matches. */
export const CROSS_CUTTING: Group[] = [
  { name: "allocation (runtime.mallocgc)", match: /^runtime\.mallocgc$/ },
  { name: "GC assist (runtime.gcAssistAlloc)", match: /^runtime\.gcAssistAlloc$/ },
  { name: "fsync/fdatasync", match: /^syscall\.(Fsync|Fdatasync)$|^internal\/poll\.\(\*FD\)\.Fsync$/ },
  { name: "syscalls (all)", match: /^syscall\.(Syscall|Syscall6|RawSyscall|RawSyscall6)$|^internal\/runtime\/syscall\.Syscall6$/ },
];

export interface Sample {
  /** Seconds of CPU. */
  seconds: number;
  /** Function names, leaf first. */
  frames: string[];
}

export interface Traces {
  /** Wall-clock length of the profile, s. */
  durationS: number;
  /** CPU seconds sampled. */
  totalS: number;
  samples: Sample[];
}

const UNITS: Record<string, number> = { ns: 1e-9, us: 1e-6, µs: 1e-6, ms: 1e-3, s: 1, m: 60, min: 60, mins: 60, h: 3600, hrs: 3600 };

/** "10ms", "1.25s", "2.50mins" → seconds. */
export function parseDuration(text: string): number {
  const m = /^([\d.]+)([a-zµ]+)$/.exec(text.trim());
  const unit = m ? UNITS[m[2]!] : undefined;
  if (!m || unit === undefined) throw new Error(`pprof printed a duration this reader does not know: ${JSON.stringify(text)}`);
  return Number(m[1]) * unit;
}

const SEPARATOR = /^-+\+-+$/;

/** `go tool pprof -traces` output of a CPU profile. */
export function parseTraces(text: string): Traces {
  const header = /Duration: ([\d.]+\w+), Total samples = ([\d.]+\w+)/.exec(text);
  if (!header) throw new Error("not a CPU profile's -traces output: no 'Duration: …, Total samples = …' line");
  const samples: Sample[] = [];
  let current: Sample | undefined;
  for (const raw of text.split("\n")) {
    const line = raw.trimEnd();
    if (SEPARATOR.test(line.trim())) {
      if (current) samples.push(current);
      current = undefined;
      continue;
    }
    if (!line.trim()) continue;
    const first = /^\s*([\d.]+[a-zµ]+)\s+(\S.*)$/.exec(line);
    if (!current && first) {
      current = { seconds: parseDuration(first[1]!), frames: [clean(first[2]!)] };
    } else if (current && /^\s{4,}\S/.test(line)) {
      // Label lines (`bytes:[…]`) do not occur in CPU profiles; a frame line is indented text.
      current.frames.push(clean(line));
    }
  }
  if (current) samples.push(current);
  return { durationS: parseDuration(header[1]!), totalS: parseDuration(header[2]!), samples };
}

function clean(frame: string): string {
  return frame.trim().replace(/\s+\(inline\)$/, "");
}

/** The component a sample's CPU is charged to (see the file's comment), and the frame that decided it. */
export function groupOf(frames: string[]): { group: string; frame: string } {
  for (const owner of OWNERS) {
    // The root-most matching frame names what owns the sample (e.g. persistentQueue.Offer, not bbolt's spill).
    const frame = [...frames].reverse().find((f) => owner.match.test(f));
    if (frame) return { group: owner.name, frame };
  }
  for (const frame of frames) {
    const stage = STAGES.find((s) => s.match.test(frame));
    if (stage) return { group: stage.name, frame };
  }
  const runtimeOnly = frames.every((f) => /^(runtime|internal\/runtime|internal\/)/.test(f) || f.startsWith("runtime/"));
  return { group: runtimeOnly ? RUNTIME_ONLY : OTHER, frame: frames[0] ?? "" };
}

export const GROUP_NAMES = [...OWNERS.map((g) => g.name), ...STAGES.map((g) => g.name), RUNTIME_ONLY, OTHER];

export interface Grouped {
  /** CPU seconds per group (every group named, 0 when absent). */
  seconds: Record<string, number>;
  /** Share of the sampled CPU per group, % (sums to 100). */
  share: Record<string, number>;
  crossCutting: Record<string, { seconds: number; share: number }>;
  /** Per group, the frames that decided it (the owner's outermost frame, the stage's leaf-most one), heaviest first. */
  deciding: Record<string, Array<{ name: string; seconds: number }>>;
}

export function groupSamples(traces: Traces): Grouped {
  const seconds: Record<string, number> = Object.fromEntries(GROUP_NAMES.map((n) => [n, 0]));
  const cross: Record<string, number> = Object.fromEntries(CROSS_CUTTING.map((g) => [g.name, 0]));
  const deciding = new Map<string, Map<string, number>>();
  let total = 0;
  for (const s of traces.samples) {
    total += s.seconds;
    const { group, frame } = groupOf(s.frames);
    seconds[group] = (seconds[group] ?? 0) + s.seconds;
    const frames = deciding.get(group) ?? new Map<string, number>();
    frames.set(frame, (frames.get(frame) ?? 0) + s.seconds);
    deciding.set(group, frames);
    for (const g of CROSS_CUTTING) if (s.frames.some((f) => g.match.test(f))) cross[g.name]! += s.seconds;
  }
  const pct = (v: number) => (total > 0 ? (v / total) * 100 : 0);
  return {
    seconds,
    share: Object.fromEntries(Object.entries(seconds).map(([k, v]) => [k, pct(v)])),
    crossCutting: Object.fromEntries(Object.entries(cross).map(([k, v]) => [k, { seconds: v, share: pct(v) }])),
    deciding: Object.fromEntries(
      [...deciding.entries()].map(([group, frames]) => [
        group,
        [...frames.entries()]
          .sort((a, b) => b[1] - a[1])
          .slice(0, 5)
          .map(([name, s]) => ({ name, seconds: s })),
      ]),
    ),
  };
}

export interface TopRow {
  flatS: number;
  flatPct: number;
  cumS: number;
  cumPct: number;
  name: string;
}

/** `go tool pprof -top` rows (flat, flat%, sum%, cum, cum%, name). */
export function parseTop(text: string): TopRow[] {
  const rows: TopRow[] = [];
  for (const line of text.split("\n")) {
    const m = /^\s*([\d.]+[a-zµ]+)\s+([\d.]+)%\s+[\d.]+%\s+([\d.]+[a-zµ]+)\s+([\d.]+)%\s+(.+)$/.exec(line);
    if (m)
      rows.push({
        flatS: parseDuration(m[1]!),
        flatPct: Number(m[2]),
        cumS: parseDuration(m[3]!),
        cumPct: Number(m[4]),
        name: clean(m[5]!),
      });
  }
  return rows;
}
