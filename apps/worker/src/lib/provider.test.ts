import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { CANARY_KEY } from "../../test/gateway-support.ts";
import { fallbackKeyName, providerConfigs } from "./provider.ts";
import { envSecrets } from "./secrets.ts";

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
