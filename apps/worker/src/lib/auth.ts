import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv, Member } from "./context.ts";
import { HttpError } from "./errors.ts";
import { hashToken, timingSafeEqual } from "./tokens.ts";

interface TokenRow {
  id: string;
  team: string;
  member: string;
  models: string | null;
  daily_image_quota: number | null;
  rpm: number | null;
  expires_at: number | null;
  revoked_at: number | null;
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
 * revoked or expired.
 * @example
 * app.use("/v1/*", memberAuth());
 */
export function memberAuth(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const token = bearerToken(c.req.header("Authorization"));
    if (!token)
      throw new HttpError(401, "auth", "missing token: send an Authorization header with a member token (gpi_…)");
    const row = await c.env.DB.prepare(
      "SELECT id, team, member, models, daily_image_quota, rpm, expires_at, revoked_at FROM tokens WHERE token_hash = ?",
    )
      .bind(await hashToken(token))
      .first<TokenRow>();
    if (!row) throw new HttpError(401, "auth", "invalid token");
    if (row.revoked_at !== null) throw new HttpError(401, "auth", "token revoked");
    if (row.expires_at !== null && row.expires_at <= nowSeconds()) throw new HttpError(401, "auth", "token expired");
    c.set("member", toMember(row));
    await next();
  };
}

function toMember(row: TokenRow): Member {
  let models: string[] | null = null;
  if (row.models !== null) {
    const parsed = JSON.parse(row.models) as unknown;
    models = Array.isArray(parsed) ? parsed.filter((m): m is string => typeof m === "string") : [];
  }
  return {
    tokenId: row.id,
    team: row.team,
    member: row.member,
    models,
    dailyImageQuota: row.daily_image_quota,
    rpm: row.rpm,
  };
}

/**
 * Admin authentication: constant-time comparison with the `ADMIN_TOKEN` secret. Fails closed
 * (401 for everyone) when the secret is unset or empty.
 * @example
 * app.use("/admin/*", adminAuth());
 */
export function adminAuth(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const expected = c.env.ADMIN_TOKEN;
    const given = bearerToken(c.req.header("Authorization"));
    // compare even when absent so the timing does not reveal whether ADMIN_TOKEN is configured
    const ok = await timingSafeEqual(given ?? "", expected ?? "");
    if (!expected || !given || !ok) throw new HttpError(401, "auth", "admin token required");
    await next();
  };
}

/** Whether a member's token may use `model`. */
export const modelAllowed = (member: Member, model: string): boolean =>
  member.models === null || member.models.includes(model);

/** `YYYY-MM-DD` of a unix-seconds instant, in UTC. */
export const utcDay = (seconds: number): string => new Date(seconds * 1000).toISOString().slice(0, 10);

/**
 * Checks one image request of `n` images for `model` against the caller's token, in this order:
 * model allowed (403 `permission`), images left today (429 `quota_exceeded`; counts the usage
 * recorded so far for this token in the current UTC day), requests this minute (429
 * `rate_limited` with Retry-After). The rpm limit is a fixed one-minute window counted in D1
 * (`rate_windows`): one atomic upsert per request, exact across isolates, no Durable Object.
 * @example
 * await enforceQuota(c, model, n);
 */
export async function enforceQuota(c: Context<AppEnv>, model: string, n: number): Promise<void> {
  const member = c.get("member");
  if (!modelAllowed(member, model)) {
    throw new HttpError(403, "permission", `model ${model}: not allowed for this token`, { param: "model" });
  }
  const now = nowSeconds();
  if (member.dailyImageQuota !== null) {
    const used = await c.env.DB.prepare(
      "SELECT COALESCE(SUM(images), 0) AS used FROM usage WHERE token_id = ? AND day = ?",
    )
      .bind(member.tokenId, utcDay(now))
      .first<{ used: number }>();
    const left = member.dailyImageQuota - (used?.used ?? 0);
    if (n > left) {
      throw new HttpError(
        429,
        "quota_exceeded",
        `daily image quota of ${member.dailyImageQuota} reached: ${Math.max(0, left)} left today (UTC), ${n} requested`,
        { param: "n" },
      );
    }
  }
  if (member.rpm !== null) {
    const windowStart = now - (now % 60);
    const [, counted] = await c.env.DB.batch<{ count: number }>([
      c.env.DB.prepare("DELETE FROM rate_windows WHERE token_id = ? AND window_start < ?").bind(
        member.tokenId,
        windowStart,
      ),
      c.env.DB.prepare(
        "INSERT INTO rate_windows (token_id, window_start, count) VALUES (?, ?, 1) " +
          "ON CONFLICT (token_id, window_start) DO UPDATE SET count = count + 1 RETURNING count",
      ).bind(member.tokenId, windowStart),
    ]);
    const count = counted?.results[0]?.count ?? 1;
    if (count > member.rpm) {
      const retryAfter = Math.max(1, windowStart + 60 - now);
      throw new HttpError(429, "rate_limited", `rate limit of ${member.rpm} requests per minute reached`, {
        headers: { "Retry-After": String(retryAfter) },
      });
    }
  }
}
