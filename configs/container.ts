/**
 * What every container of the stack gets regardless of its role: one place for the policy the
 * component applies, so the component holds no literals of its own.
 */
export const CONTAINER_POLICY = {
  restart: "unless-stopped",
  /** `pulumi up` waits this long for healthy where a probe exists, so a broken config fails the update. */
  waitTimeoutSeconds: 180,
  logDriver: "json-file",
  /** Bounded: a chatty container cannot fill the host's disk. */
  logOpts: { "max-size": "10m", "max-file": "3" },
  securityOpts: ["no-new-privileges:true"],
  destroyGraceSeconds: 30,
  /** Every container drops all capabilities; a plan lists the few it keeps. */
  dropCapabilities: ["ALL"],
  /**
   * RLIMIT_NPROC (processes and threads) for every container: a fork bomb or thread leak stops
   * here instead of exhausting the host. @pulumi/docker 5.2 has no `pidsLimit` (the pids cgroup),
   * so this is the bound Docker can set through the provider; the kernel counts it per uid, and
   * does not apply it to uid 0, which is why every service runs as a non-root user where its image
   * allows. Go services run a few dozen threads; Grafana under load about 60.
   */
  processLimit: 2048,
  /** The same bound as Docker's ulimit list. */
  get ulimits() {
    return [{ name: "nproc", soft: this.processLimit, hard: this.processLimit }];
  },
  protocol: "tcp",
  /**
   * The volume init job runs once to completion, offline, before its service starts, on a read-only
   * root filesystem with 32 MB; it keeps only what `chown -R` needs (CAP_CHOWN, and CAP_DAC_READ_SEARCH
   * to walk a volume the service already filled with 0700 directories).
   */
  init: { mustRun: false, attach: true, restart: "no", networkMode: "none", readOnly: true, memoryMb: 32 },
  initCapabilities: ["CAP_CHOWN", "CAP_DAC_READ_SEARCH"],
  /**
   * Every service's root filesystem is read-only: what it writes goes to its volumes or to tmpfs
   * (`tmpfs` below and the plan's own). Docker refuses to copy a file into a read-only root
   * filesystem ("container rootfs is marked read-only", measured), and the provider always copies
   * to `/`, so the rendered files reach a service through its config volume instead (`config`).
   */
  readOnly: true,
  /** Every service gets a small /tmp (tmpfs is charged to the container's memory limit). */
  tmpfs: [{ path: "/tmp", sizeMb: 16 }],
  /**
   * The carrier of a service's rendered and secret files: a busybox container, created and never
   * started, offline, whose only job is to hold the upload; its mount of the service's config
   * volume is where Docker extracts the files (a volume path is writable even where the root
   * filesystem is not). The service mounts the same volume read-only.
   */
  config: { start: false, mustRun: false, restart: "no", networkMode: "none", memoryMb: 16 },
} as const;

/**
 * A CPU limit as the provider reads it back from Docker (`nanoInt64ToDecimalString`: a whole number
 * as "1.0", anything else without trailing zeros): sent any other way, every preview after `up`
 * would show a replacement ("1" => "1.0", measured).
 */
export function cpusText(cores: number): string {
  return Number.isInteger(cores) ? cores.toFixed(1) : String(cores);
}

/** tmpfs options for Docker (`--tmpfs path:<options>`): no devices, no setuid, bounded. */
export function tmpfsOptions(t: { uid?: number; sizeMb: number }): string {
  return [
    "rw",
    "nosuid",
    "nodev",
    `size=${t.sizeMb}m`,
    ...(t.uid !== undefined ? [`uid=${t.uid}`, `gid=${t.uid}`, "mode=0755"] : ["mode=1777"]),
  ].join(",");
}

/**
 * The directory a service's config volume is mounted at: the deepest directory holding every file
 * it is given. One volume per service (Docker 20.10 mounts no sub-path of a volume), so the plan's
 * files must share a directory below `/`, outside its data volumes and tmpfs mounts.
 */
export function configDirOf(role: string, paths: string[], elsewhere: string[] = []): string | undefined {
  if (paths.length === 0) return undefined;
  const dirs = paths.map((p) => p.split("/").slice(0, -1));
  const common: string[] = [];
  for (let i = 0; dirs.every((d) => i < d.length && d[i] === dirs[0]![i]); i++) common.push(dirs[0]![i]!);
  const dir = common.join("/");
  if (dir === "" || !dir.startsWith("/")) {
    throw new Error(`service ${role}: its files (${paths.join(", ")}) share no directory below /; a config volume needs one`);
  }
  const clash = elsewhere.find((p) => p === dir || p.startsWith(`${dir}/`) || dir.startsWith(`${p}/`));
  if (clash) throw new Error(`service ${role}: its config directory ${dir} overlaps its mount ${clash}`);
  return dir;
}

/** The one-shot init container that hands a fresh named volume to a non-root image's uid. */
export function volumeInitCommand(uid: number, containerPath: string): string[] {
  return ["chown", "-R", `${uid}:${uid}`, containerPath];
}
