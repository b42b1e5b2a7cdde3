import type { Context } from "hono";
import type { Env } from "../env.ts";
import type { DeliverableJob } from "../jobs/types.ts";

/**
 * Hono environment of the webhook routes: the Worker's bindings, and the names of the registered
 * platforms (the router sets them; `CHAT_TEAMS` keys are checked against them).
 */
export interface WebhookAppEnv {
  Bindings: Env;
  Variables: { platforms: readonly string[] };
}

/**
 * One chat platform, everything the Worker knows of it, registered in platforms.ts. Its folder,
 * `webhooks/<name>/`, holds the pieces: `route.ts` (verify, ack, start a job), `verify.ts`,
 * `deliver.ts` (post a finished job back), `api.ts` (its API calls and types), `index.ts` (this
 * object). Secrets and vars go in env.ts, like every binding.
 */
export interface ChatPlatform<Target> {
  /** `POST /webhooks/<name>`, the `<name>:` of `CHAT_TEAMS` keys, a chat job's `delivery.platform` */
  readonly name: string;
  /** how a request is verified, for `/openapi.json` */
  readonly verification: string;
  /** `POST /webhooks/<name>`: verifies the request, acks within the platform's deadline, starts a job */
  route(c: Context<WebhookAppEnv>): Promise<Response>;
  /** posts a finished job (images or a clear failure) to where the command came from */
  deliver(env: Env, target: Target, job: DeliverableJob): Promise<void>;
}
