import { ValidationError, type ValidationIssue } from "@gptimg/core";
import { Hono } from "hono";
import { nowSeconds } from "../lib/clock.ts";
import type { AppEnv } from "../lib/context.ts";
import { HttpError } from "../lib/errors.ts";
import { readJsonBody } from "../lib/json-body.ts";
import { insertToken, listTokens, parseModels, revokeToken, type TokenRow } from "../lib/token-repo.ts";
import { generateToken, hashToken, NAME_PATTERN, randomId } from "../lib/tokens.ts";
import { queryUsage } from "../lib/usage.ts";
import { adminAuth } from "../middleware/auth.ts";
import { parseDayRange, parseGroupBy } from "./dates.ts";

/**
 * The bounds `POST /admin/tokens` checks, which `/openapi.json` states: the longest lifetime
 * (ten years), the largest daily image quota and requests per minute, the longest model name.
 */
export const TOKEN_LIMITS = {
  expiresInDays: 3650,
  dailyImageQuota: 1_000_000,
  rpm: 100_000,
  modelName: 128,
} as const;
const FIELDS = new Set(["team", "member", "expires_in_days", "models", "daily_image_quota", "rpm"]);

const view = (r: TokenRow) => ({
  id: r.id,
  object: "token",
  team: r.team,
  member: r.member,
  models: parseModels(r.models),
  daily_image_quota: r.daily_image_quota,
  rpm: r.rpm,
  created_at: r.created_at,
  expires_at: r.expires_at,
  revoked_at: r.revoked_at,
});

/** The body of `POST /admin/tokens`, checked field by field. */
function parseTokenBody(body: unknown) {
  if (!body || typeof body !== "object" || Array.isArray(body)) {
    throw new ValidationError([{ field: "body", value: body, rule: "must be a JSON object" }]);
  }
  const b = body as Record<string, unknown>;
  const issues: ValidationIssue[] = [];
  for (const k of Object.keys(b))
    if (!FIELDS.has(k)) issues.push({ field: k, value: b[k], rule: "is not a known field" });
  for (const k of ["team", "member"] as const) {
    if (typeof b[k] !== "string" || !NAME_PATTERN.test(b[k] as string)) {
      issues.push({
        field: k,
        value: b[k],
        rule: "must be 1-64 characters of letters, digits, '.', '_' or '-', starting with a letter or digit",
      });
    }
  }
  const posInt = (k: string, max: number) => {
    const v = b[k];
    if (v === undefined || v === null) return;
    if (!Number.isInteger(v) || (v as number) < 1 || (v as number) > max)
      issues.push({ field: k, value: v, rule: `must be an integer from 1 to ${max}` });
  };
  posInt("expires_in_days", TOKEN_LIMITS.expiresInDays);
  posInt("daily_image_quota", TOKEN_LIMITS.dailyImageQuota);
  posInt("rpm", TOKEN_LIMITS.rpm);
  const models = b.models;
  if (models !== undefined && models !== null) {
    if (
      !Array.isArray(models) ||
      models.length === 0 ||
      !models.every((m) => typeof m === "string" && m.length > 0 && m.length <= TOKEN_LIMITS.modelName)
    ) {
      issues.push({
        field: "models",
        value: models,
        rule: `must be a non-empty array of model names (1-${TOKEN_LIMITS.modelName} characters each), or null for every model`,
      });
    }
  }
  if (issues.length) throw new ValidationError(issues);
  return {
    team: b.team as string,
    member: b.member as string,
    expiresInDays: (b.expires_in_days as number | null | undefined) ?? null,
    models: (models as string[] | null | undefined) ?? null,
    dailyImageQuota: (b.daily_image_quota as number | null | undefined) ?? null,
    rpm: (b.rpm as number | null | undefined) ?? null,
  };
}

/** Admin routes behind `ADMIN_TOKEN`: token create/list/revoke and usage reports. */
export const adminRouter = new Hono<AppEnv>();
adminRouter.use("*", adminAuth());

adminRouter.post("/tokens", async (c) => {
  const body = await readJsonBody(c.req);
  const t = parseTokenBody(body);
  const token = generateToken();
  const id = randomId("tok");
  const now = nowSeconds();
  const expiresAt = t.expiresInDays === null ? null : now + t.expiresInDays * 86400;
  await insertToken(c.env.DB, {
    id,
    tokenHash: await hashToken(token),
    team: t.team,
    member: t.member,
    models: t.models,
    dailyImageQuota: t.dailyImageQuota,
    rpm: t.rpm,
    createdAt: now,
    expiresAt,
  });
  return c.json(
    {
      id,
      object: "token",
      token,
      team: t.team,
      member: t.member,
      expires_at: expiresAt,
      models: t.models,
      daily_image_quota: t.dailyImageQuota,
      rpm: t.rpm,
      created_at: now,
    },
    201,
  );
});

adminRouter.get("/tokens", async (c) => {
  const tokens = await listTokens(c.env.DB, c.req.query("team") || undefined);
  return c.json({ object: "list", data: tokens.map(view) });
});

adminRouter.delete("/tokens/:id", async (c) => {
  const id = c.req.param("id");
  const now = nowSeconds();
  const row = await revokeToken(c.env.DB, id, now);
  if (!row) throw new HttpError(404, "not_found", `token ${id}: no such token`, { param: "id" });
  return c.json({ ...view(row), revoked: true });
});

adminRouter.get("/usage", async (c) => {
  const { from, to } = parseDayRange(c.req.query("from"), c.req.query("to"));
  const team = c.req.query("team");
  const byDay = parseGroupBy(c.req.query("group_by"));
  const rows = await queryUsage(c.env, { from, to, byDay, ...(team ? { team } : {}) });
  return c.json({ object: "usage", from, to, ...(team ? { team } : {}), rows });
});
