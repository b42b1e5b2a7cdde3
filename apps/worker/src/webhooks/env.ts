import type { Env } from "../env.ts";

/** Hono environment of the webhook router. */
export interface WebhookAppEnv {
  Bindings: Env;
}
