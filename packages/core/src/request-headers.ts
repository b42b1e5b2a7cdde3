import type { ResolvedProvider } from "./providers.ts";

/** Headers every request carries. The key goes into `Authorization` and nowhere else. */
export function requestHeaders(p: ResolvedProvider, accept: string, contentType?: string): Headers {
  const h = new Headers(p.headers);
  h.set("Accept", accept);
  if (contentType) h.set("Content-Type", contentType);
  if (p.apiKey) h.set("Authorization", `Bearer ${p.apiKey}`);
  return h;
}

// Header names that carry credentials by convention; their values are never shown or logged.
const SECRET_HEADER = /^(authorization|proxy-authorization|cookie)$|token|secret|key|auth|signature/i;

/** True for a header whose value must be redacted (`Authorization`, `x-api-key`, …). */
export const isSecretHeader = (name: string): boolean => SECRET_HEADER.test(name);
