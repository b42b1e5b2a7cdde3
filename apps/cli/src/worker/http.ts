import { networkErrorDetail, shownUrl } from "@gptimg/core";
import { CliError } from "../cli/errors.ts";

const CODE_BY_STATUS: Record<number, string> = {
  400: "validation",
  401: "auth",
  403: "permission",
  404: "not_found",
  409: "idempotency_conflict",
  413: "validation",
  429: "rate_limited",
};

/**
 * Error codes a Worker may report. Anything else (and codes only this CLI gives, such as
 * `aborted` or `usage`, which would pick the exit code of a local event) is judged by status.
 */
const SERVER_CODES = new Set([
  "validation",
  "auth",
  "permission",
  "not_found",
  "rate_limited",
  "insufficient_quota",
  "quota_exceeded",
  "content_policy",
  "idempotency_conflict",
  "provider_error",
  "bad_response",
  "timeout",
  "network",
  "outcome_unknown",
  "internal",
]);

/** A Worker's error code when it is one a Worker reports, else undefined. */
export const serverCode = (code: unknown): string | undefined =>
  typeof code === "string" && SERVER_CODES.has(code) ? code : undefined;

/** The Worker's `{ "error": { message, code } }` body (or anything else) as a CliError. */
export async function workerError(res: Response, what: string): Promise<CliError> {
  let message = `${what}: HTTP ${res.status}`;
  let code = CODE_BY_STATUS[res.status] ?? (res.status >= 500 ? "provider_error" : "validation");
  try {
    const text = await res.text();
    const body = JSON.parse(text.slice(0, 65536)) as { error?: { message?: unknown; code?: unknown } };
    const said = body.error?.message;
    // the Worker's own message often names the thing already ("job job_x not found"): say it once
    if (typeof said === "string") message = said.includes(what) ? said : `${what}: ${said}`;
    code = serverCode(body.error?.code) ?? code;
  } catch {
    // not JSON: keep the status line
  }
  if (res.status === 401 && code === "auth" && !/\/admin\//.test(res.url)) {
    // The Worker refused the team token (not a provider key): say how to store a good one.
    const endpoint = res.url ? res.url.replace(/\/v1\/.*$/, "") : "URL";
    message += `; the team token was refused: run gptimg login --endpoint ${endpoint} (or set GPTIMG_TOKEN)`;
  }
  const requestId = res.headers.get("x-request-id") ?? res.headers.get("cf-ray") ?? undefined;
  return new CliError(code, message, { status: res.status, ...(requestId ? { requestId } : {}) });
}

/** A failed fetch (DNS, refused, reset) as a `network` error naming the URL (without its query: a signature). */
export function networkError(url: string, e: unknown, possiblyBilled = false): CliError {
  // the system error code (ECONNREFUSED, ...) as core names it, without runtime advice
  return new CliError(possiblyBilled ? "outcome_unknown" : "network", `${shownUrl(url)}: ${networkErrorDetail(e)}`, {
    possiblyBilled,
    cause: e,
  });
}

/** Sleeps `ms`, rejecting early when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
