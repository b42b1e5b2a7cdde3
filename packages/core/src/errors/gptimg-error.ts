/** Stable machine-readable codes. The CLI maps them to exit codes, the Worker to HTTP statuses. */
export type ErrorCode =
  | "validation"
  | "auth"
  | "permission"
  | "not_found"
  | "rate_limited"
  /** the provider account is out of quota or credit (a 429 `insufficient_quota`): waiting does not help */
  | "insufficient_quota"
  | "content_policy"
  | "provider_error"
  | "bad_response"
  | "timeout"
  | "network"
  | "outcome_unknown"
  | "aborted";

export interface GptImageErrorInit {
  status?: number;
  requestId?: string;
  provider?: string;
  /** the provider may have billed the request although no image came back */
  possiblyBilled?: boolean;
  param?: string;
  cause?: unknown;
}

/**
 * Root of every error gptimg throws.
 * @example
 * try { await client.generate({ prompt }) } catch (e) { if (isGptImageError(e)) console.error(e.code) }
 */
export class GptImageError extends Error {
  override name = "GptImageError";
  readonly code: ErrorCode;
  readonly status: number | undefined;
  readonly requestId: string | undefined;
  readonly provider: string | undefined;
  readonly possiblyBilled: boolean;
  readonly param: string | undefined;

  constructor(code: ErrorCode, message: string, init: GptImageErrorInit = {}) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.code = code;
    this.status = init.status;
    this.requestId = init.requestId;
    this.provider = init.provider;
    this.possiblyBilled = init.possiblyBilled ?? false;
    this.param = init.param;
  }

  /** A plain object safe to print or send: no cause chain, no headers. */
  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      message: this.message,
      status: this.status ?? null,
      requestId: this.requestId ?? null,
      provider: this.provider ?? null,
      possiblyBilled: this.possiblyBilled,
      ...(this.param ? { param: this.param } : {}),
    };
  }
}

export const isGptImageError = (e: unknown): e is GptImageError => e instanceof GptImageError;
