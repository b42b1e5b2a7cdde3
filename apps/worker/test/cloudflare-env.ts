// Types of `env` and `exports` from "cloudflare:workers" in tests: the Worker's own bindings
// (plus what the test configuration adds) and its main module's exports.
import type { D1Migration } from "cloudflare:test";
import type { Env as WorkerEnv } from "../src/env.ts";
import type * as Main from "../src/index.ts";

declare global {
  namespace Cloudflare {
    interface Env extends WorkerEnv {
      /** migrations read by vitest.config.ts, applied by test/setup.ts */
      TEST_MIGRATIONS: D1Migration[];
    }
    interface GlobalProps {
      mainModule: typeof Main;
    }
  }
}
