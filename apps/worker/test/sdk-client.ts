/** The official `openai` SDK as an outside developer points it at the Worker, inside the Workers runtime. */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import OpenAI from "openai";
import worker from "../src/index.ts";
import { ORIGIN } from "./gateway-support.ts";

export interface SdkClientOptions {
  /** a deployment's vars on top of the test env (e.g. SKIP_MODEL_RULES) */
  vars?: Record<string, string>;
  /** headers on every request */
  headers?: Record<string, string>;
  /** the SDK's own retries (default 0) */
  maxRetries?: number;
  /** sees every request the SDK sends, retries included */
  onRequest?: (req: Request) => void;
}

/**
 * A real `openai` client of the Worker: its requests go to the Worker's fetch handler with the
 * test env, plus `vars`, and `headers` on every request.
 */
export function sdkClient(token: string, o: SdkClientOptions = {}): OpenAI {
  const fetch = async (url: string | URL | Request, init?: RequestInit) => {
    const req = new Request(url, init);
    o.onRequest?.(req);
    if (!o.vars) return exports.default.fetch(req);
    const ctx = createExecutionContext();
    const res = await worker.fetch(req as Parameters<typeof worker.fetch>[0], { ...env, ...o.vars } as typeof env, ctx);
    // the body streams from work the context keeps alive: read it whole before waiting on it
    const body = await res.arrayBuffer();
    await waitOnExecutionContext(ctx);
    return new Response(body, res);
  };
  return new OpenAI({
    apiKey: token,
    baseURL: `${ORIGIN}/v1`,
    maxRetries: o.maxRetries ?? 0,
    ...(o.headers ? { defaultHeaders: o.headers } : {}),
    // The SDK asks `fetch.Response` whether FormData bodies work by reading one as text, which
    // workerd warns about for a multipart body; they do work here, so the answer is given.
    fetch: Object.assign(fetch, { Response: FormDataWorks }),
  });
}

/** Answers the SDK's FormData probe: a FormData body read as text is not `[object FormData]`. */
class FormDataWorks {
  async text(): Promise<string> {
    return "multipart";
  }
}
