import { FORBIDDEN_WORD, type OfflineProvider, startOfflineProvider } from "@gptimg/offline-provider";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createImageClient } from "./client.ts";
import {
  AbortedError,
  AuthenticationError,
  BadRequestError,
  BadResponseError,
  ContentPolicyError,
  GptImageError,
  OutcomeUnknownError,
  ProviderError,
  RateLimitError,
} from "./errors/index.ts";
import type { ClientOptions, ImageStreamEvent, ProviderConfig } from "./types.ts";

const KEY = "sk-canary-do-not-leak-123";
let a: OfflineProvider;
let b: OfflineProvider;

beforeAll(async () => {
  [a, b] = await Promise.all([startOfflineProvider({ apiKey: KEY }), startOfflineProvider({ apiKey: KEY })]);
});
afterAll(async () => {
  await Promise.all([a.close(), b.close()]);
});
afterEach(() => {
  for (const p of [a, b]) {
    p.setFaults([]);
    p.clearRequests();
  }
});

const cfg = (p: OfflineProvider, name: string, extra: Partial<ProviderConfig> = {}): ProviderConfig => ({
  name,
  profile: "openai-compatible",
  baseUrl: p.url,
  apiKey: KEY,
  ...extra,
});

/** A client over the two offline providers whose sleep records delays and returns at once. */
function setup(
  options: Partial<ClientOptions> = {},
  providers: ProviderConfig[] = [cfg(a, "primary"), cfg(b, "backup")],
) {
  const delays: number[] = [];
  const events: ImageStreamEvent[] = [];
  const client = createImageClient({
    providers,
    sleep: async (ms) => {
      delays.push(ms);
    },
    random: () => 0,
    onEvent: (e) => events.push(e),
    ...options,
  });
  return { client, delays, events };
}

const SMALL = { prompt: "a lighthouse at dusk", size: "1024x640", quality: "low" as const };

/** Runs `fn`, expecting a GptImageError; checks that no secret leaks through it. */
async function failure(fn: () => Promise<unknown>, events: unknown[] = []): Promise<GptImageError> {
  try {
    await fn();
  } catch (e) {
    expect(e).toBeInstanceOf(GptImageError);
    const err = e as GptImageError;
    for (const text of [err.message, JSON.stringify(err.toJSON()), String(err.stack), JSON.stringify(events)]) {
      expect(text).not.toContain(KEY);
      expect(text).not.toContain("canary-do-not-leak");
    }
    return err;
  }
  throw new Error("expected the call to fail");
}

describe("createImageClient against the offline provider", () => {
  it("generates real images with their sniffed format and size", async () => {
    const { client, delays } = setup();
    const r = await client.generate({ ...SMALL, n: 2, outputFormat: "webp" });
    expect(r.images.map((i) => [i.index, i.format, i.width, i.height])).toEqual([
      [0, "webp", 1024, 640],
      [1, "webp", 1024, 640],
    ]);
    expect(r).toMatchObject({
      provider: "primary",
      model: "gpt-image-2",
      requestedSize: "1024x640",
      sizeMismatch: false,
      attempts: 1,
    });
    expect(r.requestId).toMatch(/^req_/);
    expect(r.usage?.totalTokens).toBeGreaterThan(0);
    expect(delays).toEqual([]);
    expect(a.requests[0]?.fields).toMatchObject({ size: "1024x640", n: 2, output_format: "webp" });
  });

  it("retries 429 after the server's Retry-After", async () => {
    a.setFaults([{ kind: "status", status: 429, retryAfter: 2, times: 2 }]);
    const { client, delays, events } = setup();
    const r = await client.generate(SMALL);
    expect(r.attempts).toBe(3);
    expect(a.count("/images/generations")).toBe(3);
    expect(b.count()).toBe(0);
    expect(delays).toEqual([2000, 2000]);
    expect(events).toEqual([
      { type: "retry", attempt: 2, provider: "primary", delayMs: 2000, reason: expect.stringMatching(/Rate limit/) },
      { type: "retry", attempt: 3, provider: "primary", delayMs: 2000, reason: expect.stringMatching(/Rate limit/) },
    ]);
  });

  it("gives up a rate limit with RateLimitError after maxRetries", async () => {
    a.setFaults([{ kind: "status", status: 429, retryAfterMs: 10, times: Number.POSITIVE_INFINITY }]);
    const { client, delays } = setup({ retry: { maxRetries: 1 } }, [cfg(a, "primary")]);
    const e = await failure(() => client.generate(SMALL));
    expect(e).toBeInstanceOf(RateLimitError);
    expect(delays).toEqual([10]);
    expect(a.count()).toBe(2);
  });

  it.each([500, 502, 503])("retries %i with backoff, then falls back to the second provider", async (status) => {
    a.setFaults([{ kind: "status", status, times: Number.POSITIVE_INFINITY }]);
    const { client, delays, events } = setup();
    const r = await client.generate(SMALL);
    expect(r.provider).toBe("backup");
    expect(r.attempts).toBe(4);
    expect(a.count()).toBe(3);
    expect(b.count()).toBe(1);
    expect(delays).toEqual([500, 1000]);
    expect(events.at(-1)).toEqual({ type: "fallback", from: "primary", to: "backup", reason: expect.any(String) });
  });

  it("resolves the size once per provider's model: each request and the result carry that provider's size", async () => {
    a.setFaults([{ kind: "status", status: 503, shouldRetry: false }]);
    const { client } = setup({}, [
      cfg(a, "primary", { model: "gpt-image-2", fixedModel: true }),
      cfg(b, "backup", { model: "gpt-image-1", fixedModel: true }),
    ]);
    const r = await client.generate({ prompt: "a fox", size: "16:9" });
    expect(a.requests[0]?.fields).toMatchObject({ model: "gpt-image-2", size: "1536x864" });
    expect(b.requests[0]?.fields).toMatchObject({ model: "gpt-image-1", size: "1536x1024" });
    expect([r.provider, r.requestedSize, r.sizeMismatch]).toEqual(["backup", "1536x1024", false]);
  });

  it("honours x-should-retry: false (no retry) but still falls back", async () => {
    a.setFaults([{ kind: "status", status: 503, shouldRetry: false }]);
    const { client, delays } = setup();
    const r = await client.generate(SMALL);
    expect([a.count(), b.count(), r.attempts, delays.length]).toEqual([1, 1, 2, 0]);
  });

  it("reports an HTML error page briefly and retries it", async () => {
    a.setFaults([{ kind: "html", status: 502, times: Number.POSITIVE_INFINITY }]);
    const { client } = setup({}, [cfg(a, "primary")]);
    const e = await failure(() => client.generate(SMALL));
    expect(e).toBeInstanceOf(ProviderError);
    expect(e.message).toBe("provider returned an HTML error page (502 Bad Gateway)");
    expect(a.count()).toBe(3);
  });

  it.each([
    ["cut", { kind: "cut", bytes: 2000 }, /could not read|cut|ended|truncated|unexpected end/i],
    ["invalid JSON", { kind: "invalid-json" }, /./],
    ["invalid base64", { kind: "invalid-base64" }, /base64/i],
  ] as const)("a %s body after 200 is bad_response, possibly billed, never replayed", async (_, fault, message) => {
    a.setFaults([{ ...fault, times: Number.POSITIVE_INFINITY }]);
    const { client, delays, events } = setup();
    const e = await failure(() => client.generate(SMALL), events);
    expect(e).toBeInstanceOf(BadResponseError);
    expect(e).toMatchObject({ code: "bad_response", possiblyBilled: true, provider: "primary" });
    expect(e.message).toMatch(message);
    expect([a.count(), b.count(), delays.length, events.length]).toEqual([1, 0, 0, 0]);
  });

  it("a reset before the response is outcome_unknown: one attempt, no fallback", async () => {
    a.setFaults([{ kind: "reset", times: Number.POSITIVE_INFINITY }]);
    const { client } = setup();
    const e = await failure(() => client.generate(SMALL));
    expect(e).toBeInstanceOf(OutcomeUnknownError);
    expect(e).toMatchObject({ code: "outcome_unknown", possiblyBilled: true });
    expect([a.count(), b.count()]).toEqual([1, 0]);
  });

  it("replays an unknown outcome only when the caller opted in", async () => {
    a.setFaults([{ kind: "reset" }]);
    const { client, events } = setup({ retry: { retryUnknownOutcome: true } });
    const r = await client.generate(SMALL);
    expect([r.provider, r.attempts, a.count(), b.count()]).toEqual(["primary", 2, 2, 0]);
    expect(events[0]).toMatchObject({ type: "retry", reason: expect.stringMatching(/after the request was sent/) });
  });

  it("a hang ends in a timeout that is outcome_unknown, not replayed", async () => {
    a.setFaults([{ kind: "hang", times: Number.POSITIVE_INFINITY }]);
    const { client } = setup({ timeoutMs: 300 });
    const e = await failure(() => client.generate(SMALL));
    expect(e).toBeInstanceOf(OutcomeUnknownError);
    expect(e.message).toMatch(/within 300 ms/);
    expect([a.count(), b.count()]).toEqual([1, 0]);
  });

  it("reports the quality and background the provider resolved, from a JSON body and from a stream", async () => {
    const { client } = setup();
    const r = await client.generate({ ...SMALL, quality: "auto" });
    expect(r).toMatchObject({ quality: "medium", background: "opaque" });
    let done: Extract<ImageStreamEvent, { type: "done" }> | undefined;
    const partials: ImageStreamEvent[] = [];
    for await (const ev of client.generateStream({ ...SMALL, quality: "low", stream: true, partialImages: 1 })) {
      if (ev.type === "done") done = ev;
      if (ev.type === "partial") partials.push(ev);
    }
    expect(done?.result).toMatchObject({ quality: "low", background: "opaque" });
    expect(partials[0]).toMatchObject({ quality: "low", background: "opaque" });
  });

  it("gives each streamed image its own usage, and the request the sum of them", async () => {
    const { client } = setup();
    const images: Extract<ImageStreamEvent, { type: "image" }>[] = [];
    let done: Extract<ImageStreamEvent, { type: "done" }> | undefined;
    for await (const ev of client.generateStream({ ...SMALL, n: 2, quality: "low", stream: true })) {
      if (ev.type === "image") images.push(ev);
      if (ev.type === "done") done = ev;
    }
    expect(images).toHaveLength(2);
    expect(images[1]).toMatchObject({ quality: "low", background: "opaque" });
    const each = images.map((i) => i.usage?.totalTokens ?? 0);
    expect(each.every((t) => t > 0)).toBe(true);
    expect(done?.result.usage?.totalTokens).toBe(each[0]! + each[1]!);
    expect(done?.result.usage?.outputTokens).toBe(
      (images[0]?.usage?.outputTokens ?? 0) + (images[1]?.usage?.outputTokens ?? 0),
    );
  });

  it("reports the real format when the provider sends another", async () => {
    a.setFaults([{ kind: "wrong-format", format: "jpeg" }]);
    const r = await setup().client.generate({ ...SMALL, outputFormat: "png" });
    expect(r.images[0]?.format).toBe("jpeg");
  });

  it("flags a size the provider silently changed", async () => {
    a.setFaults([{ kind: "wrong-size", size: "1024x1024" }]);
    const r = await setup().client.generate(SMALL);
    expect(r.requestedSize).toBe("1024x640");
    expect([r.images[0]?.width, r.images[0]?.height]).toEqual([1024, 1024]);
    expect(r.sizeMismatch).toBe(true);
  });

  it("a 400 is not retried nor passed on, and keeps the provider's message verbatim", async () => {
    a.setFaults([{ kind: "status", status: 400, message: "Invalid value for 'quality': 'ultra'." }]);
    const { client, delays } = setup();
    const e = await failure(() => client.generate(SMALL));
    expect(e).toBeInstanceOf(BadRequestError);
    expect(e.message).toBe("Invalid value for 'quality': 'ultra'.");
    expect(e.requestId).toMatch(/^req_/);
    expect([a.count(), b.count(), delays.length]).toEqual([1, 0, 0]);
  });

  it("a wrong key is auth, without fallback", async () => {
    const { client } = setup({}, [cfg(a, "primary", { apiKey: "sk-canary-do-not-leak-wrong" }), cfg(b, "backup")]);
    const e = await failure(() => client.generate(SMALL));
    expect(e).toBeInstanceOf(AuthenticationError);
    expect(e.code).toBe("auth");
    expect(e.status).toBe(401);
    expect([a.count(), b.count()]).toEqual([1, 0]);
  });

  it("a refused prompt is content_policy, without retry or fallback", async () => {
    const { client, delays } = setup();
    const e = await failure(() => client.generate({ ...SMALL, prompt: `a ${FORBIDDEN_WORD} poster` }));
    expect(e).toBeInstanceOf(ContentPolicyError);
    expect(e.message).toMatch(/safety system/);
    expect([a.count(), b.count(), delays.length]).toEqual([1, 0, 0]);
  });

  it("never leaks the key when the provider echoes it back", async () => {
    a.setFaults([{ kind: "status", status: 500, message: `upstream rejected Authorization: Bearer ${KEY}`, times: 3 }]);
    b.setFaults([{ kind: "status", status: 401, message: `Incorrect API key provided: ${KEY}` }]);
    const { client, events } = setup();
    const e = await failure(() => client.generate(SMALL), events);
    expect(e).toBeInstanceOf(AuthenticationError);
    expect(e.message).toBe("Incorrect API key provided: ***redacted***");
    expect(events.map((ev) => ev.type)).toEqual(["retry", "retry", "fallback"]);
    expect(JSON.stringify(events)).toContain("***redacted***");
  });

  it("retries a refused connection (nothing was sent), then falls back", async () => {
    const dead = await startOfflineProvider();
    const deadUrl = dead.url;
    await dead.close();
    const { client, delays } = setup({}, [
      { name: "dead", profile: "openai-compatible", baseUrl: deadUrl, apiKey: KEY },
      cfg(b, "backup"),
    ]);
    const r = await client.generate(SMALL);
    expect(r.provider).toBe("backup");
    expect(r.attempts).toBe(4);
    expect(delays).toEqual([500, 1000]);
  });

  it("a refused connection with no fallback is a network error", async () => {
    const dead = await startOfflineProvider();
    await dead.close();
    const { client } = setup({ retry: { maxRetries: 0 } }, [
      { name: "dead", profile: "openai-compatible", baseUrl: dead.url, apiKey: KEY },
    ]);
    const e = await failure(() => client.generate(SMALL));
    expect(e.code).toBe("network");
    expect(e.possiblyBilled).toBe(false);
  });

  it("the caller's abort ends a hanging request with AbortedError", async () => {
    a.setFaults([{ kind: "hang" }]);
    const { client } = setup();
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const e = await failure(() => client.generate({ ...SMALL, signal: controller.signal }));
    expect(e).toBeInstanceOf(AbortedError);
    // the request had reached the provider, which may still finish and bill it
    expect(e.possiblyBilled).toBe(true);
    expect(b.count()).toBe(0);
  });

  it("streams partial images first, then each image, then done", async () => {
    const { client } = setup();
    const types: string[] = [];
    let done: Extract<ImageStreamEvent, { type: "done" }> | undefined;
    for await (const ev of client.generateStream({ ...SMALL, stream: true, partialImages: 2 })) {
      types.push(ev.type);
      if (ev.type === "partial") expect(ev.image.bytes.length).toBeGreaterThan(0);
      if (ev.type === "done") done = ev;
    }
    expect(types).toEqual(["partial", "partial", "image", "done"]);
    expect(done?.result.images).toEqual([expect.objectContaining({ index: 0, width: 1024, height: 640 })]);
    expect(done?.result.images[0]).not.toHaveProperty("bytes");
  });

  it("edits with real images and a mask", async () => {
    const { client } = setup();
    const src = (await client.generate({ ...SMALL, outputFormat: "png" })).images[0]!;
    const r = await client.edit({
      prompt: "add a red scarf",
      images: [{ data: src.bytes, name: "/tmp/private/dog.png" }],
      size: "1024x640",
    });
    expect(r.images[0]).toMatchObject({ width: 1024, height: 640 });
    const rec = a.requests.at(-1)!;
    expect(rec.path).toBe("/v1/images/edits");
    expect(rec.files).toEqual([
      expect.objectContaining({ field: "image", filename: "dog.png", type: "image/png", size: src.bytes.length }),
    ]);
  });

  it("sends an edit's files again, whole, on a retry", async () => {
    const { client } = setup();
    const src = (await client.generate({ ...SMALL, outputFormat: "png" })).images[0]!;
    a.clearRequests();
    a.setFaults([{ kind: "status", status: 503, path: "/edits" }]);
    const r = await client.edit({
      prompt: "add a hat",
      images: [{ data: src.bytes }, { data: new Blob([src.bytes as BlobPart]) }],
    });
    expect(r.attempts).toBe(2);
    expect(a.requests.map((q) => q.files.map((f) => [f.filename, f.size]))).toEqual([
      [
        ["image-0.png", src.bytes.length],
        ["image-1.png", src.bytes.length],
      ],
      [
        ["image-0.png", src.bytes.length],
        ["image-1.png", src.bytes.length],
      ],
    ]);
  });

  it("edits through the chat protocol with the image as a data URL", async () => {
    const { client } = setup();
    const src = (await client.generate({ ...SMALL, outputFormat: "png" })).images[0]!;
    const chat = setup({}, [{ name: "chat", profile: "chat", baseUrl: b.url, apiKey: KEY }]).client;
    const r = await chat.edit({ prompt: "make it night", images: [{ data: src.bytes }] });
    expect(r.images).toHaveLength(1);
    expect(b.requests[0]?.path).toBe("/v1/chat/completions");
    expect(b.requests[0]?.bodyBytes).toBeGreaterThan(src.bytes.length);
  });

  it("speaks chat/completions for the chat profile", async () => {
    const { client } = setup({}, [{ name: "chat", profile: "chat", baseUrl: a.url, apiKey: KEY }]);
    const r = await client.generate({ prompt: "a cat in a top hat" });
    expect(r.images).toHaveLength(1);
    expect(r.images[0]?.format).toMatch(/png|jpeg|webp/);
    expect(a.requests[0]?.path).toBe("/v1/chat/completions");
    expect(r.sizeMismatch).toBe(false);
  });

  it("downloads URL images, with the key only for the provider's own origin", async () => {
    const seen: { url: string; auth: boolean }[] = [];
    const { client } = setup({
      fetch: (input, init) => {
        const req = new Request(input, init);
        seen.push({ url: req.url, auth: req.headers.has("authorization") });
        return fetch(req);
      },
    });
    const r = await client.generate({ ...SMALL, extraBody: { response_format: "url" } });
    expect(r.images[0]).toMatchObject({ width: 1024, height: 640 });
    expect(seen).toHaveLength(2);
    expect(seen[1]?.url.startsWith(new URL(a.url).origin)).toBe(true);
  });

  it("does not retry an exhausted quota, but tries the next provider (another account)", async () => {
    const quotaFetch: typeof fetch = async (input, init) => {
      const req = new Request(input, init);
      if (req.url.startsWith("http://quota.test/")) {
        return Response.json(
          {
            error: {
              message: "You exceeded your current quota",
              type: "insufficient_quota",
              code: "insufficient_quota",
            },
          },
          { status: 429 },
        );
      }
      return fetch(req);
    };
    const { client, delays, events } = setup({ fetch: quotaFetch }, [
      { name: "broke", profile: "openai-compatible", baseUrl: "http://quota.test/v1", apiKey: KEY },
      cfg(b, "backup"),
    ]);
    const r = await client.generate(SMALL);
    expect([r.provider, r.attempts, delays.length]).toEqual(["backup", 2, 0]);
    expect(events).toEqual([
      { type: "fallback", from: "broke", to: "backup", reason: "You exceeded your current quota" },
    ]);
  });

  it("keeps going when the progress observer throws", async () => {
    a.setFaults([{ kind: "status", status: 500 }]);
    const { client } = setup({
      onEvent: () => {
        throw new Error("observer bug");
      },
    });
    expect((await client.generate(SMALL)).attempts).toBe(2);
  });

  it("lists the provider's models", async () => {
    expect(await setup().client.listModels()).toContain("gpt-image-2");
  });

  it("rejects bad options before sending anything", async () => {
    const { client } = setup();
    const e = await failure(() => client.generate({ prompt: "x", n: 50 }));
    expect(e.code).toBe("validation");
    expect(a.count()).toBe(0);
  });
});

describe("createImageClient options", () => {
  const providers: ProviderConfig[] = [{ name: "p", profile: "openai", apiKey: "k" }];
  it.each<[string, Partial<ClientOptions>, string]>([
    ["maxRetries NaN", { retry: { maxRetries: Number.NaN } }, "retry.maxRetries"],
    ["maxRetries 1e9", { retry: { maxRetries: 1e9 } }, "retry.maxRetries"],
    ["negative base delay", { retry: { baseDelayMs: -1 } }, "retry.baseDelayMs"],
    ["Infinity timeout (a timer that fires at once)", { timeoutMs: Number.POSITIVE_INFINITY }, "timeoutMs"],
    ["zero timeout", { timeoutMs: 0 }, "timeoutMs"],
  ])("%s is refused, naming the field", (_name, extra, field) => {
    expect(() => createImageClient({ providers, ...extra })).toThrow(
      expect.objectContaining({ code: "validation", param: field }),
    );
  });

  it("a retry field given as undefined takes its default, so retries stay bounded", async () => {
    let calls = 0;
    const client = createImageClient({
      providers,
      retry: { maxRetries: undefined, baseDelayMs: undefined, maxRetryAfterMs: undefined },
      sleep: async () => {},
      fetch: async () => {
        calls++;
        return Response.json({ error: { message: "overloaded" } }, { status: 503 });
      },
    });
    await expect(client.generate({ prompt: "x" })).rejects.toMatchObject({ code: "provider_error" });
    expect(calls).toBe(3);
  });
});
