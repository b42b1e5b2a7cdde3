/** Log lines for the webhooks: every message passes through `redact` with every secret the Worker holds. */
import type { Env } from "../env.ts";
import { safeMessage } from "../lib/secrets.ts";

/** Logs a failure of a webhook side task (a reply, a job start) without leaking secrets. */
export const logFailure = (env: Env, what: string, e: unknown): void => {
  console.error(`webhooks: ${what} failed: ${safeMessage(env, e)}`);
};
