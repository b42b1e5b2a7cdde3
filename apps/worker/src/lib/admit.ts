/**
 * Admission of a synchronous image request in one D1 round trip: the token (revocation and
 * expiry read afresh on every request; a console session's request names it by its session, which
 * is read in the same statement), the model allow-list, the daily image quota, the rpm
 * window and the job row are one `DB.batch`, one transaction. Each write is conditioned in SQL
 * on the ones before it, so a refused request leaves nothing behind: no hold, no rpm count, no row.
 *
 * The quota check and the hold are one statement, as in `holdStatement`: of 50 parallel requests
 * exactly as many pass as fit. The hold is taken for every admitted request (a tokenless quota
 * counts nothing) and is what the rpm count and the job row check for; it is released in the
 * same batch that records the request's usage (`releaseHoldStatement`), the one D1 round trip
 * after the provider. The statements name the token through `lib/token-repo.ts`'s fragments, so
 * what makes a token live is written once, there.
 */

import { assertNotLockedOut, attemptStatements, limitParams, notLockedOutSql, unknownToken } from "./auth-limit.ts";
import { nowSeconds } from "./clock.ts";
import type { Member } from "./context.ts";
import { HttpError } from "./errors.ts";
import {
  claimStatements,
  dropRefusedClaimStatement,
  holdsClaimSql,
  type KeyedRequest,
  keyOutcome,
  type StoredResponse,
} from "./idempotent-responses.ts";
import { countedSql, dayParams, HOLD_TTL_SECONDS } from "./quota.ts";
import {
  fromLiveTokenSql,
  fromTokenSql,
  memberFromRead,
  type TokenReadRow,
  type TokenRef,
  tokenColumnSql,
  tokenReadStatement,
} from "./token-repo.ts";
import { randomId } from "./tokens.ts";

/** The job row an admitted request starts with (status `running`). */
export interface AdmittedJob {
  id: string;
  kind: "generate" | "edit";
  model: string;
  n: number;
  requestJson: string;
  /** edit inputs' R2 keys after `t/<team>/` (the team is known only inside the batch) */
  inputKeySuffixes: string[] | null;
  requestedSize: string | null;
  createdAt: number;
}

/** What admission gives the request: who it is, and the hold its settlement releases. */
export interface Admission {
  member: Member;
  holdId: string;
}

/** A keyed request whose key already holds an answer: replay it; nothing was taken or written. */
export interface Replay {
  member: Member;
  replay: { status: number; stored: StoredResponse };
}

/**
 * Checks the token, model, quota and rpm limit and inserts the job row, all in one D1 batch.
 * Refusals, in this order: 429 `rate_limited` (a sent token from a client locked out for wrong
 * tokens, lib/auth-limit.ts: it takes nothing), 401 `auth` (unknown, revoked or expired token or session), 403
 * `permission` (an admin's session; the model), 429 `quota_exceeded`, 429 `rate_limited` with Retry-After. A request refused for quota
 * does not count toward the rpm limit; one refused for rpm takes no images.
 *
 * With an `Idempotency-Key` (`keyed`), the key is claimed in the same batch, after the token and
 * before the hold, which requires the claim: a key that already holds an answer yields a `Replay`
 * (before the model, quota and rpm are looked at, as the first request met them), a 409 when
 * another body or a running request holds it, and a refused request gives its claim back.
 * @example
 * const { member, holdId } = await admitImageRequest(env.DB, c.get("credential"), job);
 */
export async function admitImageRequest(
  db: D1Database,
  ref: TokenRef,
  job: AdmittedJob,
  keyed?: KeyedRequest,
  now = nowSeconds(),
): Promise<Admission | Replay> {
  const holdId = randomId("hold");
  const windowStart = now - (now % 60);
  const [day, dayStart] = dayParams(now);
  const { by } = ref;
  const claim = keyed ? claimStatements(db, ref, keyed, job.id, now) : [];
  // a token sent from a locked-out client takes nothing: its hold, which every write after it needs
  const client = ref.client === undefined ? undefined : { at: keyed ? 11 : 9, params: limitParams(ref.client, now) };
  const stmts = [
    tokenReadStatement(db, ref),
    ...claim,
    db
      .prepare(`DELETE FROM rate_windows WHERE token_id = ${tokenColumnSql("id", 1, by)} AND window_start < ?2`)
      .bind(ref.value, windowStart),
    db
      .prepare(
        `INSERT INTO quota_holds (id, token_id, team, member, images, expires_at)
         SELECT ?1, t.id, NULL, NULL, ?2, ?3 + ${HOLD_TTL_SECONDS} ${fromLiveTokenSql("t", 4, by, 3, 5)}
           AND (t.daily_image_quota IS NULL OR ?2 + ${countedSql("token_id = t.id", 6)} <= t.daily_image_quota)
           ${keyed ? `AND ${holdsClaimSql("t", 9, 10)}` : ""}
           ${client ? `AND ${notLockedOutSql(client.at)}` : ""}`,
      )
      .bind(
        holdId,
        job.n,
        now,
        ref.value,
        job.model,
        day,
        dayStart,
        now,
        ...(keyed ? [keyed.key, job.id] : []),
        ...(client?.params ?? []),
      ),
    // counts only requests that hold their images: the SELECT yields no row otherwise
    db
      .prepare(
        `INSERT INTO rate_windows (token_id, window_start, count)
         SELECT t.id, ?2, 1 ${fromTokenSql("t", 1, by)}
         AND t.rpm IS NOT NULL AND EXISTS (SELECT 1 FROM quota_holds WHERE id = ?3)
         ON CONFLICT (token_id, window_start) DO UPDATE SET count = count + 1 RETURNING count`,
      )
      .bind(ref.value, windowStart, holdId),
    db
      .prepare(
        `DELETE FROM quota_holds WHERE id = ?1
         AND (SELECT w.count FROM rate_windows w WHERE w.token_id = ${tokenColumnSql("id", 2, by)} AND w.window_start = ?3)
           > ${tokenColumnSql("rpm", 2, by)}`,
      )
      .bind(holdId, ref.value, windowStart),
    db
      .prepare(
        `INSERT INTO jobs (id, team, member, token_id, kind, status, model, request_json, input_keys, requested_size, created_at)
         SELECT ?1, t.team, t.member, t.id, ?2, 'running', ?3, ?4,
           CASE WHEN ?5 IS NULL THEN NULL
                ELSE (SELECT json_group_array('t/' || t.team || '/' || value) FROM json_each(?5)) END,
           ?6, ?7
         ${fromTokenSql("t", 8, by)} AND EXISTS (SELECT 1 FROM quota_holds WHERE id = ?9)`,
      )
      .bind(
        job.id,
        job.kind,
        job.model,
        job.requestJson,
        job.inputKeySuffixes ? JSON.stringify(job.inputKeySuffixes) : null,
        job.requestedSize,
        job.createdAt,
        ref.value,
        holdId,
      ),
    db
      .prepare(`SELECT ${countedSql(`token_id = ${tokenColumnSql("id", 1, by)}`, 2)} AS counted`)
      .bind(ref.value, day, dayStart, now),
    ...(keyed ? [dropRefusedClaimStatement(db, ref, keyed.key, job.id, holdId)] : []),
  ];
  // the attempt last: its count read before, and counted only for an unknown token (lib/auth-limit.ts)
  const attempt = stmts.length;
  if (ref.client !== undefined) stmts.push(...attemptStatements(db, ref.client, now, unknownToken(ref.value)));
  const results = await db.batch<Record<string, unknown>>(stmts);
  const [token] = results;
  const [, hold, rate, , inserted, counted] = results.slice(1 + claim.length);
  if (ref.client !== undefined) assertNotLockedOut(results[attempt]?.results[0], now);
  const member = memberFromRead(token?.results[0] as TokenReadRow | undefined, ref, now);
  if (keyed) {
    const keyRow = results[claim.length]?.results[0] as Parameters<typeof keyOutcome>[0];
    const outcome = keyOutcome(keyRow, keyed, job.id);
    if (!outcome.claimed) return { member, replay: { status: outcome.status, stored: outcome.stored } };
  }
  if (member.models !== null && !member.models.includes(job.model)) {
    throw new HttpError(403, "permission", `model ${job.model}: not allowed for this token`, { param: "model" });
  }
  const quota = member.dailyImageQuota;
  if ((hold?.meta.changes ?? 0) === 0 && quota !== null) {
    const left = quota - Number(counted?.results[0]?.counted ?? 0);
    throw new HttpError(
      429,
      "quota_exceeded",
      `daily image quota of ${quota} reached: ${Math.max(0, left)} left today (UTC), ${job.n} requested`,
      { param: "n" },
    );
  }
  if (member.rpm !== null && Number(rate?.results[0]?.count ?? 0) > member.rpm) {
    throw new HttpError(429, "rate_limited", `rate limit of ${member.rpm} requests per minute reached`, {
      headers: { "Retry-After": String(Math.max(1, windowStart + 60 - now)) },
    });
  }
  if ((inserted?.meta.changes ?? 0) !== 1) throw new Error("the admitted request's job row was not written");
  return { member, holdId };
}

/** The statement that releases an admitted request's hold (and prunes expired ones), for its settlement batch. */
export const releaseHoldStatement = (db: D1Database, holdId: string, now = nowSeconds()) =>
  db.prepare("DELETE FROM quota_holds WHERE id = ? OR expires_at <= ?").bind(holdId, now);
