import { errorFromResponse, isQuotaExhausted } from "./error-from-response.ts";
import {
  AbortedError,
  ApiError,
  BadResponseError,
  ConnectionError,
  GptImageError,
  OutcomeUnknownError,
  TimeoutError,
} from "./errors/index.ts";
import type { ResolvedProvider } from "./providers.ts";
import { redact } from "./redact.ts";
import { isRetryableStatus, retryDelayMs } from "./retry.ts";
import {
  type AttemptSignal,
  platformMessage,
  type SendContext,
  send,
  startAttempt,
  transportError,
} from "./transport.ts";
import type { ImageStreamEvent, RetryOptions } from "./types.ts";

/** Progress notices the loop yields and passes to `onEvent`. */
export type LoopNotice = Extract<ImageStreamEvent, { type: "retry" | "fallback" }>;

/** Everything the loop needs, with the client's defaults filled in. */
export interface LoopContext {
  providers: ResolvedProvider[];
  fetch: typeof fetch;
  timeoutMs: number;
  retry: Required<RetryOptions>;
  now: () => number;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  random: () => number;
  onEvent: ((event: LoopNotice) => void) | undefined;
  /** every provider key and secret header value, for `redact` */
  secrets: (string | undefined)[];
}

export interface LoopSpec<T> {
  signal: AbortSignal | undefined;
  /** GETs bill nothing: their timeouts and resets are plain retryable failures */
  idempotent: boolean;
  build(p: ResolvedProvider): Request | Promise<Request>;
  /** reads a 2xx response; whatever it throws is final (the provider answered, maybe billed) */
  consume(res: Response, p: ResolvedProvider, att: AttemptSignal, attempts: number): AsyncGenerator<T>;
}

interface Failure {
  error: GptImageError;
  /** worth another try at the same provider */
  retry: boolean;
  /** worth trying the next provider once this one is given up */
  fallback: boolean;
  headers?: Headers;
}

/** Which failures are worth repeating; see docs/core-api.md "Retry and fallback rules". */
function judge(error: GptImageError, retry: Required<RetryOptions>, headers?: Headers): Failure {
  if (error instanceof ApiError && error.status !== undefined) {
    // `shouldRetry` is false for a spent quota unless the provider said otherwise (errorFromResponse)
    const retry = error.shouldRetry ?? isRetryableStatus(error.status);
    // Out of quota will not heal by waiting, but another provider bills another account.
    const quota = isQuotaExhausted(error);
    return { error, retry, fallback: retry || quota || isRetryableStatus(error.status), headers };
  }
  if (error instanceof ConnectionError || error instanceof TimeoutError) return { error, retry: true, fallback: true };
  if (error instanceof OutcomeUnknownError)
    return { error, retry: retry.retryUnknownOutcome, fallback: retry.retryUnknownOutcome };
  return { error, retry: false, fallback: false };
}

/** Non-GptImageErrors from a consumer are bugs or platform surprises: report them as bad responses. */
function afterSuccess(
  e: unknown,
  att: AttemptSignal,
  url: string,
  send: SendContext,
  p: ResolvedProvider,
): GptImageError {
  if (att.callerAborted() || att.timedOut()) return transportError(e, att, url, send);
  if (e instanceof GptImageError) return e;
  const msg = platformMessage(e);
  return new BadResponseError(redact(`could not read the response of ${p.name}: ${msg}`, send.secrets), {
    provider: p.name,
    possiblyBilled: !send.idempotent,
    cause: e,
  });
}

/**
 * The one retry loop: attempts each provider in order until one answers 2xx, retrying what is
 * safe to retry (with the server's `retry-after` or jittered backoff) and falling back only for
 * failures that would have been retried. Once a 2xx arrives, `consume` owns the outcome: its
 * events pass through and its errors are thrown, never replayed.
 */
export async function* attemptLoop<T>(ctx: LoopContext, spec: LoopSpec<T>): AsyncGenerator<T | LoopNotice> {
  const notify = (ev: LoopNotice): LoopNotice => {
    try {
      ctx.onEvent?.(ev);
    } catch {
      // A failing progress observer must not abandon a request that may already be billed.
    }
    return ev;
  };
  let attempts = 0;
  let last: Failure | undefined;
  for (const [pi, p] of ctx.providers.entries()) {
    if (pi > 0 && last) {
      const from = ctx.providers[pi - 1]?.name ?? "";
      yield notify({ type: "fallback", from, to: p.name, reason: last.error.message });
    }
    // Built once per provider to surface validation errors before any attempt, and again per
    // retry: a fresh body instead of `clone()`, whose tee would keep a copy of every upload.
    let request: Request | undefined = await spec.build(p);
    const sendCtx: SendContext = {
      provider: p.name,
      secrets: ctx.secrets,
      timeoutMs: ctx.timeoutMs,
      idempotent: spec.idempotent,
    };
    for (let retry = 0; ; retry++) {
      if (spec.signal?.aborted) throw new AbortedError("request aborted by the caller", { provider: p.name });
      attempts++;
      const att = startAttempt(spec.signal, ctx.timeoutMs);
      let failure: Failure;
      let answered = false;
      try {
        const req = request ?? (await spec.build(p));
        request = undefined; // a body can be sent once
        const url = req.url;
        const res = await send(ctx.fetch, req, att, sendCtx);
        if (res.ok) {
          answered = true;
          try {
            yield* spec.consume(res, p, att, attempts);
          } catch (e) {
            throw afterSuccess(e, att, url, sendCtx, p);
          }
          return;
        }
        const error = await errorFromResponse(res, { provider: p.name, secrets: ctx.secrets, now: ctx.now });
        failure = judge(error, ctx.retry, res.headers);
      } catch (e) {
        // After a 2xx nothing is replayed; an abort is the caller's decision.
        if (answered || !(e instanceof GptImageError) || e instanceof AbortedError) throw e;
        failure = judge(e, ctx.retry);
      } finally {
        att.dispose();
      }
      last = failure;
      if (!failure.retry || retry >= ctx.retry.maxRetries) {
        if (!failure.fallback || pi === ctx.providers.length - 1) throw failure.error;
        break;
      }
      const delayMs = retryDelayMs(retry, failure.headers, ctx.retry, ctx.random, ctx.now);
      yield notify({ type: "retry", attempt: attempts + 1, provider: p.name, delayMs, reason: failure.error.message });
      try {
        await ctx.sleep(delayMs, spec.signal);
      } catch (e) {
        throw new AbortedError("request aborted by the caller", { provider: p.name, cause: e });
      }
    }
  }
  // Unreachable with at least one provider: every path above returns or throws.
  throw last?.error ?? new ConnectionError("no provider configured");
}
