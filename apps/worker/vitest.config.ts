import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";
import { WEBHOOK_TEST_BINDINGS } from "./test/webhook-bindings.ts";

/** Canary secrets: any of them showing up in a response, a log line or R2 fails a test. */
export const TEST_SECRETS = {
  PROVIDER_API_KEY: "sk-canary-worker-do-not-leak",
  ADMIN_TOKEN: "admin-canary-token-do-not-leak",
  // two kids: "k1" is the older (verifies only), "k2" the newest (signs)
  SIGNING_KEYS: JSON.stringify({
    k1: "signing-canary-k1-do-not-leak-0123456789",
    k2: "signing-canary-k2-do-not-leak-0123456789",
  }),
};

/**
 * Vite's logger, less one warning about a dependency: the MCP SDK's published source maps name
 * files its package does not ship ("points to missing source files"); nothing here can mend that.
 * (Vitest sets its own logger, so this wraps it once the config is resolved.)
 */
const DEPENDENCY_SOURCEMAP = /^Sourcemap for "[^"]*\/node_modules\/[^"]*" points to missing source files$/;
const quietDependencySourcemaps = {
  name: "quiet-dependency-sourcemaps",
  configResolved(config: { logger: { warnOnce: (msg: string, options?: object) => void } }) {
    const warnOnce = config.logger.warnOnce.bind(config.logger);
    config.logger.warnOnce = (msg, options) => {
      if (!DEPENDENCY_SOURCEMAP.test(msg)) warnOnce(msg, options);
    };
  },
};

const migrations = await readD1Migrations(new URL("./migrations", import.meta.url).pathname);

export default defineConfig({
  plugins: [
    quietDependencySourcemaps,
    cloudflareTest({
      wrangler: { configPath: "./wrangler.jsonc" },
      miniflare: {
        bindings: {
          ...TEST_SECRETS,
          ...WEBHOOK_TEST_BINDINGS,
          // never reached: tests route it through a fetch spy to the offline provider or a fake
          PROVIDER_BASE_URL: "http://provider.test/v1",
          TEST_MIGRATIONS: migrations,
        },
      },
    }),
  ],
  test: {
    globalSetup: ["./test/global-setup.ts"],
    setupFiles: ["./test/setup.ts"],
    // unit and integration tests sit beside their code (src/**/foo.test.ts); end-to-end tests
    // (test/e2e/*.e2e.test.ts, under `wrangler dev`) run from vitest.e2e.config.ts
    include: ["src/**/*.test.ts"],
    // generous: the machine running the tests may be shared, and a Workflow test waits on several steps
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
