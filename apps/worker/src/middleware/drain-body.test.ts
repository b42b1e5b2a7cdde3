import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { call } from "../../test/gateway-support.ts";
import { drainBody } from "./drain-body.ts";

/** A body of `chunks` chunks that records how many were pulled and whether it was cancelled. */
function tracked(chunks: number, size = 1024) {
  const state = { pulled: 0, cancelled: false };
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (state.pulled >= chunks) return controller.close();
      state.pulled++;
      controller.enqueue(new Uint8Array(size).fill(0x7b));
    },
    cancel() {
      state.cancelled = true;
    },
  });
  return { stream, state };
}

/** An app that refuses every POST from its headers alone, as an auth middleware does. */
function refusing(max: number) {
  const app = new Hono();
  app.use("*", drainBody(max));
  app.post("/refuse", (c) => c.json({ error: "refused" }, 401));
  app.post("/read", async (c) => c.json({ bytes: (await c.req.arrayBuffer()).byteLength }));
  return app;
}

const post = (app: Hono, path: string, body: ReadableStream<Uint8Array>, headers: Record<string, string> = {}) =>
  app.request(path, { method: "POST", body, headers, duplex: "half" } as RequestInit);

describe("drainBody", () => {
  it("reads a body the handler left unread before the answer goes out", async () => {
    const { stream, state } = tracked(20);
    const res = await post(refusing(1024 * 1024), "/refuse", stream);
    expect(res.status).toBe(401);
    expect(state.pulled).toBe(20);
    expect(state.cancelled).toBe(false);
  });

  it("leaves a body the handler read alone", async () => {
    const { stream, state } = tracked(3);
    const res = await post(refusing(1024 * 1024), "/read", stream);
    expect(await res.json()).toEqual({ bytes: 3 * 1024 });
    expect(state.pulled).toBe(3);
  });

  it("stops reading past its limit: the rest is cancelled, never read", async () => {
    const { stream, state } = tracked(1000);
    const res = await post(refusing(8 * 1024), "/refuse", stream);
    expect(res.status).toBe(401);
    expect(state.pulled).toBeLessThanOrEqual(10);
    expect(state.cancelled).toBe(true);
  });

  it("cancels a body declared over its limit without reading it", async () => {
    const { stream, state } = tracked(1000);
    const res = await post(refusing(8 * 1024), "/refuse", stream, { "content-length": String(1000 * 1024) });
    expect(res.status).toBe(401);
    expect(state.pulled).toBeLessThanOrEqual(1);
    expect(state.cancelled).toBe(true);
  });

  it("the gateway reads the body of a POST it refuses for its token (/mcp, /v1)", async () => {
    for (const path of ["/mcp", "/v1/jobs", "/v1/images/generations"]) {
      const { stream, state } = tracked(4);
      const res = await call(path, {
        method: "POST",
        token: "gpi_not_a_real_token",
        headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
        body: stream,
        duplex: "half",
      } as RequestInit & { token: string });
      expect(res.status, path).toBe(401);
      await res.body?.cancel();
      expect(state.pulled, path).toBe(4);
    }
  });
});
