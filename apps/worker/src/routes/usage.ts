import { ValidationError } from "@gptimg/core";
import { Hono } from "hono";
import type { AppEnv } from "../lib/context.ts";
import { queryUsage } from "../lib/usage.ts";
import { parseDayRange, parseGroupBy } from "./dates.ts";

/**
 * `GET /v1/usage?from&to&scope=member|team&group_by=day`: the caller's own usage (default) or the
 * whole team's, per member and model, and per day with `group_by=day`.
 */
export const usageRouter = new Hono<AppEnv>();

usageRouter.get("/", async (c) => {
  const member = c.get("member");
  const { from, to } = parseDayRange(c.req.query("from"), c.req.query("to"));
  const byDay = parseGroupBy(c.req.query("group_by"));
  const scope = c.req.query("scope") ?? "member";
  if (scope !== "member" && scope !== "team") {
    throw new ValidationError([{ field: "scope", value: scope, rule: 'must be "member" or "team"' }]);
  }
  const rows = await queryUsage(c.env, {
    from,
    to,
    team: member.team,
    byDay,
    ...(scope === "member" ? { member: member.member } : {}),
  });
  return c.json({ object: "usage", from, to, rows });
});
