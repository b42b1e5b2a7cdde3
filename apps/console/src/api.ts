/** The console's calls to the Worker: same origin, session cookie, errors in words. */

/** An API failure, with a sentence for people and what to do about it. */
export class ApiError extends Error {
  override name = "ApiError";
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
    readonly param: string | null,
    /** the Worker said `possibly_billed`: the provider had begun */
    readonly possiblyBilled = false,
    /** how long the server asked to wait before trying again (`Retry-After`), in seconds */
    readonly retryAfterSeconds: number | null = null,
  ) {
    // the Worker's messages start with the field or the provider's words: shown as a sentence
    super(message.charAt(0).toUpperCase() + message.slice(1));
  }
}

interface ErrorBody {
  error?: { message?: unknown; code?: unknown; param?: unknown; possibly_billed?: unknown };
}

const ADVICE: Record<string, string> = {
  auth: "Sign in again with a valid token.",
  permission: "Ask your admin for access.",
  quota_exceeded: "Your daily image quota is used up: it resets at 00:00 UTC, or ask your admin for a larger quota.",
  rate_limited: "Too many requests at once: wait a minute, then try again.",
  insufficient_quota:
    "The image provider's account is out of credit: ask your admin to check its plan and billing; trying again will not help until then.",
  validation: "Correct the field named above and try again.",
  content_policy: "The provider refused this prompt or image: change it and try again.",
  not_found: "It may have been removed: reload the page.",
  timeout: "The image provider took too long: try again, perhaps with a smaller size or lower quality.",
  provider_error: "The image provider failed: try again in a moment; tell your admin if it keeps failing.",
  bad_response: "The image provider sent something unusable: try again; tell your admin if it keeps failing.",
  network: "The Worker could not reach the image provider: try again in a moment.",
  outcome_unknown: "The provider may have made (and billed) the image: check History before trying again.",
  idempotency_conflict: "This request was already sent with other settings: reload the page and try again.",
  internal: "Something went wrong on the server: try again; tell your admin if it keeps failing.",
};

/**
 * A sentence and advice for any failure, never raw JSON. `billed`, when given, says what the
 * provider may have billed whatever the failure (a run that had shown images); otherwise an error
 * that says `possibly_billed` gets a sentence of its own.
 */
export function explain(err: unknown, billed?: string): string {
  const said = (message: string, advice: string, possiblyBilled: boolean) =>
    [
      message.replace(/[.:]?\s*$/, "."),
      billed ?? (possiblyBilled ? "The provider may have billed this request." : ""),
      advice,
    ]
      .filter(Boolean)
      .join(" ");
  if (err instanceof ApiError) {
    const wait = err.code === "rate_limited" && err.retryAfterSeconds !== null ? waitFor(err.retryAfterSeconds) : null;
    return said(
      err.message,
      wait ?? ADVICE[err.code] ?? (err.status >= 500 ? (ADVICE.internal ?? "") : ""),
      err.possiblyBilled,
    );
  }
  if (err instanceof TypeError)
    return said("Could not reach the server", "Check your connection, then try again.", false);
  return said(err instanceof Error ? err.message : String(err), "", false);
}

/** Advice to wait `seconds`, in words: seconds up to a minute and a half, whole minutes past it. */
const waitFor = (seconds: number) =>
  `Wait ${seconds < 90 ? `${seconds} seconds` : `about ${Math.ceil(seconds / 60)} minutes`}, then try again.`;

/** An ApiError from a failed response (its JSON error body, or its status alone). */
export async function toApiError(res: Response): Promise<ApiError> {
  let body: ErrorBody = {};
  try {
    body = (await res.json()) as ErrorBody;
  } catch {
    // not JSON: fall back to the status
  }
  const e = body.error ?? {};
  const message =
    typeof e.message === "string" && e.message ? e.message : `The server answered ${res.status} ${res.statusText}`;
  const code = typeof e.code === "string" ? e.code : res.status === 401 ? "auth" : res.status >= 500 ? "internal" : "";
  const param = typeof e.param === "string" ? e.param : null;
  const retryAfter = Number(res.headers.get("Retry-After") ?? "");
  const wait = Number.isInteger(retryAfter) && retryAfter > 0 ? retryAfter : null;
  return new ApiError(message, res.status, code, param, e.possibly_billed === true, wait);
}

/**
 * Called with the reason in words when any request answers 401: the app asks for the token again
 * over the page, keeping what is on it.
 */
export let onSignedOut: (reason: string) => void = () => {};
export const setOnSignedOut = (f: (reason: string) => void) => {
  onSignedOut = f;
};

/** fetch on the console's origin; throws ApiError on any non-2xx answer. */
export async function request(path: string, init: RequestInit = {}): Promise<Response> {
  const res = await fetch(path, { credentials: "same-origin", ...init });
  if (!res.ok) {
    const err = await toApiError(res);
    if (res.status === 401 && !path.startsWith("/console/api/session")) onSignedOut(explain(err));
    throw err;
  }
  return res;
}

/** A JSON call: `body` is sent as JSON. */
export async function api<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const res = await request(path, {
    method: init.method ?? "GET",
    ...(init.body !== undefined
      ? { body: JSON.stringify(init.body), headers: { "Content-Type": "application/json" } }
      : {}),
  });
  return res.status === 204 ? (undefined as T) : ((await res.json()) as T);
}

/** Who is signed in. */
export interface Session {
  role: "member" | "admin";
  team?: string;
  member?: string;
  models?: string[] | null;
  daily_image_quota?: number | null;
  expires_at: number;
}

/** A history entry as `/console/api/history` answers. */
export interface HistoryEntry {
  id: string;
  kind: "generate" | "edit";
  model: string;
  member: string;
  created_at: number;
  prompt: string;
  requested_size: string | null;
  settings: Record<string, string | number>;
  cost_usd: number | null;
  images: {
    index: number;
    format: string;
    width: number;
    height: number;
    bytes: number;
    url: string | null;
    thumbnail_url: string;
  }[];
}

export interface UsageRow {
  day?: string;
  team: string;
  member: string;
  model: string;
  images: number;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number;
}

export interface TokenView {
  id: string;
  team: string;
  member: string;
  models: string[] | null;
  daily_image_quota: number | null;
  rpm: number | null;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
  token?: string;
}
