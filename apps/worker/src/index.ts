import { app } from "./app.ts";
import type { Env } from "./env.ts";

export { ImageJobWorkflow } from "./jobs/workflow.ts";

/** Worker entry: every HTTP request goes to the Hono app; jobs run in `ImageJobWorkflow`. */
export default {
  fetch: (request, env, ctx) => app.fetch(request, env, ctx),
} satisfies ExportedHandler<Env>;
