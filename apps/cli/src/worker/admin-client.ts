import { networkError, workerError } from "./http.ts";

export interface AdminClientOptions {
  /** Worker root, without a trailing slash */
  endpoint: string;
  adminToken: string;
  /** passed in by tests; default: the global fetch */
  fetch?: typeof fetch;
}

/** `POST /admin/tokens`'s body (docs/worker-api.md). */
export interface NewTokenBody {
  team: string;
  member: string;
  expires_in_days?: number;
  models?: string[];
  daily_image_quota?: number;
  rpm?: number;
}

/** A token as the admin API shows it; `token` only in the answer that created it. */
export interface AdminToken {
  id?: string;
  token?: string;
  team?: string;
  member?: string;
  expires_at?: number | null;
  revoked_at?: number | null;
  [field: string]: unknown;
}

export interface UsageQuery {
  from?: string;
  to?: string;
  team?: string;
}

/**
 * A client for the Worker's admin API (tokens and usage) with the admin token. Errors are
 * `CliError`s naming the call, as the jobs client's are.
 * @example
 * const admin = createAdminClient({ endpoint, adminToken })
 * const { token } = await admin.createToken({ team: "acme", member: "alice" }, signal)
 */
export function createAdminClient(o: AdminClientOptions) {
  const doFetch = o.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => globalThis.fetch(input, init));

  async function call(method: string, path: string, signal: AbortSignal, body?: unknown): Promise<unknown> {
    const url = `${o.endpoint}${path}`;
    let res: Response;
    try {
      res = await doFetch(url, {
        method,
        headers: {
          authorization: `Bearer ${o.adminToken}`,
          accept: "application/json",
          ...(body ? { "content-type": "application/json" } : {}),
        },
        ...(body ? { body: JSON.stringify(body) } : {}),
        signal,
      });
    } catch (e) {
      if (signal.aborted) throw e;
      throw networkError(url, e);
    }
    if (!res.ok) throw await workerError(res, `${method} ${path}`);
    return res.status === 204 ? {} : res.json().catch(() => ({}));
  }

  return {
    createToken: (body: NewTokenBody, signal: AbortSignal) =>
      call("POST", "/admin/tokens", signal, body) as Promise<AdminToken>,
    listTokens: (team: string | undefined, signal: AbortSignal) =>
      call("GET", `/admin/tokens${team ? `?team=${encodeURIComponent(team)}` : ""}`, signal) as Promise<{
        data?: AdminToken[];
      }>,
    revokeToken: (id: string, signal: AbortSignal) =>
      call("DELETE", `/admin/tokens/${encodeURIComponent(id)}`, signal) as Promise<AdminToken>,
    usage: (q: UsageQuery, signal: AbortSignal) => {
      const params = new URLSearchParams();
      for (const k of ["from", "to", "team"] as const) if (q[k]) params.set(k, q[k]);
      return call("GET", `/admin/usage${params.size ? `?${params}` : ""}`, signal) as Promise<{
        rows?: Record<string, unknown>[];
      }>;
    },
  };
}

export type AdminClient = ReturnType<typeof createAdminClient>;
