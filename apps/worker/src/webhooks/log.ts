/** Log lines for the webhooks: every message passes through `redact` with every secret the Worker holds. */
import { redact } from "@gptimg/core";
import type { Env } from "../env.ts";
import { envSecrets } from "../lib/secrets.ts";

/** The message of an error with every configured secret (and anything token-shaped) removed. */
export const safeMessage = (env: Env, e: unknown): string =>
  redact(e instanceof Error ? e.message : String(e), envSecrets(env));

/** Logs a failure of a webhook side task (a reply, a job start) without leaking secrets. */
export const logFailure = (env: Env, what: string, e: unknown): void => {
  console.error(`webhooks: ${what} failed: ${safeMessage(env, e)}`);
};
