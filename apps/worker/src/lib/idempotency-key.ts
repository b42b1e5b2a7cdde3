import { HttpError } from "./errors.ts";

/** Longest `Idempotency-Key` taken, on `/v1/images/*` and `/v1/jobs` alike. */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

/**
 * The 409 for a key that already stands for another request: the caller must pick a new key,
 * or send the original request again to get its answer.
 * @example
 * if (row.body_hash !== hash) throw keyReused(key);
 */
export const keyReused = (key: string | undefined): HttpError =>
  new HttpError(
    409,
    "idempotency_conflict",
    `Idempotency-Key ${JSON.stringify(key)} was already used with a different request`,
    // the same key and body will be refused again: SDKs retry a 409 unless told not to
    { param: "Idempotency-Key", headers: { "x-should-retry": "false" } },
  );
