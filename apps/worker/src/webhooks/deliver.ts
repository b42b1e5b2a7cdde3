/**
 * Posts a finished job (images or a clear failure) back to the chat it came from. Runs inside
 * the Workflow's delivery step: a throw makes the step retry without regenerating, so only
 * failures that may pass on a retry throw plainly; refusals that never will (bad token, bot
 * removed from the channel) become `PermanentDeliveryError` and are recorded instead.
 */

import type { Env } from "../env.ts";
import { PermanentDeliveryError } from "../jobs/callback.ts";
import type { ChatDelivery, DeliverableJob } from "../jobs/types.ts";
import { safeMessage } from "../lib/secrets.ts";
import type { DiscordTarget } from "./discord/api.ts";
import { deliverDiscord } from "./discord/deliver.ts";
import type { FeishuTarget } from "./feishu/api.ts";
import { deliverFeishu } from "./feishu/deliver.ts";
import { PlatformApiError } from "./http.ts";
import type { SlackTarget } from "./slack/api.ts";
import { deliverSlack } from "./slack/deliver.ts";
import type { TelegramTarget } from "./telegram/api.ts";
import { deliverTelegram } from "./telegram/deliver.ts";

/**
 * Delivers `job` to `delivery.target` on `delivery.platform`.
 * @example await deliverChat(env, { kind: "chat", platform: "telegram", target: { chatId: 42 } }, job)
 */
export async function deliverChat(env: Env, delivery: ChatDelivery, job: DeliverableJob): Promise<void> {
  try {
    switch (delivery.platform) {
      case "slack":
        return await deliverSlack(env, delivery.target as SlackTarget, job);
      case "discord":
        return await deliverDiscord(env, delivery.target as DiscordTarget, job);
      case "telegram":
        return await deliverTelegram(env, delivery.target as TelegramTarget, job);
      case "feishu":
        return await deliverFeishu(env, delivery.target as FeishuTarget, job);
      default:
        throw new PermanentDeliveryError(
          `chat platform ${JSON.stringify((delivery as { platform: unknown }).platform)}: unknown`,
        );
    }
  } catch (err) {
    if (err instanceof PlatformApiError && !err.retryable) throw new PermanentDeliveryError(safeMessage(env, err));
    throw err;
  }
}

/**
 * The delivery without the conversation credentials it carried: Discord's interaction token
 * (15 minutes) and Slack's `response_url` (30 minutes). They are needed only until the job is
 * delivered; after that the job row keeps where it went, not how to post there again.
 * @example await db.prepare("UPDATE jobs SET delivery = ? WHERE id = ?").bind(JSON.stringify(withoutCredentials(d)), id).run()
 */
export function withoutCredentials(delivery: ChatDelivery): ChatDelivery {
  if (!delivery.target || typeof delivery.target !== "object") return delivery;
  const { token: _token, responseUrl: _responseUrl, ...target } = delivery.target as Record<string, unknown>;
  return { ...delivery, target };
}
