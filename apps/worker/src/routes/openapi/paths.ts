/** OpenAPI 3.1 paths of every route of the Worker, jobs and webhooks included. */

import { SKIP_MODEL_RULES_HEADER } from "../../lib/model-rule-override.ts";
import { NAME_PATTERN } from "../../lib/tokens.ts";
import { PLATFORMS } from "../../webhooks/platforms.ts";
import { TOKEN_LIMITS } from "../admin.ts";

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: unknown) => ({ "application/json": { schema } });
const errors = (...codes: number[]) =>
  Object.fromEntries(codes.map((c) => [String(c), { $ref: "#/components/responses/Error" }]));
const member = [{ member: [] }];
const admin = [{ admin: [] }];
const q = (name: string, description: string, schema: Record<string, unknown> = { type: "string" }) => ({
  name,
  in: "query",
  description,
  schema,
});
const imageErrors = errors(400, 401, 403, 409, 429, 502, 504);
const idempotencyKey = { name: "Idempotency-Key", in: "header", schema: { type: "string", maxLength: 255 } };
/** The request header of the image and job routes that lets the provider decide (lib/model-rules.ts). */
const skipModelRules = {
  name: SKIP_MODEL_RULES_HEADER,
  in: "header",
  description:
    "true: the request is checked and sent as for a model gptimg does not know, and the provider decides " +
    "what gptimg's model table would refuse (sizes, per-model values and limits); OpenAI's own limits still " +
    "apply. false: the table applies. Absent: the SKIP_MODEL_RULES var decides (default false). Any other " +
    "value is a 400.",
  schema: { type: "string", enum: ["true", "false"] },
};

const images = (op: string, summary: string, body: Record<string, unknown>) => ({
  post: {
    operationId: op,
    summary,
    security: member,
    parameters: [idempotencyKey, skipModelRules],
    requestBody: { required: true, content: body },
    responses: {
      "200": {
        description:
          "Images (b64_json by default, signed URLs with response_format=url), or an SSE stream with stream=true.",
        headers: {
          "Gptimg-Unsent-Options": {
            description:
              "Options the request set that the provider call leaves out, each with the reason " +
              "(`field=value (reason)`, separated by `; `); absent when every option was sent.",
            schema: { type: "string" },
          },
          "x-request-id": {
            description:
              "The request's job id (GET /v1/jobs/{id} shows its row), as OpenAI's SDKs read a request id; " +
              "also on an error answered once the request has a job. `error.request_id` is the provider's.",
            schema: { type: "string" },
          },
        },
        content: { ...json(ref("ImagesResponse")), "text/event-stream": { schema: { type: "string" } } },
      },
      ...imageErrors,
    },
  },
});

const webhook = (platform: string, auth: string) => ({
  post: {
    operationId: `webhook_${platform}`,
    summary: `${platform} events and commands (${auth}); acks within the platform's deadline and replies when the image is ready.`,
    security: [],
    requestBody: {
      required: true,
      content: {
        "application/json": { schema: { type: "object" } },
        "application/x-www-form-urlencoded": { schema: { type: "object" } },
      },
    },
    responses: { "200": { description: "Acknowledged" }, ...errors(401, 403) },
  },
});

export const paths = {
  "/v1/images/generations": images("createImage", "Generate images (OpenAI-compatible).", json(ref("GenerateRequest"))),
  "/v1/images/edits": images(
    "createImageEdit",
    "Edit images (OpenAI-compatible): files as multipart, or references as JSON (images: [{ image_url }]).",
    {
      "multipart/form-data": { schema: ref("EditRequest") },
      "application/json": { schema: ref("EditJsonRequest") },
    },
  ),
  "/v1/models": {
    get: {
      operationId: "listModels",
      summary: "Models this Worker serves that the caller's token may use.",
      security: member,
      responses: {
        "200": {
          description: "OpenAI model list",
          content: json({ type: "object", properties: { object: { const: "list" }, data: { type: "array" } } }),
        },
        ...errors(401),
      },
    },
  },
  "/v1/models/{id}": {
    get: {
      operationId: "retrieveModel",
      security: member,
      parameters: [{ name: "id", in: "path", required: true, schema: { type: "string" } }],
      responses: { "200": { description: "One model" }, ...errors(401, 404) },
    },
  },
  "/v1/usage": {
    get: {
      operationId: "memberUsage",
      summary: "The caller's usage (scope=member) or the team's (scope=team), per member and model.",
      security: member,
      parameters: [
        q("from", "First UTC day, YYYY-MM-DD (default: 29 days before to)"),
        q("to", "Last UTC day (default: today)"),
        q("scope", "member or team", { enum: ["member", "team"] }),
        q("group_by", "day: one row per UTC day, member and model", { enum: ["day"] }),
      ],
      responses: { "200": { description: "Usage", content: json(ref("Usage")) }, ...errors(400, 401) },
    },
  },
  "/v1/jobs": {
    post: {
      operationId: "createJob",
      summary: "Start an image job: generations body (JSON) or edits body (multipart), plus callback_url.",
      security: member,
      parameters: [idempotencyKey, skipModelRules],
      requestBody: {
        required: true,
        content: {
          "application/json": {
            schema: {
              allOf: [ref("GenerateRequest")],
              properties: { callback_url: { type: "string", format: "uri" } },
            },
          },
          "multipart/form-data": {
            schema: { allOf: [ref("EditRequest")], properties: { callback_url: { type: "string", format: "uri" } } },
          },
        },
      },
      responses: {
        "202": { description: "Queued", content: json(ref("Job")) },
        "200": { description: "Same Idempotency-Key and body: the existing job", content: json(ref("Job")) },
        ...errors(400, 401, 403, 409, 429),
      },
    },
    get: {
      operationId: "listJobs",
      security: member,
      parameters: [
        q("limit", "1-100, default 20", { type: "integer" }),
        q("cursor", "next_cursor of the previous page"),
        q("scope", "member or team", { enum: ["member", "team"] }),
      ],
      responses: { "200": { description: "Jobs, newest first", content: json(ref("JobList")) }, ...errors(400, 401) },
    },
  },
  "/v1/callback-secret": {
    get: {
      operationId: "getCallbackSecret",
      summary:
        "The caller's team's secret for verifying callback_url posts (X-Gptimg-Signature, X-Gptimg-Key-Id); it cannot sign /files URLs.",
      security: member,
      responses: {
        "200": {
          description: "The signing secret now, and one per configured kid",
          content: json(ref("CallbackSecret")),
        },
        ...errors(401, 500),
      },
    },
  },
  "/v1/jobs/{id}": {
    get: {
      operationId: "getJob",
      security: member,
      parameters: [{ name: "id", in: "path", required: true, schema: { type: "string" } }],
      responses: {
        "200": { description: "The job, with freshly signed image URLs", content: json(ref("Job")) },
        ...errors(401, 404),
      },
    },
  },
  "/v1/jobs/{id}/events": {
    get: {
      operationId: "jobEvents",
      summary:
        "SSE: event status {status} on each change, then event done with the job, then the stream closes; event error {code: auth} once the token is revoked or expired.",
      security: member,
      parameters: [{ name: "id", in: "path", required: true, schema: { type: "string" } }],
      responses: {
        "200": { description: "Event stream", content: { "text/event-stream": { schema: { type: "string" } } } },
        ...errors(401, 404),
      },
    },
  },
  "/admin/tokens": {
    post: {
      operationId: "createToken",
      security: admin,
      requestBody: {
        required: true,
        content: json({
          type: "object",
          required: ["team", "member"],
          additionalProperties: false,
          properties: {
            team: { type: "string", pattern: NAME_PATTERN.source },
            member: { type: "string", pattern: NAME_PATTERN.source },
            expires_in_days: { type: "integer", minimum: 1, maximum: TOKEN_LIMITS.expiresInDays },
            models: {
              anyOf: [
                {
                  type: "array",
                  items: { type: "string", minLength: 1, maxLength: TOKEN_LIMITS.modelName },
                  minItems: 1,
                },
                { type: "null" },
              ],
            },
            daily_image_quota: { type: "integer", minimum: 1, maximum: TOKEN_LIMITS.dailyImageQuota },
            rpm: { type: "integer", minimum: 1, maximum: TOKEN_LIMITS.rpm },
          },
        }),
      },
      responses: {
        "201": { description: "The token, shown this once", content: json(ref("Token")) },
        ...errors(400, 401),
      },
    },
    get: {
      operationId: "listTokens",
      security: admin,
      parameters: [q("team", "Only this team's tokens")],
      responses: {
        "200": {
          description: "Tokens without secrets",
          content: json({
            type: "object",
            properties: { object: { const: "list" }, data: { type: "array", items: ref("Token") } },
          }),
        },
        ...errors(401),
      },
    },
  },
  "/admin/tokens/{id}": {
    delete: {
      operationId: "revokeToken",
      security: admin,
      parameters: [{ name: "id", in: "path", required: true, schema: { type: "string" } }],
      responses: { "200": { description: "Revoked", content: json(ref("Token")) }, ...errors(401, 404) },
    },
  },
  "/admin/usage": {
    get: {
      operationId: "adminUsage",
      security: admin,
      parameters: [
        q("from", "First UTC day, YYYY-MM-DD"),
        q("to", "Last UTC day"),
        q("team", "Only this team"),
        q("group_by", "day: one row per UTC day, member and model", { enum: ["day"] }),
      ],
      responses: { "200": { description: "Usage", content: json(ref("Usage")) }, ...errors(400, 401) },
    },
  },
  "/files/{key}": {
    get: {
      operationId: "getFile",
      summary:
        'A stored image behind a signed URL. HMAC-SHA256 over "gptimg-url-v1\\n" + kid + "\\nGET\\n" + key + "\\n" + exp.',
      security: [],
      parameters: [
        {
          name: "key",
          in: "path",
          required: true,
          schema: { type: "string" },
          description: "R2 key t/<team>/<yyyy>/<mm>/<job>/<i>.<ext>",
        },
        q("exp", "Expiry, unix seconds (at most 7 days ahead)", { type: "integer" }),
        q("kid", "Signing key id"),
        q("sig", "base64url HMAC"),
        { name: "Range", in: "header", schema: { type: "string" }, description: "One byte range" },
        { name: "If-None-Match", in: "header", schema: { type: "string" } },
      ],
      responses: {
        "200": { description: "The image", content: { "image/*": { schema: { type: "string", format: "binary" } } } },
        "206": { description: "Part of the image" },
        "304": { description: "Not modified" },
        "403": { description: "Any signature failure (one opaque answer)", content: json(ref("Error")) },
        "404": { description: "Signature valid, object gone" },
        "416": { description: "Range not satisfiable" },
      },
    },
  },
  ...Object.fromEntries(PLATFORMS.map((p) => [`/webhooks/${p.name}`, webhook(p.name, p.verification)])),
  "/mcp": {
    post: {
      operationId: "mcp",
      summary:
        "MCP over Streamable HTTP (stateless): JSON-RPC requests; tools generate_image, edit_image, resolve_size, get_job. See docs/mcp.md.",
      security: member,
      requestBody: { required: true, content: json({ type: "object", description: "A JSON-RPC 2.0 message" }) },
      responses: {
        "200": {
          description: "The JSON-RPC response, as one JSON body or an SSE stream with progress notifications first",
          content: { ...json({ type: "object" }), "text/event-stream": { schema: { type: "string" } } },
        },
        "202": { description: "A notification was accepted" },
        "401": {
          description: "Missing or refused member token",
          headers: { "WWW-Authenticate": { schema: { type: "string" }, description: 'Bearer realm="gptimg"' } },
          content: json(ref("Error")),
        },
        ...errors(406, 413, 415),
      },
    },
  },
  "/healthz": {
    get: {
      operationId: "health",
      security: [],
      responses: {
        "200": { description: "OK: D1 answers, the schema is current, the secrets are usable" },
        "503": {
          description:
            "Degraded: `problems` names each (D1 unavailable, migrations missing, a secret unset or unusable), never a value",
        },
      },
    },
  },
  "/openapi.json": {
    get: { operationId: "openapi", security: [], responses: { "200": { description: "This document" } } },
  },
};
