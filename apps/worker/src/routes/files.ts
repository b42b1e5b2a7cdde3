import { Hono } from "hono";
import { nowSeconds } from "../lib/clock.ts";
import type { AppEnv } from "../lib/context.ts";
import { verifySignedRequest } from "../lib/signing.ts";
import { etagMatches, parseRange } from "./range.ts";

/** The one answer to every signature failure: it says nothing about which check failed. */
const forbidden = () =>
  Response.json(
    { error: { message: "forbidden", type: "permission_error", code: "permission", param: null } },
    { status: 403, headers: { "Cache-Control": "no-store" } },
  );

/**
 * `GET /files/<key>?exp&kid&sig`: an R2 object behind a signed, expiring URL. Single byte ranges
 * (206/416), ETag with If-None-Match (304), the stored Content-Type and Content-Disposition with
 * `nosniff`, and `Cache-Control: private` no longer than the URL lives.
 */
export const filesRouter = new Hono<AppEnv>();

filesRouter.get("/*", async (c) => {
  const verified = await verifySignedRequest(c.env, c.req.url);
  if (!verified) return forbidden();
  const head = await c.env.IMAGES.head(verified.key);
  if (!head) {
    return c.json(
      { error: { message: "file not found", type: "invalid_request_error", code: "not_found", param: null } },
      404,
    );
  }
  const maxAge = Math.max(0, verified.exp - nowSeconds());
  const headers = new Headers({
    ETag: head.httpEtag,
    "Accept-Ranges": "bytes",
    "Cache-Control": `private, max-age=${maxAge}`,
    "X-Content-Type-Options": "nosniff",
    "Content-Type": head.httpMetadata?.contentType ?? "application/octet-stream",
  });
  if (head.httpMetadata?.contentDisposition) headers.set("Content-Disposition", head.httpMetadata.contentDisposition);
  if (etagMatches(c.req.header("If-None-Match"), head.httpEtag)) return new Response(null, { status: 304, headers });
  const range = parseRange(c.req.header("Range"), head.size);
  if (range === "unsatisfiable") {
    headers.set("Content-Range", `bytes */${head.size}`);
    headers.delete("Content-Type");
    return new Response(null, { status: 416, headers });
  }
  const object = await c.env.IMAGES.get(verified.key, range ? { range } : {});
  if (!object)
    return c.json(
      { error: { message: "file not found", type: "invalid_request_error", code: "not_found", param: null } },
      404,
    );
  if (range) {
    headers.set("Content-Range", `bytes ${range.offset}-${range.offset + range.length - 1}/${head.size}`);
    headers.set("Content-Length", String(range.length));
    return new Response(object.body, { status: 206, headers });
  }
  headers.set("Content-Length", String(head.size));
  return new Response(object.body, { status: 200, headers });
});
