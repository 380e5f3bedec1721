// Moved to bench/lib/deploy-harness.ts (shared by the deploy tier and bench/deploy.ts); kept so existing imports keep working.
export * from "../../bench/lib/deploy-harness";
