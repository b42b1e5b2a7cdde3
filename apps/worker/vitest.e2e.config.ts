import { defineConfig } from "vitest/config";

/**
 * End-to-end tests in Node: each file starts the offline provider and the Worker under
 * `wrangler dev` (scripts/lib/stack.ts) and drives them with real clients (openai SDK, the CLI).
 * Files run one at a time: each owns a wrangler process.
 */
export default defineConfig({
  test: {
    include: ["test/e2e/**/*.e2e.test.ts"],
    environment: "node",
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
