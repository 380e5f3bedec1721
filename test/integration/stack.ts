// Moved to bench/lib/stack.ts (shared by the integration tests and the benchmark); kept so existing imports keep working.
export * from "../../bench/lib/stack";
