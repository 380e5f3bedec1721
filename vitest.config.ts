import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

/** Unit files that register a fake backend kind in the process-wide registries. */
const REGISTERS_BACKENDS = ["test/backend-descriptor.test.ts", "test/backend-registry.test.ts"];

export default defineConfig({
  test: {
    // One worker per core: vitest's default (cores - 1) runs the unit files one at a time on a
    // 2-core machine, while the main process mostly waits. The integration and deploy projects
    // stay serial (fileParallelism: false).
    maxWorkers: availableParallelism(),
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/**/*.test.ts"],
          exclude: ["test/integration/**", "test/deploy/**", "test/swarm/**", ...REGISTERS_BACKENDS],
          testTimeout: 30_000,
          // Mock-graph suites build the whole program in beforeAll: ~2 s on an idle machine, but a
          // 2-core machine busy with Go builds was seen to take > 10 s (vitest's default).
          hookTimeout: 60_000,
          // Files share a worker's module graph instead of each loading zod, js-yaml, the Pulumi SDK
          // and the program afresh (~0.45 s a file, most of the suite's wall time on 2 cores).
          // runUnderMocks still gives every program run a fresh graph (vi.resetModules).
          isolate: false,
        },
      },
      {
        test: {
          // These register a fake backend kind in the process-wide registries: each file alone.
          name: "unit-registry",
          include: REGISTERS_BACKENDS,
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          // The real Pulumi engine, provider plugins and Docker engine (npm run test:deploy).
          name: "deploy",
          include: ["test/deploy/**/*.test.ts"],
          fileParallelism: false,
          testTimeout: 900_000,
          hookTimeout: 900_000,
        },
      },
      {
        test: {
          // A real multi-node Docker Swarm made of dockerd instances in network namespaces
          // (test/swarm/lab.ts; npm run test:swarm; needs root). One lab at a time on 2 cores.
          name: "swarm",
          include: ["test/swarm/**/*.test.ts"],
          fileParallelism: false,
          testTimeout: 600_000,
          hookTimeout: 600_000,
        },
      },
      {
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          // Real processes on loopback ports: one file at a time keeps a 2-core machine honest.
          fileParallelism: false,
          testTimeout: 300_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
