import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { BODY_LIMITS, BodyTooLargeError, bodyLimit } from "../src/lib/body-limit.ts";
import { ADMIN, call, memberToken } from "./gateway-support.ts";

/** A body of `n` bytes sent without Content-Length (chunked), so only reading it can tell its size. */
const chunked = (n: number, chunk = 64 * 1024): ReadableStream<Uint8Array> => {
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent >= n) return controller.close();
      const size = Math.min(chunk, n - sent);
      controller.enqueue(new Uint8Array(size).fill(0x20));
      sent += size;
    },
  });
};

interface ErrorBody {
  error: { message: string; type: string; code: string; param: string | null };
}

describe("request body limits", () => {
  it.each([
    ["/v1/jobs JSON", "/v1/jobs", "application/json", BODY_LIMITS.json, "member"],
    ["/v1/images/generations JSON", "/v1/images/generations", "application/json", BODY_LIMITS.json, "member"],
    [
      "/v1/images/edits multipart",
      "/v1/images/edits",
      "multipart/form-data; boundary=x",
      BODY_LIMITS.multipart,
      "member",
    ],
    ["/admin/tokens JSON", "/admin/tokens", "application/json", BODY_LIMITS.admin, "admin"],
  ])("%s: a declared Content-Length over the limit is 413 in OpenAI's shape", async (_n, path, type, max, who) => {
    const token = who === "admin" ? ADMIN : (await memberToken()).token;
    // the header alone decides: the body itself is never read
    const res = await call(path, {
      method: "POST",
      token,
      headers: { "content-type": type, "content-length": String(max + 1) },
      body: "{}",
    });
    expect(res.status).toBe(413);
    const body = (await res.json()) as ErrorBody;
    expect(body.error).toMatchObject({ type: "invalid_request_error", code: "validation", param: "body" });
    expect(body.error.message).toContain(String(max));
  });

  it.each([
    ["/v1/jobs", "member", BODY_LIMITS.json],
    ["/admin/tokens", "admin", BODY_LIMITS.admin],
  ])("%s: a chunked JSON body over the limit is 413 once read", async (path, who, max) => {
    const token = who === "admin" ? ADMIN : (await memberToken()).token;
    const res = await call(path, {
      method: "POST",
      token,
      headers: { "content-type": "application/json" },
      body: chunked(max + 1),
    });
    expect(res.status).toBe(413);
    expect(((await res.json()) as ErrorBody).error.code).toBe("validation");
  });

  it("a JSON body within the limit still reaches the route", async () => {
    const res = await call("/admin/tokens", {
      method: "POST",
      token: ADMIN,
      headers: { "content-type": "application/json" },
      body: chunked(1000, 100),
    });
    // 1000 spaces are not JSON: the route, not the limit, answers
    expect(res.status).toBe(400);
    expect(((await res.json()) as ErrorBody).error.message).toContain("not valid JSON");
  });

  it.each(["slack", "discord", "telegram", "feishu"])(
    "/webhooks/%s: a body over the limit is refused before verification",
    async (platform) => {
      const declared = await call(`/webhooks/${platform}`, {
        method: "POST",
        headers: { "content-type": "application/json", "content-length": String(BODY_LIMITS.webhook + 1) },
        body: "{}",
      });
      expect(declared.status).toBe(413);
      const streamed = await call(`/webhooks/${platform}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: chunked(BODY_LIMITS.webhook + 1),
      });
      expect(streamed.status).toBe(413);
    },
  );
});

describe("bodyLimit on large (multipart-sized) limits", () => {
  // Over 1 MiB the body is not buffered by the middleware: it is counted while the handler reads it.
  const max = 2 * BODY_LIMITS.webhook;
  const app = new Hono();
  app.use(
    bodyLimit(
      () => max,
      (c) => c.text("declared too large", 413),
    ),
  );
  app.post("/", async (c) => {
    try {
      return c.text(String((await c.req.arrayBuffer()).byteLength));
    } catch (e) {
      return c.text(e instanceof BodyTooLargeError ? "read too large" : "other", 413);
    }
  });

  it.each([
    [max, 200, String(max)],
    [max + 1, 413, "read too large"],
  ])("a chunked body of %i bytes: %i", async (n, status, text) => {
    const res = await app.request("/", { method: "POST", body: chunked(n) });
    expect(res.status).toBe(status);
    expect(await res.text()).toBe(text);
  });
});
