import { describe, expect, it } from "vitest";
import { ERROR_BODY_LIMIT, errorFromResponse, isQuotaExhausted, readBounded } from "./error-from-response.ts";
import {
  AuthenticationError,
  BadRequestError,
  ContentPolicyError,
  NotFoundError,
  PermissionDeniedError,
  ProviderError,
  RateLimitError,
} from "./errors/index.ts";

const KEY = "sk-canary-do-not-leak-123";
const ctx = { provider: "primary", secrets: [KEY] };
const oai = (message: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ error: { message, type: "invalid_request_error", ...extra } });
const res = (status: number, body: string, headers: Record<string, string> = { "content-type": "application/json" }) =>
  new Response(body, { status, headers });

describe("errorFromResponse", () => {
  it.each([
    [
      400,
      oai("Invalid size '1920x1080'.", { param: "size", code: "invalid_value" }),
      BadRequestError,
      "validation",
      "Invalid size '1920x1080'.",
    ],
    [
      400,
      oai("Your request was rejected as a result of our safety system.", { code: "moderation_blocked" }),
      ContentPolicyError,
      "content_policy",
      "Your request was rejected as a result of our safety system.",
    ],
    [400, oai("blocked", { code: "content_policy_violation" }), ContentPolicyError, "content_policy", "blocked"],
    [
      400,
      oai("Your prompt may contain text that is not allowed by our safety system."),
      ContentPolicyError,
      "content_policy",
      "Your prompt may contain text that is not allowed by our safety system.",
    ],
    [
      400,
      oai("Invalid value for moderation: must be low or auto"),
      BadRequestError,
      "validation",
      "Invalid value for moderation: must be low or auto",
    ],
    [
      401,
      oai("Incorrect API key provided: sk-canar*****123."),
      AuthenticationError,
      "auth",
      "Incorrect API key provided: sk-canar*****123.",
    ],
    [
      403,
      oai("Project does not have access to model gpt-image-2"),
      PermissionDeniedError,
      "permission",
      "Project does not have access to model gpt-image-2",
    ],
    [404, oai("Unknown model"), NotFoundError, "not_found", "Unknown model"],
    [413, oai("too large"), BadRequestError, "validation", "too large"],
    [429, oai("Rate limit reached", { type: "requests" }), RateLimitError, "rate_limited", "Rate limit reached"],
    [408, oai("timeout"), ProviderError, "provider_error", "timeout"],
    [500, oai("The server had an error"), ProviderError, "provider_error", "The server had an error"],
    [503, JSON.stringify({ error: "overloaded" }), ProviderError, "provider_error", "overloaded"],
    [502, JSON.stringify({ message: "upstream failed" }), ProviderError, "provider_error", "upstream failed"],
    [422, JSON.stringify({ detail: "prompt too long" }), BadRequestError, "validation", "prompt too long"],
  ] as const)("%i %s", async (status, body, Class, code, message) => {
    const e = await errorFromResponse(res(status, body), ctx);
    expect(e).toBeInstanceOf(Class);
    expect(e.code).toBe(code);
    expect(e.message).toBe(message);
    expect(e.status).toBe(status);
    expect(e.provider).toBe("primary");
  });

  it.each([
    [
      502,
      "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>",
      "text/html",
      "provider returned an HTML error page (502 Bad Gateway)",
    ],
    [
      503,
      "<html><title>Maintenance</title></html>",
      "text/html; charset=utf-8",
      "provider returned an HTML error page (503 Service Unavailable): Maintenance",
    ],
    [
      500,
      "<html><body>oops</body></html>",
      "text/plain",
      "provider returned an HTML error page (500 Internal Server Error)",
    ],
    [504, "upstream request timeout", "text/plain", "provider returned 504 Gateway Timeout: upstream request timeout"],
    [500, "", "text/plain", "provider returned 500 Internal Server Error with an empty body"],
    [400, "{not json", "application/json", "provider returned 400 Bad Request: {not json"],
  ])("%i with a %s-ish body gets a short message", async (status, body, type, message) => {
    const e = await errorFromResponse(res(status, body, { "content-type": type }), ctx);
    expect(e.message).toBe(message);
  });

  it("keeps param, code, type, request id and retry-after", async () => {
    const e = await errorFromResponse(
      res(429, oai("slow down", { param: "n", code: "rate_limit_exceeded" }), {
        "x-request-id": "req_123",
        "retry-after": "7",
      }),
      ctx,
    );
    expect(e).toMatchObject({
      requestId: "req_123",
      param: "n",
      providerCode: "rate_limit_exceeded",
      providerType: "invalid_request_error",
      retryAfterMs: 7000,
    });
    expect((await errorFromResponse(res(500, "x", { "openai-request-id": "req_9" }), ctx)).requestId).toBe("req_9");
  });

  it.each([
    ["false", false],
    ["true", true],
    [undefined, undefined],
  ])("keeps the provider's retry verdict (x-should-retry: %s)", async (header, verdict) => {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (header !== undefined) headers["x-should-retry"] = header;
    const e = await errorFromResponse(res(429, oai("You exceeded your current quota"), headers), ctx);
    expect(e.shouldRetry).toBe(verdict);
  });

  it("marks an exhausted quota", async () => {
    const e = await errorFromResponse(
      res(429, oai("You exceeded your current quota", { type: "insufficient_quota", code: "insufficient_quota" })),
      ctx,
    );
    expect(e).toBeInstanceOf(RateLimitError);
    expect(e.code).toBe("insufficient_quota");
    expect(isQuotaExhausted(e)).toBe(true);
    const slow = await errorFromResponse(res(429, oai("slow")), ctx);
    expect(isQuotaExhausted(slow)).toBe(false);
    expect(slow.code).toBe("rate_limited");
    // a relay that says it by `type` alone is read the same
    const byType = await errorFromResponse(res(429, oai("no credit", { type: "insufficient_quota" })), ctx);
    expect(byType.code).toBe("insufficient_quota");
  });

  it.each([
    [undefined, false],
    ["true", true],
    ["false", false],
  ])(
    "an exhausted quota is not to be retried unless the provider says so (x-should-retry: %s)",
    async (header, verdict) => {
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (header !== undefined) headers["x-should-retry"] = header;
      const quota = oai("You exceeded your current quota", { code: "insufficient_quota" });
      expect((await errorFromResponse(res(429, quota, headers), ctx)).shouldRetry).toBe(verdict);
      // a plain rate limit keeps no verdict: the status decides (retried)
      expect((await errorFromResponse(res(429, oai("slow down"), headers), ctx)).shouldRetry).toBe(
        header === undefined ? undefined : verdict,
      );
    },
  );

  it.each([
    ["You exceeded your current quota, please check your plan and billing details.", false],
    ["Insufficient account balance", false],
    ["request refused", true],
    ["insufficient_quota", false],
  ])("an exhausted quota's message %j names quota and billing when it did not: %s", async (said, added) => {
    const e = await errorFromResponse(res(429, oai(said, { type: "insufficient_quota" })), ctx);
    expect(e.message).toBe(added ? `${said} (the provider account is out of quota: check its plan and billing)` : said);
  });

  it("redacts the key when the provider echoes it back", async () => {
    const echoes = [
      oai(`Invalid Authorization header: Bearer ${KEY}`, { param: KEY }),
      `<html><title>bad key ${KEY}</title></html>`,
      `auth failed for ${encodeURIComponent(KEY)}`,
    ];
    for (const body of echoes) {
      const e = await errorFromResponse(
        res(401, body, { "content-type": body.startsWith("<") ? "text/html" : "application/json" }),
        ctx,
      );
      const all = `${e.message}\n${JSON.stringify(e.toJSON())}\n${e.stack}`;
      expect(all).not.toContain("canary");
      expect(all).toContain("***redacted***");
    }
  });

  it("reads at most 64 KB of an error body", async () => {
    let pulled = 0;
    const chunk = new Uint8Array(16 * 1024).fill(0x61);
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        pulled += chunk.length;
        if (pulled > 10 * 1024 * 1024) c.close();
        else c.enqueue(chunk);
      },
    });
    const text = await readBounded(body);
    expect(text.length).toBe(ERROR_BODY_LIMIT);
    expect(pulled).toBeLessThan(ERROR_BODY_LIMIT + 4 * chunk.length);
    const e = await errorFromResponse(new Response(body.locked ? "x".repeat(100_000) : "", { status: 500 }), ctx);
    expect(e.message.length).toBeLessThan(400);
  });
});

describe("errorFromResponse redacts before it shortens", () => {
  it("a key that a 300-character cut would split appears in no part", async () => {
    const key = "wk_0123456789abcdefghijklmnopqrstuv";
    const res = new Response(`${"x".repeat(290)} key=${key}`, {
      status: 401,
      headers: { "content-type": "text/plain" },
    });
    const e = await errorFromResponse(res, { provider: "p", secrets: [key] });
    expect(e.message).not.toContain(key.slice(0, 6));
    expect(e.message).toContain("key=***");
  });
});
