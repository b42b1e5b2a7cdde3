import type { Context, Env as HonoEnv, MiddlewareHandler } from "hono";
import { isMultipart } from "../lib/json-body.ts";
import { readAtMost } from "../lib/read-at-most.ts";

const MiB = 1024 * 1024;

/**
 * Request body limits. Multipart carries edit inputs: at most 50 MB of images (core's limit,
 * OpenAI images/edits) plus a mask under 4 MB, plus room for boundaries and text fields.
 * Everything else is JSON or form text: a 32,000-character prompt is far below 1 MiB.
 */
export const BODY_LIMITS = {
  multipart: 56 * MiB,
  json: 1 * MiB,
  admin: 64 * 1024,
  webhook: 1 * MiB,
} as const;

/** A body over its limit, thrown while it is read. */
export class BodyTooLargeError extends Error {
  override name = "BodyTooLargeError";
  constructor(readonly max: number) {
    super(`request body is over the ${max}-byte limit`);
  }
}

/** What `bodyLimit` does with a body over its limit: the response to send. */
export type TooLarge<E extends HonoEnv> = (c: Context<E>, max: number, size: number | null) => Response;

/**
 * Refuses a body over `max(contentType, path)` bytes before any handler reads it. A declared
 * Content-Length over the limit is refused at once. Without one (chunked), a small limit is
 * read into memory and checked; a large one (multipart) is counted while the handler streams
 * it, and reading fails with `BodyTooLargeError` past the limit, so nothing big is buffered here.
 * The handler then fails however it fails (nothing it parsed is whole); its answer is replaced
 * by `tooLarge` with a null size, so a chunked body gets the same 413 as a declared one.
 * @example
 * app.use("/admin/*", bodyLimit(() => 64 * 1024, (c, max) => c.text("too large", 413)));
 */
export function bodyLimit<E extends HonoEnv>(
  max: (contentType: string, path: string) => number,
  tooLarge: TooLarge<E>,
): MiddlewareHandler<E> {
  return async (c, next) => {
    const raw = c.req.raw;
    if (!raw.body) return next();
    const limit = max(raw.headers.get("content-type") ?? "", c.req.path);
    const declared = raw.headers.get("content-length");
    if (declared !== null && !raw.headers.has("transfer-encoding")) {
      const size = Number(declared);
      if (!Number.isSafeInteger(size) || size > limit) return tooLarge(c, limit, Number.isFinite(size) ? size : null);
      return next();
    }
    if (limit <= BODY_LIMITS.webhook) {
      const bytes = await readAtMost(raw.body, limit);
      if (bytes === null) return tooLarge(c, limit, null);
      c.req.raw = new Request(raw, { body: bytes });
      return next();
    }
    const count = counter(limit);
    c.req.raw = new Request(raw, { body: raw.body.pipeThrough(count.stream) });
    await next();
    // Whatever the handler made of the failed read (a parse error, a 500), the cause is the size:
    // answer as a declared Content-Length over the limit would have been answered.
    if (count.overflowed()) {
      c.res = undefined; // drop the handler's answer whole, headers included
      c.res = tooLarge(c, limit, null);
    }
  };
}

/**
 * `req` with a body that passes its first `free` bytes at once and waits for `check` before the
 * rest: a request whose token is read later (with its quota) has it read first once its body
 * passes `free`, so a caller without a valid token never makes the Worker hold more than that.
 * When `check` throws, reading the body fails with its error and the rest is never read.
 * @example
 * c.req.raw = checkedPast(c.req.raw, BODY_LIMITS.json, () => authenticate(c));
 */
export function checkedPast(req: Request, free: number, check: () => Promise<unknown>): Request {
  if (!req.body) return req;
  let seen = 0;
  let checked: Promise<unknown> | undefined;
  const gate = new TransformStream<Uint8Array, Uint8Array>({
    async transform(chunk, controller) {
      seen += chunk.byteLength;
      if (seen > free) {
        checked ??= check();
        await checked;
      }
      controller.enqueue(chunk);
    },
  });
  return new Request(req, { body: req.body.pipeThrough(gate) });
}

/** Passes bytes through and errors the stream once more than `max` have gone by. */
function counter(max: number): { stream: TransformStream<Uint8Array, Uint8Array>; overflowed: () => boolean } {
  let total = 0;
  const stream = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      total += chunk.byteLength;
      if (total > max) controller.error(new BodyTooLargeError(max));
      else controller.enqueue(chunk);
    },
  });
  return { stream, overflowed: () => total > max };
}

/**
 * `max` for routes that take JSON, or multipart edits. The spec's JSON edit form on
 * `/v1/images/edits` may carry its images as data URLs, so it gets the multipart limit too.
 */
export const jsonOrMultipart = (contentType: string, path = ""): number =>
  isMultipart(contentType) || path === "/v1/images/edits" ? BODY_LIMITS.multipart : BODY_LIMITS.json;
