import { Hono } from "hono";
import type { AppEnv } from "../lib/context.ts";

/** `GET /healthz`: 200 when D1 answers, 503 otherwise. No secrets, no configuration details. */
export const healthRouter = new Hono<AppEnv>();

healthRouter.get("/", async (c) => {
  let db = "ok";
  try {
    await c.env.DB.prepare("SELECT 1").first();
  } catch {
    db = "unavailable";
  }
  const ok = db === "ok";
  return c.json({ status: ok ? "ok" : "degraded", db, time: Math.floor(Date.now() / 1000) }, ok ? 200 : 503);
});
