/**
 * The Worker's clock in unix seconds: D1 rows, token and session expiry, URL expiry, rate
 * windows and webhook timestamps all count whole seconds, read here.
 * @example
 * const expiresAt = nowSeconds() + SESSION_TTL_SECONDS;
 */
export const nowSeconds = (): number => Math.floor(Date.now() / 1000);
