/**
 * Console sessions: a member or admin token is exchanged once for a random session secret kept in
 * an HttpOnly cookie. D1 stores only the secret's SHA-256. A member session resolves to its token
 * on every request, so revoking or expiring the token ends the session at once.
 */

import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { nowSeconds } from "./clock.ts";
import type { AppEnv } from "./context.ts";
import { HttpError } from "./errors.ts";
import { base64url, hashToken } from "./tokens.ts";

/** Name of the session cookie. */
export const SESSION_COOKIE = "gptimg_session";
/** How long a session lives at most: twelve hours. */
export const SESSION_TTL_SECONDS = 12 * 3600;

export type SessionRole = "member" | "admin";

export interface SessionRow {
  role: SessionRole;
  token_id: string | null;
  expires_at: number;
}

/** Whether a request came to a loopback host, where cookies go without `Secure` (plain http). */
export function isLocalhost(url: string): boolean {
  const host = new URL(url).hostname;
  return host === "localhost" || host === "127.0.0.1" || host === "[::1]" || host.endsWith(".localhost");
}

/**
 * Creates a session and sets its cookie: HttpOnly, SameSite=Strict, Path=/, Max-Age no longer
 * than the session, Secure everywhere but localhost.
 */
export async function startSession(
  c: Context<AppEnv>,
  role: SessionRole,
  tokenId: string | null,
  tokenExpiresAt: number | null,
): Promise<{ expiresAt: number }> {
  const secret = `gps_${base64url(crypto.getRandomValues(new Uint8Array(32)))}`;
  const now = nowSeconds();
  const expiresAt = Math.min(now + SESSION_TTL_SECONDS, tokenExpiresAt ?? Number.POSITIVE_INFINITY);
  // sign-in is also when expired sessions are swept, so the table does not grow without bound
  await c.env.DB.batch([
    c.env.DB.prepare("DELETE FROM console_sessions WHERE expires_at <= ?").bind(now),
    c.env.DB.prepare(
      "INSERT INTO console_sessions (id_hash, role, token_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
    ).bind(await hashToken(secret), role, tokenId, now, expiresAt),
  ]);
  setCookie(c, SESSION_COOKIE, secret, {
    httpOnly: true,
    secure: !isLocalhost(c.req.url),
    sameSite: "Strict",
    path: "/",
    maxAge: expiresAt - now,
  });
  return { expiresAt };
}

/** The session secret the request's cookie carries, if it is well-formed (not yet looked up). */
export function sessionSecret(c: Context<AppEnv>): string | null {
  const secret = getCookie(c, SESSION_COOKIE);
  return secret && /^gps_[A-Za-z0-9_-]{43}$/.test(secret) ? secret : null;
}

/** The live session behind the request's cookie, or null (no cookie, unknown, expired). */
export async function readSession(c: Context<AppEnv>): Promise<SessionRow | null> {
  const secret = sessionSecret(c);
  if (!secret) return null;
  const row = await c.env.DB.prepare("SELECT role, token_id, expires_at FROM console_sessions WHERE id_hash = ?")
    .bind(await hashToken(secret))
    .first<SessionRow>();
  if (!row || row.expires_at <= nowSeconds()) return null;
  return row;
}

/** Ends the request's session server-side and clears its cookie. */
export async function endSession(c: Context<AppEnv>): Promise<void> {
  const secret = getCookie(c, SESSION_COOKIE);
  if (secret) {
    await c.env.DB.prepare("DELETE FROM console_sessions WHERE id_hash = ?")
      .bind(await hashToken(secret))
      .run();
  }
  deleteCookie(c, SESSION_COOKIE, { path: "/", secure: !isLocalhost(c.req.url), sameSite: "Strict", httpOnly: true });
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * CSRF check for a request authenticated by the session cookie: a state-changing method must come
 * from this origin, as the browser states in `Origin` (or, lacking it, `Sec-Fetch-Site`). A
 * request that states neither is refused too: every browser that runs the console sends one.
 * SameSite=Strict already keeps the cookie off cross-site requests; this is the second lock.
 */
export function assertSameOrigin(c: Context<AppEnv>): void {
  if (SAFE_METHODS.has(c.req.method)) return;
  const origin = c.req.header("Origin");
  const site = c.req.header("Sec-Fetch-Site");
  const own = new URL(c.req.url).origin;
  const ok = origin !== undefined ? origin === own : site === "same-origin";
  if (!ok) {
    throw new HttpError(
      403,
      "permission",
      `cross-site request refused: a ${c.req.method} with the console's session cookie must come from ${own} (Origin was ${origin ?? "absent"})`,
    );
  }
}
