import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Base64Engine, Base64StreamDecoder, decodeBase64, encodeBase64 } from "./base64.ts";
import { simdBase64 } from "./base64-simd.ts";
import { FixedTarget } from "./byte-blocks.ts";
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
const streamDecode = (pieces: string[], engine: Base64Engine = "auto"): Uint8Array => {
  const d = new Base64StreamDecoder({ label: "data[0].b64_json", engine });
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
      fc.property(
        fc.uint8Array({ maxLength: 3000 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        fc.boolean(),
        (bytes, at, strip) => {
          let s = encodeBase64(bytes);
          if (strip) s = s.replace(/=+$/, "");
          expect(streamDecode(cut(s, at))).toEqual(atobBytes(s));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("accepts and rejects exactly what atob does on random strings over a small alphabet", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom("A", "b", "/", "+", "=", " ", "\n", "%"), maxLength: 14 }),
        fc.array(fc.nat(), { maxLength: 4 }),
        (s, at) => {
          let expected: Uint8Array | undefined;
          try {
            expected = atobBytes(s);
          } catch {
            expected = undefined;
          }
          if (expected) expect(streamDecode(cut(s, at))).toEqual(expected);
          else expect(() => streamDecode(cut(s, at))).toThrow(BadResponseError);
        },
      ),
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
    expect(() => decodeBase64("aGVs!G8=", "image 0")).toThrow(
      "invalid base64 in image 0 at offset 4: '!' is not in the base64 alphabet",
    );
  });
});

function bytesToBinaryBtoa(bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

/**
 * Bun and workerd have Uint8Array.prototype.setFromBase64; Node 20 does not. This stand-in keeps
 * the native branch's contract (skips whitespace, throws SyntaxError outside the alphabet, with
 * stop-before-partial decodes only whole groups and reports chars read and bytes written).
 */
let nativeCalls = 0;
function setFromBase64(this: Uint8Array, s: string): { read: number; written: number } {
  nativeCalls++;
  const chars: string[] = [];
  const ends: number[] = [];
  for (let k = 0; k < s.length; k++) {
    const c = s.charAt(k);
    if (" \t\n\f\r".includes(c)) continue;
    if (!/[A-Za-z0-9+/]/.test(c)) throw new SyntaxError("invalid base64");
    chars.push(c);
    ends.push(k + 1);
  }
  const whole = chars.length - (chars.length % 4);
  const bytes = atobBytes(chars.slice(0, whole).join(""));
  this.set(bytes);
  return { read: whole === 0 ? 0 : (ends[whole - 1] as number), written: bytes.length };
}

describe("Base64StreamDecoder with a native setFromBase64", () => {
  const proto = Uint8Array.prototype as unknown as { setFromBase64?: unknown };
  const had = "setFromBase64" in proto;
  beforeAll(() => {
    if (!had) proto.setFromBase64 = setFromBase64;
  });
  afterAll(() => {
    if (!had) delete proto.setFromBase64;
  });

  it("yields exactly what atob yields, with padding, whitespace and bad characters handled by the table decoder", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 200, maxLength: 3000 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.option(fc.tuple(fc.nat(), fc.constantFrom(" ", "\n", "*", "=", "\u00e9")), { nil: undefined }),
        (bytes, at, insert) => {
          let s = encodeBase64(bytes);
          if (insert) {
            const p = insert[0] % (s.length + 1);
            s = s.slice(0, p) + insert[1] + s.slice(p);
          }
          let expected: Uint8Array | Error;
          try {
            expected = atobBytes(s);
          } catch (e) {
            expected = e as Error;
          }
          if (expected instanceof Uint8Array) expect(streamDecode(cut(s, at), "native")).toEqual(expected);
          else expect(() => streamDecode(cut(s, at), "native")).toThrow(BadResponseError);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("still names the exact offset of a bad character", () => {
    const s = `${"QUJD".repeat(200)}Q*JD${"QUJD".repeat(100)}`;
    expect(() => streamDecode([s], "native")).toThrow("at offset 801: '*' is not in the base64 alphabet");
  });

  it("decodes long clean runs natively", () => {
    const before = nativeCalls;
    const bytes = Uint8Array.from({ length: 3000 }, (_, i) => i & 255);
    expect(streamDecode([encodeBase64(bytes)], "native")).toEqual(bytes);
    expect(nativeCalls).toBeGreaterThan(before);
  });
});

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const simd = simdBase64();

describe.runIf(simd)("WebAssembly SIMD base64 kernel", () => {
  const kernel = simd as NonNullable<typeof simd>;
  // 16 vectors: the four-vector main loop and the one-vector tail both run
  it.each([16, 256])("accepts exactly the 64 alphabet bytes, in every lane (%i-byte input)", (len) => {
    const wrong: string[] = [];
    for (let b = 0; b < 256; b++) {
      for (let lane = 0; lane < len; lane += len === 16 ? 1 : 13) {
        kernel.input.fill(0x41, 0, len); // 'A'
        kernel.input[lane] = b;
        const read = kernel.decode(len);
        const expected = ALPHABET.includes(String.fromCharCode(b)) ? len : lane - (lane % 16);
        if (read !== expected) wrong.push(`byte ${b} in lane ${lane}: read ${read}, expected ${expected}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it("decodes every sextet in every position of a vector exactly as atob", () => {
    for (let shift = 0; shift < 16; shift++) {
      const s = (ALPHABET.slice(shift) + ALPHABET.slice(0, shift)).repeat(4); // 256 characters
      kernel.input.set(new TextEncoder().encode(s));
      expect(kernel.decode(256)).toBe(256);
      expect(kernel.output.slice(0, 192)).toEqual(atobBytes(s));
    }
  });
});

describe.each<Base64Engine>(["simd", "tables", "auto"])("Base64StreamDecoder on long runs (%s)", (engine) => {
  it("yields exactly what atob yields, with padding, whitespace, escapes and bad characters anywhere", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 200, maxLength: 12000 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.array(fc.tuple(fc.nat(), fc.constantFrom(" ", "\n", "*", "=", "\u00e9", "\u0080", '"')), { maxLength: 3 }),
        (bytes, at, inserts) => {
          let s = encodeBase64(bytes);
          for (const [p, c] of inserts) {
            const k = p % (s.length + 1);
            s = s.slice(0, k) + c + s.slice(k);
          }
          let expected: Uint8Array | Error;
          try {
            expected = atobBytes(s);
          } catch (e) {
            expected = e as Error;
          }
          if (expected instanceof Uint8Array) expect(streamDecode(cut(s, at), engine)).toEqual(expected);
          else expect(() => streamDecode(cut(s, at), engine)).toThrow(BadResponseError);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("stops a JSON string's bytes exactly at the closing quote", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 100, maxLength: 9000 }), fc.nat(), (bytes, cutAt) => {
        const b64 = encodeBase64(bytes);
        const src = new TextEncoder().encode(`${b64}","revised_prompt":"x"}`);
        const d = new Base64StreamDecoder({ engine });
        const t = new FixedTarget(bytes.length + 3);
        const mid = cutAt % (b64.length + 1);
        expect(d.writeBytes(src, 0, mid, t, true)).toBe(mid);
        expect(d.writeBytes(src, mid, src.length, t, true)).toBe(b64.length);
        d.finish(t);
        expect(t.take()).toEqual(bytes);
      }),
      { numRuns: 100 },
    );
  });

  it("names the exact offset of a bad character deep in a long run", () => {
    const s = `${"QUJD".repeat(5000)}QU*D${"QUJD".repeat(100)}`;
    expect(() => streamDecode([s], engine)).toThrow("at offset 20002: '*' is not in the base64 alphabet");
  });
});
