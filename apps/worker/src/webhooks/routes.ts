import { Hono } from "hono";
import { discordWebhook } from "./discord/route.ts";
import type { WebhookAppEnv } from "./env.ts";
import { feishuWebhook } from "./feishu/route.ts";
import { slackWebhook } from "./slack/route.ts";
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
