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
 *
 * The same count and hold serve chat members (who have no token, see webhooks/quota.ts), keyed
 * by team and member instead of token: a `QuotaSubject`.
 */

import type { Context } from "hono";
import { nowSeconds } from "./clock.ts";
import type { AppEnv, Member } from "./context.ts";
import { HttpError } from "./errors.ts";
import { randomId } from "./tokens.ts";

/** A hold that is never released (the isolate died mid-request) stops counting after this. */
export const HOLD_TTL_SECONDS = 600;

/** `YYYY-MM-DD` of a unix-seconds instant, in UTC. */
export const utcDay = (seconds: number): string => new Date(seconds * 1000).toISOString().slice(0, 10);

/** Whether a member's token may use `model`. */
export const modelAllowed = (member: Member, model: string): boolean =>
  member.models === null || member.models.includes(model);

/**
 * Whose images a daily quota counts: a member token's, or a chat member's (no token; counted by
 * team and member, as CHAT_TEAMS maps them).
 */
export type QuotaSubject = { tokenId: string } | { team: string; member: string };

/**
 * The subject's rows in `usage`, `jobs` and `quota_holds` (each has these columns): a predicate
 * on ?1 (and ?2), and the values bound to them.
 */
const subjectOf = (s: QuotaSubject): { where: string; params: string[] } =>
  "tokenId" in s
    ? { where: "token_id = ?1", params: [s.tokenId] }
    : { where: "team = ?1 AND member = ?2", params: [s.team, s.member] };

/**
 * Images counted against a subject today. Parameters: the subject's (see `subjectOf`), then ?d
 * the UTC day, ?d+1 the start of that day, ?d+2 now (unix seconds). Jobs count while the Workflow
 * has them (queued, or running with `attempts` > 0); a synchronous request's own row (running, no
 * attempts) does not, as its hold covers it until its usage is recorded, unless it outlived its
 * hold (its Worker died: it counts until the stale sweep books it as possibly billed usage). Where two of these
 * overlap for a moment (usage recorded before the row or hold is gone), the error is on the side
 * of refusing, never of overrunning.
 */
export const countedSql = (
  where: string,
  d: number,
): string => `(SELECT COALESCE(SUM(images), 0) FROM usage WHERE ${where} AND day = ?${d})
  + (SELECT COALESCE(SUM(COALESCE(json_extract(request_json, '$.n'), 1)), 0) FROM jobs
     WHERE ${where} AND created_at >= ?${d + 1} AND (status = 'queued'
       OR (status = 'running' AND (attempts > 0 OR created_at <= ?${d + 2} - ${HOLD_TTL_SECONDS}))))
  + (SELECT COALESCE(SUM(images), 0) FROM quota_holds WHERE ${where} AND expires_at > ?${d + 2})`;

/** The count's parameters after the subject's: UTC day, start of that day, now. */
export const dayParams = (now: number): [string, number, number] => [utcDay(now), now - (now % 86400), now];

/**
 * A statement that reads the images counted against `s` today, as `counted`.
 * @example const row = await countedStatement(db, { team, member }, now).first<{ counted: number }>()
 */
export function countedStatement(db: D1Database, s: QuotaSubject, now: number): D1PreparedStatement {
  const { where, params } = subjectOf(s);
  return db.prepare(`SELECT ${countedSql(where, params.length + 1)} AS counted`).bind(...params, ...dayParams(now));
}

/**
 * A statement that takes a hold `holdId` of `n` images for `s` only when they fit in `quota`
 * today: check and take are one statement, so concurrent requests cannot pass on the same
 * images. It changes one row when the hold was taken, none when refused.
 */
export function holdStatement(
  db: D1Database,
  s: QuotaSubject,
  holdId: string,
  n: number,
  quota: number,
  now: number,
): D1PreparedStatement {
  const { where, params } = subjectOf(s);
  const d = params.length + 1;
  const h = d + 3; // ?h hold id, ?h+1 n, ?h+2 quota, ?h+3..?h+5 token id, team, member
  const key = "tokenId" in s ? [s.tokenId, null, null] : [null, s.team, s.member];
  return db
    .prepare(
      `INSERT INTO quota_holds (id, token_id, team, member, images, expires_at)
       SELECT ?${h}, ?${h + 3}, ?${h + 4}, ?${h + 5}, ?${h + 1}, ?${d + 2} + ${HOLD_TTL_SECONDS}
       WHERE ?${h + 1} + ${countedSql(where, d)} <= ?${h + 2}`,
    )
    .bind(...params, ...dayParams(now), holdId, n, quota, ...key);
}

/**
 * Takes a hold of `n` images for `s` when they fit in `quota` today (UTC): the hold id, to pass to
 * `releaseHold` once what it covers counts by itself; or how many images were left when refused.
 * @example
 * const hold = await takeHold(db, { team: "acme", member: "slack:U1" }, 2, 20);
 * if (!hold.ok) return refuse(hold.left);
 */
export async function takeHold(
  db: D1Database,
  s: QuotaSubject,
  n: number,
  quota: number,
): Promise<{ ok: true; holdId: string } | { ok: false; left: number }> {
  const now = nowSeconds();
  const holdId = randomId("hold");
  const [hold, counted] = await db.batch<Record<string, number>>([
    holdStatement(db, s, holdId, n, quota, now),
    countedStatement(db, s, now),
  ]);
  if ((hold?.meta.changes ?? 0) > 0) return { ok: true, holdId };
  return { ok: false, left: Math.max(0, quota - (counted?.results[0]?.counted ?? 0)) };
}

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
    stmts.push(holdStatement(db, { tokenId }, holdId, n, quota as number, now));
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
    stmts.push(countedStatement(db, { tokenId }, now));
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
 * (usage is recorded before the handler returns), or once the request's `settled` work is done
 * (an SSE stream, which goes on when its client leaves), or when a stream ends. Runs after the
 * response; never throws.
 */
export function releaseAfterResponse(c: Context<AppEnv>, holdId: string): void {
  const settled = c.get("settled");
  if (settled) {
    // the stream's work goes on after its client leaves: the hold lasts until it is settled
    afterResponse(
      c,
      settled.then(() => releaseHold(c.env.DB, holdId)),
    );
    return;
  }
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
