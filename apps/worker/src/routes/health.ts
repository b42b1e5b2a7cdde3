import { Hono } from "hono";
import { nowSeconds } from "../lib/clock.ts";
import { configProblems } from "../lib/config-check.ts";
import type { AppEnv } from "../lib/context.ts";
import { APPLY_MIGRATIONS, MIGRATIONS, missingMigrations } from "../lib/schema.ts";

/**
 * `GET /healthz`: 200 `ok` when D1 answers, its schema has every migration this build expects,
 * and the secrets are usable; otherwise 503 `degraded` with each problem named (a migration by
 * file name, a secret by name and rule, never a value).
 */
export const healthRouter = new Hono<AppEnv>();

healthRouter.get("/", async (c) => {
  const problems: string[] = [];
  let db = "ok";
  let missing: string[] = [];
  try {
    missing = await missingMigrations(c.env.DB);
  } catch {
    db = "unavailable";
    problems.push("DB: D1 does not answer");
  }
  if (missing.length)
    problems.push(
      `DB: schema behind by ${missing.length} migration(s) (${missing.join(", ")}): run ${APPLY_MIGRATIONS}`,
    );
  problems.push(...configProblems(c.env));
  const ok = problems.length === 0;
  return c.json(
    {
      status: ok ? "ok" : "degraded",
      db,
      schema: { expected: MIGRATIONS.length, missing },
      problems,
      time: nowSeconds(),
    },
    ok ? 200 : 503,
  );
});
