import { Hono } from "hono";
import type { AppEnv } from "../../lib/context.ts";
import { components } from "./components.ts";
import { consolePaths, consoleSchemas } from "./console.ts";
import { paths } from "./paths.ts";

/** The OpenAPI 3.1 description of every route, hand-written beside the code it describes. */
export const openapiDocument = {
  openapi: "3.1.0",
  info: {
    title: "gptimg Worker",
    version: "0.1.0",
    description: "OpenAI-compatible image gateway: images, jobs, signed files, tokens, usage and chat webhooks.",
  },
  paths: { ...paths, ...consolePaths },
  components: { ...components, schemas: { ...components.schemas, ...consoleSchemas } },
} as const;

/** `GET /openapi.json` */
export const openapiRouter = new Hono<AppEnv>();
openapiRouter.get("/", (c) => c.json(openapiDocument));
