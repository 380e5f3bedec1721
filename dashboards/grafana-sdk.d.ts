// The repository's tsconfig uses `moduleResolution: "node"`, which ignores package.json "exports";
// the SDK publishes its modules only through "exports" subpaths (`/dashboard`, `/timeseries`, ...),
// so TypeScript could not find them although Node and vitest resolve them fine at run time.
// These declarations point TypeScript at the same files through the physical dist/ path.
// Delete this file once the tsconfig moves to `moduleResolution: "node16"` (or "bundler").
declare module "@grafana/grafana-foundation-sdk/cog" {
  export * from "@grafana/grafana-foundation-sdk/dist/cog";
}
declare module "@grafana/grafana-foundation-sdk/common" {
  export * from "@grafana/grafana-foundation-sdk/dist/common";
}
declare module "@grafana/grafana-foundation-sdk/dashboard" {
  export * from "@grafana/grafana-foundation-sdk/dist/dashboard";
}
declare module "@grafana/grafana-foundation-sdk/prometheus" {
  export * from "@grafana/grafana-foundation-sdk/dist/prometheus";
}
declare module "@grafana/grafana-foundation-sdk/timeseries" {
  export * from "@grafana/grafana-foundation-sdk/dist/timeseries";
}
declare module "@grafana/grafana-foundation-sdk/stat" {
  export * from "@grafana/grafana-foundation-sdk/dist/stat";
}
