import { createToolServer } from "@gptimg/mcp-tools";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { Hono } from "hono";
import type { AppEnv } from "../../lib/context.ts";
import { HttpError } from "../../lib/errors.ts";
import { memberAuth } from "../../middleware/auth.ts";
import { workerBackend } from "./backend.ts";

/** The Worker's version as MCP `serverInfo` reports it. */
const VERSION = "0.1.0";
/** A request body: room for data-URL edit inputs; larger inputs go by https URL. */
const MAX_BODY_BYTES = 24 * 1024 * 1024;

/**
 * `/mcp`: the gptimg MCP tools over Streamable HTTP (the SDK's web-standard transport, stateless:
 * each POST gets its own server, so any isolate can answer any request). Authenticated by the
 * member token like `/v1`; a missing or refused token is a 401 with `WWW-Authenticate: Bearer`.
 * A request from another page's Origin is a 403 (DNS rebinding).
 * @example
 * app.route("/mcp", mcpRouter);
 */
export const mcpRouter = new Hono<AppEnv>();

// MCP transports, security: a server MUST check Origin against DNS rebinding. Clients outside a
// browser send none; a page may call /mcp only from the Worker's own origin.
mcpRouter.use("*", async (c, next) => {
  const origin = c.req.header("Origin");
  const own = new URL(c.req.url).origin;
  if (origin !== undefined && origin !== own)
    throw new HttpError(
      403,
      "permission",
      `Origin ${origin}: /mcp answers requests from ${own} only (or with no Origin)`,
      {
        param: "Origin",
      },
    );
  await next();
});

mcpRouter.use("*", async (c, next) => {
  try {
    await memberAuth()(c, next);
  } catch (e) {
    if (!(e instanceof HttpError) || e.status !== 401) throw e;
    // RFC 6750 §3: say which scheme, and that a token given was refused
    const given = /^Bearer\s+\S/i.test(c.req.header("Authorization") ?? "");
    const challenge = `Bearer realm="gptimg"${given ? `, error="invalid_token", error_description="${e.message}"` : ""}`;
    throw new HttpError(401, "auth", e.message, { headers: { ...e.headers, "WWW-Authenticate": challenge } });
  }
});

mcpRouter.all("/", async (c) => {
  const server = createToolServer(workerBackend(c), {
    name: "gptimg-gateway",
    version: VERSION,
    ...(Number(c.env.MCP_MAX_RESULT_BYTES) > 0 ? { resultCap: Number(c.env.MCP_MAX_RESULT_BYTES) } : {}),
  });
  // stateless; edit inputs may come as data URLs, so bodies may be larger than the SDK's 4 MiB
  const transport = new WebStandardStreamableHTTPServerTransport({
    sessionIdGenerator: undefined,
    maxRequestBodySize: MAX_BODY_BYTES,
  });
  await server.connect(transport);
  return transport.handleRequest(c.req.raw);
});
