/** Outbound calls to chat platform APIs, with one error type that says whether a retry may help. */
import { shownUrls } from "@gptimg/core";
import { readAtMost } from "../lib/read-at-most.ts";
import { InputsTooLargeError } from "./inputs.ts";

/**
 * A platform API call that failed. `retryable` is true for 429, 5xx and network failures, so a
 * Workflow step retry can try again; false for answers that will not change (bad token, gone).
 */
export class PlatformApiError extends Error {
  override name = "PlatformApiError";
  constructor(
    readonly platform: string,
    readonly method: string,
    readonly status: number | null,
    readonly detail: string,
    readonly retryable: boolean,
  ) {
    super(`${platform} ${method} failed${status ? ` (HTTP ${status})` : ""}: ${detail}`);
  }
}

/** Statuses worth retrying: rate limited or the platform's own trouble. */
const RETRYABLE = new Set([408, 409, 425, 429, 500, 502, 503, 504]);

/** Sends a request and reads the body of a 2xx answer as text, or throws a PlatformApiError naming the call. */
export const sendText = async (platform: string, method: string, req: Request): Promise<string> => {
  let res: Response;
  try {
    res = await fetch(req);
  } catch (e) {
    throw new PlatformApiError(platform, method, null, `network error: ${shownUrls((e as Error).message)}`, true);
  }
  const text = await res.text();
  if (!res.ok) throw new PlatformApiError(platform, method, res.status, text.slice(0, 200), RETRYABLE.has(res.status));
  return text;
};

/** Reads JSON from a response or throws a PlatformApiError naming the call. */
export const sendJson = async <T>(platform: string, method: string, req: Request): Promise<T> => {
  const text = await sendText(platform, method, req);
  if (!text) return {} as T;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new PlatformApiError(platform, method, null, "response is not JSON", false);
  }
};

/**
 * Downloads bytes, refusing bodies over `maxBytes` (checked by header and while reading). With a
 * `budget` (what is left of a shared total, see downloadInputs), a body over it is refused with
 * InputsTooLargeError, also by header and while reading.
 */
export const fetchBytes = async (
  platform: string,
  what: string,
  req: Request,
  maxBytes: number,
  budget = Number.POSITIVE_INFINITY,
): Promise<Uint8Array> => {
  let res: Response;
  try {
    res = await fetch(req);
  } catch (e) {
    throw new PlatformApiError(platform, what, null, `network error: ${shownUrls((e as Error).message)}`, true);
  }
  if (!res.ok || !res.body) {
    await res.body?.cancel();
    throw new PlatformApiError(platform, what, res.status, "download failed", RETRYABLE.has(res.status));
  }
  const declared = Number(res.headers.get("content-length") ?? "0");
  if (declared > maxBytes) {
    await res.body.cancel();
    throw new PlatformApiError(
      platform,
      what,
      res.status,
      `file is ${declared} bytes, over the ${maxBytes}-byte limit`,
      false,
    );
  }
  if (declared > budget) {
    await res.body.cancel();
    throw new InputsTooLargeError();
  }
  const bytes = await readAtMost(res.body, Math.min(maxBytes, budget));
  if (bytes === null) {
    if (budget < maxBytes) throw new InputsTooLargeError();
    throw new PlatformApiError(platform, what, res.status, `file is over the ${maxBytes}-byte limit`, false);
  }
  return bytes;
};

/** Joins an API base (from a var, maybe with a trailing slash) and a path. */
export const apiUrl = (base: string, path: string): string => `${base.replace(/\/+$/, "")}/${path.replace(/^\/+/, "")}`;
