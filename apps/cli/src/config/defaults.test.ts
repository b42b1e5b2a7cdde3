import { describe, expect, it } from "vitest";
import { applyDefaults, booleanOf, mediaByDefault } from "./defaults.ts";
import type { Sources } from "./settings.ts";

/** Settings layers from the environment and ./.env only; no config file. */
const sources = (env: Record<string, string>, dotenv: Record<string, string> = {}): Sources => ({
  flags: {},
  env,
  dotenv,
  file: { path: "/nonexistent/config.json", exists: false, config: {}, mode: undefined, notes: [] },
});

const SPELLINGS = "must be one of 1, true, yes, on (to turn it on) or 0, false, no, off (to turn it off)";

describe("boolean variables", () => {
  it.each([
    ["1", true],
    [" Yes ", true],
    ["ON", true],
    ["false", false],
    ["0", false],
    ["off", false],
  ])("%j reads as %s", (value, on) => {
    expect(booleanOf({ value, source: "X (environment)" })).toBe(on);
  });

  it("GPTIMG_MEDIA=maybe is refused with the variable, where it was set, the value and the spellings", () => {
    expect(() => mediaByDefault(sources({ GPTIMG_MEDIA: "maybe" }))).toThrow(
      `GPTIMG_MEDIA (environment) maybe: ${SPELLINGS}`,
    );
    expect(() => mediaByDefault(sources({}, { GPTIMG_MEDIA: "sure" }))).toThrow(
      `GPTIMG_MEDIA (.env) sure: ${SPELLINGS}`,
    );
    expect(mediaByDefault(sources({ GPTIMG_MEDIA: "yes" }))?.source).toBe("GPTIMG_MEDIA (environment)");
    expect(mediaByDefault(sources({ GPTIMG_MEDIA: "off" }))).toBeUndefined();
  });

  it("OPENAI_IMAGE_STREAM=maybe is refused, not taken as true", () => {
    expect(() => applyDefaults({}, sources({ OPENAI_IMAGE_STREAM: "maybe" }), "generate", ["stream"])).toThrow(
      `OPENAI_IMAGE_STREAM (environment) maybe: ${SPELLINGS}`,
    );
    const on = applyDefaults({}, sources({}, { OPENAI_IMAGE_STREAM: "true" }), "generate", ["stream"]);
    expect(on).toEqual({ values: { stream: true }, origins: { stream: "OPENAI_IMAGE_STREAM (.env)" } });
    expect(applyDefaults({}, sources({ OPENAI_IMAGE_STREAM: "no" }), "generate", ["stream"]).values).toEqual({});
  });
});
