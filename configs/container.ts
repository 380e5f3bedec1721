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
} as const;

/** The one-shot init container that hands a fresh named volume to a non-root image's uid. */
export function volumeInitCommand(uid: number, containerPath: string): string[] {
  return ["chown", "-R", `${uid}:${uid}`, containerPath];
}
