import { REDACTED } from "@gptimg/core";
import { describe, expect, it } from "vitest";
import { registerSecret, scrub } from "./secrets.ts";

describe("scrub: everything printed goes through core's redaction", () => {
  const secret = "tok canary/secrets+test";
  registerSecret(secret);
  registerSecret("abc");

  it("hides a registered secret as typed, URL-encoded and JSON-escaped", () => {
    expect(scrub(`key ${secret}`)).toBe(`key ${REDACTED}`);
    expect(scrub(`?t=${encodeURIComponent(secret)}`)).toBe(`?t=${REDACTED}`);
    expect(scrub(JSON.stringify({ t: secret }))).toBe(`{"t":"${REDACTED}"}`);
  });

  it("hides any Bearer credential and sk- key, registered or not; leaves short values and other text", () => {
    expect(scrub("Authorization: Bearer gpi_unregistered_value")).toBe(`Authorization: Bearer ${REDACTED}`);
    expect(scrub("echoed sk-proj-unregistered123")).toBe(`echoed ${REDACTED}`);
    expect(scrub("abc is too short to hide")).toBe("abc is too short to hide");
  });
});
