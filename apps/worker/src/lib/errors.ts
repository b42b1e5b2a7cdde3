import { type ErrorCode, isApiError, isGptImageError, isValidationError, redact, shownUrls } from "@gptimg/core";
import { overrideWords } from "./model-rule-override.ts";
import { APPLY_MIGRATIONS, schemaGap } from "./schema.ts";

/** Codes the gateway adds to core's stable codes. */
export type GatewayCode = "quota_exceeded" | "idempotency_conflict" | "internal";
export type WireCode = ErrorCode | GatewayCode;

/** OpenAI's error body: `{ "error": { message, type, code, param } }`. */
export interface OpenAIErrorBody {
  error: {
    message: string;
    type: string;
    code: WireCode;
    param: string | null;
    /** set when the provider may have billed a request that produced nothing */
    possibly_billed?: boolean;
    request_id?: string;
  };
}

/**
 * An error raised by the gateway itself (auth, quota, bad request body), with its HTTP status.
 * @example
 * throw new HttpError(403, "permission", "model dall-e-3 is not allowed for this token", { param: "model" })
 */
export class HttpError extends Error {
  override name = "HttpError";
  readonly status: number;
  readonly code: WireCode;
  readonly param: string | undefined;
  readonly headers: Record<string, string>;
  constructor(
    status: number,
    code: WireCode,
    message: string,
    init: { param?: string; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.status = status;
    this.code = code;
    this.param = init.param;
    this.headers = init.headers ?? {};
  }
}

/**
 * The Worker's own configuration or database is wrong (a secret missing or malformed, the D1
 * schema behind this build): a 500 whose message names the setting and the rule, never a value,
 * so it is shown to the caller and logged as it is.
 * @example
 * throw new ConfigError("SIGNING_KEYS: no usable key (…)")
 */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/**
 * A failure of the gateway's own after the request may have reached the provider (an image it
 * made could not be stored, its answer could not be recorded): the provider may have billed it,
 * which the caller is told (`possibly_billed`, with the provider's request id when known), so a
 * retry is a choice made knowingly. The job row records the same.
 * @example
 * throw new PossiblyBilledError("an image the provider made could not be stored", requestId, storeFailure)
 */
export class PossiblyBilledError extends Error {
  override name = "PossiblyBilledError";
  readonly requestId: string | undefined;
  constructor(message: string, requestId: string | undefined, cause: unknown) {
    super(message, { cause });
    this.requestId = requestId;
  }
}

/** HTTP status per core code; upstream failures are the gateway's 5xx, never the provider's own. */
const STATUS: Record<WireCode, number> = {
  validation: 400,
  auth: 401,
  permission: 403,
  not_found: 404,
  rate_limited: 429,
  insufficient_quota: 429,
  quota_exceeded: 429,
  idempotency_conflict: 409,
  content_policy: 400,
  provider_error: 502,
  bad_response: 502,
  timeout: 504,
  network: 502,
  outcome_unknown: 502,
  aborted: 499,
  internal: 500,
};

/** OpenAI's `error.type` per code, so SDKs classify errors the way they do for OpenAI. */
const TYPE: Record<WireCode, string> = {
  validation: "invalid_request_error",
  auth: "authentication_error",
  permission: "permission_error",
  not_found: "invalid_request_error",
  rate_limited: "rate_limit_error",
  // as OpenAI answers a spent billing quota: code and type both `insufficient_quota`
  insufficient_quota: "insufficient_quota",
  quota_exceeded: "insufficient_quota",
  idempotency_conflict: "invalid_request_error",
  content_policy: "image_generation_user_error",
  provider_error: "upstream_error",
  bad_response: "upstream_error",
  timeout: "upstream_error",
  network: "upstream_error",
  outcome_unknown: "upstream_error",
  aborted: "invalid_request_error",
  internal: "server_error",
};

export interface OpenAIError {
  status: number;
  body: OpenAIErrorBody;
  headers: Record<string, string>;
}

/**
 * Maps any thrown value to OpenAI's error shape and an HTTP status. Messages pass through core's
 * `redact` with `secrets` (see `envSecrets`), which also masks any `Bearer …` or `sk-…` token,
 * and `shownUrls`, which quotes URLs without their query, fragment and userinfo.
 * Unknown errors become an opaque 500: their messages may carry anything. A `ConfigError` and a
 * D1 "no such table/column" (the schema is behind) are 500s that name the problem. A refusal by
 * gptimg's model table names the switches of `surface` (`Gptimg-Skip-Model-Rules` and
 * `SKIP_MODEL_RULES` over HTTP, the `skip_model_rules` argument on `/mcp`), not core's option.
 * @example
 * const { status, body, headers } = toOpenAIError(err, envSecrets(c.env));
 */
export function toOpenAIError(
  err: unknown,
  secrets: (string | undefined)[] = [],
  surface: "http" | "mcp" = "http",
): OpenAIError {
  const out = mapError(err, secrets, surface);
  // a quoted presigned URL (an image input, a callback) keeps its path, never its signature
  out.body.error.message = shownUrls(out.body.error.message);
  if (out.body.error.possibly_billed || NOT_RETRYABLE.has(out.body.error.code)) out.headers["x-should-retry"] = "false";
  return out;
}

/**
 * Codes whose answer a retry soon after cannot change. With those, with every error that says
 * `possibly_billed` and with a provider error that carried it, `x-should-retry: false` tells SDKs
 * (openai's retries 408, 409, 429 and 5xx by default, and obeys this header first) not to send
 * the request again on their own: a replay of a possibly billed request may be billed twice.
 */
const NOT_RETRYABLE: ReadonlySet<WireCode> = new Set([
  // a daily quota: nothing changes before the next UTC day
  "quota_exceeded",
  // the provider account's quota or credit: nothing changes until its billing does
  "insufficient_quota",
]);

function mapError(err: unknown, secrets: (string | undefined)[], surface: "http" | "mcp"): OpenAIError {
  if (err instanceof HttpError) {
    return build(err.status, err.code, redact(err.message, secrets), err.param, err.headers);
  }
  if (err instanceof PossiblyBilledError) {
    // a configuration or schema problem keeps its own message; anything else is named by the error
    const named = err.cause instanceof ConfigError || schemaGap(err.cause) !== undefined;
    const out = named
      ? mapError(err.cause, secrets, surface)
      : build(
          500,
          "internal",
          `internal error: ${redact(err.message, secrets)}; the provider may have billed the request`,
          undefined,
          {},
        );
    out.body.error.possibly_billed = true;
    if (err.requestId) out.body.error.request_id = redact(err.requestId, secrets);
    return out;
  }
  if (isGptImageError(err)) {
    const code = err.code;
    const headers: Record<string, string> = {};
    const retryAfterMs = (err as { retryAfterMs?: unknown }).retryAfterMs;
    if (code === "rate_limited" && typeof retryAfterMs === "number") {
      headers["Retry-After"] = String(Math.max(1, Math.ceil(retryAfterMs / 1000)));
    }
    // the provider's own "do not retry" (a spent billing quota) holds for the caller's retries too
    if (isApiError(err) && err.shouldRetry === false) headers["x-should-retry"] = "false";
    const message = overrideWords(redact(err.message, secrets), surface);
    const out = build(STATUS[code] ?? 502, code, message, err.param, headers);
    if (err.possiblyBilled) out.body.error.possibly_billed = true;
    if (err.requestId) out.body.error.request_id = redact(err.requestId, secrets);
    if (isValidationError(err) && !err.param) out.body.error.param = err.issues[0]?.field ?? null;
    return out;
  }
  if (err instanceof ConfigError) {
    return build(500, "internal", `internal error: ${redact(err.message, secrets)}`, undefined, {});
  }
  const gap = schemaGap(err);
  if (gap) {
    const message = `internal error: the database schema is behind this Worker (${gap} missing): apply the D1 migrations (${APPLY_MIGRATIONS}, or --remote)`;
    return build(500, "internal", message, undefined, {});
  }
  return build(500, "internal", "internal error", undefined, {});
}

function build(
  status: number,
  code: WireCode,
  message: string,
  param: string | undefined,
  headers: Record<string, string>,
): OpenAIError {
  return { status, headers, body: { error: { message, type: TYPE[code] ?? "api_error", code, param: param ?? null } } };
}
