import { env } from "cloudflare:workers";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { png } from "../../../../packages/core/test-fixtures/images.ts";
import { ADMIN, call, memberToken } from "../../test/gateway-support.ts";
import { BODY_LIMITS, BodyTooLargeError, bodyLimit } from "./body-limit.ts";

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
  let seen: unknown;
  const app = new Hono();
  app.use(
    bodyLimit(
      () => max,
      (c, limit, size) => c.text(`too large: ${limit} ${size}`, 413),
    ),
  );
  app.post("/", async (c) => {
    try {
      return c.text(String((await c.req.arrayBuffer()).byteLength), 200, { "x-handler": "1" });
    } catch (e) {
      seen = e;
      return c.text("the handler's own answer", 400, { "x-handler": "1" });
    }
  });

  it("a chunked body of exactly the limit reaches the handler whole", async () => {
    const res = await app.request("/", { method: "POST", body: chunked(max) });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(String(max));
  });

  it("one byte more: the read fails with BodyTooLargeError and the handler's answer is replaced by the 413", async () => {
    seen = undefined;
    const res = await app.request("/", { method: "POST", body: chunked(max + 1) });
    expect(seen).toBeInstanceOf(BodyTooLargeError);
    expect(res.status).toBe(413);
    expect(await res.text()).toBe(`too large: ${max} null`);
    expect(res.headers.get("x-handler")).toBeNull();
  });
});

/**
 * A well-formed multipart edit (prompt, one PNG) whose image part is padded so the whole body is
 * `n` bytes, sent chunked: only counting while it streams can tell it is too large.
 */
function chunkedEdit(n: number, boundary: string): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  const head = enc.encode(
    `--${boundary}\r\nContent-Disposition: form-data; name="prompt"\r\n\r\na cat\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n`,
  );
  const image = png({ width: 8, height: 8 });
  const tail = enc.encode(`\r\n--${boundary}--\r\n`);
  const padding = chunked(n - head.byteLength - image.byteLength - tail.byteLength).getReader();
  const parts: (Uint8Array | "padding")[] = [head, image, "padding", tail];
  return new ReadableStream({
    async pull(controller) {
      for (;;) {
        const part = parts[0];
        if (part === undefined) return controller.close();
        if (part !== "padding") {
          parts.shift();
          return controller.enqueue(part);
        }
        const { done, value } = await padding.read();
        if (!done) return controller.enqueue(value);
        parts.shift();
      }
    },
  });
}

describe("a chunked multipart body over the limit", () => {
  it.each([
    ["/v1/images/edits", undefined],
    ["/v1/images/edits", "edit-too-large"],
    ["/v1/jobs", undefined],
    ["/v1/jobs", "job-too-large"],
  ])("%s (Idempotency-Key %s): 413 in OpenAI's shape naming the limit; nothing is stored", async (path, key) => {
    const team = `big-${crypto.randomUUID().slice(0, 8)}`;
    const { token } = await memberToken({ team });
    const boundary = "gptimg-limit";
    const res = await call(path, {
      method: "POST",
      token,
      headers: {
        "content-type": `multipart/form-data; boundary=${boundary}`,
        ...(key ? { "idempotency-key": key } : {}),
      },
      body: chunkedEdit(BODY_LIMITS.multipart + 1, boundary),
    });
    expect(res.status).toBe(413);
    const body = (await res.json()) as ErrorBody;
    expect(body.error).toEqual({
      message: `body: must be at most ${BODY_LIMITS.multipart} bytes`,
      type: "invalid_request_error",
      code: "validation",
      param: "body",
    });
    const jobs = await env.DB.prepare("SELECT COUNT(*) AS n FROM jobs WHERE team = ?")
      .bind(team)
      .first<{ n: number }>();
    expect(jobs?.n).toBe(0);
    const keys = await env.DB.prepare("SELECT COUNT(*) AS n FROM idempotent_responses WHERE team = ?")
      .bind(team)
      .first<{ n: number }>();
    expect(keys?.n).toBe(0);
    expect((await env.IMAGES.list({ prefix: `t/${team}/` })).objects).toEqual([]);
  });

  it("an edit between the 50 MB image limit and the body limit reaches the route, which names the image rule", async () => {
    const { token } = await memberToken();
    const boundary = "gptimg-limit";
    const res = await call("/v1/images/edits", {
      method: "POST",
      token,
      headers: { "content-type": `multipart/form-data; boundary=${boundary}` },
      body: chunkedEdit(BODY_LIMITS.multipart - 1024, boundary),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as ErrorBody;
    expect(body.error).toMatchObject({ code: "validation", param: "image" });
    expect(body.error.message).toContain("at most 50 MB");
  });
});
