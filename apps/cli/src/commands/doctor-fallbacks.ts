import { createImageClient, type ProviderConfig, resolveProvider } from "@gptimg/core";
import { describeFailure } from "../cli/errors.ts";
import type { Io } from "../cli/io.ts";

/** One doctor line. */
export interface FallbackCheck {
  name: string;
  status: "ok" | "warn";
  detail: string;
}

/**
 * One line per fallback provider (those with a key; the others are skipped with a note by
 * `directSettings`): models listed or why not. A broken fallback is a warning,
 * not a failure: generations still work while the primary answers, but the safety net is gone.
 */
export async function fallbackChecks(
  fallbacks: ProviderConfig[],
  io: Io,
  timeoutMs: number,
  fetchFn: typeof fetch = globalThis.fetch,
): Promise<FallbackCheck[]> {
  return Promise.all(
    fallbacks.map(async (p): Promise<FallbackCheck> => {
      const warn = (detail: string): FallbackCheck => ({
        name: "fallback",
        status: "warn",
        detail: `${p.name}: ${detail}`,
      });
      try {
        const resolved = resolveProvider(p);
        const client = createImageClient({ providers: [p], fetch: fetchFn, timeoutMs, retry: { maxRetries: 0 } });
        const started = performance.now();
        const models = await client.listModels({ signal: io.signal });
        const ms = Math.round(performance.now() - started);
        return {
          name: "fallback",
          status: "ok",
          detail: `${p.name} (${resolved.profile}) ${resolved.baseUrl}: ${models.length} models, ${ms} ms`,
        };
      } catch (e) {
        if (io.signal.aborted) throw e;
        return warn(describeFailure(e).info.message.split("\n")[0] ?? "unreachable");
      }
    }),
  );
}
