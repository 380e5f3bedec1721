/**
 * Pinned image references: one place. Every entry is overridable in stack config (`images.<role>`),
 * e.g. to point at a registry mirror, but an override must stay pinned (a tag other than `latest`,
 * or a digest).
 *
 * The versions the integration tier runs for real (see scripts/install-components.sh):
 * - collector 0.160.0: built with the OpenTelemetry Collector Builder at the SAME version;
 * - jaeger 2.13.0: `go install …/cmd/jaeger@v1.76.0` is the same release (v1 tag = v2.13.0);
 * - prometheus v3.15.0: Go module tag v0.315.0 (v0.316.0 needs a module the proxy refuses);
 * - victoria-metrics: Debian ships 1.79.5; the image is newer — the flags we render exist in both;
 * - traefik v3.5.3: built from its Go module at the same version (static config, TLS, routers).
 */
export const DEFAULT_IMAGES = {
  collector: "otel/opentelemetry-collector-contrib:0.160.0",
  victoriametrics: "victoriametrics/victoria-metrics:v1.122.0",
  prometheus: "prom/prometheus:v3.15.0",
  jaeger: "jaegertracing/jaeger:2.13.0",
  tempo: "grafana/tempo:2.9.0",
  victorialogs: "victoriametrics/victoria-logs:v1.26.0",
  loki: "grafana/loki:3.7.8",
  grafana: "grafana/grafana:12.3.0",
  traefik: "traefik:v3.5.3",
  /** Used once per data volume to hand it to the non-root user of the image that mounts it. */
  init: "busybox:1.37.0",
} as const;

export type ImageRole = keyof typeof DEFAULT_IMAGES;

/** Collector version the renderer targets: component type names depend on it (REFERENCE.md). */
export const COLLECTOR_VERSION = "0.160.0";
