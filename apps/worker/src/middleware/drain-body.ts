import type { MiddlewareHandler } from "hono";

/**
 * Reads what is left of a request body the app answered without reading (a refused token, a
 * validation error found in the headers), before the answer goes out. Under `wrangler dev` a
 * response sent while the request body is still unread breaks the connection it came on
 * ("Can't read from request stream after response has been sent"), and the next request on that
 * connection fails with a 503 ("Your worker restarted mid-request"). Bodies declared larger than
 * `max` bytes are cancelled instead of read. Mount first, so it runs after every other handler.
 * @example
 * app.use("*", drainBody(BODY_LIMITS.multipart));
 */
export function drainBody(max: number): MiddlewareHandler {
  return async (c, next) => {
    await next();
    const raw = c.req.raw;
    const body = raw.body;
    if (!body || raw.bodyUsed || body.locked) return;
    const declared = Number(raw.headers.get("content-length") ?? Number.NaN);
    if (declared > max) return void (await body.cancel().catch(() => undefined));
    const reader = body.getReader();
    try {
      let seen = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        seen += value.byteLength;
        if (seen > max) return void (await reader.cancel());
      }
    } catch {
      // the client went away or the body was cut: nothing left to read
    } finally {
      reader.releaseLock();
    }
  };
}
