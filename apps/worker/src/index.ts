import { app } from "./app.ts";
import type { Env } from "./env.ts";
import { sweepStaleJobs } from "./jobs/repo.ts";
import { imageJobWorkflow } from "./jobs/workflow.ts";
import { deliverChat, withoutCredentials } from "./webhooks/deliver.ts";

/** The Workflow `wrangler.jsonc` names: image jobs, delivered to chats through the registered platforms. */
export class ImageJobWorkflow extends imageJobWorkflow({ deliver: deliverChat, withoutCredentials }) {}

/**
 * Worker entry: every HTTP request goes to the Hono app; jobs run in `ImageJobWorkflow`. The cron
 * trigger (wrangler.jsonc) settles synchronous rows whose Worker died mid-request.
 */
export default {
  fetch: (request, env, ctx) => app.fetch(request, env, ctx),
  scheduled: async (_controller, env) => {
    const settled = await sweepStaleJobs(env);
    if (settled) console.log(`jobs: ${settled} stale running request(s) settled as failed, possibly billed`);
  },
} satisfies ExportedHandler<Env>;
