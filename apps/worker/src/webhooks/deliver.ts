import type { Env } from "../env.ts";
import type { ChatDelivery, DeliverableJob } from "../jobs/types.ts";

/**
 * Posts a finished job (image or error) back to the chat it came from.
 * Placeholder until the chat deliverers land: it refuses, so a chat job's delivery step fails
 * visibly instead of pretending to have posted.
 */
export async function deliverChat(_env: Env, delivery: ChatDelivery, _job: DeliverableJob): Promise<void> {
  throw new Error(`chat delivery to ${delivery.platform} is not available`);
}
