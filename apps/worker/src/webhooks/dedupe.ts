/**
 * One generation per platform event. The insert into `webhook_events` is the lock: Slack
 * retries (`X-Slack-Retry-Num`), Telegram and Feishu redeliveries, and concurrent duplicates
 * all hit the unique (platform, event_id) and are acked without a new job. The row is kept
 * (and carries the job id), so a redelivery after the job ended is still recognised.
 */
import type { Env } from "../env.ts";
import { nowSeconds } from "../lib/clock.ts";
import { logFailure } from "./log.ts";

/**
 * Claims an event id. Returns true for the first delivery, false for any repeat.
 * @example if (!(await claimEvent(env.DB, "slack", body.event_id))) return c.body(null, 200)
 */
export const claimEvent = async (db: D1Database, platform: string, eventId: string): Promise<boolean> => {
  const res = await db
    .prepare(
      "INSERT INTO webhook_events (platform, event_id, created_at) VALUES (?, ?, ?) ON CONFLICT (platform, event_id) DO NOTHING",
    )
    .bind(platform, eventId, nowSeconds())
    .run();
  return (res.meta.changes ?? 0) > 0;
};

/**
 * Claims the event, then sends a reply that starts no job (a refusal, a help text), so a
 * redelivered event is not answered twice. Never throws.
 */
export const replyOnce = async (
  env: Env,
  platform: string,
  eventId: string,
  send: () => Promise<void>,
): Promise<void> => {
  try {
    if (await claimEvent(env.DB, platform, eventId)) await send();
  } catch (e) {
    logFailure(env, `${platform} reply`, e);
  }
};

/** Records which job an event started. */
export const attachJob = async (db: D1Database, platform: string, eventId: string, jobId: string): Promise<void> => {
  await db
    .prepare("UPDATE webhook_events SET job_id = ? WHERE platform = ? AND event_id = ?")
    .bind(jobId, platform, eventId)
    .run();
};

/**
 * Marks one part of a chat delivery as sent, returning false when it already was. Platforms
 * without an idempotency key (Slack, Telegram) use this so a retried delivery step does not
 * post the same image twice.
 */
export const markDelivered = async (db: D1Database, jobId: string, part: string): Promise<boolean> => {
  const res = await db
    .prepare(
      "INSERT INTO chat_deliveries (job_id, part, created_at) VALUES (?, ?, ?) ON CONFLICT (job_id, part) DO NOTHING",
    )
    .bind(jobId, part, nowSeconds())
    .run();
  return (res.meta.changes ?? 0) > 0;
};

/** True when this part of the job's delivery was already sent. */
export const wasDelivered = async (db: D1Database, jobId: string, part: string): Promise<boolean> =>
  (await db.prepare("SELECT 1 FROM chat_deliveries WHERE job_id = ? AND part = ?").bind(jobId, part).first()) !== null;
