import type { ServerResponse } from "node:http";
import { HttpError } from "./errors.ts";
import type { Reply } from "./reply.ts";
import type { FaultSpec } from "./types.ts";

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

const STATUS_MESSAGES: Record<number, [string, string, string | null]> = {
  400: ["Bad request.", "invalid_request_error", null],
  401: ["Incorrect API key provided.", "invalid_request_error", "invalid_api_key"],
  403: ["You are not allowed to sample from this model.", "invalid_request_error", "permission_denied"],
  404: ["The model does not exist or you do not have access to it.", "invalid_request_error", "model_not_found"],
  408: ["Request timed out.", "server_error", "timeout"],
  409: ["Conflict: another request is in progress.", "invalid_request_error", "conflict"],
  429: ["Rate limit reached for images per minute. Please try again later.", "requests", "rate_limit_exceeded"],
  500: ["The server had an error while processing your request. Sorry about that!", "server_error", null],
  502: ["Bad gateway.", "server_error", null],
  503: ["The engine is currently overloaded, please try again later.", "server_error", "overloaded"],
  504: ["Gateway timeout.", "server_error", "timeout"],
};

/** Errors a `code` parameter names, as OpenAI words them (its type is the code). */
const CODE_MESSAGES: Record<string, string> = {
  // https://platform.openai.com/docs/guides/error-codes#api-errors
  insufficient_quota:
    "You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.",
};

/** The OpenAI-style error a `status` fault answers with, including its retry headers. */
export function statusFaultError(f: Extract<FaultSpec, { kind: "status" }>): HttpError {
  const [message, type, code] =
    f.code !== undefined
      ? [CODE_MESSAGES[f.code] ?? `Injected error ${f.status} (${f.code}).`, f.code, f.code]
      : (STATUS_MESSAGES[f.status] ?? [
          `Injected error ${f.status}.`,
          f.status >= 500 ? "server_error" : "invalid_request_error",
          null,
        ]);
  const headers: Record<string, string> = {};
  if (f.retryAfter !== undefined) headers["retry-after"] = String(f.retryAfter);
  if (f.retryAfterMs !== undefined) headers["retry-after-ms"] = String(f.retryAfterMs);
  if (f.shouldRetry !== undefined) headers["x-should-retry"] = String(f.shouldRetry);
  return new HttpError(f.status, f.message ?? message, { type, code, headers });
}

/** An HTML error page like the ones reverse proxies send (for the `html` fault). */
export function htmlPage(status: number): string {
  return `<!DOCTYPE html>\n<html>\n<head><title>${status} Bad Gateway</title></head>\n<body>\n<center><h1>${status} Bad Gateway</h1></center>\n<hr><center>nginx</center>\n</body>\n</html>\n`;
}

/** Options for writing one reply. */
export interface WriteOptions {
  /** send only this many body bytes, then destroy the socket */
  cutBytes?: number;
  /** make a JSON body unparsable */
  invalidJson?: boolean;
  /** spread this delay across SSE events */
  streamLatencyMs: number;
  signal: AbortSignal;
  extraHeaders: Record<string, string>;
}

/** Writes a reply, applying the transport faults. Resolves with the status sent (0 if cut). */
export async function writeReply(res: ServerResponse, reply: Reply, o: WriteOptions): Promise<number> {
  let budget = o.cutBytes ?? Number.POSITIVE_INFINITY;
  /** writes a chunk within the cut budget; false once the connection was cut */
  const write = (chunk: Buffer): boolean => {
    if (res.destroyed) return false;
    if (chunk.length < budget) {
      budget -= chunk.length;
      res.write(chunk);
      return true;
    }
    res.write(chunk.subarray(0, budget), () => res.destroy());
    budget = 0;
    return false;
  };
  if (reply.kind === "body") {
    let body = Buffer.from(reply.body);
    if (o.invalidJson && reply.headers["content-type"]?.includes("json")) {
      // A complete response (right Content-Length) whose JSON stops mid-way.
      body = Buffer.concat([
        body.subarray(0, Math.max(1, Math.floor(body.length * 0.6))),
        Buffer.from("\n<!-- upstream error -->"),
      ]);
    }
    res.writeHead(reply.status, { ...o.extraHeaders, ...reply.headers, "content-length": String(body.length) });
    if (!write(body)) return 0;
    res.end();
    return reply.status;
  }
  res.writeHead(200, { ...o.extraHeaders, "content-type": "text/event-stream", "cache-control": "no-cache" });
  res.flushHeaders();
  const gap = o.streamLatencyMs / Math.max(1, reply.events.length);
  for (const next of reply.events) {
    await sleep(gap, o.signal);
    if (o.signal.aborted || res.destroyed) return 0;
    const ev = await next();
    if (!write(Buffer.from(`event: ${ev.event}\ndata: ${ev.data}\n\n`))) return 0;
  }
  res.end();
  return 200;
}
