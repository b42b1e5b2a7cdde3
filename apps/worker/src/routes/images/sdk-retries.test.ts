import { APIError, RateLimitError, toFile } from "openai";
import { describe, expect, it } from "vitest";
import { png } from "../../../../../packages/core/test-fixtures/images.ts";
import { memberToken, providerPerTest } from "../../../test/gateway-support.ts";
import { sdkClient } from "../../../test/sdk-client.ts";

const start = providerPerTest();

/** An `openai` client with the SDK's default retries (2), and the requests it sent the Worker. */
function retryingClient(token: string, headers?: Record<string, string>) {
  const sent: Request[] = [];
  const client = sdkClient(token, { maxRetries: 2, onRequest: (r) => sent.push(r), ...(headers ? { headers } : {}) });
  return { client, sent };
}

/** What a call threw (the test fails if it resolved). */
const thrown = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => expect.fail("the call succeeded"),
    (e: unknown) => e,
  );

/** Each kind of image call, as the SDK makes it. */
const IMAGE_CALLS: [string, "generate" | "edit", Record<string, unknown>][] = [
  ["a b64_json generation", "generate", {}],
  ["a url generation", "generate", { response_format: "url" }],
  ["a streamed generation", "generate", { stream: true }],
  ["an edit", "edit", {}],
];

/** One image call of `kind` through `client`, with `extra` parameters. */
async function imageCall(
  client: ReturnType<typeof retryingClient>["client"],
  kind: "generate" | "edit",
  extra: Record<string, unknown>,
): Promise<unknown> {
  if (kind === "generate") return client.images.generate({ prompt: "a lighthouse", ...extra });
  const image = await toFile(png({ width: 64, height: 64, colorType: 2 }), "in.png", { type: "image/png" });
  return client.images.edit({ prompt: "a scarf", image, ...extra });
}

/**
 * Ways a provider fails once it has read the request, so it may have billed it, with the code the
 * Worker answers. A broken answer is found within its first 64 KiB here (the test images are
 * ~100 KB of base64), before a `b64_json` answer's first bytes go out.
 */
const BILLED_FAILURES: [string, string, string][] = [
  ["drops the connection", "reset", "outcome_unknown"],
  ["cuts its answer short", "cut=500", "bad_response"],
  ["answers invalid JSON", "invalid-json", "bad_response"],
  ["answers invalid base64", "invalid-base64", "bad_response"],
];

describe("the openai SDK's retries against the Worker", () => {
  it.each(IMAGE_CALLS.flatMap(([call, kind, extra]) => BILLED_FAILURES.map((f) => [call, ...f, kind, extra] as const)))(
    "%s whose provider %s is an APIError that is not sent again (x-should-retry: false)",
    async (_n, _f, fault, code, kind, extra) => {
      const side = start(fault);
      const { token } = await memberToken({ team: "sdk-billed" });
      const { client, sent } = retryingClient(token);
      const e = await thrown(imageCall(client, kind, extra));
      expect(e).toBeInstanceOf(APIError);
      const { status, error, headers } = e as APIError;
      expect(status).toBe(502);
      expect(error).toMatchObject({ code, type: "upstream_error", possibly_billed: true });
      expect(sent).toHaveLength(1);
      expect(side.calls).toHaveLength(1);
      expect(headers?.get("x-should-retry")).toBe("false");
    },
  );

  it.each(IMAGE_CALLS)(
    "%s the provider refuses with x-should-retry: false is not sent again",
    async (_n, kind, extra) => {
      // a spent billing quota: the provider says waiting will not help
      const side = start("status=429;should-retry=false;message=You exceeded your current quota");
      const { token } = await memberToken({ team: "sdk-provider-verdict" });
      const { client, sent } = retryingClient(token);
      const call = imageCall(client, kind, extra);
      const e = (await thrown(call)) as { status: number; message: string; headers: Headers };
      expect(e.status).toBe(429);
      expect(e.message).toContain("You exceeded your current quota");
      expect(e.headers.get("x-should-retry")).toBe("false");
      expect(sent).toHaveLength(1);
      expect(side.calls).toHaveLength(1);
    },
  );

  it.each(IMAGE_CALLS)(
    "%s whose provider is out of quota (insufficient_quota, no x-should-retry) is sent upstream once",
    async (_n, kind, extra) => {
      const side = start("status=429;code=insufficient_quota;times=inf");
      const { token } = await memberToken({ team: "sdk-provider-quota" });
      const { client, sent } = retryingClient(token);
      const e = await thrown(imageCall(client, kind, extra));
      expect(e).toBeInstanceOf(RateLimitError);
      const { status, error, headers, message } = e as RateLimitError;
      expect(status).toBe(429);
      expect(message).toContain("You exceeded your current quota, please check your plan and billing details");
      // as OpenAI answers it, so a client checking `code` tells it from a rate limit
      expect(error).toMatchObject({ code: "insufficient_quota", type: "insufficient_quota" });
      expect(headers.get("x-should-retry")).toBe("false");
      expect(sent).toHaveLength(1);
      expect(side.calls).toHaveLength(1);
    },
  );

  it("a provider's plain rate limit stays retryable: Retry-After, no x-should-retry", async () => {
    const side = start("status=429;retry-after-ms=1;times=inf");
    const { token } = await memberToken({ team: "sdk-provider-rpm" });
    const { client, sent } = retryingClient(token);
    const e = (await thrown(client.images.generate({ prompt: "x" }, { maxRetries: 0 }))) as APIError;
    expect(e).toBeInstanceOf(RateLimitError);
    expect(e.headers?.get("x-should-retry")).toBeNull();
    expect(e.headers?.get("retry-after")).toBe("1");
    expect(sent).toHaveLength(1);
    // the Worker's own client retried it (2 retries), as before
    expect(side.calls).toHaveLength(3);
  });

  it("a request over the daily image quota is refused once, not retried until the SDK gives up", async () => {
    const side = start();
    const { token } = await memberToken({ team: "sdk-quota", dailyImageQuota: 1 });
    const { client, sent } = retryingClient(token);
    await client.images.generate({ prompt: "the one image of today", quality: "low", size: "1024x1024" });
    const e = (await thrown(client.images.generate({ prompt: "one more" }))) as { status: number; code: string };
    expect(e).toMatchObject({ status: 429, code: "quota_exceeded" });
    expect((e as unknown as APIError).headers?.get("x-should-retry")).toBe("false");
    expect(sent).toHaveLength(2);
    expect(side.calls).toHaveLength(1);
  });

  it("an Idempotency-Key reused for another request is refused once", async () => {
    start();
    const { token } = await memberToken({ team: "sdk-key" });
    const { client, sent } = retryingClient(token, { "Idempotency-Key": "sdk-key-1" });
    await client.images.generate({ prompt: "the first request", quality: "low", size: "1024x1024" });
    const e = (await thrown(client.images.generate({ prompt: "another request" }))) as { status: number; code: string };
    expect(e).toMatchObject({ status: 409, code: "idempotency_conflict" });
    expect(sent).toHaveLength(2);
  });
});
