import type { ImageUsage } from "@gptimg/core";
import type { Env } from "../env.ts";
import { nowSeconds } from "../lib/clock.ts";
import { HOLD_TTL_SECONDS, utcDay } from "../lib/quota.ts";
import type { StoredImage } from "../lib/storage.ts";
import { usageInsert } from "../lib/usage.ts";
import type { ChatDelivery, JobError, JobKind, JobOwner, JobRow, JobStatus } from "./types.ts";

type UsageEnv = Pick<Env, "DB" | "MODEL_RATES">;

/** Fields of a new job row. */
export interface NewJobRow {
  id: string;
  team: string;
  member: string;
  tokenId: string | null;
  kind: JobKind;
  model: string;
  requestJson: string;
  inputKeys: string[] | null;
  idempotencyKey: string | null;
  bodyHash: string;
  callbackUrl: string | null;
  delivery: unknown;
  origin: string | null;
  /** the size asked for, resolved for `model` (see `JobRow.requested_size`) */
  requestedSize: string | null;
  createdAt: number;
}

/**
 * Inserts a queued job. Returns false when a job with the same (team, token, idempotency key) exists:
 * the unique index decides races, so two concurrent inserts make one row.
 */
export async function insertJob(db: D1Database, j: NewJobRow): Promise<boolean> {
  const res = await db
    .prepare(
      `INSERT INTO jobs (id, team, member, token_id, kind, status, model, request_json, input_keys,
         idempotency_key, body_hash, callback_url, delivery, origin, requested_size, created_at)
       VALUES (?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT DO NOTHING`,
    )
    .bind(
      j.id,
      j.team,
      j.member,
      j.tokenId,
      j.kind,
      j.model,
      j.requestJson,
      j.inputKeys ? JSON.stringify(j.inputKeys) : null,
      j.idempotencyKey,
      j.bodyHash,
      j.callbackUrl,
      j.delivery === undefined || j.delivery === null ? null : JSON.stringify(j.delivery),
      j.origin,
      j.requestedSize,
      j.createdAt,
    )
    .run();
  return res.meta.changes === 1;
}

/** The statement reading the job with this id (for a batch; `getJob` runs it). */
export const jobStatement = (db: D1Database, id: string): D1PreparedStatement =>
  db.prepare("SELECT * FROM jobs WHERE id = ?").bind(id);

/** The job with this id, or null. */
export const getJob = (db: D1Database, id: string): Promise<JobRow | null> => jobStatement(db, id).first<JobRow>();

/** Whose idempotency keys a key is looked up among: a member token's, or (tokenId null) a team's chat jobs. */
export interface KeyOwner {
  team: string;
  tokenId: string | null;
}

/** The job this token (or, without one, this team's chats) created with this idempotency key, or null. */
export const getJobByIdempotencyKey = (db: D1Database, owner: KeyOwner, key: string): Promise<JobRow | null> =>
  db
    .prepare("SELECT * FROM jobs WHERE team = ? AND COALESCE(token_id, '') = ? AND idempotency_key = ?")
    .bind(owner.team, owner.tokenId ?? "", key)
    .first<JobRow>();

/**
 * Moves a job to `running` and counts the attempt, only from `queued`.
 * Returns the previous status, so the caller can tell a fresh start from an interrupted one.
 */
export async function markRunning(db: D1Database, id: string): Promise<JobStatus | null> {
  const row = await db.prepare("SELECT status FROM jobs WHERE id = ?").bind(id).first<{ status: JobStatus }>();
  if (!row) return null;
  if (row.status === "queued") {
    await db
      .prepare("UPDATE jobs SET status = 'running', attempts = attempts + 1 WHERE id = ? AND status = 'queued'")
      .bind(id)
      .run();
  }
  return row.status;
}

/** Puts a running job back to `queued` before a deliberate, known-unbilled retry of its step. */
export const markRequeued = (db: D1Database, id: string): Promise<D1Result> =>
  db.prepare("UPDATE jobs SET status = 'queued' WHERE id = ? AND status = 'running'").bind(id).run();

/** Final state of a successful generation. */
export interface SuccessFields {
  /** the model that answered (a fallback provider's may differ from the one asked for) */
  model: string;
  images: StoredImage[];
  usage: ImageUsage | null;
  provider: string | null;
  requestId: string | null;
  requestedSize: string | null;
  sizeMismatch: boolean;
  completedAt: number;
}

/**
 * Records a job's usage and marks it succeeded in one D1 batch (one round trip, one
 * transaction): the images are never billed without the row saying so, nor the reverse. A
 * possibly billed row the stale sweep booked for this job is replaced, so a request that did
 * finish counts once. Returns the cost in USD, null when the model's cost is unknown.
 */
export async function completeJob(
  env: UsageEnv,
  owner: JobOwner,
  id: string,
  s: SuccessFields,
  /** more writes of the same moment (a quota hold's release), in the same batch */
  also: D1PreparedStatement[] = [],
): Promise<number | null> {
  const { statement: usage, cost } = usageInsert(env, {
    team: owner.team,
    member: owner.member,
    tokenId: owner.tokenId,
    model: s.model,
    images: s.images.length,
    ...(s.usage ? { usage: s.usage } : {}),
    jobId: id,
  });
  const complete = env.DB.prepare(
    `UPDATE jobs SET status = 'succeeded', model = ?, image_keys = ?, usage = ?, cost = ?, provider = ?, request_id = ?,
       requested_size = ?, size_mismatch = ?, error = NULL, completed_at = ? WHERE id = ?`,
  ).bind(
    s.model,
    JSON.stringify(s.images),
    s.usage ? JSON.stringify(s.usage) : null,
    cost,
    s.provider,
    s.requestId,
    s.requestedSize,
    s.sizeMismatch ? 1 : 0,
    s.completedAt,
    id,
  );
  await env.DB.batch([forgetBooking(env.DB, id), usage, complete, ...also]);
  return cost;
}

/** Drops a job's earlier possibly billed usage row (the stale sweep's), before its settlement books its own. */
const forgetBooking = (db: D1Database, id: string) =>
  db.prepare("DELETE FROM usage WHERE job_id = ? AND possibly_billed = 1").bind(id);

/** A failure, and what was made before it. */
export interface FailureFields {
  error: JobError;
  completedAt: number;
  /** the job's model, which the usage row of any `images` names */
  model: string;
  /** how many images the request asked for (its `n`): what a possibly billed failure counts */
  requested: number;
  /** images stored before the failure: produced, likely billed, so they count as usage */
  images?: StoredImage[];
  /** the provider's usage, when it came before the failure */
  usage?: ImageUsage;
}

/**
 * Marks a job failed. What the provider may have billed is counted: a failure after the request
 * reached it (`error.possibly_billed`, or images already stored, which makes it so) records a
 * possibly billed usage row of the images asked for (or stored, if more) in the same batch, so
 * they count against the quota and show apart in the usage reports. A failure known to be
 * unbilled records no usage.
 */
export async function failJob(
  env: UsageEnv,
  owner: JobOwner,
  id: string,
  f: FailureFields,
  /** more writes of the same moment (a quota hold's release), in the same batch */
  also: D1PreparedStatement[] = [],
): Promise<void> {
  const images = f.images ?? [];
  const billed = f.error.possibly_billed || images.length > 0;
  const error = billed && !f.error.possibly_billed ? { ...f.error, possibly_billed: true } : f.error;
  const fail = env.DB.prepare(
    `UPDATE jobs SET status = 'failed', error = ?, request_id = COALESCE(?, request_id),
       image_keys = ?, completed_at = ? WHERE id = ?`,
  ).bind(JSON.stringify(error), error.request_id, images.length ? JSON.stringify(images) : null, f.completedAt, id);
  if (!billed) {
    if (also.length) await env.DB.batch([fail, ...also]);
    else await fail.run();
    return;
  }
  const { statement: usage, cost } = usageInsert(env, {
    team: owner.team,
    member: owner.member,
    tokenId: owner.tokenId,
    model: f.model,
    images: Math.max(f.requested, images.length),
    ...(f.usage ? { usage: f.usage } : {}),
    jobId: id,
    possiblyBilled: true,
  });
  const costed = env.DB.prepare("UPDATE jobs SET cost = ? WHERE id = ?").bind(cost, id);
  await env.DB.batch([forgetBooking(env.DB, id), usage, fail, costed, ...also]);
}

/**
 * A synchronous request's row (`running`, no Workflow attempts) older than this belongs to a
 * Worker that died mid-request: no response outlives it (an SSE stream included), and its quota
 * hold has lapsed by then.
 */
export const STALE_RUNNING_SECONDS = HOLD_TTL_SECONDS;

/** Whether a row is a synchronous request whose Worker died mid-request (see `sweepStaleJobs`). */
export const isStale = (row: Pick<JobRow, "status" | "attempts" | "created_at">, now = nowSeconds()): boolean =>
  row.status === "running" && row.attempts === 0 && row.created_at <= now - STALE_RUNNING_SECONDS;

/**
 * Settles synchronous rows left `running` by a Worker that died mid-request: each becomes
 * `failed` with `outcome_unknown`, possibly billed, and its requested images are booked as
 * possibly billed usage of unknown cost. Runs from the scheduled handler and when jobs are read.
 * A request that still finishes afterwards replaces the booking with its real outcome.
 * Returns how many rows it settled.
 */
export async function sweepStaleJobs(env: Pick<Env, "DB">, now = nowSeconds()): Promise<number> {
  const stale = "status = 'running' AND attempts = 0 AND created_at <= ?1";
  const error: JobError = {
    code: "outcome_unknown",
    message:
      "the request was cut off (its Worker stopped) after it may have reached the provider: counted as possibly billed",
    status: null,
    request_id: null,
    possibly_billed: true,
  };
  // one batch, one transaction: every row settled is booked, and no row is booked twice
  const [booked] = await env.DB.batch([
    env.DB.prepare(
      `INSERT INTO usage (day, team, member, token_id, model, images, cost_usd, cost_unknown, job_id, created_at, possibly_billed)
       SELECT ?2, team, member, token_id, model, COALESCE(json_extract(request_json, '$.n'), 1), 0, 1, id, ?3, 1
       FROM jobs WHERE ${stale}`,
    ).bind(now - STALE_RUNNING_SECONDS, utcDay(now), now),
    env.DB.prepare(`UPDATE jobs SET status = 'failed', error = ?2, completed_at = ?3 WHERE ${stale}`).bind(
      now - STALE_RUNNING_SECONDS,
      JSON.stringify(error),
      now,
    ),
  ]);
  return booked?.meta.changes ?? 0;
}

/** Merges one channel's delivery result into `delivery_state`. */
export async function recordDelivery(
  db: D1Database,
  id: string,
  channel: "callback" | "chat",
  state: unknown,
): Promise<void> {
  const row = await db
    .prepare("SELECT delivery_state FROM jobs WHERE id = ?")
    .bind(id)
    .first<{ delivery_state: string | null }>();
  const prev = row?.delivery_state ? (JSON.parse(row.delivery_state) as Record<string, unknown>) : {};
  await db
    .prepare("UPDATE jobs SET delivery_state = ? WHERE id = ?")
    .bind(JSON.stringify({ ...prev, [channel]: state }), id)
    .run();
}

/** Replaces a job's chat delivery (to drop its conversation credentials once delivered). */
export async function setDelivery(db: D1Database, id: string, delivery: ChatDelivery): Promise<void> {
  await db.prepare("UPDATE jobs SET delivery = ? WHERE id = ?").bind(JSON.stringify(delivery), id).run();
}

/** A page of a team's (or one member's) jobs, newest first, after an opaque cursor position. */
export async function listJobs(
  db: D1Database,
  q: { team: string; member?: string; limit: number; after?: { createdAt: number; id: string } },
): Promise<JobRow[]> {
  // Synchronous /v1/images requests are recorded in the same table, so they are team history too.
  const where = ["team = ?"];
  const binds: unknown[] = [q.team];
  if (q.member !== undefined) {
    where.push("member = ?");
    binds.push(q.member);
  }
  if (q.after) {
    where.push("(created_at < ? OR (created_at = ? AND id < ?))");
    binds.push(q.after.createdAt, q.after.createdAt, q.after.id);
  }
  const sql = `SELECT * FROM jobs WHERE ${where.join(" AND ")} ORDER BY created_at DESC, id DESC LIMIT ?`;
  const { results } = await db
    .prepare(sql)
    .bind(...binds, q.limit)
    .all<JobRow>();
  return results;
}
