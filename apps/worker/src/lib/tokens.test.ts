import { describe, expect, it } from "vitest";
import { imageKey, inputKey } from "./storage.ts";
import { base64url, fromBase64url, timingSafeEqual } from "./tokens.ts";

describe("tokens and keys", () => {
  it("base64url decoding is strict: only the canonical form round-trips", () => {
    const bytes = new Uint8Array([251, 255, 191, 0, 1]);
    const s = base64url(bytes);
    expect(fromBase64url(s)).toEqual(bytes);
    expect(fromBase64url(`${s}=`)).toBeNull();
    expect(fromBase64url(s.replace(/.$/, (c) => String.fromCharCode(c.charCodeAt(0) + 1)))).toBeNull();
    expect(fromBase64url("a+b/")).toBeNull();
  });

  it("timingSafeEqual compares values, not prefixes", async () => {
    expect(await timingSafeEqual("abc", "abc")).toBe(true);
    expect(await timingSafeEqual("abc", "abd")).toBe(false);
    expect(await timingSafeEqual("abc", "abcd")).toBe(false);
    expect(await timingSafeEqual("", "")).toBe(true);
  });

  it("builds R2 keys by UTC month", () => {
    const d = new Date(Date.UTC(2026, 0, 31, 23, 59));
    expect(imageKey("acme", "job_1", 3, "webp", d)).toBe("t/acme/2026/01/job_1/3.webp");
    expect(inputKey("acme", "job_1", 0, "png", d)).toBe("t/acme/2026/01/job_1/input-0.png");
    expect(inputKey("acme", "job_1", "mask", "png", d)).toBe("t/acme/2026/01/job_1/mask.png");
  });
});
