import { SIMD_PIECE, type SimdBase64, simdBase64 } from "./base64-simd.ts";
import { type ByteTarget, FixedTarget } from "./byte-blocks.ts";
import { BadResponseError } from "./errors/index.ts";

// Forgiving base64 as atob and Uint8Array.fromBase64 read it:
// https://infra.spec.whatwg.org/#forgiving-base64-decode (whitespace skipped, padding optional
// but exact when present, leftover bits dropped).
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const VAL = new Int8Array(256).fill(-1);
for (let i = 0; i < 64; i++) VAL[ALPHABET.charCodeAt(i)] = i;
/**
 * Two input bytes to their 12 bits, -1 when either is outside the alphabet: a group of four
 * costs two table loads, measured 1.5x faster than one load per byte in V8 and JSC. Built on
 * first use (256 KiB).
 */
let pairs: Int32Array | undefined;
const pairTable = (): Int32Array => {
  if (pairs) return pairs;
  const t = new Int32Array(65536).fill(-1);
  for (let a = 0; a < 64; a++) {
    for (let b = 0; b < 64; b++) t[(ALPHABET.charCodeAt(a) << 8) | ALPHABET.charCodeAt(b)] = (a << 6) | b;
  }
  pairs = t;
  return t;
};
const EQ = 0x3d;
/** ASCII whitespace per the Infra spec: tab, LF, FF, CR, space */
const isSpace = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d;
const describe = (c: number): string =>
  c >= 0x21 && c < 0x7f ? `'${String.fromCharCode(c)}'` : `U+${c.toString(16).toUpperCase().padStart(4, "0")}`;
const latin = new TextEncoder();
/** characters copied per step when decoding a string */
const PIECE = 64 * 1024;

const native = Uint8Array as unknown as { fromBase64?: (s: string) => Uint8Array };
type SetFromBase64 = (s: string, o: { lastChunkHandling: "stop-before-partial" }) => { read: number; written: number };
const nativeProto = Uint8Array.prototype as unknown as { toBase64?: () => string; setFromBase64?: SetFromBase64 };
/** characters per native call, so one string never spans a whole image */
const NATIVE_MAX = 256 * 1024;
/** runs shorter than this are not worth a native call */
const NATIVE_MIN = 256;
// the run is ASCII, where UTF-8 decoding is the fast path (a stray byte fails the native call)
const ascii = new TextDecoder();

/**
 * Decodes the clean run of whole groups at `src[i..)` with the platform's `setFromBase64`
 * (Bun, workerd). Returns the bytes consumed, or 0 / -1 when the run is short or not plain base64,
 * in which case the table decoder handles it and names any error precisely.
 */
const nativeRun = (src: Uint8Array, i: number, n: number, t: ByteTarget): number => {
  const view = src.subarray(i, Math.min(n, i + NATIVE_MAX));
  let len = view.length;
  // stop before a quote or backslash (the JSON string's end or an escape) and before padding
  for (const stop of [0x22, 0x5c, EQ]) {
    const k = view.indexOf(stop);
    if (k >= 0 && k < len) len = k;
  }
  len &= ~3;
  if (len < NATIVE_MIN) return 0;
  t.reserve((len >> 2) * 3);
  let res: { read: number; written: number };
  try {
    const into = t.buf.subarray(t.pos) as unknown as { setFromBase64: SetFromBase64 };
    res = into.setFromBase64(ascii.decode(view.subarray(0, len)), { lastChunkHandling: "stop-before-partial" });
  } catch {
    return 0;
  }
  // Whitespace was skipped: returning -1 hands this input to the table decoder for good, since
  // wrapped lines would otherwise make every native run restart.
  if (res.read !== (res.written / 3) * 4) return -1;
  t.pos += res.written;
  return res.read;
};

/** runs shorter than this stay with the tables: the copies in and out would dominate */
const SIMD_MIN = 256;
/** times the SIMD decoder may stop early in one input before only the tables are used */
const SIMD_MAX_MISSES = 16;

/**
 * Decodes the run at `src[i..)` with the WebAssembly SIMD decoder: copies up to 64 KiB in, decodes
 * whole vectors up to the first one holding anything but the alphabet, copies the bytes out.
 * Returns the characters consumed and whether it stopped early (the tables take over there and
 * name any error precisely).
 */
const simdRun = (s: SimdBase64, src: Uint8Array, i: number, n: number, t: ByteTarget): number => {
  const len = Math.min(n - i, SIMD_PIECE) & ~15;
  if (len < SIMD_MIN) return 0;
  s.input.set(src.subarray(i, i + len));
  const read = s.decode(len);
  if (read > 0) {
    const written = (read >> 2) * 3;
    t.reserve(written);
    t.buf.set(s.output.subarray(0, written), t.pos);
    t.pos += written;
  }
  return read === len ? read : -1 - read;
};

export interface Base64DecoderOptions {
  /** names the input in error messages, e.g. `data[0].b64_json` */
  label?: string;
  /**
   * @internal Which fast path decodes clean runs: `auto` (default) picks the fastest the
   * platform has; tests and the benchmark pin one. Every engine yields the same bytes and errors.
   */
  engine?: Base64Engine;
}

/** @internal */
export type Base64Engine = "auto" | "simd" | "native" | "tables";

/**
 * Decodes base64 that arrives in pieces split anywhere, including inside a group of four.
 * Whitespace is skipped; anything else outside the alphabet, or misplaced `=` padding, throws
 * `BadResponseError` naming the offset.
 * @example
 * const d = new Base64StreamDecoder({ label: "data[0].b64_json" });
 * const parts = [d.push("aGVsb"), d.push("G8="), d.end()]; // "hello"
 */
export class Base64StreamDecoder {
  readonly label: string;
  private acc = 0;
  /** sextets held in `acc` (0-3) */
  private q = 0;
  /** 1 while waiting for the second `=` of `==` */
  private pad = 0;
  /** padding closed the input: only whitespace may follow */
  private done = false;
  /** characters consumed so far, for error messages */
  private offset = 0;
  private readonly one = new Uint8Array(1);
  /** the native decoder met whitespace in this input: use the table decoder from now on */
  private tableOnly = false;
  /** the SIMD decoder, until it stopped early too often in this input */
  private simd: SimdBase64 | undefined;
  private simdMisses = 0;

  constructor(options: Base64DecoderOptions = {}) {
    this.label = options.label ?? "base64 input";
    const engine = options.engine ?? "auto";
    this.simd = engine === "auto" || engine === "simd" ? simdBase64() : undefined;
    if (engine === "tables" || engine === "simd") this.tableOnly = true;
  }

  /** Decodes what `chunk` completes; keeps up to three characters for the next call. */
  push(chunk: string): Uint8Array {
    const t = new FixedTarget(((chunk.length + this.q) >> 2) * 3 + 3);
    this.writeString(chunk, t);
    return t.take();
  }

  /** Finishes the input: decodes an unpadded final group, rejects an incomplete one. */
  end(): Uint8Array {
    const t = new FixedTarget(3);
    this.finish(t);
    return t.take();
  }

  /** @internal Decodes a string into `t`. */
  writeString(s: string, t: ByteTarget): void {
    const scratch = new Uint8Array(Math.min(s.length, PIECE));
    for (let a = 0; a < s.length; a += PIECE) {
      const b = Math.min(s.length, a + PIECE);
      // ASCII (all of valid base64) copies natively; a piece with anything wider goes char by char
      const { read, written } = latin.encodeInto(b - a === s.length ? s : s.slice(a, b), scratch);
      if (read === b - a && written === read) {
        this.writeBytes(scratch, 0, written, t, false);
        continue;
      }
      let wide = -1;
      for (let i = a; i < b; i++) {
        const c = s.charCodeAt(i);
        if (c > 0xff) {
          wide = i;
          break;
        }
        scratch[i - a] = c;
      }
      this.writeBytes(scratch, 0, (wide < 0 ? b : wide) - a, t, false);
      if (wide >= 0) this.fail(`${describe(s.charCodeAt(wide))} is not in the base64 alphabet`);
    }
  }

  /** @internal One character that came from a JSON escape such as `\/` or `\u0041`. */
  writeCode(code: number, t: ByteTarget): void {
    if (code > 0xff) this.fail(`${describe(code)} is not in the base64 alphabet`);
    this.one[0] = code;
    this.writeBytes(this.one, 0, 1, t, false);
  }

  /**
   * @internal Decodes ASCII bytes `src[i..n)` into `t`. With `json` set, stops (returning the
   * index) at `"`, `\` or a control byte so a JSON scanner can handle them; otherwise returns `n`.
   */
  writeBytes(src: Uint8Array, i: number, n: number, t: ByteTarget, json: boolean): number {
    const base = this.offset - i;
    let acc = this.acc;
    let q = this.q;
    while (i < n) {
      if (q === 0 && !this.done) {
        if (this.simd && n - i >= SIMD_MIN) {
          const r = simdRun(this.simd, src, i, n, t);
          if (r >= 0) {
            i += r;
            if (r > 0) continue;
          } else {
            // stopped before a vector with padding, whitespace, an escape or a bad character
            i += -1 - r;
            if (++this.simdMisses > SIMD_MAX_MISSES) this.simd = undefined;
          }
        } else if (nativeProto.setFromBase64 && !this.tableOnly && n - i >= NATIVE_MIN) {
          const read = nativeRun(src, i, n, t);
          if (read > 0) {
            i += read;
            continue;
          }
          if (read < 0) this.tableOnly = true;
        }
        let groups = (n - i) >> 2;
        // A full target sends one group down the careful path, which reserves only what it
        // writes: the last group may be padded, and the bytes after it may be the JSON that
        // follows the string, so a target sized exactly (the previous image's length) stays one
        // block that is handed out without a joining copy.
        const room = ((t.buf.length - t.pos) / 3) | 0;
        if (groups > 0 && room > 0) {
          if (groups > room) groups = room;
          const P = pairs ?? pairTable();
          const out = t.buf;
          let o = t.pos;
          const stop = i + groups * 4;
          while (i < stop) {
            const v = (P[(src[i]! << 8) | src[i + 1]!]! << 12) | P[(src[i + 2]! << 8) | src[i + 3]!]!;
            if (v < 0) break;
            out[o] = v >> 16;
            out[o + 1] = v >> 8;
            out[o + 2] = v;
            i += 4;
            o += 3;
          }
          t.pos = o;
          // Stopped on a full block: reserve again. Otherwise fall through to the careful path
          // for the group holding whitespace, padding, an escape or a bad character.
          if (i === stop && i < n && n - i >= 4) continue;
          if (i >= n) break;
        }
      }
      const c = src[i]!;
      const v = VAL[c]!;
      if (v >= 0) {
        if (this.done || this.pad) {
          this.offset = base + i;
          this.fail(`${describe(c)} after '=' padding`);
        }
        acc = (acc << 6) | v;
        if (++q === 4) {
          t.reserve(3);
          t.buf[t.pos++] = acc >> 16;
          t.buf[t.pos++] = acc >> 8;
          t.buf[t.pos++] = acc;
          q = 0;
          acc = 0;
        }
      } else if (c === EQ) {
        if (this.done || q < 2) {
          this.offset = base + i;
          this.fail(
            this.done ? "'=' after the end of the padding" : "'=' padding can only follow 2 or 3 characters of a group",
          );
        }
        if (q === 3) {
          t.reserve(2);
          t.buf[t.pos++] = acc >> 10;
          t.buf[t.pos++] = acc >> 2;
          this.done = true;
          q = 0;
        } else if (this.pad === 0) {
          this.pad = 1;
        } else {
          t.reserve(1);
          t.buf[t.pos++] = acc >> 4;
          this.pad = 0;
          this.done = true;
          q = 0;
        }
      } else if (json && (c === 0x22 || c === 0x5c || c < 0x20)) {
        break;
      } else if (!isSpace(c)) {
        this.offset = base + i;
        this.fail(`${describe(c)} is not in the base64 alphabet`);
      }
      i++;
    }
    this.acc = acc;
    this.q = q;
    this.offset = base + i;
    return i;
  }

  /** @internal Ends the input, writing the last one or two bytes of an unpadded group. */
  finish(t: ByteTarget): void {
    if (this.pad === 1) this.fail("'=' padding is incomplete: a group of 2 characters needs '=='");
    if (this.q === 1) this.fail("the final group has a single character");
    // reserve only when writing: an exactly sized target is full here, and a new block would
    // cost a block allocation and a joining copy of the whole image
    if (this.q >= 2) t.reserve(this.q - 1);
    if (this.q === 2) t.buf[t.pos++] = this.acc >> 4;
    if (this.q === 3) {
      t.buf[t.pos++] = this.acc >> 10;
      t.buf[t.pos++] = this.acc >> 2;
    }
    this.acc = 0;
    this.q = 0;
    this.done = true;
  }

  private fail(rule: string): never {
    throw new BadResponseError(`invalid base64 in ${this.label} at offset ${this.offset}: ${rule}`);
  }
}

/**
 * Decodes a whole base64 string, with `Uint8Array.fromBase64` where the platform has it
 * (workerd, Bun) and a table decoder elsewhere. Throws `BadResponseError` on invalid input.
 * @example
 * decodeBase64("aGVsbG8="); // Uint8Array of "hello"
 */
export const decodeBase64 = (s: string, label?: string): Uint8Array => {
  if (native.fromBase64) {
    try {
      return native.fromBase64(s);
    } catch {
      // decode again below only to name the offending offset
    }
  }
  const d = new Base64StreamDecoder(label === undefined ? {} : { label });
  const t = new FixedTarget((s.length >> 2) * 3 + 3);
  d.writeString(s, t);
  d.finish(t);
  return t.take();
};

/** 3 * 8192: a multiple of 3 so pieces join without padding in between */
const ENCODE_PIECE = 24576;

/**
 * Encodes bytes as padded base64, natively where `toBase64` exists.
 * @example
 * encodeBase64(new TextEncoder().encode("hello")); // "aGVsbG8="
 */
export const encodeBase64 = (bytes: Uint8Array): string => {
  if (nativeProto.toBase64) return (bytes as unknown as { toBase64: () => string }).toBase64();
  let out = "";
  for (let i = 0; i < bytes.length; i += ENCODE_PIECE) {
    out += btoa(String.fromCharCode.apply(null, bytes.subarray(i, i + ENCODE_PIECE) as unknown as number[]));
  }
  return out;
};
