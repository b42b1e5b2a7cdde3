import { describe, expect, it } from "vitest";
import { describeFailure } from "../cli/errors.ts";
import type { Sources } from "../config/settings.ts";
import { resolveRoute } from "./route.ts";

const sources = (
  flags: Sources["flags"],
  env: Record<string, string> = {},
  dotenv: Record<string, string> = {},
): Sources => ({
  flags,
  env,
  dotenv,
  file: { path: "/nonexistent/config.json", exists: false, config: {}, mode: undefined, notes: [] },
});

/** The message a run prints for what resolving the route threw. */
const failure = (s: Sources): string => {
  try {
    resolveRoute(s);
  } catch (e) {
    return describeFailure(e).info.message;
  }
  throw new Error("resolved");
};

describe("a bad base URL is named where it was typed", () => {
  it.each([
    [sources({ "base-url": "notaurl" }), "--base-url notaurl: must be an absolute http(s) URL"],
    [sources({}, { GPTIMG_BASE_URL: "notaurl" }), "GPTIMG_BASE_URL (environment) notaurl: must be an absolute"],
    [sources({}, {}, { GPTIMG_BASE_URL: "ftp://x" }), "GPTIMG_BASE_URL (.env) ftp://x: must use http or https"],
    [sources({}, { OPENAI_BASE_URL: "notaurl" }), "OPENAI_BASE_URL (environment) notaurl: must be an absolute"],
  ])("%#: %s", (s, message) => {
    expect(failure(s)).toContain(message);
    expect(failure(s)).not.toMatch(/^baseUrl/);
  });
});
