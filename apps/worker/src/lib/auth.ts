import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv, Member } from "./context.ts";
import { HttpError } from "./errors.ts";
import { releaseAfterResponse } from "./quota.ts";
import { assertSameOrigin, readSession } from "./session.ts";
import { hashToken, timingSafeEqual } from "./tokens.ts";

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
export const TOKEN_COLUMNS = "id, team, member, models, daily_image_quota, rpm, created_at, expires_at, revoked_at";

/** The `models` column parsed: the allowed models, or null for every model. */
export function parseModels(models: string | null): string[] | null {
  if (models === null) return null;
  const parsed = JSON.parse(models) as unknown;
  return Array.isArray(parsed) ? parsed.filter((m): m is string => typeof m === "string") : [];
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** The bearer credential of a request, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  return m?.[1];
}

/**
 * Member authentication: `Authorization: Bearer gpi_…` is hashed (SHA-256) and looked up in D1.
 * Sets `c.var.member`; answers 401 in OpenAI's error shape when the token is missing, unknown,
 * revoked or expired. Where `defer` says so, only the hash is set (`c.var.tokenHash`): the route
 * reads the token in its own D1 batch (`admitImageRequest`), or through `authenticate`. Once the response is complete, releases the quota hold `enforceQuota`
 * took (see `releaseAfterResponse`).
 * @example
 * app.use("/v1/*", memberAuth());
 */
export function memberAuth(options: { defer?: (c: Context<AppEnv>) => boolean } = {}): MiddlewareHandler<AppEnv> {
  const defer = options.defer ?? (() => false);
  return async (c, next) => {
    const header = c.req.header("Authorization");
    const token = bearerToken(header);
    if (token) {
      c.set("tokenHash", await hashToken(token));
      if (!defer(c)) await authenticate(c);
    } else if (header === undefined) {
      await sessionMember(c);
    } else {
      throw new HttpError(401, "auth", "missing token: send an Authorization header with a member token (gpi_…)");
    }
    try {
      await next();
    } finally {
      const hold = c.get("quotaHold");
      if (hold !== undefined) releaseAfterResponse(c, hold);
    }
  };
}

/**
 * The member behind the request's token, read from D1 once (a deferred `memberAuth` leaves it
 * unread); throws 401 as `memberAuth` does.
 */
export async function authenticate(c: Context<AppEnv>): Promise<Member> {
  const known = c.get("member");
  if (known) return known;
  const row = await c.env.DB.prepare(`SELECT ${TOKEN_COLUMNS} FROM tokens WHERE token_hash = ?`)
    .bind(c.get("tokenHash"))
    .first<TokenRow>();
  const refusal = tokenRefusal(row ?? undefined, nowSeconds());
  if (refusal) throw refusal;
  const member = toMember(row as TokenRow);
  c.set("member", member);
  return member;
}

/**
 * The console: with no Authorization header at all, a member's session cookie stands for the
 * token it was opened with (checked against cross-site use). Sets the token's hash and the member,
 * as a bearer token would; a revoked or expired token refuses its sessions too.
 */
async function sessionMember(c: Context<AppEnv>): Promise<void> {
  const session = await readSession(c);
  if (!session)
    throw new HttpError(401, "auth", "missing token: send an Authorization header with a member token (gpi_…)");
  if (session.role !== "member" || !session.token_id)
    throw new HttpError(
      403,
      "permission",
      "this console session is an admin's: sign in with a member token to use /v1",
    );
  assertSameOrigin(c);
  const row = await c.env.DB.prepare(`SELECT ${TOKEN_COLUMNS}, token_hash FROM tokens WHERE id = ?`)
    .bind(session.token_id)
    .first<TokenRow & { token_hash: string }>();
  const refusal = tokenRefusal(row ?? undefined, nowSeconds());
  if (refusal || !row) throw refusal;
  c.set("tokenHash", row.token_hash);
  c.set("member", toMember(row));
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
 * What an admin session records of the admin token it was opened with: a tag of its SHA-256, so
 * rotating `ADMIN_TOKEN` ends every admin session.
 */
export const adminFingerprint = async (adminToken: string): Promise<string> =>
  `admin:${(await hashToken(`console-session:${adminToken}`)).slice(0, 32)}`;

/**
 * Admin authentication: constant-time comparison with the `ADMIN_TOKEN` secret. Fails closed
 * (401 for everyone) when the secret is unset or empty.
 * @example
 * app.use("/admin/*", adminAuth());
 */
export function adminAuth(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const expected = c.env.ADMIN_TOKEN;
    const header = c.req.header("Authorization");
    if (header === undefined && expected) {
      // the console: an admin session cookie stands for the admin token
      const session = await readSession(c);
      if (session?.role === "admin" && session.token_id === (await adminFingerprint(expected))) {
        assertSameOrigin(c);
        return next();
      }
    }
    const given = bearerToken(header);
    // compare even when absent so the timing does not reveal whether ADMIN_TOKEN is configured
    const ok = await timingSafeEqual(given ?? "", expected ?? "");
    if (!expected || !given || !ok) throw new HttpError(401, "auth", "admin token required");
    await next();
  };
}
