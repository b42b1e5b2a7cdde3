import type { ImageUsage } from "@gptimg/core";
import type { Env } from "../env.ts";
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
  createdAt: number;
}

/**
 * Inserts a queued job. Returns false when a job with the same (team, idempotency key) exists:
 * the unique index decides races, so two concurrent inserts make one row.
 */
export async function insertJob(db: D1Database, j: NewJobRow): Promise<boolean> {
  const res = await db
    .prepare(
      `INSERT INTO jobs (id, team, member, token_id, kind, status, model, request_json, input_keys,
         idempotency_key, body_hash, callback_url, delivery, origin, created_at)
       VALUES (?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?, ?)
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
      j.createdAt,
    )
    .run();
  return res.meta.changes === 1;
}

/** The job with this id, or null. */
export const getJob = (db: D1Database, id: string): Promise<JobRow | null> =>
  db.prepare("SELECT * FROM jobs WHERE id = ?").bind(id).first<JobRow>();

/** The job a team created with this idempotency key, or null. */
export const getJobByIdempotencyKey = (db: D1Database, team: string, key: string): Promise<JobRow | null> =>
  db.prepare("SELECT * FROM jobs WHERE team = ? AND idempotency_key = ?").bind(team, key).first<JobRow>();

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
 * transaction): the images are never billed without the row saying so, nor the reverse.
 * Returns the cost in USD.
 */
export async function completeJob(
  env: UsageEnv,
  owner: JobOwner,
  id: string,
  s: SuccessFields,
  /** more writes of the same moment (a quota hold's release), in the same batch */
  also: D1PreparedStatement[] = [],
): Promise<number> {
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
  await env.DB.batch([usage, complete, ...also]);
  return cost;
}

/** A failure, and what was made before it. */
export interface FailureFields {
  error: JobError;
  completedAt: number;
  /** the job's model, which the usage row of any `images` names */
  model: string;
  /** images stored before the failure: produced, likely billed, so they count as usage */
  images?: StoredImage[];
  /** the provider's usage, when it came before the failure */
  usage?: ImageUsage;
}

/**
 * Marks a job failed; images it stored before failing are recorded as usage in the same batch,
 * so they count against the quota and in the usage reports.
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
  const fail = env.DB.prepare(
    `UPDATE jobs SET status = 'failed', error = ?, request_id = COALESCE(?, request_id),
       image_keys = ?, completed_at = ? WHERE id = ?`,
  ).bind(JSON.stringify(f.error), f.error.request_id, images.length ? JSON.stringify(images) : null, f.completedAt, id);
  if (!images.length) {
    if (also.length) await env.DB.batch([fail, ...also]);
    else await fail.run();
    return;
  }
  const { statement: usage } = usageInsert(env, {
    team: owner.team,
    member: owner.member,
    tokenId: owner.tokenId,
    model: f.model,
    images: images.length,
    ...(f.usage ? { usage: f.usage } : {}),
    jobId: id,
  });
  await env.DB.batch([usage, fail, ...also]);
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
