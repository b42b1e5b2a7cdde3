import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FaultQueue, parseFaultHeader } from "./faults.ts";
import type { FaultSpec } from "./types.ts";

describe("parseFaultHeader", () => {
  it.each<[string, FaultSpec[]]>([
    ["", []],
    ["latency=250", [{ kind: "latency", ms: 250 }]],
    ["429", [{ kind: "status", status: 429 }]],
    [
      "status=429;retry-after=2;retry-after-ms=1500;should-retry=false",
      [{ kind: "status", status: 429, retryAfter: 2, retryAfterMs: 1500, shouldRetry: false }],
    ],
    // An HTTP date holds a comma, which splits compact items: write it in JSON.
    [
      '{"kind":"status","status":503,"retryAfter":"Wed, 21 Oct 2015 07:28:00 GMT"}',
      [{ kind: "status", status: 503, retryAfter: "Wed, 21 Oct 2015 07:28:00 GMT" }],
    ],
    ["html", [{ kind: "html" }]],
    ["html=504", [{ kind: "html", status: 504 }]],
    ["cut=100;times=3;path=/edits", [{ kind: "cut", bytes: 100, times: 3, path: "/edits" }]],
    ["reset, hang", [{ kind: "reset" }, { kind: "hang" }]],
    [
      "wrong-format=webp, wrong-size=1280x720, noise",
      [{ kind: "wrong-format", format: "webp" }, { kind: "wrong-size", size: "1280x720" }, { kind: "noise" }],
    ],
    ['{"kind":"status","status":500}', [{ kind: "status", status: 500 }]],
    ['[{"kind":"latency","ms":5},{"kind":"invalid-json"}]', [{ kind: "latency", ms: 5 }, { kind: "invalid-json" }]],
  ])("parses %j", (text, expected) => {
    expect(parseFaultHeader(text)).toEqual(expected);
  });

  it.each([
    ["boom", /fault kind 'boom'/],
    ["status=200", /400-599/],
    ["latency", /latency=: expected a non-negative number/],
    ["latency=-1", /latency=-1/],
    ["wrong-format=gif", /png, jpeg or webp/],
    ["wrong-size=big", /WIDTHxHEIGHT/],
    ["status=500;colour=red", /parameter 'colour'/],
    ["status=500;should-retry=maybe", /true or false/],
    ['{"kind":"status"}', /400-599/],
    ["cut;times=0", /times=0/],
    ["status=503;retry-after=Wed, 21 Oct 2015 07:28:00 GMT", /fault kind '21 Oct/],
  ])("rejects %j", (text, message) => {
    expect(() => parseFaultHeader(text)).toThrow(message);
  });

  it("round-trips any status fault written in the compact form", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 400, max: 599 }),
        fc.option(fc.integer({ min: 0, max: 3600 }), { nil: undefined }),
        fc.option(fc.integer({ min: 0, max: 60_000 }), { nil: undefined }),
        fc.option(fc.boolean(), { nil: undefined }),
        (status, retryAfter, retryAfterMs, shouldRetry) => {
          let text = `status=${status}`;
          if (retryAfter !== undefined) text += `;retry-after=${retryAfter}`;
          if (retryAfterMs !== undefined) text += `;retry-after-ms=${retryAfterMs}`;
          if (shouldRetry !== undefined) text += `;should-retry=${shouldRetry}`;
          const expected: Record<string, unknown> = { kind: "status", status };
          if (retryAfter !== undefined) expected.retryAfter = retryAfter;
          if (retryAfterMs !== undefined) expected.retryAfterMs = retryAfterMs;
          if (shouldRetry !== undefined) expected.shouldRetry = shouldRetry;
          expect(parseFaultHeader(text)).toEqual([expected]);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("never throws anything but an Error on arbitrary text", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (text) => {
        try {
          const faults = parseFaultHeader(text);
          expect(Array.isArray(faults)).toBe(true);
        } catch (e) {
          expect(e).toBeInstanceOf(Error);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe("FaultQueue", () => {
  it("serves entries in order, skipping those whose path does not match", () => {
    const q = new FaultQueue();
    q.set([
      { kind: "reset", path: "/edits" },
      { kind: "status", status: 500, times: 2 },
    ]);
    expect(q.take("POST", "/v1/images/generations")?.kind).toBe("status");
    expect(q.take("POST", "/v1/images/edits")?.kind).toBe("reset");
    expect(q.take("GET", "/v1/models")).toBeUndefined();
    expect(q.take("POST", "/v1/images/edits")?.kind).toBe("status");
    expect(q.take("POST", "/v1/images/edits")).toBeUndefined();
  });

  it("keeps a fault with times Infinity forever", () => {
    const q = new FaultQueue();
    q.set([{ kind: "latency", ms: 1, times: Number.POSITIVE_INFINITY }]);
    for (let i = 0; i < 50; i++) expect(q.take("POST", "/v1/images/generations")?.kind).toBe("latency");
    expect(q.pending()).toHaveLength(1);
  });
});
