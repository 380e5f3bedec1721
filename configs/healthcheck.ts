import type { HealthcheckPlan } from "./types";

/**
 * A `wget` probe for images that ship busybox/alpine tools. Pulumi waits for "healthy" and fails the
 * update on "unhealthy": failures inside the start period do not count, and the first success ends
 * it, so a long start period costs a fast start nothing and lets a slow one (Grafana's first
 * migrations on a busy 2-core host) finish. Unhealthy at the earliest after 60 s + 12 × 5 s, well
 * inside the 180 s `waitTimeout`.
 *
 * Docker runs the first check one `interval` after the start (Docker 20.10 has no `start_interval`),
 * so every probed container's create waits at least that long, and the collector's probe waits
 * behind the collector, which waits behind the backends: at 10 s that was ~30 s of a first `up`
 * (docs/BENCHMARKS.md, "Deploy timings"). 5 s halves it; the price is one `wget` exec per probed
 * container every 5 s instead of 10 s (~24 ms of dockerd/containerd CPU each, measured: ~1 % of a
 * core more for the stack's five probes).
 */
export function httpHealthcheck(port: number, path: string): HealthcheckPlan {
  return {
    test: ["CMD", "wget", "-q", "-O", "/dev/null", `http://127.0.0.1:${port}${path}`],
    interval: "5s",
    timeout: "5s",
    retries: 12,
    // Go's spelling of the duration, as Docker reports it back: "60s" read back as "1m0s" made every
    // preview after `up` show an update.
    startPeriod: "1m0s",
  };
}
