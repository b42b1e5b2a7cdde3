import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PROFILES } from "@gptimg/core";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { directSettings } from "./provider-settings.ts";
import { fromDotenv } from "./seed-files.ts";
import { canonicalUrl, type Sources, sameUrl } from "./settings.ts";

const OPENAI = PROFILES.openai.baseUrl as string;
const KEY = "sk-canary-same-url-do-not-leak";

describe("canonicalUrl", () => {
  it.each([
    ["https://API.OpenAI.com/v1/", "https://api.openai.com/v1"],
    ["HTTPS://api.openai.com:443/v1", "https://api.openai.com/v1"],
    ["https://api.openai.com/v1//", "https://api.openai.com/v1"],
    ["https://api.openai.com/v1/x/..", "https://api.openai.com/v1"],
    // an empty query or fragment names nothing
    ["https://api.openai.com/v1/?", "https://api.openai.com/v1"],
    ["https://api.openai.com/v1#", "https://api.openai.com/v1"],
    ["  https://img.example.com/  ", "https://img.example.com"],
    // what names something else stays
    ["https://api.openai.com/V1", "https://api.openai.com/V1"],
    ["https://api.openai.com/v1?x=1", "https://api.openai.com/v1?x=1"],
    ["https://me:pw@api.openai.com/v1", "https://me:pw@api.openai.com/v1"],
    ["http://127.0.0.1:8080/v1/", "http://127.0.0.1:8080/v1"],
  ])("%j → %j", (given, canonical) => {
    expect(canonicalUrl(given)).toBe(canonical);
  });

  it("is what sameUrl compares, and is unchanged by applying it again", () => {
    fc.assert(
      fc.property(fc.webUrl({ withQueryParameters: true, withFragments: true }), (url) => {
        const c = canonicalUrl(url);
        expect(canonicalUrl(c)).toBe(c);
        expect(sameUrl(url, c)).toBe(true);
        expect(sameUrl(url, `${c}/`)).toBe(!c.includes("?") && !c.includes("#"));
      }),
      { numRuns: 200 },
    );
  });
});

describe("one notion of OpenAI's own base URL: login's profile, --import's profile and where OPENAI_API_KEY goes", () => {
  const dir = mkdtempSync(join(tmpdir(), "gptimg-same-url-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  /** Whether OPENAI_API_KEY is sent to `base` (the base URL flag), and the profile --import gives it. */
  function judged(base: string): { keySent: boolean; imported: string | undefined } {
    const s: Sources = {
      flags: { "base-url": base },
      env: { OPENAI_API_KEY: KEY },
      dotenv: {},
      file: { path: join(dir, "config.json"), exists: false, config: {}, mode: undefined, notes: [] },
    };
    const file = join(dir, ".env");
    writeFileSync(file, `OPENAI_API_KEY=${KEY}\nOPENAI_BASE_URL=${base}\n`);
    return { keySent: directSettings(s).providers[0]?.apiKey === KEY, imported: fromDotenv(file)?.entry.profile };
  }

  it.each([
    OPENAI,
    "https://API.openai.com/v1/",
    "https://api.openai.com:443/v1",
    // these two were OpenAI's for login but another host for the key
    "https://api.openai.com/v1/?",
    "https://api.openai.com/v1#",
  ])("%j is OpenAI's everywhere", (base) => {
    expect(sameUrl(base, OPENAI)).toBe(true);
    expect(judged(base)).toEqual({ keySent: true, imported: "openai" });
  });

  it.each([
    // these two were OpenAI's for login (its own comparison dropped them) but another host for the key
    "https://api.openai.com/v1?x=1",
    "https://me@api.openai.com/v1",
    "https://api.openai.com/V1",
    "http://api.openai.com/v1",
    "https://relay.example/v1",
  ])("%j is OpenAI's nowhere", (base) => {
    expect(sameUrl(base, OPENAI)).toBe(false);
    expect(judged(base)).toEqual({ keySent: false, imported: "openai-compatible" });
  });
});
