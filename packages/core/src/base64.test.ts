import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Base64StreamDecoder, decodeBase64, encodeBase64 } from "./base64.ts";
import { BadResponseError } from "./errors/index.ts";

const atobBytes = (s: string): Uint8Array => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
const concat = (parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};
const streamDecode = (pieces: string[]): Uint8Array => {
  const d = new Base64StreamDecoder({ label: "data[0].b64_json" });
  return concat([...pieces.map((p) => d.push(p)), d.end()]);
};
/** Splits `s` at the given cut points (any positions, sorted and deduplicated). */
const cut = (s: string, at: number[]): string[] => {
  const points = [...new Set(at.map((a) => a % (s.length + 1)))].sort((a, b) => a - b);
  const out: string[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(s.slice(prev, p));
    prev = p;
  }
  out.push(s.slice(prev));
  return out;
};

describe("Base64StreamDecoder", () => {
  it.each([
    ["aGVsbG8=", "hello"],
    ["aGVsbG8", "hello"],
    ["aGVsbA==", "hell"],
    ["aGVsbA", "hell"],
    ["aGVs", "hel"],
    ["", ""],
    ["aGVs\nbG8=\r\n", "hello"],
    [" a G V s b G 8 = ", "hello"],
    ["aGVsbA=\n=", "hell"],
  ])("decodes %j", (input, text) => {
    expect(new TextDecoder().decode(streamDecode([input]))).toBe(text);
    expect(new TextDecoder().decode(streamDecode(input.split("")))).toBe(text);
  });

  it.each([
    ["aGVs*G8=", 4, "'*' is not in the base64 alphabet"],
    ["aGVsbG8=x", 8, "'x' after '=' padding"],
    ["aGVsbG===", 8, "'=' after the end of the padding"],
    ["a===", 1, "'=' padding can only follow 2 or 3 characters of a group"],
    ["=AAA", 0, "'=' padding can only follow"],
    ["aGVsbA=", 7, "'=' padding is incomplete"],
    ["aGVsb", 5, "the final group has a single character"],
    ["aGVs\u00e9", 4, "U+00E9 is not in the base64 alphabet"],
    ["aGVs\u4e2d", 4, "U+4E2D is not in the base64 alphabet"],
    ['aGVs"', 4, `'"' is not in the base64 alphabet`],
    ["aG-s", 2, "'-' is not in the base64 alphabet"],
  ])("rejects %j at offset %i", (input, offset, rule) => {
    for (const pieces of [[input], input.split("")]) {
      const err = (() => {
        try {
          streamDecode(pieces);
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(BadResponseError);
      expect((err as Error).message).toContain(`invalid base64 in data[0].b64_json at offset ${offset}: ${rule}`);
    }
  });

  it("yields exactly what atob yields for random payloads split anywhere", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.array(fc.nat(), { maxLength: 12 }), fc.boolean(), (bytes, at, strip) => {
        let s = encodeBase64(bytes);
        if (strip) s = s.replace(/=+$/, "");
        expect(streamDecode(cut(s, at))).toEqual(atobBytes(s));
      }),
      { numRuns: 300 },
    );
  });

  it("accepts and rejects exactly what atob does on random strings over a small alphabet", () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom("A", "b", "/", "+", "=", " ", "\n", "%"), maxLength: 14 }), fc.array(fc.nat(), { maxLength: 4 }), (s, at) => {
        let expected: Uint8Array | undefined;
        try {
          expected = atobBytes(s);
        } catch {
          expected = undefined;
        }
        if (expected) expect(streamDecode(cut(s, at))).toEqual(expected);
        else expect(() => streamDecode(cut(s, at))).toThrow(BadResponseError);
      }),
      { numRuns: 2000 },
    );
  });
});

describe("decodeBase64 / encodeBase64", () => {
  it("round-trips random bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 70000 }), (bytes) => {
        const s = encodeBase64(bytes);
        expect(decodeBase64(s)).toEqual(bytes);
        expect(s).toBe(bytesToBinaryBtoa(bytes));
      }),
      { numRuns: 40 },
    );
  });

  it("names the label and offset of a bad character", () => {
    expect(() => decodeBase64("aGVs!G8=", "image 0")).toThrow("invalid base64 in image 0 at offset 4: '!' is not in the base64 alphabet");
  });
});

function bytesToBinaryBtoa(bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}
