import { PROFILE_NAMES, PROFILES } from "@gptimg/core";
import { describe, expect, it } from "vitest";
import { directSettings } from "./provider-settings.ts";
import { checkConfig } from "./schema.ts";
import type { Sources } from "./settings.ts";

const KEY = "sk-canary-profile-key-do-not-leak";

/** Settings layers with nothing but `env` and `flags`; no config file. */
const sources = (env: Record<string, string>, flags: Sources["flags"] = {}): Sources => ({
  flags,
  env,
  dotenv: {},
  file: { path: "/nonexistent/config.json", exists: false, config: {}, mode: undefined, notes: [] },
});

/** Core's profiles with an official host and a key variable of their own. */
const keyed = PROFILE_NAMES.filter((p) => PROFILES[p].keyVariable && PROFILES[p].baseUrl);

describe("the CLI's profiles are core's", () => {
  it("a config accepts every core profile and names them all when refusing another", () => {
    for (const profile of PROFILE_NAMES) expect(checkConfig({ providers: { p: { profile } } })).toEqual([]);
    const [issue] = checkConfig({ providers: { p: { profile: "bogus" } } });
    expect(issue?.rule).toBe(`must be one of ${PROFILE_NAMES.join(", ")}`);
  });

  it("covers at least the profiles with their own key variable", () => {
    expect(keyed).toEqual(expect.arrayContaining(["openai", "wellapi"]));
  });

  it.each(keyed)("--provider %s uses core's base URL and takes its key from the profile's own variable", (p) => {
    const variable = PROFILES[p].keyVariable as string;
    const s = directSettings(sources({ [variable]: KEY }, { provider: p }));
    expect(s.providers[0]).toMatchObject({ name: p, apiKey: KEY });
    expect(s.providers[0]?.baseUrl ?? PROFILES[p].baseUrl).toBe(PROFILES[p].baseUrl);
    expect(s.keySource).toContain(variable);
  });

  it.each(keyed)("%s's key variable is never sent to another host", (p) => {
    const variable = PROFILES[p].keyVariable as string;
    const s = directSettings(sources({ [variable]: KEY }, { "base-url": "https://elsewhere.example/v1" }));
    expect(s.providers[0]?.apiKey).toBeUndefined();
    expect(s.withheld.join("\n")).toContain(`${variable} (environment) is sent only to ${PROFILES[p].baseUrl}`);
  });
});
