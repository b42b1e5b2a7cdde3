/**
 * Per-token limits of the image routes: allowed models, the daily image quota and the rpm limit,
 * checked in one D1 batch (one round trip, one transaction).
 *
 * The quota counts, for the token and the current UTC day, the images recorded in `usage`, the
 * images of its jobs still queued or running, and live `quota_holds`. A request that fits takes
 * a hold for its `n` images in the same statement that checks, so concurrent requests cannot all
 * pass on the same remaining images. The hold is released once the response is complete (for an
 * SSE stream, once the stream ends or its client goes away), by which time the request's usage,
 * or its queued job, counts instead.
 */
import type { Context } from "hono";
import type { AppEnv, Member } from "./context.ts";
import { HttpError } from "./errors.ts";
import { randomId } from "./tokens.ts";

/** A hold that is never released (the isolate died mid-request) stops counting after this. */
export const HOLD_TTL_SECONDS = 600;

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** `YYYY-MM-DD` of a unix-seconds instant, in UTC. */
export const utcDay = (seconds: number): string => new Date(seconds * 1000).toISOString().slice(0, 10);

/** Whether a member's token may use `model`. */
export const modelAllowed = (member: Member, model: string): boolean =>
  member.models === null || member.models.includes(model);

/**
 * Images counted against a token today. Parameters: ?1 token id, ?2 UTC day, ?3 start of that
 * day, ?4 now (all unix seconds). Jobs count while the Workflow has them (queued, or running with
 * `attempts` > 0); a synchronous request's own row (running, no attempts) does not, as its hold
 * covers it until its usage is recorded. Where two of these overlap for a moment (usage recorded
 * before the row or hold is gone), the error is on the side of refusing, never of overrunning.
 */
const COUNTED_SQL = `(SELECT COALESCE(SUM(images), 0) FROM usage WHERE token_id = ?1 AND day = ?2)
  + (SELECT COALESCE(SUM(COALESCE(json_extract(request_json, '$.n'), 1)), 0) FROM jobs
     WHERE token_id = ?1 AND (status = 'queued' OR (status = 'running' AND attempts > 0)) AND created_at >= ?3)
  + (SELECT COALESCE(SUM(images), 0) FROM quota_holds WHERE token_id = ?1 AND expires_at > ?4)`;

/**
 * Checks one image request of `n` images for `model` against the caller's token, in this order:
 * model allowed (403 `permission`), images left today (429 `quota_exceeded`), requests this
 * minute (429 `rate_limited` with Retry-After; a fixed one-minute window counted in D1, exact
 * across isolates). A request refused for quota does not count toward the rpm limit; one refused
 * for rpm takes no images. On success with a quota, sets `c.var.quotaHold` for `releaseHold`.
 * @example
 * await enforceQuota(c, model, n);
 */
export async function enforceQuota(c: Context<AppEnv>, model: string, n: number): Promise<void> {
  const member = c.get("member");
  if (!modelAllowed(member, model)) {
    throw new HttpError(403, "permission", `model ${model}: not allowed for this token`, { param: "model" });
  }
  const { dailyImageQuota: quota, rpm, tokenId } = member;
  if (quota === null && rpm === null) return;
  const db = c.env.DB;
  const now = nowSeconds();
  const dayStart = now - (now % 86400);
  const windowStart = now - (now % 60);
  const holdId = quota === null ? null : randomId("hold");
  const stmts: D1PreparedStatement[] = [];
  const at = { hold: -1, rate: -1, counted: -1 };
  if (rpm !== null) {
    stmts.push(
      db.prepare("DELETE FROM rate_windows WHERE token_id = ? AND window_start < ?").bind(tokenId, windowStart),
    );
  }
  if (holdId !== null) {
    at.hold = stmts.length;
    stmts.push(
      db
        .prepare(
          `INSERT INTO quota_holds (id, token_id, images, expires_at) SELECT ?5, ?1, ?6, ?4 + ${HOLD_TTL_SECONDS}
           WHERE ?6 + ${COUNTED_SQL} <= ?7`,
        )
        .bind(tokenId, utcDay(now), dayStart, now, holdId, n, quota),
    );
  }
  if (rpm !== null) {
    at.rate = stmts.length;
    // counts only requests that passed the quota: the upsert's SELECT yields no row otherwise
    stmts.push(
      db
        .prepare(
          "INSERT INTO rate_windows (token_id, window_start, count) SELECT ?1, ?2, 1 " +
            `WHERE ${holdId === null ? "1" : "EXISTS (SELECT 1 FROM quota_holds WHERE id = ?3)"} ` +
            "ON CONFLICT (token_id, window_start) DO UPDATE SET count = count + 1 RETURNING count",
        )
        .bind(tokenId, windowStart, ...(holdId === null ? [] : [holdId])),
    );
    if (holdId !== null) {
      stmts.push(
        db
          .prepare(
            "DELETE FROM quota_holds WHERE id = ?1 AND (SELECT count FROM rate_windows WHERE token_id = ?2 AND window_start = ?3) > ?4",
          )
          .bind(holdId, tokenId, windowStart, rpm),
      );
    }
  }
  if (holdId !== null) {
    at.counted = stmts.length;
    stmts.push(db.prepare(`SELECT ${COUNTED_SQL} AS counted`).bind(tokenId, utcDay(now), dayStart, now));
  }
  const results = await db.batch<Record<string, number>>(stmts);
  if (quota !== null && (results[at.hold]?.meta.changes ?? 0) === 0) {
    const left = quota - (results[at.counted]?.results[0]?.counted ?? 0);
    throw new HttpError(
      429,
      "quota_exceeded",
      `daily image quota of ${quota} reached: ${Math.max(0, left)} left today (UTC), ${n} requested`,
      { param: "n" },
    );
  }
  if (rpm !== null) {
    const count = results[at.rate]?.results[0]?.count ?? 1;
    if (count > rpm) {
      const retryAfter = Math.max(1, windowStart + 60 - now);
      throw new HttpError(429, "rate_limited", `rate limit of ${rpm} requests per minute reached`, {
        headers: { "Retry-After": String(retryAfter) },
      });
    }
  }
  if (holdId !== null) c.set("quotaHold", holdId);
}

/**
 * Releases a quota hold and prunes expired ones. Losing this write only over-counts until the
 * hold expires, so it may run after the response (`waitUntil`).
 */
export async function releaseHold(db: D1Database, holdId: string): Promise<void> {
  await db.prepare("DELETE FROM quota_holds WHERE id = ? OR expires_at <= ?").bind(holdId, nowSeconds()).run();
}

/**
 * Releases the request's hold once its response is complete: at once for a finished answer
 * (usage is recorded before the handler returns), or when an SSE stream ends or its client goes
 * away (usage, or the failed row with what was stored, is recorded before). Runs after the
 * response; never throws.
 */
export function releaseAfterResponse(c: Context<AppEnv>, holdId: string): void {
  const release = () => afterResponse(c, releaseHold(c.env.DB, holdId));
  const body = c.res.body;
  if (body && /^text\/event-stream/i.test(c.res.headers.get("Content-Type") ?? "")) {
    c.res = new Response(onStreamEnd(body, release), c.res);
  } else release();
}

/** `body` passed through unchanged; `end` runs once, when it is read to its end, fails or is cancelled. */
function onStreamEnd(body: ReadableStream<Uint8Array>, end: () => void): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let ended = false;
  const finish = () => {
    if (!ended) {
      ended = true;
      end();
    }
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const { done, value } = await reader.read();
          if (done) {
            finish();
            controller.close();
          } else controller.enqueue(value);
        } catch (e) {
          finish();
          controller.error(e);
        }
      },
      async cancel(reason) {
        try {
          await reader.cancel(reason);
        } finally {
          finish();
        }
      },
    },
    { highWaterMark: 0 },
  );
}

function afterResponse(c: Context<AppEnv>, work: Promise<void>): void {
  const settled = work.catch(() => {
    // an unreleased hold expires on its own
  });
  try {
    c.executionCtx.waitUntil(settled);
  } catch {
    // no execution context (app.request in tests): the promise still runs to its end
  }
}
