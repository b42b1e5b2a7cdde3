import { Hono } from "hono";
import type { AppEnv } from "../lib/context.ts";
import { HttpError } from "../lib/errors.ts";
import { configuredModels } from "../lib/provider.ts";
import { modelAllowed } from "../lib/quota.ts";

const modelObject = (id: string) => ({ id, object: "model", created: 0, owned_by: "gptimg" });

/**
 * `GET /v1/models` in OpenAI's list shape: the models this Worker is configured for (primary,
 * fallbacks, those with rates), filtered by the caller's allowed models; `GET /v1/models/:id` for one.
 */
export const modelsRouter = new Hono<AppEnv>();

modelsRouter.get("/", (c) => {
  const member = c.get("member");
  const data = configuredModels(c.env)
    .filter((m) => modelAllowed(member, m))
    .map(modelObject);
  return c.json({ object: "list", data });
});

modelsRouter.get("/:id", (c) => {
  const id = c.req.param("id");
  const member = c.get("member");
  if (!configuredModels(c.env).includes(id) || !modelAllowed(member, id)) {
    throw new HttpError(404, "not_found", `model ${id}: not available to this token`, { param: "model" });
  }
  return c.json(modelObject(id));
});
