import { describe, expect, it } from "vitest";
import { isRetryableStatus, retryDelayMs, serverRetryAfterMs, shouldRetryHeader } from "./retry.ts";

const NOW = Date.parse("2026-05-01T12:00:00Z");
const now = () => NOW;
const h = (init: Record<string, string> = {}) => new Headers(init);

describe("isRetryableStatus", () => {
  it.each([
    [408, true],
    [409, true],
    [429, true],
    [500, true],
    [502, true],
    [503, true],
    [504, true],
    [520, true],
    [599, true],
    [400, false],
    [401, false],
    [403, false],
    [404, false],
    [413, false],
    [422, false],
    [200, false],
  ])("%i -> %s", (status, expected) => expect(isRetryableStatus(status)).toBe(expected));
});

describe("shouldRetryHeader", () => {
  it.each([
    ["true", true],
    ["TRUE ", true],
    ["false", false],
    ["maybe", undefined],
  ])("x-should-retry: %s -> %s", (v, expected) => expect(shouldRetryHeader(h({ "x-should-retry": v }))).toBe(expected));
  it("is undefined when absent", () => expect(shouldRetryHeader(h())).toBeUndefined());
});

describe("retryDelayMs", () => {
  it.each([
    // attempt, headers, random, expected
    [0, {}, 0, 500],
    [1, {}, 0, 1000],
    [2, {}, 0, 2000],
    [3, {}, 0, 4000],
    [4, {}, 0, 8000],
    [9, {}, 0, 8000],
    [0, {}, 1, 375], // full jitter takes off a quarter
    [4, {}, 0.5, 7000],
    [0, { "retry-after-ms": "1234" }, 0.9, 1234],
    [0, { "retry-after-ms": "1234", "retry-after": "9" }, 0, 1234],
    [0, { "retry-after-ms": "junk", "retry-after": "2" }, 0, 2000],
    [3, { "retry-after": "2" }, 0, 2000],
    [0, { "retry-after": "1.5" }, 0, 1500],
    [0, { "retry-after": "0" }, 0, 0],
    [0, { "retry-after": "3600" }, 0, 60_000], // capped by maxRetryAfterMs
    [0, { "retry-after": "Fri, 01 May 2026 12:00:05 GMT" }, 0, 5000],
    [0, { "retry-after": "Fri, 01 May 2026 11:00:00 GMT" }, 0, 0], // a date in the past
    [1, { "retry-after": "soon" }, 0, 1000], // unparseable: backoff
  ] as [number, Record<string, string>, number, number][])(
    "attempt %i with %j, random %d -> %i ms",
    (attempt, headers, r, expected) => {
      expect(retryDelayMs(attempt, h(headers), {}, () => r, now)).toBe(expected);
    },
  );

  it("honours the options", () => {
    expect(retryDelayMs(3, undefined, { baseDelayMs: 100, maxDelayMs: 500 }, () => 0)).toBe(500);
    expect(retryDelayMs(0, h({ "retry-after": "30" }), { maxRetryAfterMs: 10_000 }, () => 0)).toBe(10_000);
  });

  it("stays within [75%, 100%] of the backoff for any random value", () => {
    for (let i = 0; i <= 100; i++) {
      const d = retryDelayMs(2, undefined, {}, () => i / 100);
      expect(d).toBeGreaterThanOrEqual(1500);
      expect(d).toBeLessThanOrEqual(2000);
    }
  });
});

describe("serverRetryAfterMs", () => {
  it("prefers retry-after-ms", () =>
    expect(serverRetryAfterMs(h({ "retry-after-ms": "10", "retry-after": "5" }), now)).toBe(10));
  it("is undefined without either header", () => expect(serverRetryAfterMs(h(), now)).toBeUndefined());
});
