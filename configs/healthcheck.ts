import type { HealthcheckPlan } from "./types";

/**
 * A `wget` probe for images that ship busybox/alpine tools. Pulumi waits for "healthy" and fails the
 * update on "unhealthy": failures inside the start period do not count, and the first success ends
 * it, so a long start period costs a fast start nothing and lets a slow one (Grafana's first
 * migrations on a busy 2-core host) finish. Unhealthy at the earliest after 60 s + 6 × 10 s, well
 * inside the 180 s `waitTimeout`.
 */
export function httpHealthcheck(port: number, path: string): HealthcheckPlan {
  return {
    test: ["CMD", "wget", "-q", "-O", "/dev/null", `http://127.0.0.1:${port}${path}`],
    interval: "10s",
    timeout: "5s",
    retries: 6,
    // Go's spelling of the duration, as Docker reports it back: "60s" read back as "1m0s" made every
    // preview after `up` show an update.
    startPeriod: "1m0s",
  };
}
