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
import { CANARY_KEY, expectNoCanary } from "../../test/gateway-support.ts";
import { HttpError, toOpenAIError } from "./errors.ts";
import { envSecrets } from "./secrets.ts";

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
      "provider out of quota",
      new RateLimitError("insufficient_quota", "You exceeded your current quota", {
        status: 429,
        providerCode: "insufficient_quota",
        shouldRetry: false,
      }),
      429,
      "insufficient_quota",
      "insufficient_quota",
    ],
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
