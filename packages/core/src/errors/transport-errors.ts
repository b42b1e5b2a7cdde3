import { GptImageError, type GptImageErrorInit } from "./gptimg-error.ts";

/** The connection failed before the request was sent: safe to retry. */
export class ConnectionError extends GptImageError {
  override name = "ConnectionError";
  constructor(message: string, init: GptImageErrorInit = {}) {
    super("network", message, init);
  }
}

/** The attempt ran out of time before the request was sent or with nothing billed. */
export class TimeoutError extends GptImageError {
  override name = "TimeoutError";
  constructor(message: string, init: GptImageErrorInit = {}) {
    super("timeout", message, init);
  }
}

/**
 * The request was sent but no answer was read (timeout or reset after the body went out).
 * The provider may have billed it, so it is not replayed unless the caller opted in.
 */
export class OutcomeUnknownError extends GptImageError {
  override name = "OutcomeUnknownError";
  constructor(message: string, init: GptImageErrorInit = {}) {
    super("outcome_unknown", message, { ...init, possiblyBilled: true });
  }
}

/** The provider answered 2xx with something that is not a usable image response. */
export class BadResponseError extends GptImageError {
  override name = "BadResponseError";
  constructor(message: string, init: GptImageErrorInit = {}) {
    super("bad_response", message, init);
  }
}

/** The caller aborted. */
export class AbortedError extends GptImageError {
  override name = "AbortedError";
  constructor(message = "request aborted", init: GptImageErrorInit = {}) {
    super("aborted", message, init);
  }
}

export const isOutcomeUnknownError = (e: unknown): e is OutcomeUnknownError => e instanceof OutcomeUnknownError;
