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
  protocol: "tcp",
  /** The volume init job runs once to completion, offline, before its service starts. */
  init: { mustRun: false, attach: true, restart: "no", networkMode: "none" },
} as const;

/** The one-shot init container that hands a fresh named volume to a non-root image's uid. */
export function volumeInitCommand(uid: number, containerPath: string): string[] {
  return ["chown", "-R", `${uid}:${uid}`, containerPath];
}
