/**
 * What every platform's verifier (`<platform>/verify.ts`) answers. Each verifies over the raw
 * body, before anything is parsed or stored, and fails closed: a missing secret or header is a
 * rejection.
 */

/** Outcome of a verification; `reason` is for logs and never holds a secret. */
export type Verified = { ok: true } | { ok: false; reason: string };

/** A rejection, with its reason for the log. */
export const fail = (reason: string): Verified => ({ ok: false, reason });
/** An accepted request. */
export const OK: Verified = { ok: true };
