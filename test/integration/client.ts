// Moved to bench/lib/client.ts (shared by the integration tests and the benchmark); kept so existing imports keep working.
export * from "../../bench/lib/client";
