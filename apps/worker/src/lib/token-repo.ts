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

/**
 * How a request names its token: by the SHA-256 of the bearer token itself, or by the SHA-256 of
 * a console session's secret (the session stands for the member token it was opened with).
 */
export interface TokenRef {
  by: "hash" | "session";
  value: string;
  /**
   * for a token sent by the caller (`by: "hash"`), the client a wrong one counts against
   * (`clientKey` of lib/auth-limit.ts); a session's secret is never guessed this way
   */
  client?: string;
}

/*
 * Fragments for statements of other tables that are conditioned on a token in the same
 * transaction (admission's one batch): `?N` is the parameter holding the `TokenRef`'s value. A
 * session names its token only while it is a member's; its expiry is checked where the token's
 * liveness is (`fromLiveTokenSql`), which every write of admission depends on.
 */

/** SQL condition: `<alias>` is the token `ref` names, its value in ?n. */
const tokenMatchSql = (alias: string, n: number, by: TokenRef["by"]) =>
  by === "hash"
    ? `${alias}.token_hash = ?${n}`
    : `${alias}.id = (SELECT token_id FROM console_sessions WHERE id_hash = ?${n} AND role = 'member')`;

/** `FROM tokens <alias> WHERE <alias> is the token named by ?n`. */
export const fromTokenSql = (alias: string, n: number, by: TokenRef["by"]) =>
  `FROM tokens ${alias} WHERE ${tokenMatchSql(alias, n, by)}`;

/**
 * `fromTokenSql`, narrowed to a token that is live at ?now (not revoked, not expired, and named
 * by a session that has not expired) and, when `model` is given, may use ?model: the SQL form of
 * `tokenRefusal` plus the model allow-list.
 */
export const fromLiveTokenSql = (alias: string, n: number, by: TokenRef["by"], now: number, model?: number) =>
  `${fromTokenSql(alias, n, by)} AND ${alias}.revoked_at IS NULL
   AND (${alias}.expires_at IS NULL OR ${alias}.expires_at > ?${now})${
     by === "session"
       ? `
   AND EXISTS (SELECT 1 FROM console_sessions WHERE id_hash = ?${n} AND expires_at > ?${now})`
       : ""
   }${
     model === undefined
       ? ""
       : `
   AND (${alias}.models IS NULL OR EXISTS (SELECT 1 FROM json_each(${alias}.models) WHERE json_each.value = ?${model}))`
   }`;

/** SQL condition: no token's hash is ?n (a sent token that was never issued). */
export const noSuchTokenSql = (n: number) => `NOT EXISTS (SELECT 1 FROM tokens WHERE token_hash = ?${n})`;

/** A scalar subquery: `column` of the token named by ?n. */
export const tokenColumnSql = (column: "id" | "rpm", n: number, by: TokenRef["by"]) =>
  `(SELECT ${column} FROM tokens WHERE ${tokenMatchSql("tokens", n, by)})`;

/** A token row as a `TokenRef` reads it: through a session, with the session's role and expiry. */
export type TokenReadRow = Partial<TokenRow> & { session_role?: string; session_expires_at?: number };

/**
 * The statement reading the token `ref` names (for a batch; `readToken` runs it): through a
 * session, one join of the session and its token.
 */
export const tokenReadStatement = (db: D1Database, ref: TokenRef) =>
  ref.by === "hash"
    ? db.prepare(`SELECT ${TOKEN_COLUMNS} FROM tokens WHERE token_hash = ?`).bind(ref.value)
    : db
        .prepare(
          `SELECT s.role AS session_role, s.expires_at AS session_expires_at, ${TOKEN_COLUMNS.split(", ")
            .map((col) => `t.${col}`)
            .join(", ")}
           FROM console_sessions s LEFT JOIN tokens t ON t.id = s.token_id WHERE s.id_hash = ?`,
        )
        .bind(ref.value);

/** The 401 of a request with no credential (no Authorization header, no live session). */
export const noCredential = () =>
  new HttpError(401, "auth", "missing token: send an Authorization header with a member token (gpi_…)");

/**
 * The member a token read yields at `now`, or the refusal: as `tokenRefusal`, and through a
 * session, 401 when the session is unknown or expired, 403 when it is an admin's.
 */
export function memberFromRead(row: TokenReadRow | undefined, ref: TokenRef, now: number): Member {
  if (ref.by === "session") {
    if (!row || (row.session_expires_at ?? 0) <= now) throw noCredential();
    if (row.session_role !== "member") {
      throw new HttpError(
        403,
        "permission",
        "this console session is an admin's: sign in with a member token to use /v1",
      );
    }
  }
  const token = row?.id == null ? undefined : (row as TokenRow);
  const refusal = tokenRefusal(token, now);
  if (refusal) throw refusal;
  return toMember(token as TokenRow);
}

/** The token with id `id`, or null. */
export const tokenById = (db: D1Database, id: string): Promise<TokenRow | null> =>
  db.prepare(`SELECT ${TOKEN_COLUMNS} FROM tokens WHERE id = ?`).bind(id).first<TokenRow>();

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
