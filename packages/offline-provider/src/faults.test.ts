import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startOfflineProvider } from "./server.ts";
import { decoded, postJson } from "./test-support.ts";
import type { OfflineProvider } from "./types.ts";

let provider: OfflineProvider;
beforeAll(async () => {
  provider = await startOfflineProvider();
});
afterAll(() => provider.close());
beforeEach(() => {
  provider.setFaults([]);
  provider.clearRequests();
});

const gen = (fault?: string, body: Record<string, unknown> = { prompt: "fault test", quality: "low" }) =>
  postJson(`${provider.url}/images/generations`, body, fault ? { "x-offline-fault": fault } : {});
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

describe("faults from the x-offline-fault header", () => {
  it("latency delays the answer", async () => {
    const started = Date.now();
    const res = await gen("latency=150");
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(provider.requests[0]?.faults).toEqual(["latency"]);
  });

  it("429 carries Retry-After, retry-after-ms and x-should-retry", async () => {
    const res = await gen("status=429;retry-after=2;retry-after-ms=1500;should-retry=true");
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("2");
    expect(res.headers.get("retry-after-ms")).toBe("1500");
    expect(res.headers.get("x-should-retry")).toBe("true");
    const { error } = (await res.json()) as { error: Record<string, unknown> };
    expect(error).toMatchObject({ code: "rate_limit_exceeded", type: "requests" });
  });

  it("429 with code=insufficient_quota answers OpenAI's spent-quota error, without retry headers", async () => {
    const res = await gen("status=429;code=insufficient_quota");
    expect(res.status).toBe(429);
    expect(res.headers.get("x-should-retry")).toBeNull();
    expect(res.headers.get("retry-after")).toBeNull();
    const { error } = (await res.json()) as { error: Record<string, unknown> };
    expect(error).toMatchObject({ code: "insufficient_quota", type: "insufficient_quota" });
    expect(error.message).toMatch(/^You exceeded your current quota, please check your plan and billing details/);
  });

  it.each([500, 502, 503])("status %i answers an OpenAI-style JSON error", async (status) => {
    const res = await gen(String(status));
    expect(res.status).toBe(status);
    expect(res.headers.get("content-type")).toContain("application/json");
    const { error } = (await res.json()) as { error: Record<string, unknown> };
    expect(error.type).toBe("server_error");
    expect(typeof error.message).toBe("string");
  });

  it("x-should-retry=false on a 500", async () => {
    const res = await gen("status=500;should-retry=false");
    expect(res.headers.get("x-should-retry")).toBe("false");
  });

  it("html answers a 502 HTML page", async () => {
    const res = await gen("html");
    expect(res.status).toBe(502);
    expect(res.headers.get("content-type")).toContain("text/html");
    expect(await res.text()).toContain("<h1>502 Bad Gateway</h1>");
  });

  it("cut sends the headers and part of the body, then drops the connection", async () => {
    const res = await gen("cut=500");
    expect(res.status).toBe(200);
    await expect(res.arrayBuffer()).rejects.toThrow();
    expect(provider.requests[0]?.status).toBe(0);
  });

  it("reset drops the connection before answering", async () => {
    await expect(gen("reset")).rejects.toThrow();
    expect(provider.requests[0]?.faults).toEqual(["reset"]);
  });

  it("hang never answers until the client gives up", async () => {
    const res = fetch(`${provider.url}/images/generations`, {
      method: "POST",
      headers: { "x-offline-fault": "hang" },
      body: JSON.stringify({ prompt: "x" }),
      signal: AbortSignal.timeout(200),
    });
    await expect(res).rejects.toThrow();
    expect(provider.requests[0]?.status).toBe(0);
  });

  it("invalid-json answers 200 with a body that does not parse", async () => {
    const res = await gen("invalid-json");
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(() => JSON.parse(text)).toThrow();
  });

  it("invalid-base64 spoils b64_json", async () => {
    const body = (await (await gen("invalid-base64")).json()) as { data: Array<{ b64_json: string }> };
    expect(body.data[0]!.b64_json).not.toMatch(BASE64);
  });

  it.each([
    ["wrong-format", "png", "jpeg"],
    ["wrong-format=webp", "png", "webp"],
    ["wrong-format", "jpeg", "png"],
  ])("%s returns another format than %s", async (fault, asked, got) => {
    const body = (await (await gen(fault, { prompt: "x", output_format: asked })).json()) as {
      output_format: string;
      data: Array<{ b64_json: string }>;
    };
    expect(body.output_format).toBe(asked);
    expect((await decoded(body.data[0]!.b64_json)).format).toBe(got);
  });

  it.each([
    ["wrong-size", "1024x1024", [1024, 1536]],
    ["wrong-size", "1536x1024", [1024, 1536]],
    ["wrong-size=1280x720", "1024x1024", [1280, 720]],
  ])("%s returns another size than %s", async (fault, size, [w, h]) => {
    const body = (await (await gen(fault, { prompt: "x", size })).json()) as {
      size: string;
      data: Array<{ b64_json: string }>;
    };
    expect(body.size).toBe(size);
    expect(await decoded(body.data[0]!.b64_json)).toMatchObject({ width: w, height: h });
  });

  it.each([
    ["truncated-image", 100],
    ["truncated-image=2000", 2000],
  ])("%s sends the first %i bytes of the image as valid base64", async (fault, bytes) => {
    const body = (await (await gen(fault)).json()) as { data: Array<{ b64_json: string }> };
    const image = Buffer.from(body.data[0]!.b64_json, "base64");
    expect(body.data[0]!.b64_json).toMatch(BASE64);
    expect(image.length).toBe(bytes);
    expect([...image.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  });

  it("noise makes a large incompressible 4K PNG", async () => {
    const body = (await (await gen("noise", { prompt: "x", size: "3840x2160" })).json()) as {
      data: Array<{ b64_json: string }>;
    };
    const bytes = Buffer.from(body.data[0]!.b64_json, "base64");
    expect(bytes.length).toBeGreaterThan(10_000_000);
    expect(await decoded(bytes)).toMatchObject({ format: "png", width: 3840, height: 2160 });
  });

  it("several faults combine: latency then status", async () => {
    const res = await gen("latency=50, status=503");
    expect(res.status).toBe(503);
    expect(provider.requests[0]?.faults).toEqual(["latency", "status"]);
  });

  it("an unknown fault is a 400 naming it", async () => {
    const res = await gen("explode");
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: { message: string; code: string } };
    expect(error.code).toBe("invalid_fault");
    expect(error.message).toContain("explode");
  });
});

describe("faults from the body and the queue", () => {
  it("reads offline_fault from a JSON body", async () => {
    const res = await gen(undefined, { prompt: "x", offline_fault: "status=429;retry-after=1" });
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("1");
  });

  it("reads offline_fault as an object", async () => {
    const res = await gen(undefined, { prompt: "x", offline_fault: { kind: "status", status: 502 } });
    expect(res.status).toBe(502);
  });

  it("consumes setFaults in order, each `times` times", async () => {
    provider.setFaults([
      { kind: "status", status: 503, times: 2 },
      { kind: "status", status: 429, retryAfterMs: 10 },
    ]);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await gen()).status);
    expect(statuses).toEqual([503, 503, 429, 200]);
    expect(provider.count("/images/generations")).toBe(4);
    expect(provider.pendingFaults()).toEqual([]);
  });

  it("applies a queued fault only to the path it names", async () => {
    provider.setFaults([{ kind: "status", status: 500, path: "/chat/completions" }]);
    expect((await gen()).status).toBe(200);
    expect(provider.pendingFaults()).toHaveLength(1);
    const chat = await postJson(`${provider.url}/chat/completions`, { messages: [{ role: "user", content: "x" }] });
    expect(chat.status).toBe(500);
    expect(provider.pendingFaults()).toHaveLength(0);
  });

  it("does not spend queued faults on GET requests", async () => {
    provider.setFaults([{ kind: "status", status: 500 }]);
    expect((await fetch(`${provider.url}/models`)).status).toBe(200);
    expect((await gen()).status).toBe(500);
  });

  it("rejects a malformed queue entry", () => {
    expect(() => provider.setFaults([{ kind: "status", status: 200 }])).toThrow(/400-599/);
  });

  it("starts with defaultFaults", async () => {
    const other = await startOfflineProvider({ defaultFaults: [{ kind: "html", status: 504 }] });
    try {
      const res = await postJson(`${other.url}/images/generations`, { prompt: "x" });
      expect(res.status).toBe(504);
      expect((await postJson(`${other.url}/images/generations`, { prompt: "x" })).status).toBe(200);
    } finally {
      await other.close();
    }
  });
});
