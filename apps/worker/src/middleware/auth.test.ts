import { afterEach, describe, expect, it } from "vitest";
import { call, memberToken, type ProviderSide, recordUsage, useOfflineProvider } from "../../test/gateway-support.ts";

let provider: ProviderSide | undefined;
afterEach(() => {
  provider?.restore();
  provider = undefined;
});

const generate = (token: string | undefined, body: unknown = { prompt: "x" }) =>
  call("/v1/images/generations", {
    ...(token ? { token } : {}),
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });

describe("member auth", () => {
  const now = () => Math.floor(Date.now() / 1000);
  it.each<[string, () => Promise<string | undefined>, string]>([
    ["no token", async () => undefined, "missing token"],
    ["an unknown token", async () => "gpi_not_a_real_token", "invalid token"],
    ["a revoked token", async () => (await memberToken({ revokedAt: now() - 10 })).token, "token revoked"],
    ["an expired token", async () => (await memberToken({ expiresAt: now() - 1 })).token, "token expired"],
  ])("401 for %s on every /v1 route, before the provider is called", async (_n, make, message) => {
    provider = useOfflineProvider();
    const token = await make();
    for (const res of [
      await generate(token),
      await call("/v1/models", token ? { token } : {}),
      await call("/v1/usage", token ? { token } : {}),
    ]) {
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({
        error: { message: expect.stringContaining(message), type: "authentication_error", code: "auth", param: null },
      });
    }
    expect(provider.calls).toHaveLength(0);
  });

  it("accepts a token that has not expired yet", async () => {
    const { token } = await memberToken({ expiresAt: now() + 60 });
    expect((await call("/v1/models", { token })).status).toBe(200);
  });
});

describe("enforceQuota", () => {
  it("403 permission for a model the token may not use", async () => {
    provider = useOfflineProvider();
    const { token } = await memberToken({ models: ["gpt-image-1"] });
    const res = await generate(token, { prompt: "x", model: "gpt-image-2" });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: { code: "permission", type: "permission_error", param: "model" } });
    expect(provider.calls).toHaveLength(0);
  });

  it("429 quota_exceeded once the day's images are used up, counting n", async () => {
    provider = useOfflineProvider();
    const { token, id } = await memberToken({ team: "quota", dailyImageQuota: 3 });
    await recordUsage({ team: "quota", member: "alice", tokenId: id, model: "gpt-image-2", images: 2 });
    const tooMany = await generate(token, { prompt: "x", n: 2 });
    expect(tooMany.status).toBe(429);
    expect(await tooMany.json()).toMatchObject({
      error: { code: "quota_exceeded", param: "n", message: expect.stringContaining("1 left today") },
    });
    expect(provider.calls).toHaveLength(0);
    expect((await generate(token, { prompt: "x", n: 1 })).status).toBe(200);
    const after = await generate(token, { prompt: "x", n: 1 });
    expect(after.status).toBe(429);
    expect(provider.calls).toHaveLength(1);
  });

  it("429 rate_limited with Retry-After past the token's requests per minute", async () => {
    provider = useOfflineProvider();
    const { token } = await memberToken({ rpm: 2 });
    // invalid model for this provider is not needed: the limit is checked before any call
    const statuses: number[] = [];
    let limited: Response | undefined;
    for (let i = 0; i < 3; i++) {
      const res = await generate(token);
      statuses.push(res.status);
      if (res.status === 429) limited = res;
      else await res.arrayBuffer();
    }
    // a minute boundary between the calls would reset the window; allow for it
    if (statuses[2] !== 429) return expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(2);
    expect(statuses).toEqual([200, 200, 429]);
    const retryAfter = Number(limited?.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    // a limit per minute passes: SDKs may retry it after Retry-After
    expect(limited?.headers.get("x-should-retry")).toBeNull();
    expect(await limited?.json()).toMatchObject({ error: { code: "rate_limited", type: "rate_limit_error" } });
    expect(provider.calls).toHaveLength(2);
  });
});
