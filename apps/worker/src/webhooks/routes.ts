import { Hono } from "hono";
import { discordWebhook } from "./discord/route.ts";
import type { WebhookAppEnv } from "./env.ts";
import { feishuWebhook } from "./feishu/route.ts";
import { slackWebhook } from "./slack/route.ts";
import { ChatTeamsError } from "./teams.ts";
import { telegramWebhook } from "./telegram/route.ts";

/**
 * Chat bot webhooks, mounted at `/webhooks`. Each route verifies its platform's signature over
 * the raw body before anything is parsed or stored, acks inside the platform's deadline, and
 * leaves the image work to a job whose Workflow posts the result back (`deliverChat`).
 * @example app.route("/webhooks", webhooksRouter)
 */
export const webhooksRouter = new Hono<WebhookAppEnv>();

webhooksRouter.post("/slack", slackWebhook);
webhooksRouter.post("/discord", discordWebhook);
webhooksRouter.post("/telegram", telegramWebhook);
webhooksRouter.post("/feishu", feishuWebhook);

// A broken CHAT_TEAMS is an operator mistake: say exactly what is wrong in the log. Anything else
// is logged by kind only, since its message could quote a platform response.
webhooksRouter.onError((err, c) => {
  console.error(err instanceof ChatTeamsError ? `webhooks: ${err.message}` : `webhooks: internal error: ${err.name}`);
  return c.text("internal error", 500);
});
