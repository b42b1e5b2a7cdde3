import type { RetryOptions, ValidationIssue } from "./types.ts";

/** Statuses worth another try; other 5xx are retried too (see `isRetryableStatus`). */
const RETRYABLE_STATUSES = new Set([
  408, // Request Timeout: the server gave up waiting for us
  409, // Conflict: a lock or concurrent update on the provider's side, usually transient
  429, // Too Many Requests: rate limited (but not out of quota, see `isQuotaExhausted`)
  500, // Internal Server Error
  502, // Bad Gateway: a proxy in front of the model could not reach it
  503, // Service Unavailable: overloaded
  504, // Gateway Timeout: a proxy gave up on a slow generation
]);

/** Defaults of `RetryOptions` (docs/core-api.md "Retry and fallback rules"). */
export const RETRY_DEFAULTS: Required<RetryOptions> = {
  maxRetries: 2,
  baseDelayMs: 500,
  maxDelayMs: 8000,
  maxRetryAfterMs: 60_000,
  retryUnknownOutcome: false,
};

/** The longest delay a platform timer takes; longer ones fire at once. */
export const MAX_TIMER_MS = 2_147_483_647;

/**
 * Retry options with every field set: a field left out or `undefined` takes its default. Each
 * value that is not a whole, finite, non-negative number (delays at most `MAX_TIMER_MS`,
 * retries at most 100) is an issue: an unbounded retry loop or a NaN backoff is never run.
 * @example
 * resolveRetryOptions({ maxRetries: 5 }, issues) // { maxRetries: 5, baseDelayMs: 500, … }
 */
export function resolveRetryOptions(opts: RetryOptions | undefined, issues: ValidationIssue[]): Required<RetryOptions> {
  const o = opts ?? {};
  const whole = (field: keyof RetryOptions, max: number): number => {
    const v = o[field] ?? RETRY_DEFAULTS[field];
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > max) {
      issues.push({ field: `retry.${field}`, value: v, rule: `must be a whole number from 0 to ${max}` });
      return RETRY_DEFAULTS[field] as number;
    }
    return v;
  };
  return {
    maxRetries: whole("maxRetries", 100),
    baseDelayMs: whole("baseDelayMs", MAX_TIMER_MS),
    maxDelayMs: whole("maxDelayMs", MAX_TIMER_MS),
    maxRetryAfterMs: whole("maxRetryAfterMs", MAX_TIMER_MS),
    retryUnknownOutcome: o.retryUnknownOutcome === true,
  };
}

/**
 * True for 408, 409, 429 and every 5xx.
 * @example
 * isRetryableStatus(503) // true
 */
export const isRetryableStatus = (status: number): boolean =>
  RETRYABLE_STATUSES.has(status) || (status >= 500 && status <= 599);

/**
 * The provider's own verdict from `x-should-retry: true|false`, which overrides the status
 * (openai-node honours it the same way); undefined when absent.
 */
export function shouldRetryHeader(headers: Headers): boolean | undefined {
  const v = headers.get("x-should-retry")?.trim().toLowerCase();
  return v === "true" ? true : v === "false" ? false : undefined;
}

/** A delay the server asked for, in ms: `retry-after-ms`, else `retry-after` (seconds or HTTP date). */
export function serverRetryAfterMs(headers: Headers, now: () => number = Date.now): number | undefined {
  const ms = headers.get("retry-after-ms");
  if (ms !== null && ms.trim() !== "") {
    const n = Number(ms);
    if (Number.isFinite(n) && n >= 0) return n;
  }
  const ra = headers.get("retry-after")?.trim();
  if (!ra) return undefined;
  if (/^\d+(\.\d+)?$/.test(ra)) return Number(ra) * 1000;
  const date = Date.parse(ra);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now());
}

/**
 * How long to wait before retry number `attempt` (0 = the first retry): the server's
 * `retry-after-ms` / `retry-after`, capped at `maxRetryAfterMs`; else 0.5 s · 2^attempt up to
 * 8 s, minus up to 25 % jitter so that many clients do not retry in step.
 * @example
 * retryDelayMs(2, new Headers(), {}, () => 0) // 2000
 */
export function retryDelayMs(
  attempt: number,
  headers: Headers | undefined,
  opts: RetryOptions = {},
  random: () => number = Math.random,
  now: () => number = Date.now,
): number {
  const o = { ...RETRY_DEFAULTS, ...opts };
  const asked = headers ? serverRetryAfterMs(headers, now) : undefined;
  if (asked !== undefined) return Math.round(Math.min(asked, o.maxRetryAfterMs));
  const backoff = Math.min(o.baseDelayMs * 2 ** attempt, o.maxDelayMs);
  const jitter = 1 - Math.min(Math.max(random(), 0), 1) * 0.25;
  return Math.round(backoff * jitter);
}
