import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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
});

describe("saveConfig", () => {
  it("never writes a config that would not load", () => {
    const path = join(mkdtempSync(join(tmpdir(), "gptimg-save-")), "config.json");
    expect(() => saveConfig(path, { providers: { p: { baseUrl: "ftp://x" } } }, {})).toThrow(
      /not saved: providers\.p\.baseUrl ftp:\/\/x: must be an absolute http\(s\) URL/,
    );
    expect(existsSync(path)).toBe(false);
  });
});
