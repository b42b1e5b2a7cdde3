/**
 * The `tokens` table: every statement that reads or writes it. A token is stored as its SHA-256
 * (`token_hash`), which no read here returns.
 */
import type { Member } from "./context.ts";
import { HttpError } from "./errors.ts";

/** A row of `tokens` as the Worker reads it (never `token_hash`). */
export interface TokenRow {
  id: string;
  team: string;
  member: string;
  /** JSON array of allowed models; null = every model */
  models: string | null;
  daily_image_quota: number | null;
  rpm: number | null;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
}

/** The columns of `TokenRow`, for SELECTs (the hash stays in the database). */
const TOKEN_COLUMNS = "id, team, member, models, daily_image_quota, rpm, created_at, expires_at, revoked_at";

/** The `models` column parsed: the allowed models, or null for every model. */
export function parseModels(models: string | null): string[] | null {
  if (models === null) return null;
  const parsed = JSON.parse(models) as unknown;
  return Array.isArray(parsed) ? parsed.filter((m): m is string => typeof m === "string") : [];
}

/** Why a token row (or its absence) does not authenticate at `now`, or undefined when it does. */
export function tokenRefusal(row: TokenRow | undefined, now: number): HttpError | undefined {
  if (!row) return new HttpError(401, "auth", "invalid token");
  if (row.revoked_at !== null) return new HttpError(401, "auth", "token revoked");
  if (row.expires_at !== null && row.expires_at <= now) return new HttpError(401, "auth", "token expired");
  return undefined;
}

/** A token row as the member it authenticates. */
export function toMember(row: TokenRow): Member {
  return {
    tokenId: row.id,
    team: row.team,
    member: row.member,
    models: parseModels(row.models),
    dailyImageQuota: row.daily_image_quota,
    rpm: row.rpm,
  };
}

/*
 * Fragments for statements of other tables that are conditioned on a token in the same
 * transaction (admission's one batch): `?N` is the parameter holding the token's hash.
 */

/** `FROM tokens <alias> WHERE <alias> is the token whose hash is ?hash`. */
export const fromTokenSql = (alias: string, hash: number) =>
  `FROM tokens ${alias} WHERE ${alias}.token_hash = ?${hash}`;

/**
 * `fromTokenSql`, narrowed to a token that is live at ?now (not revoked, not expired) and may use
 * ?model: the SQL form of `tokenRefusal` plus the model allow-list.
 */
export const fromLiveTokenSql = (alias: string, hash: number, now: number, model: number) =>
  `${fromTokenSql(alias, hash)} AND ${alias}.revoked_at IS NULL
   AND (${alias}.expires_at IS NULL OR ${alias}.expires_at > ?${now})
   AND (${alias}.models IS NULL OR EXISTS (SELECT 1 FROM json_each(${alias}.models) WHERE json_each.value = ?${model}))`;

/** A scalar subquery: `column` of the token whose hash is ?hash. */
export const tokenColumnSql = (column: "id" | "rpm", hash: number) =>
  `(SELECT ${column} FROM tokens WHERE token_hash = ?${hash})`;

/** The statement reading the token whose hash is `tokenHash` (for a batch; `tokenByHash` runs it). */
export const tokenByHashStatement = (db: D1Database, tokenHash: string) =>
  db.prepare(`SELECT ${TOKEN_COLUMNS} FROM tokens WHERE token_hash = ?`).bind(tokenHash);

/** The token whose hash is `tokenHash`, or null. */
export const tokenByHash = (db: D1Database, tokenHash: string): Promise<TokenRow | null> =>
  tokenByHashStatement(db, tokenHash).first<TokenRow>();

/** The token with id `id`, or null. */
export const tokenById = (db: D1Database, id: string): Promise<TokenRow | null> =>
  db.prepare(`SELECT ${TOKEN_COLUMNS} FROM tokens WHERE id = ?`).bind(id).first<TokenRow>();

/** The token with id `id` and its hash (a console session stands for the token it was opened with). */
export const tokenWithHashById = (db: D1Database, id: string) =>
  db
    .prepare(`SELECT ${TOKEN_COLUMNS}, token_hash FROM tokens WHERE id = ?`)
    .bind(id)
    .first<TokenRow & { token_hash: string }>();

/** Every token, by team then creation; or one team's, by creation. */
export async function listTokens(db: D1Database, team?: string): Promise<TokenRow[]> {
  const stmt = team
    ? db.prepare(`SELECT ${TOKEN_COLUMNS} FROM tokens WHERE team = ? ORDER BY created_at, rowid`).bind(team)
    : db.prepare(`SELECT ${TOKEN_COLUMNS} FROM tokens ORDER BY team, created_at, rowid`);
  return (await stmt.all<TokenRow>()).results;
}

/** A new token's row: its hash, never the token. */
export interface NewToken {
  id: string;
  tokenHash: string;
  team: string;
  member: string;
  models: string[] | null;
  dailyImageQuota: number | null;
  rpm: number | null;
  createdAt: number;
  expiresAt: number | null;
}

/** Stores a new token. */
export async function insertToken(db: D1Database, t: NewToken): Promise<void> {
  await db
    .prepare(
      `INSERT INTO tokens (id, token_hash, team, member, models, daily_image_quota, rpm, created_at, expires_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .bind(
      t.id,
      t.tokenHash,
      t.team,
      t.member,
      t.models && JSON.stringify(t.models),
      t.dailyImageQuota,
      t.rpm,
      t.createdAt,
      t.expiresAt,
    )
    .run();
}

/**
 * Revokes token `id` at `now` (a token revoked earlier keeps its first revocation time) and
 * returns its row, or null when there is no such token. Every later request reads the revocation.
 */
export async function revokeToken(db: D1Database, id: string, now: number): Promise<TokenRow | null> {
  const [, read] = await db.batch<TokenRow>([
    db.prepare("UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL").bind(now, id),
    db.prepare(`SELECT ${TOKEN_COLUMNS} FROM tokens WHERE id = ?`).bind(id),
  ]);
  return read?.results[0] ?? null;
}
