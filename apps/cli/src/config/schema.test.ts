import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkConfig, formatConfigIssue } from "./schema.ts";
import { saveConfig } from "./store.ts";

describe("checkConfig", () => {
  it.each(["notaurl", "ftp://example.com/v1", "example.com/v1", "http://"])(
    "a provider baseUrl %j is refused, naming field and value",
    (baseUrl) => {
      const issues = checkConfig({ providers: { default: { baseUrl } } });
      expect(issues).toEqual([
        {
          field: "providers.default.baseUrl",
          value: baseUrl,
          rule: "must be an absolute http(s) URL such as https://example.com/v1",
        },
      ]);
    },
  );

  it.each(["http://127.0.0.1:8080/v1", "https://api.openai.com/v1"])("a provider baseUrl %j is fine", (baseUrl) => {
    expect(checkConfig({ providers: { default: { baseUrl } } })).toEqual([]);
  });

  it("an unknown profile names the value", () => {
    const [issue] = checkConfig({ providers: { p: { profile: "bogus" } } });
    expect(formatConfigIssue(issue!)).toMatch(/^providers\.p\.profile bogus: must be one of openai/);
  });

  it("a default provider that is neither configured nor built in is refused, naming the known ones", () => {
    const issues = checkConfig({ provider: "nope", providers: { mine: { baseUrl: "https://x.example/v1" } } });
    expect(issues.map(formatConfigIssue)).toEqual([
      expect.stringMatching(/^provider nope: names an unknown provider \(one of mine, openai, /),
    ]);
    for (const provider of ["mine", "openai", "default"])
      expect(checkConfig({ provider, providers: { mine: { baseUrl: "https://x.example/v1" } } })).toEqual([]);
  });

  it("a default size is checked by the provider model's size rules", () => {
    const big = checkConfig({ providers: { y: { defaults: { size: "5000x5000" } } } });
    expect(big.map(formatConfigIssue)).toEqual([
      expect.stringMatching(/^providers\.y\.defaults\.size 5000x5000: .*3840.*\(nearest legal: \d+x\d+\)$/),
    ]);
    expect(checkConfig({ providers: { y: { defaults: { size: "huge" } } } })[0]?.rule).toMatch(
      /^must be "auto", a preset/,
    );
    // dall-e-3 takes 1792x1024, which gpt-image-2 (multiples of 16) also takes; 1000x1000 only under no rules
    expect(checkConfig({ providers: { y: { model: "dall-e-3", defaults: { size: "1792x1024" } } } })).toEqual([]);
    const fixed = checkConfig({ providers: { y: { model: "dall-e-3", defaults: { size: "1536x1024" } } } });
    expect(fixed.map(formatConfigIssue)).toEqual([
      expect.stringMatching(/^providers\.y\.defaults\.size 1536x1024: .*supports only .* for dall-e-3/),
    ]);
    for (const size of ["16:9", "auto", "1920x1088", "4k"])
      expect(checkConfig({ providers: { y: { defaults: { size } } } })).toEqual([]);
  });
});

describe("saveConfig", () => {
  it("never writes a config that would not load", () => {
    const path = join(mkdtempSync(join(tmpdir(), "gptimg-save-")), "config.json");
    expect(() => saveConfig(path, { providers: { p: { baseUrl: "ftp://x" } } }, {})).toThrow(
      /not saved: providers\.p\.baseUrl ftp:\/\/x: must be an absolute http\(s\) URL/,
    );
    expect(existsSync(path)).toBe(false);
    rmSync(dirname(path), { recursive: true, force: true });
  });
});
