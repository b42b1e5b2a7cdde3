import { type ErrorCode, GptImageError, type GptImageErrorInit } from "./gptimg-error.ts";

/**
 * The provider answered with an error status. `message` is the provider's own message, verbatim
 * (secrets redacted); `providerCode` and `providerType` are its `error.code` and `error.type`.
 */
export class ApiError extends GptImageError {
  override name = "ApiError";
  readonly providerCode: string | undefined;
  readonly providerType: string | undefined;
  /** milliseconds the provider asked us to wait, when it said so */
  readonly retryAfterMs: number | undefined;
  /**
   * the provider's own retry verdict (`x-should-retry: true|false`), which overrides the status;
   * undefined when it gave none. A gateway passes `false` on so its clients do not retry either.
   */
  readonly shouldRetry: boolean | undefined;
  constructor(
    code: ErrorCode,
    message: string,
    init: GptImageErrorInit & {
      providerCode?: string;
      providerType?: string;
      retryAfterMs?: number;
      shouldRetry?: boolean;
    },
  ) {
    super(code, message, init);
    this.providerCode = init.providerCode;
    this.providerType = init.providerType;
    this.retryAfterMs = init.retryAfterMs;
    this.shouldRetry = init.shouldRetry;
  }
}
/** 400 from the provider: it refused the request as malformed. */
export class BadRequestError extends ApiError {
  override name = "BadRequestError";
}
/** 401 */
export class AuthenticationError extends ApiError {
  override name = "AuthenticationError";
}
/** 403 */
export class PermissionDeniedError extends ApiError {
  override name = "PermissionDeniedError";
}
/** 404 */
export class NotFoundError extends ApiError {
  override name = "NotFoundError";
}
/** 429 */
export class RateLimitError extends ApiError {
  override name = "RateLimitError";
}
/** The prompt or an input image was refused by the provider's safety system. */
export class ContentPolicyError extends ApiError {
  override name = "ContentPolicyError";
}
/** 5xx or another unexpected status. */
export class ProviderError extends ApiError {
  override name = "ProviderError";
}

export const isApiError = (e: unknown): e is ApiError => e instanceof ApiError;
export const isRateLimitError = (e: unknown): e is RateLimitError => e instanceof RateLimitError;
export const isContentPolicyError = (e: unknown): e is ContentPolicyError => e instanceof ContentPolicyError;
