import { env } from "cloudflare:workers";
import {
  AuthenticationError,
  BadResponseError,
  ConnectionError,
  ContentPolicyError,
  OutcomeUnknownError,
  ProviderError,
  RateLimitError,
  TimeoutError,
  ValidationError,
} from "@gptimg/core";
import { describe, expect, it } from "vitest";
import { HttpError, toOpenAIError } from "../src/lib/errors.ts";
import { fallbackKeyName, providerConfigs } from "../src/lib/provider.ts";
import { envSecrets } from "../src/lib/secrets.ts";
import { imageKey, inputKey } from "../src/lib/storage.ts";
import { base64url, fromBase64url, timingSafeEqual } from "../src/lib/tokens.ts";
import { costUsd } from "../src/lib/usage.ts";
import { CANARY_KEY, expectNoCanary } from "./gateway-support.ts";

describe("toOpenAIError", () => {
  it.each<[string, unknown, number, string, string]>([
    [
      "validation",
      new ValidationError([{ field: "n", value: 11, rule: "must be an integer from 1 to 10" }]),
      400,
      "validation",
      "invalid_request_error",
    ],
    ["provider auth", new AuthenticationError("auth", "bad key", { status: 401 }), 401, "auth", "authentication_error"],
    [
      "rate limit",
      new RateLimitError("rate_limited", "slow down", { status: 429 }),
      429,
      "rate_limited",
      "rate_limit_error",
    ],
    [
      "content policy",
      new ContentPolicyError("content_policy", "refused", { status: 400 }),
      400,
      "content_policy",
      "image_generation_user_error",
    ],
    [
      "provider 5xx",
      new ProviderError("provider_error", "boom", { status: 503 }),
      502,
      "provider_error",
      "upstream_error",
    ],
    ["bad response", new BadResponseError("cut"), 502, "bad_response", "upstream_error"],
    ["timeout", new TimeoutError("slow"), 504, "timeout", "upstream_error"],
    ["network", new ConnectionError("refused"), 502, "network", "upstream_error"],
    ["outcome unknown", new OutcomeUnknownError("reset after send"), 502, "outcome_unknown", "upstream_error"],
    [
      "gateway quota",
      new HttpError(429, "quota_exceeded", "no images left"),
      429,
      "quota_exceeded",
      "insufficient_quota",
    ],
    ["anything else", new Error(`db down, key ${CANARY_KEY}`), 500, "internal", "server_error"],
  ])("%s", (_n, err, status, code, type) => {
    const out = toOpenAIError(err, envSecrets(env));
    expect(out.status).toBe(status);
    expect(out.body.error).toMatchObject({ code, type });
    expectNoCanary(JSON.stringify(out));
  });

  it("flags outcome_unknown as possibly billed, names the param of a validation error", () => {
    expect(toOpenAIError(new OutcomeUnknownError("x")).body.error.possibly_billed).toBe(true);
    expect(
      toOpenAIError(new ValidationError([{ field: "size", value: "1x1", rule: "too small" }])).body.error.param,
    ).toBe("size");
  });

  it("redacts every configured secret from messages, including ones core did not know", () => {
    const signing = (JSON.parse(env.SIGNING_KEYS as string) as Record<string, string>).k1 as string;
    for (const secret of [CANARY_KEY, env.ADMIN_TOKEN as string, signing]) {
      const out = toOpenAIError(
        new ProviderError("provider_error", `upstream said: ${secret} was wrong`, { status: 500 }),
        envSecrets(env),
      );
      expect(out.body.error.message).not.toContain(secret);
      expect(out.body.error.message).toContain("upstream said:");
    }
  });
});

describe("provider configuration", () => {
  it("takes fallback keys from PROVIDER_API_KEY_<NAME>, never from the var itself", () => {
    const cfg = providerConfigs({
      ...env,
      PROVIDER_FALLBACKS: JSON.stringify([
        { name: "mini-max", profile: "custom", baseUrl: "http://b.test", apiKey: "ignored-var-key" },
      ]),
      PROVIDER_API_KEY_MINI_MAX: "canary_fallback_key_123",
    });
    expect(fallbackKeyName("mini-max")).toBe("PROVIDER_API_KEY_MINI_MAX");
    expect(cfg.map((p) => [p.name, p.apiKey])).toEqual([
      ["primary", CANARY_KEY],
      ["mini-max", "canary_fallback_key_123"],
    ]);
    expect(envSecrets({ ...env, PROVIDER_API_KEY_MINI_MAX: "canary_fallback_key_123" })).toContain(
      "canary_fallback_key_123",
    );
  });

  it.each(["{", "{}", "[1]", '[{"profile":"custom"}]'])("names PROVIDER_FALLBACKS when it is %s", (value) => {
    expect(() => providerConfigs({ ...env, PROVIDER_FALLBACKS: value })).toThrow(/PROVIDER_FALLBACKS/);
  });
});

describe("costUsd", () => {
  const rates = {
    MODEL_RATES: JSON.stringify({
      m: { input_text_per_mtok: 5, input_image_per_mtok: 8, output_image_per_mtok: 30, per_image: 0.01 },
    }),
  };
  it.each<[string, Parameters<typeof costUsd>[1], number, number]>([
    ["no usage, per image only", undefined, 2, 0.02],
    [
      "details split text and image input",
      {
        inputTokens: 1000,
        outputTokens: 2000,
        totalTokens: 3000,
        inputTokensDetails: { textTokens: 200, imageTokens: 800 },
      },
      1,
      0.01 + (200 * 5 + 800 * 8 + 2000 * 30) / 1e6,
    ],
    [
      "no details: input is text, output is image",
      { inputTokens: 1000, outputTokens: 1000, totalTokens: 2000 },
      0,
      (1000 * 5 + 1000 * 30) / 1e6,
    ],
  ])("%s", (_n, usage, images, expected) => {
    expect(costUsd("m", usage, rates, images)).toBeCloseTo(expected, 9);
  });
  it("is 0 for unknown models and malformed rates", () => {
    expect(costUsd("other", { inputTokens: 1, outputTokens: 1, totalTokens: 2 }, rates)).toBe(0);
    expect(costUsd("m", { inputTokens: 1, outputTokens: 1, totalTokens: 2 }, { MODEL_RATES: "{" })).toBe(0);
  });
});

describe("tokens and keys", () => {
  it("base64url decoding is strict: only the canonical form round-trips", () => {
    const bytes = new Uint8Array([251, 255, 191, 0, 1]);
    const s = base64url(bytes);
    expect(fromBase64url(s)).toEqual(bytes);
    expect(fromBase64url(`${s}=`)).toBeNull();
    expect(fromBase64url(s.replace(/.$/, (c) => String.fromCharCode(c.charCodeAt(0) + 1)))).toBeNull();
    expect(fromBase64url("a+b/")).toBeNull();
  });

  it("timingSafeEqual compares values, not prefixes", async () => {
    expect(await timingSafeEqual("abc", "abc")).toBe(true);
    expect(await timingSafeEqual("abc", "abd")).toBe(false);
    expect(await timingSafeEqual("abc", "abcd")).toBe(false);
    expect(await timingSafeEqual("", "")).toBe(true);
  });

  it("builds R2 keys by UTC month", () => {
    const d = new Date(Date.UTC(2026, 0, 31, 23, 59));
    expect(imageKey("acme", "job_1", 3, "webp", d)).toBe("t/acme/2026/01/job_1/3.webp");
    expect(inputKey("acme", "job_1", 0, "png", d)).toBe("t/acme/2026/01/job_1/input-0.png");
    expect(inputKey("acme", "job_1", "mask", "png", d)).toBe("t/acme/2026/01/job_1/mask.png");
  });
});
