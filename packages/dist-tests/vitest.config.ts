import { defineConfig } from "vitest/config";

/**
 * What users install: `npm run pack` writes every publishable tarball (global setup), and the
 * tests install them with npm from those files only (no registry) and use them the way users do.
 */
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["./test/global-setup.ts"],
    environment: "node",
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 300_000,
  },
});
