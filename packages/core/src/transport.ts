import {
  AbortedError,
  ConnectionError,
  type GptImageError,
  OutcomeUnknownError,
  TimeoutError,
} from "./errors/index.ts";
import { redact } from "./redact.ts";
import { shownUrls } from "./shown-url.ts";

/**
 * Error codes that prove no connection was made, so no byte of the request reached the
 * provider: Node/undici (`cause.code`), Bun (`code`), and TLS failures, which end the
 * handshake before any HTTP is written. Anything else (ECONNRESET, UND_ERR_SOCKET, "other side
 * closed", an unknown error) may have come after the body went out, so it counts as sent.
 */
const NOT_SENT_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EAI_NONAME",
  "EAI_FAIL",
  "EHOSTUNREACH",
  "EHOSTDOWN",
  "ENETUNREACH",
  "ENETDOWN",
  "EADDRNOTAVAIL",
  "UND_ERR_CONNECT_TIMEOUT",
  "ConnectionRefused",
  "FailedToOpenSocket",
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "CERT_HAS_EXPIRED",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
]);

/** Every `code` found on an error, its causes and an AggregateError's members (bounded). */
export function errorCodes(e: unknown): string[] {
  const codes: string[] = [];
  const queue: unknown[] = [e];
  for (let i = 0; i < queue.length && i < 16; i++) {
    const x = queue[i];
    if (typeof x !== "object" || x === null) continue;
    const o = x as { code?: unknown; cause?: unknown; errors?: unknown };
    if (typeof o.code === "string") codes.push(o.code);
    if (o.cause !== undefined) queue.push(o.cause);
    if (Array.isArray(o.errors)) queue.push(...o.errors);
  }
  return codes;
}

/** Bun appends this advice to network errors; it means nothing to a gptimg user. */
const PLATFORM_HINT = /\s*For more information, pass `verbose: true`[\s\S]*$/;

/**
 * A short, stable description of a network failure: the first system error code found
 * (`ECONNREFUSED`, `ECONNRESET`, ...) or else the platform's message without runtime advice.
 */
export function networkErrorDetail(e: unknown): string {
  return errorCodes(e)[0] ?? platformMessage(e);
}

/** A message without the runtime's debugging advice (Bun's "pass `verbose: true`…"). */
export const withoutPlatformHint = (message: string): string => message.replace(PLATFORM_HINT, "");

/**
 * An error's message without the runtime's debugging advice, and any URL it quotes without its
 * query (a presigned URL's signature): the platform's words are shown and logged as they are.
 */
export function platformMessage(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return shownUrls(withoutPlatformHint(msg)) || "network error";
}

/** One attempt's abort signal: the caller's signal or the attempt's own deadline. */
export interface AttemptSignal {
  signal: AbortSignal;
  timedOut(): boolean;
  callerAborted(): boolean;
  dispose(): void;
}

/**
 * Starts an attempt's deadline. It is a real timer, not the injected `sleep`: tests make
 * `sleep` return at once to skip backoff, which must not also cut every request short.
 */
export function startAttempt(caller: AbortSignal | undefined, timeoutMs: number): AttemptSignal {
  const controller = new AbortController();
  let timedOut = false;
  const onAbort = () => controller.abort(caller?.reason);
  if (caller?.aborted) controller.abort(caller.reason);
  else caller?.addEventListener("abort", onAbort, { once: true });
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new DOMException("attempt timed out", "TimeoutError"));
  }, timeoutMs);
  return {
    signal: controller.signal,
    timedOut: () => timedOut,
    callerAborted: () => caller?.aborted === true,
    dispose() {
      clearTimeout(timer);
      // Cancels a body nobody will read (an early break, an error page left unread).
      if (!controller.signal.aborted) controller.abort(new DOMException("attempt finished", "AbortError"));
      caller?.removeEventListener("abort", onAbort);
    },
  };
}

export interface SendContext {
  provider: string;
  secrets: (string | undefined)[];
  timeoutMs: number;
  /** a GET that bills nothing: a timeout or reset is an ordinary retryable failure */
  idempotent: boolean;
}

/**
 * The error for a failure with no response: caller abort, deadline, or a transport error that
 * did or did not happen before the request was sent (see NOT_SENT_CODES).
 */
export function transportError(e: unknown, att: AttemptSignal, url: string, ctx: SendContext): GptImageError {
  const init = { provider: ctx.provider, cause: e };
  const host = new URL(url).host;
  // a request the caller gave up on may have reached the provider, which may still bill it
  if (att.callerAborted())
    return new AbortedError("request aborted by the caller", { ...init, possiblyBilled: !ctx.idempotent });
  if (att.timedOut()) {
    const msg = `no complete response from ${host} (${ctx.provider}) within ${ctx.timeoutMs} ms`;
    if (ctx.idempotent) return new TimeoutError(msg, init);
    return new OutcomeUnknownError(`${msg}; the request was sent, so the provider may still finish and bill it`, init);
  }
  const codes = errorCodes(e);
  const detail = redact(networkErrorDetail(e), ctx.secrets);
  if (codes.some((c) => NOT_SENT_CODES.has(c))) {
    return new ConnectionError(`could not connect to ${host} (${ctx.provider}): ${detail}`, init);
  }
  if (ctx.idempotent) return new ConnectionError(`connection to ${host} (${ctx.provider}) failed: ${detail}`, init);
  return new OutcomeUnknownError(
    `connection to ${host} (${ctx.provider}) failed after the request was sent (${detail}); the provider may have billed it`,
    init,
  );
}

/** Sends one request under the attempt's signal; rejects only with a GptImageError. */
export async function send(
  fetchFn: typeof fetch,
  req: Request,
  att: AttemptSignal,
  ctx: SendContext,
): Promise<Response> {
  try {
    return await fetchFn(req, { signal: att.signal });
  } catch (e) {
    throw transportError(e, att, req.url, ctx);
  }
}
