import type { Context, MiddlewareHandler } from "hono";
import { attempt, clientKey, readMember } from "../lib/auth-limit.ts";
import { nowSeconds } from "../lib/clock.ts";
import { adminToken } from "../lib/config-check.ts";
import type { AppEnv, Member } from "../lib/context.ts";
import { HttpError } from "../lib/errors.ts";
import { releaseAfterResponse } from "../lib/quota.ts";
import { assertSameOrigin, readSession, sessionSecret } from "../lib/session.ts";
import { noCredential } from "../lib/token-repo.ts";
import { hashToken, timingSafeEqual } from "../lib/tokens.ts";
import { BODY_LIMITS, checkedPast } from "./body-limit.ts";

/** The bearer credential of a request, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  return m?.[1];
}

/** The client a wrong token from this request counts against (see lib/auth-limit.ts). */
export const clientOf = (c: Context<AppEnv>): string => clientKey(c.req.header("CF-Connecting-IP"));

/**
 * Member authentication: `Authorization: Bearer gpi_…` is hashed (SHA-256) and looked up in D1;
 * with no Authorization header at all, the console's session cookie stands for the token it was
 * opened with (checked against cross-site use first), the session and its token read in one
 * statement. Sets `c.var.member`; answers 401 in OpenAI's error shape when the token is missing,
 * unknown, revoked or expired (or the session unknown or expired), 403 for an admin's session,
 * 429 for a bearer token from a client past its limit of unknown tokens (lib/auth-limit.ts, read
 * in the same D1 batch as the token).
 * Where `defer` says so, only the credential is set (`c.var.credential`): the route reads the
 * token in its own D1 batch (`admitImageRequest`), or through `authenticate`; a body larger than
 * a JSON body's limit (1 MiB: an edit's images) waits for the token past that point, so no body
 * over 1 MiB is read for a caller whose token does not pass. Once the response
 * is complete, releases the quota hold `enforceQuota` took (see `releaseAfterResponse`).
 * @example
 * app.use("/v1/*", memberAuth());
 */
export function memberAuth(options: { defer?: (c: Context<AppEnv>) => boolean } = {}): MiddlewareHandler<AppEnv> {
  const defer = options.defer ?? (() => false);
  return async (c, next) => {
    const header = c.req.header("Authorization");
    const token = bearerToken(header);
    if (token) {
      c.set("credential", { by: "hash", value: await hashToken(token), client: clientOf(c) });
    } else if (header === undefined) {
      const secret = sessionSecret(c);
      if (!secret) throw noCredential();
      assertSameOrigin(c);
      c.set("credential", { by: "session", value: await hashToken(secret) });
    } else {
      throw new HttpError(401, "auth", "missing token: send an Authorization header with a member token (gpi_…)");
    }
    if (!defer(c)) await authenticate(c);
    // deferred, the token is still read before more than a JSON body's worth (an edit's images)
    else c.req.raw = checkedPast(c.req.raw, BODY_LIMITS.json, () => authenticate(c));
    try {
      await next();
    } finally {
      const hold = c.get("quotaHold");
      if (hold !== undefined) releaseAfterResponse(c, hold);
    }
  };
}

/**
 * The member behind the request's credential, read from D1 once (a deferred `memberAuth` leaves
 * it unread); throws 401 or 403 as `memberAuth` does.
 */
export async function authenticate(c: Context<AppEnv>): Promise<Member> {
  const known = c.get("member");
  if (known) return known;
  const member = await readMember(c.env.DB, c.get("credential"), nowSeconds());
  c.set("member", member);
  return member;
}

/**
 * What an admin session records of the admin token it was opened with: a tag of its SHA-256, so
 * rotating `ADMIN_TOKEN` ends every admin session.
 */
export const adminFingerprint = async (adminToken: string): Promise<string> =>
  `admin:${(await hashToken(`console-session:${adminToken}`)).slice(0, 32)}`;

/**
 * Admin authentication: constant-time comparison with the `ADMIN_TOKEN` secret. Fails closed
 * (401 for everyone) when the secret is unset, empty or too short to stand guessing (`adminToken`).
 * A bearer token costs one D1 round trip (its client's window of failed attempts, counting a wrong
 * one): past `AUTH_FAILURE_LIMIT` wrong tokens a client is refused with 429 (lib/auth-limit.ts).
 * @example
 * app.use("/admin/*", adminAuth());
 */
export function adminAuth(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const expected = adminToken(c.env);
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
    const ok = (await timingSafeEqual(given ?? "", expected ?? "")) && expected !== undefined;
    // a sent token is an attempt: a wrong one counts, and a locked-out client's right one is refused too
    if (given !== undefined) await attempt(c.env.DB, clientOf(c), nowSeconds(), !ok);
    if (!given || !ok) throw new HttpError(401, "auth", "admin token required");
    await next();
  };
}
