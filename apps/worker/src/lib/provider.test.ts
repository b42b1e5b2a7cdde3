import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { CANARY_KEY, captureConsole, memberToken } from "../../test/gateway-support.ts";
import { app } from "../app.ts";
import { ConfigError } from "./errors.ts";
import { fallbackKeyName, providerConfigs, providerFallbacksProblem } from "./provider.ts";
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

  it.each([
    ["{", "PROVIDER_FALLBACKS: not JSON; must be a JSON array of provider configs"],
    ["{}", "PROVIDER_FALLBACKS: must be a JSON array of provider configs"],
    ["[1]", 'PROVIDER_FALLBACKS[0]: must be an object with a string "name"'],
    ['[{"name":"b"},{"profile":"custom"}]', 'PROVIDER_FALLBACKS[1]: must be an object with a string "name"'],
  ])("PROVIDER_FALLBACKS %s is a ConfigError naming it and its rule", (value, problem) => {
    const cfg = { ...env, PROVIDER_FALLBACKS: value };
    expect(providerFallbacksProblem(cfg)).toBe(problem);
    expect(() => providerConfigs(cfg)).toThrow(new ConfigError(problem));
    expect(() => providerConfigs(cfg)).toThrow(ConfigError);
  });

  it("unset, empty or well-formed PROVIDER_FALLBACKS is no problem", () => {
    for (const v of [undefined, "", "[]", '[{"name":"b","profile":"custom"}]'])
      expect(providerFallbacksProblem({ PROVIDER_FALLBACKS: v })).toBeUndefined();
  });

  it("a malformed PROVIDER_FALLBACKS makes GET /v1/models a 500 naming it, never the key inside it", async () => {
    const inside = "sk-canary-key-inside-fallbacks";
    const cfg = { ...env, PROVIDER_FALLBACKS: `[{"profile":"custom","apiKey":"${inside}"}]` };
    const { token } = await memberToken();
    const log = captureConsole();
    let text: string;
    try {
      const res = await app.request("/v1/models", { headers: { authorization: `Bearer ${token}` } }, cfg);
      expect(res.status).toBe(500);
      text = await res.text();
    } finally {
      log.restore();
    }
    expect(JSON.parse(text).error).toMatchObject({
      code: "internal",
      message: 'internal error: PROVIDER_FALLBACKS[0]: must be an object with a string "name"',
    });
    expect(log.lines).toEqual([
      'internal error on GET /v1/models: ConfigError (internal error: PROVIDER_FALLBACKS[0]: must be an object with a string "name")',
    ]);
    expect(`${text}${log.lines.join("")}`).not.toContain(inside);
  });
});
