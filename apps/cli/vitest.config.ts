import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // unit tests sit beside their code (src/**/foo.test.ts); end-to-end tests drive the built
    // binary (test/e2e/*.e2e.test.ts); shared helpers live in test/
    include: ["src/**/*.test.ts", "test/e2e/**/*.e2e.test.ts"],
    // Builds dist/gptimg once; the end-to-end tests drive that binary.
    globalSetup: ["./test/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
  },
});
