import { Hono } from "hono";
import type { AppEnv } from "../../lib/context.ts";
import { components } from "./components.ts";
import { consolePaths, consoleSchemas } from "./console.ts";
import { paths } from "./paths.ts";

/**
 * `paths` with a 429 on every operation that takes a token (a `security` requirement): a client
 * locked out for wrong tokens is refused there, the right token too (lib/auth-limit.ts).
 */
function withLockout<T extends object>(all: T): T {
  return Object.fromEntries(
    Object.entries(all).map(([path, ops]) => [
      path,
      Object.fromEntries(
        Object.entries(ops as Record<string, { security?: unknown[]; responses: Record<string, unknown> }>).map(
          ([method, op]) => [
            method,
            op.security?.length && !op.responses["429"]
              ? { ...op, responses: { ...op.responses, "429": { $ref: "#/components/responses/Error" } } }
              : op,
          ],
        ),
      ),
    ]),
  ) as T;
}

/** The OpenAPI 3.1 description of every route, hand-written beside the code it describes. */
export const openapiDocument = {
  openapi: "3.1.0",
  info: {
    title: "gptimg Worker",
    version: "0.1.0",
    description: "OpenAI-compatible image gateway: images, jobs, signed files, tokens, usage and chat webhooks.",
  },
  paths: withLockout({ ...paths, ...consolePaths }),
  components: { ...components, schemas: { ...components.schemas, ...consoleSchemas } },
} as const;

/** `GET /openapi.json` */
export const openapiRouter = new Hono<AppEnv>();
openapiRouter.get("/", (c) => c.json(openapiDocument));
