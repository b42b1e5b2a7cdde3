import { app } from "./app.ts";
import type { Env } from "./env.ts";
import { imageJobWorkflow } from "./jobs/workflow.ts";
import { deliverChat, withoutCredentials } from "./webhooks/deliver.ts";

/** The Workflow `wrangler.jsonc` names: image jobs, delivered to chats through the registered platforms. */
export class ImageJobWorkflow extends imageJobWorkflow({ deliver: deliverChat, withoutCredentials }) {}

/** Worker entry: every HTTP request goes to the Hono app; jobs run in `ImageJobWorkflow`. */
export default {
  fetch: (request, env, ctx) => app.fetch(request, env, ctx),
} satisfies ExportedHandler<Env>;
