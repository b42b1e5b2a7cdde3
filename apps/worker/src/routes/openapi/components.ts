/** Shared OpenAPI 3.1 components: security schemes, schemas, responses. */

import { imageRequestSchema, type RequestForm } from "@gptimg/core";

const str = { type: "string" } as const;
const int = { type: "integer" } as const;
const nullable = (schema: Record<string, unknown>) => ({ anyOf: [schema, { type: "null" }] });

/** The gateway's own field beside the image options: how images come back (never sent upstream). */
const responseFormat = {
  type: "string",
  enum: ["b64_json", "url"],
  description:
    "b64_json in the body, or url: a signed link to the stored image. Defaults to DEFAULT_RESPONSE_FORMAT, or when unset to OpenAI's default for the model: url for dall-e-2 and dall-e-3, b64_json otherwise.",
};

/** A request body from core's option table, with the gateway's `response_format`. */
const imageRequest = (operation: "generate" | "edit", form: RequestForm) => {
  const schema = imageRequestSchema(operation, form);
  return { ...schema, properties: { ...schema.properties, response_format: responseFormat } };
};

const usage = {
  type: "object",
  properties: {
    input_tokens: int,
    input_tokens_details: { type: "object", properties: { text_tokens: int, image_tokens: int } },
    output_tokens: int,
    total_tokens: int,
  },
};

const job = {
  type: "object",
  required: ["id", "object", "status", "kind", "created_at"],
  properties: {
    id: str,
    object: { const: "image.job" },
    status: { enum: ["queued", "running", "succeeded", "failed"] },
    kind: { enum: ["generate", "edit"] },
    model: str,
    member: str,
    created_at: int,
    completed_at: nullable(int),
    requested_size: {
      ...nullable(str),
      description:
        "the size asked for, resolved for `model` (WxH, or auto); null when none was asked. The same on every path, failed jobs included",
    },
    size_mismatch: { type: "boolean" },
    provider: nullable(str),
    request_id: nullable(str),
    images: {
      type: "array",
      items: {
        type: "object",
        properties: { index: int, url: str, format: str, width: int, height: int, bytes: int },
      },
    },
    usage: nullable({ type: "object", properties: { input_tokens: int, output_tokens: int, total_tokens: int } }),
    cost_usd: nullable({ type: "number" }),
    error: nullable({
      type: "object",
      properties: {
        code: str,
        message: str,
        status: nullable(int),
        request_id: nullable(str),
        possibly_billed: { type: "boolean" },
      },
    }),
  },
};

export const components = {
  securitySchemes: {
    member: { type: "http", scheme: "bearer", description: "A member token (gpi_…) from POST /admin/tokens." },
    admin: { type: "http", scheme: "bearer", description: "The ADMIN_TOKEN secret." },
    session: {
      type: "apiKey",
      in: "cookie",
      name: "gptimg_session",
      description:
        "The console's session (POST /console/api/session). Stands for the member or admin token it was opened with; state changes must come from the Worker's own origin.",
    },
  },
  schemas: {
    Error: {
      type: "object",
      required: ["error"],
      properties: {
        error: {
          type: "object",
          required: ["message", "type", "code", "param"],
          properties: {
            message: str,
            type: str,
            code: {
              enum: [
                "validation",
                "auth",
                "permission",
                "not_found",
                "rate_limited",
                "insufficient_quota",
                "content_policy",
                "provider_error",
                "bad_response",
                "timeout",
                "network",
                "outcome_unknown",
                "quota_exceeded",
                "idempotency_conflict",
                "internal",
              ],
            },
            param: nullable(str),
            possibly_billed: { type: "boolean" },
            request_id: str,
          },
        },
      },
    },
    GenerateRequest: imageRequest("generate", "json"),
    EditRequest: imageRequest("edit", "multipart"),
    EditJsonRequest: {
      ...imageRequest("edit", "json"),
      description:
        "The spec's JSON edit form (EditImageBodyJsonParam). image_url: an https URL on a public host (fetched by the Worker: no redirects, 50 MB of inputs in total) or a data:image/…;base64 URL. file_id is answered 400: the Worker holds no Files API.",
    },
    ImagesResponse: {
      type: "object",
      required: ["created", "data"],
      properties: {
        created: int,
        data: {
          type: "array",
          items: { type: "object", properties: { b64_json: str, url: str, revised_prompt: str } },
        },
        background: str,
        output_format: str,
        quality: str,
        size: str,
        usage,
      },
    },
    Job: job,
    JobList: {
      type: "object",
      properties: { object: { const: "list" }, data: { type: "array", items: job }, next_cursor: nullable(str) },
    },
    Token: {
      type: "object",
      properties: {
        id: str,
        object: { const: "token" },
        token: { ...str, description: "Only in the answer to POST; shown once." },
        team: str,
        member: str,
        models: nullable({ type: "array", items: str }),
        daily_image_quota: nullable(int),
        rpm: nullable(int),
        created_at: int,
        expires_at: nullable(int),
        revoked_at: nullable(int),
      },
    },
    CallbackSecret: {
      type: "object",
      required: ["object", "team", "kid", "secret", "keys"],
      properties: {
        object: { const: "callback_secret" },
        team: str,
        kid: { ...str, description: "X-Gptimg-Key-Id of callbacks signed now" },
        secret: {
          ...str,
          pattern: "^[0-9a-f]{64}$",
          description: 'HMAC-SHA256 key (its UTF-8 text) of X-Gptimg-Signature: v1 = hex HMAC of "<t>.<raw body>"',
        },
        keys: {
          type: "array",
          description: "The team's secret under every configured kid, oldest first; the last one is kid/secret",
          items: { type: "object", required: ["kid", "secret"], properties: { kid: str, secret: str } },
        },
      },
    },
    Usage: {
      type: "object",
      properties: {
        object: { const: "usage" },
        from: { ...str, format: "date" },
        to: { ...str, format: "date" },
        rows: {
          type: "array",
          items: {
            type: "object",
            properties: {
              day: { ...str, format: "date", description: "only with group_by=day" },
              team: str,
              member: str,
              model: str,
              images: int,
              possibly_billed_images: int,
              input_tokens: int,
              output_tokens: int,
              cost_usd: nullable({ type: "number" }),
              unpriced_images: int,
            },
          },
        },
      },
    },
  },
  responses: {
    Error: {
      description: "OpenAI-shaped error",
      content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
    },
  },
} as const;
