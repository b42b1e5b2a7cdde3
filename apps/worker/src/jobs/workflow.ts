import { WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep, type WorkflowStepConfig } from "cloudflare:workers";
import type { Env } from "../env.ts";
import { nowSeconds } from "../lib/clock.ts";
import { released } from "../lib/rpc.ts";
import { safeMessage } from "../lib/secrets.ts";
import { makeThumbnails } from "../lib/thumbnails.ts";
import { deliverCallback, PermanentDeliveryError } from "./callback.ts";
import type { ImageJobParams } from "./create.ts";
import { MAX_GENERATE_ATTEMPTS, runGeneration } from "./generate.ts";
import { getJob, recordDelivery, setDelivery } from "./repo.ts";
import type { ChatDelivery, DeliverableJob, GenerateOutcome } from "./types.ts";
import { deliverableJob } from "./view.ts";

/**
 * Generation: retried by Workflows only when `runGeneration` throws, which it does only for a
 * known-unbilled transient failure (the job row is back to `queued`). Anything possibly billed
 * settles the job as failed and returns normally, so it is never replayed. Delays: 1 min, 2 min.
 */
export const GENERATE_STEP: WorkflowStepConfig = {
  retries: { limit: MAX_GENERATE_ATTEMPTS - 1, delay: "1 minute", backoff: "exponential" },
  // core: 10 min per HTTP attempt; a step cut off by this timeout is not replayed (see runGeneration)
  timeout: "30 minutes",
};

/** Delivery: its own retries (10 s, 20 s, 40 s, 80 s, 160 s); the generate step's result stays cached. */
export const DELIVER_STEP: WorkflowStepConfig = {
  retries: { limit: 5, delay: "10 seconds", backoff: "exponential" },
  timeout: "2 minutes",
};

/** Thumbnails: after the deliveries, so no caller waits on them; a miss is made on first view. */
export const THUMBNAIL_STEP: WorkflowStepConfig = { timeout: "5 minutes" };

/** What a delivery step reports. */
export interface DeliveryOutcome {
  channel: "callback" | "chat";
  ok: boolean;
  skipped?: boolean;
  status?: number;
  error?: string;
}

/**
 * How a finished job reaches a chat. The chat platforms provide it (webhooks/deliver.ts) and
 * index.ts hands it to `imageJobWorkflow`, so jobs/ needs nothing of webhooks/.
 */
export interface ChatChannel {
  /** posts `job` where `delivery` says; throws `PermanentDeliveryError` for a refusal that will not pass */
  deliver(env: Env, delivery: ChatDelivery, job: DeliverableJob): Promise<void>;
  /** `delivery` without the conversation credentials it carried, to keep once delivered */
  withoutCredentials(delivery: ChatDelivery): ChatDelivery;
}

/**
 * One image job: step "generate" calls the provider and stores every image in R2 (returning
 * keys only, far below the 1 MiB step-result limit), then step "deliver callback" POSTs the
 * signed job object to `callback_url` and step "deliver chat" posts it to the chat it came
 * from; step "thumbnails" last makes the console's thumbnails from R2. Workflows caches each
 * step's result, so a delivery that fails and retries never runs the generation again.
 */
export const imageJobWorkflow = (chat: ChatChannel) =>
  class ImageJobWorkflow extends WorkflowEntrypoint<Env, ImageJobParams> {
    override async run(event: Readonly<WorkflowEvent<ImageJobParams>>, step: WorkflowStep): Promise<unknown> {
      const { jobId } = event.payload;
      const generated: GenerateOutcome = await released(
        step.do("generate", GENERATE_STEP, () => runGeneration(this.env, jobId)),
      );
      const callback = await this.deliver(step, jobId, "callback");
      const chat = await this.deliver(step, jobId, "chat");
      const keys = generated.images.map((i) => i.key);
      if (keys.length) await step.do("thumbnails", THUMBNAIL_STEP, () => makeThumbnails(this.env, keys));
      return { jobId, status: generated.status, images: generated.images.length, callback, chat };
    }

    /** Runs one delivery step; when its retries run out, records the failure in a step of its own. */
    private async deliver(step: WorkflowStep, jobId: string, channel: "callback" | "chat"): Promise<DeliveryOutcome> {
      try {
        return await released(
          step.do(`deliver ${channel}`, DELIVER_STEP, () => deliverOnce(this.env, chat, jobId, channel)),
        );
      } catch (err) {
        const error = safeMessage(this.env, err);
        return released(
          step.do(`record ${channel} failure`, async () => {
            await recordDelivery(this.env.DB, jobId, channel, { ok: false, error, at: nowSeconds() });
            return { channel, ok: false, error };
          }),
        );
      }
    }
  };

/** Drops the chat delivery's conversation credentials from the job row once they are of no use. */
const forgetCredentials = (env: Env, channel: ChatChannel, jobId: string, chat: ChatDelivery): Promise<void> =>
  setDelivery(env.DB, jobId, channel.withoutCredentials(chat));

/** One delivery attempt on one channel; throws (with secrets redacted) for a failure worth retrying. */
export async function deliverOnce(
  env: Env,
  chatChannel: ChatChannel,
  jobId: string,
  channel: "callback" | "chat",
): Promise<DeliveryOutcome> {
  try {
    return await deliverOnceRaw(env, chatChannel, jobId, channel);
  } catch (err) {
    if (err instanceof PermanentDeliveryError) throw err;
    throw new Error(safeMessage(env, err));
  }
}

async function deliverOnceRaw(
  env: Env,
  chatChannel: ChatChannel,
  jobId: string,
  channel: "callback" | "chat",
): Promise<DeliveryOutcome> {
  const row = await getJob(env.DB, jobId);
  if (!row) throw new Error(`job ${jobId} does not exist`);
  const chat = row.delivery ? (JSON.parse(row.delivery) as ChatDelivery) : null;
  if (channel === "callback" && !row.callback_url) return { channel, ok: true, skipped: true };
  if (channel === "chat" && chat?.kind !== "chat") return { channel, ok: true, skipped: true };
  const { view, deliverable } = await deliverableJob(env, row);
  try {
    if (channel === "callback" && row.callback_url) {
      const status = await deliverCallback(env, row.callback_url, row.team, view);
      await recordDelivery(env.DB, jobId, channel, { ok: true, status, at: nowSeconds() });
      return { channel, ok: true, status };
    }
    if (chat) await chatChannel.deliver(env, chat, deliverable);
    await recordDelivery(env.DB, jobId, channel, { ok: true, at: nowSeconds() });
    if (chat) await forgetCredentials(env, chatChannel, jobId, chat);
    return { channel, ok: true };
  } catch (err) {
    if (!(err instanceof PermanentDeliveryError)) throw err;
    // the receiver refused for good (4xx): record it, retrying would only repeat the refusal
    const error = safeMessage(env, err);
    await recordDelivery(env.DB, jobId, channel, { ok: false, error, at: nowSeconds() });
    if (chat && channel === "chat") await forgetCredentials(env, chatChannel, jobId, chat);
    return { channel, ok: false, error };
  }
}
