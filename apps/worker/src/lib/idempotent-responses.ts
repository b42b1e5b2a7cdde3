/**
 * The `idempotent_responses` table: an `Idempotency-Key` of the synchronous image routes, per
 * member token. A key is claimed inside admission's one D1 batch (`admitImageRequest`) and its
 * answer is stored, or the claim released, inside the settlement's one batch (`runImageRequest`):
 * a keyed request costs no D1 round trip of its own.
 *
 * The claim names the job that holds it (`job_id`), so the batch's later statements can tell
 * whether this request claimed the key, and the settlement touches only its own claim.
 */

import { HttpError } from "./errors.ts";
import { keyReused } from "./idempotency-key.ts";
import { fromLiveTokenSql, type TokenRef, tokenColumnSql } from "./token-repo.ts";

/** What a request brings to admission: its key and its body's hash (see `idempotency()`). */
export interface KeyedRequest {
  key: string;
  bodyHash: string;
}

/** Images of a stored answer: a replay re-reads them from R2 (base64) or signs them afresh (url). */
export interface ImageReplay {
  responseFormat: "b64_json" | "url";
  /** every top-level field of the response except `data` (created, usage, size, quality, …) */
  meta: Record<string, unknown>;
  images: { key: string; revised_prompt?: string }[];
}

/**
 * What D1 keeps per key: image keys to rebuild the answer from. Rows written before claims moved
 * into admission may hold a small JSON answer verbatim (`json`); they replay as they are.
 */
export type StoredResponse = { kind: "json"; body: string } | ({ kind: "images" } & ImageReplay);

/** A key still `pending` after this long belongs to a request that died; the next one takes over. */
const STALE_PENDING_S = 15 * 60;

/** The key's row as admission reads it, after its claim. */
interface KeyRow {
  body_hash: string;
  state: string;
  response_status: number | null;
  response_json: string | null;
  job_id: string | null;
}

/**
 * Admission's statements for a keyed request, to run after the token read and before the hold:
 * the claim (a D1 primary key decides races; only a live token claims), the takeover of a stale
 * claim of the same body, and the read of the key's row. ?1 in each names the token (`TokenRef`).
 */
export function claimStatements(
  db: D1Database,
  ref: TokenRef,
  keyed: KeyedRequest,
  jobId: string,
  now: number,
): D1PreparedStatement[] {
  return [
    db
      .prepare(
        `INSERT INTO idempotent_responses (token_id, key, team, body_hash, state, created_at, job_id)
         SELECT t.id, ?2, t.team, ?3, 'pending', ?4, ?5 ${fromLiveTokenSql("t", 1, ref.by, 4)}
         ON CONFLICT DO NOTHING`,
      )
      .bind(ref.value, keyed.key, keyed.bodyHash, now, jobId),
    db
      .prepare(
        `UPDATE idempotent_responses SET job_id = ?3, created_at = ?4
         WHERE token_id = ${tokenColumnSql("id", 1, ref.by)} AND key = ?2 AND body_hash = ?5 AND state = 'pending'
           AND created_at < ?6`,
      )
      .bind(ref.value, keyed.key, jobId, now, keyed.bodyHash, now - STALE_PENDING_S),
    db
      .prepare(
        `SELECT body_hash, state, response_status, response_json, job_id FROM idempotent_responses
         WHERE token_id = ${tokenColumnSql("id", 1, ref.by)} AND key = ?2`,
      )
      .bind(ref.value, keyed.key),
  ];
}

/**
 * SQL condition, for the hold's INSERT … SELECT over `tokens <alias>`: this request holds the
 * key (?key, ?job). Without it the request takes no hold, counts no rpm and writes no row.
 */
export const holdsClaimSql = (alias: string, key: number, job: number) =>
  `EXISTS (SELECT 1 FROM idempotent_responses WHERE token_id = ${alias}.id AND key = ?${key} AND job_id = ?${job})`;

/** Admission's last statement: a claim whose request was refused (no hold) is given back. */
export const dropRefusedClaimStatement = (db: D1Database, ref: TokenRef, key: string, jobId: string, holdId: string) =>
  db
    .prepare(
      `DELETE FROM idempotent_responses WHERE token_id = ${tokenColumnSql("id", 1, ref.by)} AND key = ?2 AND job_id = ?3
       AND NOT EXISTS (SELECT 1 FROM quota_holds WHERE id = ?4)`,
    )
    .bind(ref.value, key, jobId, holdId);

/** What the key's row says, once the token passed: this request holds it, or a stored answer to replay. */
export type KeyOutcome = { claimed: true } | { claimed: false; status: number; stored: StoredResponse };

/**
 * Reads the key's row as the claim left it: claimed by this job, a stored answer to replay, or a
 * 409 `idempotency_conflict` (another body under the key, or the first request still running).
 */
export function keyOutcome(row: KeyRow | undefined, keyed: KeyedRequest, jobId: string): KeyOutcome {
  if (row?.job_id === jobId) return { claimed: true };
  if (!row) {
    throw new HttpError(409, "idempotency_conflict", "Idempotency-Key is being released by another request; retry", {
      param: "Idempotency-Key",
    });
  }
  if (row.body_hash !== keyed.bodyHash) throw keyReused(keyed.key);
  if (row.state === "done" && row.response_json) {
    return { claimed: false, status: row.response_status ?? 200, stored: JSON.parse(row.response_json) };
  }
  throw new HttpError(
    409,
    "idempotency_conflict",
    `a request with Idempotency-Key ${JSON.stringify(keyed.key)} is still in progress`,
    { param: "Idempotency-Key" },
  );
}

/** The settlement's statement that stores a claimed key's answer (status 200) for replays. */
export const storeAnswerStatement = (
  db: D1Database,
  tokenId: string,
  key: string,
  jobId: string,
  replay: ImageReplay,
) =>
  db
    .prepare(
      `UPDATE idempotent_responses SET state = 'done', response_status = 200, response_json = ?
       WHERE token_id = ? AND key = ? AND job_id = ?`,
    )
    .bind(JSON.stringify({ kind: "images", ...replay } satisfies StoredResponse), tokenId, key, jobId);

/** The settlement's statement that gives a claimed key back (a failure, or an answer not kept): a retry runs afresh. */
export const releaseClaimStatement = (db: D1Database, tokenId: string, key: string, jobId: string) =>
  db
    .prepare("DELETE FROM idempotent_responses WHERE token_id = ? AND key = ? AND job_id = ? AND state = 'pending'")
    .bind(tokenId, key, jobId);
