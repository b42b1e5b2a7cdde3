import { ValidationError } from "@gptimg/core";
import { Hono } from "hono";
import { createJob } from "../../jobs/create.ts";
import { parseJobBody } from "../../jobs/parse.ts";
import { getJob, getJobByIdempotencyKey, isStale, listJobs, sweepStaleJobs } from "../../jobs/repo.ts";
import { jobView } from "../../jobs/view.ts";
import type { AppEnv } from "../../lib/context.ts";
import { HttpError } from "../../lib/errors.ts";
import { requestDefaults } from "../../lib/model-rules.ts";
import { enforceQuota } from "../../lib/quota.ts";
import { memberAuth } from "../../middleware/auth.ts";
import { jobEvents } from "./events.ts";

/**
 * `/v1/jobs`: start an image job (202 at once), read one, watch one (SSE), list the team's.
 * Members read every job of their team (a team shares one endpoint and one bill, and
 * `GET /v1/jobs` is the team's history); `scope=member` narrows a list to the caller's own.
 * Another team's job is a 404, never a 403, so ids reveal nothing.
 * @example
 * app.route("/v1/jobs", jobsRouter);
 */
export const jobsRouter = new Hono<AppEnv>();

// Authenticate unless the app already did (it may mount memberAuth on all of /v1).
jobsRouter.use("*", async (c, next) => (c.get("member") ? next() : memberAuth()(c, next)));

const originOf = (url: string) => new URL(url).origin;

jobsRouter.post("/", async (c) => {
  const member = c.get("member");
  const key = c.req.header("Idempotency-Key");
  const parsed = await parseJobBody(c.req, requestDefaults(c));
  // A retried POST for a job that exists is not a new request: it must not hit the quota again.
  const known = key ? await getJobByIdempotencyKey(c.env.DB, member, key) : null;
  const { request } = parsed;
  const { job, created } = await createJob(c.env, {
    ...(known ? {} : { admit: () => enforceQuota(c, request.model ?? c.env.PROVIDER_MODEL, request.n ?? 1) }),
    member,
    kind: parsed.kind,
    request: parsed.request,
    inputs: parsed.inputs,
    ...(parsed.mask ? { mask: parsed.mask } : {}),
    ...(key !== undefined ? { idempotencyKey: key } : {}),
    ...(parsed.callbackUrl !== undefined ? { callbackUrl: parsed.callbackUrl } : {}),
    origin: originOf(c.req.url),
  });
  if (!created) return c.json(await jobView(c.env, job, originOf(c.req.url)), 200);
  return c.json(
    { id: job.id, object: "image.job", status: job.status, kind: job.kind, created_at: job.created_at },
    202,
  );
});

/** The caller's team's job, or a 404. */
async function ownJob(c: { env: AppEnv["Bindings"]; get: (k: "member") => AppEnv["Variables"]["member"] }, id: string) {
  let row = await getJob(c.env.DB, id);
  if (!row || row.team !== c.get("member").team)
    throw new HttpError(404, "not_found", `job ${id} not found`, { param: "id" });
  if (isStale(row)) {
    await sweepStaleJobs(c.env);
    row = (await getJob(c.env.DB, id)) ?? row;
  }
  return row;
}

jobsRouter.get("/:id", async (c) => {
  const row = await ownJob(c, c.req.param("id"));
  return c.json(await jobView(c.env, row, originOf(c.req.url)));
});

jobsRouter.get("/:id/events", async (c) => {
  const row = await ownJob(c, c.req.param("id"));
  return jobEvents(c, row.id, originOf(c.req.url));
});

const MAX_LIMIT = 100;

function decodeCursor(cursor: string): { createdAt: number; id: string } {
  try {
    const [t, id] = atob(cursor.replace(/-/g, "+").replace(/_/g, "/")).split(":");
    const createdAt = Number(t);
    if (Number.isInteger(createdAt) && id) return { createdAt, id };
  } catch {
    // fall through to the validation error
  }
  throw new ValidationError([
    { field: "cursor", value: cursor, rule: "must be a next_cursor returned by this endpoint" },
  ]);
}

const encodeCursor = (createdAt: number, id: string) =>
  btoa(`${createdAt}:${id}`).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

jobsRouter.get("/", async (c) => {
  const member = c.get("member");
  const limitText = c.req.query("limit") ?? "20";
  const scope = c.req.query("scope") ?? "team";
  const cursor = c.req.query("cursor");
  const limit = Number(limitText);
  const issues = [];
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT)
    issues.push({ field: "limit", value: limitText, rule: `must be an integer from 1 to ${MAX_LIMIT}` });
  if (scope !== "team" && scope !== "member")
    issues.push({ field: "scope", value: scope, rule: "must be team or member" });
  if (issues.length) throw new ValidationError(issues);
  const query = {
    team: member.team,
    ...(scope === "member" ? { member: member.member } : {}),
    limit: limit + 1,
    ...(cursor ? { after: decodeCursor(cursor) } : {}),
  };
  let rows = await listJobs(c.env.DB, query);
  if (rows.some((r) => isStale(r))) {
    await sweepStaleJobs(c.env);
    rows = await listJobs(c.env.DB, query);
  }
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  const origin = originOf(c.req.url);
  return c.json({
    object: "list",
    data: await Promise.all(page.map((r) => jobView(c.env, r, origin))),
    next_cursor: rows.length > limit && last ? encodeCursor(last.created_at, last.id) : null,
  });
});
