import { shownUrl, type ValidationIssue } from "@gptimg/core";
import type { Env } from "../env.ts";
import { hmacSha256, toHex } from "../lib/tokens.ts";
import { newestCallbackSecret } from "./callback-secret.ts";
import { isPrivateHost } from "./private-host.ts";
import type { JobView } from "./types.ts";

const LOCAL_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);

/**
 * Problems with a `callback_url`: it must be absolute https to a public host (no loopback,
 * private, link-local or internal-only name: the Worker must not be made to call inside a
 * network). Loopback, over http or https, only when `ALLOW_LOCAL_CALLBACKS` is "true" (local
 * development and tests). A refused URL is named without its query (a token may be there).
 */
export function checkCallbackUrl(env: Env, value: string): ValidationIssue[] {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return [{ field: "callback_url", value: shownUrl(value), rule: "must be an absolute https URL" }];
  }
  if (url.username || url.password) {
    return [{ field: "callback_url", value: `${url.protocol}//***@${url.host}`, rule: "must not carry credentials" }];
  }
  const local = LOCAL_HOSTS.has(url.hostname);
  if (local && env.ALLOW_LOCAL_CALLBACKS === "true" && (url.protocol === "http:" || url.protocol === "https:"))
    return [];
  if (url.protocol !== "https:") {
    const rule = local
      ? "must be https (http://127.0.0.1 is allowed only when ALLOW_LOCAL_CALLBACKS is true)"
      : "must be https";
    return [{ field: "callback_url", value: shownUrl(url), rule }];
  }
  if (isPrivateHost(url.hostname)) {
    return [
      {
        field: "callback_url",
        value: shownUrl(url),
        rule: "must name a public host (loopback, private, link-local and internal addresses are refused)",
      },
    ];
  }
  return [];
}

/**
 * `t=<unix s>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, the `X-Gptimg-Signature` header value,
 * keyed with the team's callback secret (`callback-secret.ts`). A receiver recomputes it with the
 * secret from `GET /v1/callback-secret`, compares in constant time and rejects old `t`.
 * @example
 * const header = await signCallback(secret, JSON.stringify(job), nowSeconds());
 */
export async function signCallback(key: string, body: string, t: number): Promise<string> {
  return `t=${t},v1=${toHex(await hmacSha256(key, `${t}.${body}`))}`;
}

/** Statuses after which posting the same callback again cannot help. */
const PERMANENT = new Set([400, 401, 403, 404, 405, 410, 413, 422]);

/** A callback that failed for good: the deliver step records it instead of retrying. */
export class PermanentDeliveryError extends Error {
  override name = "PermanentDeliveryError";
}

/**
 * POSTs the job object to `url`, signed with `team`'s callback secret under the newest signing
 * key (its kid in `X-Gptimg-Key-Id`). Resolves with the status on 2xx;
 * throws on anything else so the Workflow step retries (or `PermanentDeliveryError` for 4xx that
 * will never succeed). Redirects are not followed: the signature was made for this URL only.
 */
export async function deliverCallback(
  env: Env,
  url: string,
  team: string,
  job: JobView,
  opts: { fetch?: typeof fetch; now?: () => number; timeoutMs?: number } = {},
): Promise<number> {
  const { fetch: fetchImpl = globalThis.fetch, now = Date.now, timeoutMs = 15_000 } = opts;
  const body = JSON.stringify({ type: `image.job.${job.status}`, data: job });
  const { kid, secret } = await newestCallbackSecret(env, team);
  const t = Math.floor(now() / 1000);
  const res = await fetchImpl(url, {
    method: "POST",
    redirect: "manual",
    signal: AbortSignal.timeout(timeoutMs),
    headers: {
      "content-type": "application/json",
      "user-agent": "gptimg-worker",
      "x-gptimg-signature": await signCallback(secret, body, t),
      "x-gptimg-key-id": kid,
      "x-gptimg-job-id": job.id,
    },
    body,
  });
  await res.body?.cancel();
  if (res.ok) return res.status;
  const message = `callback ${new URL(url).origin} answered ${res.status}`;
  if (PERMANENT.has(res.status)) throw new PermanentDeliveryError(message);
  // the same URL answers the same way again: a redirect is never followed, so never delivered
  if (res.status >= 300 && res.status < 400)
    throw new PermanentDeliveryError(`${message} (a redirect: callbacks are not redirected, set the final URL)`);
  throw new Error(message);
}
