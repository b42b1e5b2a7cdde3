import { type Context, Hono } from "hono";
import type { AppEnv } from "./lib/context.ts";
import { HttpError, toOpenAIError } from "./lib/errors.ts";
import { envSecrets } from "./lib/secrets.ts";
import { memberAuth } from "./middleware/auth.ts";
import { BODY_LIMITS, bodyLimit, jsonOrMultipart } from "./middleware/body-limit.ts";
import { drainBody } from "./middleware/drain-body.ts";
import { idempotency } from "./middleware/idempotency.ts";
import { adminRouter } from "./routes/admin.ts";
import { callbackSecretRouter } from "./routes/callback-secret.ts";
import { historyRouter, pagesRouter, SECURITY_HEADERS, sessionRouter } from "./routes/console/index.ts";
import { filesRouter } from "./routes/files.ts";
import { healthRouter } from "./routes/health.ts";
import { imagesRouter } from "./routes/images/index.ts";
import { jobsRouter } from "./routes/jobs/index.ts";
import { mcpRouter } from "./routes/mcp/index.ts";
import { modelsRouter } from "./routes/models.ts";
import { openapiRouter } from "./routes/openapi/index.ts";
import { usageRouter } from "./routes/usage.ts";
import { webhooksRouter } from "./webhooks/routes.ts";

/**
 * The gptimg Worker: one Hono app composed from small routers.
 * `/v1/*` needs a member token, `/admin/*` the admin token, `/files/*` a signature,
 * `/webhooks/*` each platform's own verification.
 */
export const app = new Hono<AppEnv>();

/** 413 in OpenAI's error shape. */
const tooLarge = (c: Context<AppEnv>, max: number, size: number | null) => {
  const err = new HttpError(
    413,
    "validation",
    `body${size === null ? "" : ` of ${size} bytes`}: must be at most ${max} bytes`,
    { param: "body" },
  );
  return c.json(toOpenAIError(err).body, 413);
};

// first, so it runs last: a body left unread by an early answer is read before the answer goes
app.use("*", drainBody(BODY_LIMITS.multipart));
// image requests read their token in the same D1 batch as their quota and job row (lib/admit.ts)
app.use("/v1/*", memberAuth({ defer: (c) => c.req.method === "POST" && c.req.path.startsWith("/v1/images/") }));
app.use("/v1/*", bodyLimit(jsonOrMultipart, tooLarge));
app.use(
  "/admin/*",
  bodyLimit(() => BODY_LIMITS.admin, tooLarge),
);
app.use(
  "/webhooks/*",
  bodyLimit(
    () => BODY_LIMITS.webhook,
    (c) => c.text("request body too large", 413),
  ),
);
app.use(
  "/console/api/*",
  bodyLimit(() => BODY_LIMITS.admin, tooLarge),
);
app.use("/console/*", async (c, next) => {
  await next();
  for (const [k, v] of Object.entries(SECURITY_HEADERS)) c.res.headers.set(k, v);
  c.res.headers.set("Cache-Control", c.res.headers.get("Cache-Control") ?? "no-store");
});
app.use("/console/api/history", memberAuth());
app.use("/console/api/thumbnails/*", memberAuth());
app.use("/v1/images/*", idempotency());
app.route("/v1/images", imagesRouter);
app.route("/v1/models", modelsRouter);
app.route("/v1/usage", usageRouter);
app.route("/v1/jobs", jobsRouter);
app.route("/v1/callback-secret", callbackSecretRouter);
app.route("/admin", adminRouter);
app.route("/files", filesRouter);
app.route("/webhooks", webhooksRouter);
app.route("/mcp", mcpRouter);
app.route("/healthz", healthRouter);
app.route("/openapi.json", openapiRouter);
app.route("/console/api/session", sessionRouter);
app.route("/console/api", historyRouter);
app.route("/", pagesRouter);

app.notFound((c) =>
  c.json(
    {
      error: {
        message: `${c.req.method} ${new URL(c.req.url).pathname}: no such route`,
        type: "invalid_request_error",
        code: "not_found",
        param: null,
      },
    },
    404,
  ),
);

app.onError((err, c) => {
  const secrets = envSecrets(c.env);
  const { status, body, headers } = toOpenAIError(err, secrets);
  if (status >= 500 && body.error.code === "internal") {
    // an unexpected failure: log its kind only; its message could quote anything, secrets included
    // a named problem (configuration, schema behind) carries no value: log what the caller sees
    const named = body.error.message === "internal error" ? "" : ` (${body.error.message})`;
    console.error(`internal error on ${c.req.method} ${c.req.routePath}: ${err.name}${named}`);
  }
  return c.json(body, status as 400, headers);
});
