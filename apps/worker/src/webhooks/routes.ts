import { Hono } from "hono";
import { ConfigError } from "../lib/errors.ts";
import type { WebhookAppEnv } from "./platform.ts";
import { PLATFORM_NAMES, PLATFORMS } from "./platforms.ts";
import { ChatTeamsError } from "./teams.ts";

/**
 * Chat bot webhooks, mounted at `/webhooks`: `POST /webhooks/<name>` for each of `PLATFORMS`. Each route verifies its platform's signature over
 * the raw body before anything is parsed or stored, acks inside the platform's deadline, and
 * leaves the image work to a job whose Workflow posts the result back (`deliverChat`).
 * @example app.route("/webhooks", webhooksRouter)
 */
export const webhooksRouter = new Hono<WebhookAppEnv>();

webhooksRouter.use("*", async (c, next) => {
  c.set("platforms", PLATFORM_NAMES);
  await next();
});
for (const platform of PLATFORMS) webhooksRouter.post(`/${platform.name}`, (c) => platform.route(c));

// A broken CHAT_TEAMS or SKIP_MODEL_RULES is an operator mistake: say exactly what is wrong in the
// log. Anything else is logged by kind only, since its message could quote a platform response.
webhooksRouter.onError((err, c) => {
  const named = err instanceof ChatTeamsError || err instanceof ConfigError;
  console.error(named ? `webhooks: ${err.message}` : `webhooks: internal error: ${err.name}`);
  return c.text("internal error", 500);
});
