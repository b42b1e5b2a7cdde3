import { describe, expect, it } from "vitest";
import { applyDefaults } from "../config/defaults.ts";
import type { Sources } from "../config/settings.ts";
import { extraBody, generateOptions } from "./options.ts";

const sources = (env: Record<string, string>, dotenv: Record<string, string> = {}): Sources => ({
  flags: {},
  env,
  dotenv,
  file: { path: "/nonexistent/config.json", exists: false, config: {}, mode: undefined, notes: [] },
});

describe("extra body JSON", () => {
  it("a bad --extra-json is named with its value and the rule", () => {
    expect(() => extraBody({ "extra-json": "{bad" })).toThrow(/^--extra-json \{bad: must be valid JSON \(.+\)$/);
    expect(() => extraBody({ "extra-json": "[1]" })).toThrow(
      '--extra-json [1]: must be a JSON object such as {"key": "value"}',
    );
  });

  it.each([
    [{ OPENAI_IMAGE_EXTRA_JSON: "{bad" }, {}, "OPENAI_IMAGE_EXTRA_JSON (environment) {bad: must be valid JSON"],
    [{}, { OPENAI_IMAGE_EXTRA_JSON: "{bad" }, "OPENAI_IMAGE_EXTRA_JSON (.env) {bad: must be valid JSON"],
    [{}, { OPENAI_IMAGE_EXTRA_JSON: '"x"' }, 'OPENAI_IMAGE_EXTRA_JSON (.env) "x": must be a JSON object'],
  ])("JSON from a variable (%j, .env %j) is named by the variable and where it was set", (env, dotenv, message) => {
    const { values, origins } = applyDefaults({}, sources(env, dotenv), "generate", ["extra-json"]);
    expect(() => generateOptions(values, "a cat", undefined, "generate", origins)).toThrow(message);
  });

  it("a long value is shortened in the message", () => {
    const json = `{"a": "${"x".repeat(200)}"`;
    expect(() => extraBody({ "extra-json": json })).toThrow(`--extra-json ${json.slice(0, 57)}...: must be valid JSON`);
  });
});
