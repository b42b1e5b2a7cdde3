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
import { PlatformApiError } from "./http.ts";
import { platformNamed } from "./platforms.ts";

/**
 * Delivers `job` to `delivery.target` on `delivery.platform`.
 * @example await deliverChat(env, { kind: "chat", platform: "telegram", target: { chatId: 42 } }, job)
 */
export async function deliverChat(env: Env, delivery: ChatDelivery, job: DeliverableJob): Promise<void> {
  try {
    const platform = platformNamed(delivery.platform);
    if (!platform) throw new PermanentDeliveryError(`chat platform ${JSON.stringify(delivery.platform)}: unknown`);
    return await platform.deliver(env, delivery.target as never, job);
  } catch (err) {
    if (err instanceof PlatformApiError && !err.retryable) throw new PermanentDeliveryError(safeMessage(env, err));
    throw err;
  }
}

/**
 * The delivery without the conversation credentials it carried: Discord's interaction token
 * (15 minutes) and Slack's `response_url` (30 minutes). They are needed only until the job is
 * delivered; after that the job row keeps where it went, not how to post there again.
 * @example await setDelivery(env.DB, jobId, withoutCredentials(delivery))
 */
export function withoutCredentials(delivery: ChatDelivery): ChatDelivery {
  if (!delivery.target || typeof delivery.target !== "object") return delivery;
  const { token: _token, responseUrl: _responseUrl, ...target } = delivery.target as Record<string, unknown>;
  return { ...delivery, target };
}
