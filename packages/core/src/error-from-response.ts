import {
  type ApiError,
  AuthenticationError,
  BadRequestError,
  ContentPolicyError,
  NotFoundError,
  PermissionDeniedError,
  ProviderError,
  RateLimitError,
} from "./errors/index.ts";
import { redact } from "./redact.ts";
import { serverRetryAfterMs, shouldRetryHeader } from "./retry.ts";

/** Error bodies are small; a proxy's multi-megabyte page is not read past this. */
export const ERROR_BODY_LIMIT = 64 * 1024;

// Fetch over HTTP/2 has no reason phrase; these are the ones a provider error usually has.
const REASONS: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  408: "Request Timeout",
  409: "Conflict",
  413: "Payload Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Entity",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
  520: "Unknown Error",
  522: "Connection Timed Out",
  524: "A Timeout Occurred",
};

/** "502 Bad Gateway" */
export const statusLine = (status: number, statusText = ""): string =>
  `${status} ${statusText || REASONS[status] || ""}`.trim();

/** Reads at most `limit` bytes of a body as text and cancels the rest. */
export async function readBounded(body: ReadableStream<Uint8Array> | null, limit = ERROR_BODY_LIMIT): Promise<string> {
  if (!body) return "";
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  let size = 0;
  try {
    while (size < limit) {
      const { done, value } = await reader.read();
      if (done) break;
      const chunk = value.subarray(0, limit - size);
      size += chunk.length;
      text += decoder.decode(chunk, { stream: true });
    }
    text += decoder.decode();
  } catch {
    // A body cut while reading an error still leaves the status to report.
  } finally {
    reader.cancel().catch(() => {});
  }
  return text;
}

interface ProviderErrorBody {
  message?: string;
  type?: string;
  code?: string;
  param?: string;
}

const str = (v: unknown): string | undefined =>
  typeof v === "string" && v !== "" ? v : typeof v === "number" ? String(v) : undefined;

/** OpenAI's `{ error: { message, type, code, param } }`, and the shapes relays use instead. */
export function parseErrorBody(text: string): ProviderErrorBody | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof json !== "object" || json === null) return undefined;
  const o = json as Record<string, unknown>;
  const e = o.error;
  if (typeof e === "object" && e !== null) {
    const eo = e as Record<string, unknown>;
    return { message: str(eo.message), type: str(eo.type), code: str(eo.code), param: str(eo.param) };
  }
  return { message: str(e) ?? str(o.message) ?? str(o.detail) ?? str(o.msg), code: str(o.code), type: str(o.type) };
}

const isHtml = (text: string, contentType: string): boolean =>
  contentType.includes("text/html") || /^\s*(<!doctype html|<html|<head|<body)/i.test(text);

/** The message for a body that is not an OpenAI error object. */
function messageForText(text: string, contentType: string, status: string): string {
  if (isHtml(text, contentType)) {
    const title = /<title[^>]*>([^<]{1,120})<\/title>/i.exec(text)?.[1]?.trim();
    return `provider returned an HTML error page (${status})${title && !title.includes(status) ? `: ${title}` : ""}`;
  }
  const plain = text.replace(/\s+/g, " ").trim();
  if (!plain) return `provider returned ${status} with an empty body`;
  return `provider returned ${status}: ${plain.length > 300 ? `${plain.slice(0, 300)}…` : plain}`;
}

const CONTENT_POLICY_CODES = new Set([
  "moderation_blocked",
  "content_policy_violation",
  "content_filter",
  "safety_violation",
]);

/** The provider refused the content, not the request's form. */
export function isContentPolicy(body: ProviderErrorBody | undefined): boolean {
  if (!body) return false;
  if ((body.code && CONTENT_POLICY_CODES.has(body.code)) || (body.type && CONTENT_POLICY_CODES.has(body.type)))
    return true;
  return /safety system|content[ _]policy|(flagged|blocked|rejected) by (the |our )?moderation|moderation_blocked/i.test(
    body.message ?? "",
  );
}

/** Request id headers used by OpenAI and the relays in front of it. */
export const requestIdOf = (headers: Headers): string | undefined =>
  headers.get("x-request-id") ?? headers.get("openai-request-id") ?? headers.get("request-id") ?? undefined;

export interface ErrorContext {
  provider: string;
  /** every key that must never appear in a message */
  secrets: (string | undefined)[];
  now?: () => number;
}

/**
 * The typed error for a non-2xx response. Keeps the provider's message verbatim (redacted),
 * its `code`, `type` and `param`, the request id, any `retry-after` and its `x-should-retry`.
 * A 429 `insufficient_quota` (a spent billing quota) without `x-should-retry` gets
 * code `insufficient_quota` and `shouldRetry: false`, and its message names quota and billing
 * when the provider's did not.
 * @example
 * if (!res.ok) throw await errorFromResponse(res, { provider: "primary", secrets: [key] })
 */
export async function errorFromResponse(res: Response, ctx: ErrorContext): Promise<ApiError> {
  // redacted whole before anything is cut from it: a cut through a key would hide it from redact
  const text = redact(await readBounded(res.body), ctx.secrets);
  const status = statusLine(res.status, res.statusText);
  const body = parseErrorBody(text);
  const raw = body?.message ?? messageForText(text, res.headers.get("content-type") ?? "", status);
  const quota = res.status === 429 && isQuotaCode(body);
  const message = redact(quota ? quotaMessage(raw) : raw, ctx.secrets);
  const init = {
    status: res.status,
    requestId: requestIdOf(res.headers),
    provider: ctx.provider,
    param: body?.param ? redact(body.param, ctx.secrets) : undefined,
    providerCode: body?.code ? redact(body.code, ctx.secrets) : undefined,
    providerType: body?.type ? redact(body.type, ctx.secrets) : undefined,
    retryAfterMs: serverRetryAfterMs(res.headers, ctx.now),
    // a spent quota does not come back by waiting: "do not retry" unless the provider says otherwise
    shouldRetry: shouldRetryHeader(res.headers) ?? (quota ? false : undefined),
  };
  const s = res.status;
  if (isContentPolicy(body) && s >= 400 && s < 500) return new ContentPolicyError("content_policy", message, init);
  if (s === 401) return new AuthenticationError("auth", message, init);
  if (s === 403) return new PermissionDeniedError("permission", message, init);
  if (s === 404) return new NotFoundError("not_found", message, init);
  if (s === 429) return new RateLimitError(quota ? "insufficient_quota" : "rate_limited", message, init);
  // 408 and 409 are transient: the client retries them, so they are not the caller's fault.
  if (s >= 400 && s < 500 && s !== 408 && s !== 409) return new BadRequestError("validation", message, init);
  return new ProviderError("provider_error", message, init);
}

const isQuotaCode = (body: ProviderErrorBody | undefined): boolean =>
  body?.code === "insufficient_quota" || body?.type === "insufficient_quota";

/** Out of credit is a 429 too, but waiting does not help: `errorFromResponse` gives it its own code. */
export const isQuotaExhausted = (e: ApiError): boolean => e.code === "insufficient_quota";

/**
 * OpenAI says "You exceeded your current quota, please check your plan and billing details";
 * a relay may say only "insufficient_quota" or something vaguer, so the cause is named then.
 */
const quotaMessage = (message: string): string =>
  /quota|billing|balance|credit/i.test(message)
    ? message
    : `${message} (the provider account is out of quota: check its plan and billing)`;
