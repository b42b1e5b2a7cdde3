import { Hono } from "hono";
import { attempt, unknownToken } from "../../lib/auth-limit.ts";
import { nowSeconds } from "../../lib/clock.ts";
import { adminToken } from "../../lib/config-check.ts";
import type { AppEnv } from "../../lib/context.ts";
import { HttpError } from "../../lib/errors.ts";
import { readJsonBody } from "../../lib/json-body.ts";
import { assertSameOrigin, endSession, readSession, startSession } from "../../lib/session.ts";
import { parseModels, type TokenRow, tokenById, tokenReadStatement } from "../../lib/token-repo.ts";
import { hashToken, timingSafeEqual } from "../../lib/tokens.ts";
import { adminFingerprint, bearerToken, clientOf } from "../../middleware/auth.ts";

const memberView = (row: TokenRow, expiresAt: number) => ({
  object: "console.session",
  role: "member" as const,
  team: row.team,
  member: row.member,
  models: parseModels(row.models),
  daily_image_quota: row.daily_image_quota,
  rpm: row.rpm,
  expires_at: expiresAt,
});

const adminView = (expiresAt: number) => ({ object: "console.session", role: "admin" as const, expires_at: expiresAt });

/** A token row that can sign in, or the reason it cannot. */
function refuse(row: TokenRow | null): string | null {
  if (!row) return "invalid token: check it was copied whole (it starts with gpi_) or ask your admin for a new one";
  if (row.revoked_at !== null) return "token revoked: ask your admin for a new one";
  if (row.expires_at !== null && row.expires_at <= nowSeconds()) return "token expired: ask your admin for a new one";
  return null;
}

/**
 * `/console/api/session`: the console's sign-in. `POST {"token"}` exchanges a member token or the
 * admin token for a session cookie (429 from a client locked out for wrong tokens, see
 * lib/auth-limit.ts), `GET` says who is signed in, `DELETE` signs out server-side.
 * Every state change must come from the console's own origin.
 */
export const sessionRouter = new Hono<AppEnv>();

sessionRouter.post("/", async (c) => {
  assertSameOrigin(c);
  const body = await readJsonBody(c.req);
  const token = (body as { token?: unknown } | null)?.token;
  if (typeof token !== "string" || token.trim() === "") {
    throw new HttpError(400, "validation", "token: must be a member token (gpi_…) or the admin token", {
      param: "token",
    });
  }
  const given = token.trim();
  const admin = adminToken(c.env);
  const isAdmin = admin !== undefined && (await timingSafeEqual(given, admin));
  const hash = await hashToken(given);
  // one batch: a locked-out client is refused, the right token too; an unknown token counts (lib/auth-limit.ts)
  const [read] = await attempt(
    c.env.DB,
    clientOf(c),
    nowSeconds(),
    isAdmin ? false : unknownToken(hash),
    isAdmin ? [] : [tokenReadStatement(c.env.DB, { by: "hash", value: hash })],
  );
  if (admin && isAdmin) {
    const { expiresAt } = await startSession(c, "admin", await adminFingerprint(admin), null);
    return c.json(adminView(expiresAt), 201);
  }
  const row = (read?.results[0] as TokenRow | undefined) ?? null;
  const reason = refuse(row);
  if (reason || !row) throw new HttpError(401, "auth", reason ?? "invalid token", { param: "token" });
  const { expiresAt } = await startSession(c, "member", row.id, row.expires_at);
  return c.json(memberView(row, expiresAt), 201);
});

sessionRouter.get("/", async (c) => {
  const session = c.req.header("Authorization") === undefined ? await readSession(c) : null;
  if (!session) throw new HttpError(401, "auth", "not signed in: sign in with your token");
  if (session.role === "admin") {
    const admin = adminToken(c.env);
    if (!admin || session.token_id !== (await adminFingerprint(admin)))
      throw new HttpError(401, "auth", "session ended: the admin token changed; sign in again");
    return c.json(adminView(session.expires_at));
  }
  const row = session.token_id ? await tokenById(c.env.DB, session.token_id) : null;
  const reason = refuse(row);
  if (reason || !row) throw new HttpError(401, "auth", reason ?? "invalid token");
  return c.json(memberView(row, session.expires_at));
});

sessionRouter.delete("/", async (c) => {
  if (bearerToken(c.req.header("Authorization")) === undefined) assertSameOrigin(c);
  await endSession(c);
  return c.body(null, 204);
});
