import { decodeBase64 } from "./base64.ts";
import { BadResponseError } from "./errors/index.ts";

// Data URLs as images travel in both directions: edit inputs given as `data:` references and
// chat answers that carry images inline. Kept apart from the chat answer parser, so building a
// request loads none of it.

/** The value of one hex digit's UTF-16 code unit, or -1. */
const hexDigit = (c: number): number =>
  c >= 48 && c <= 57 ? c - 48 : c >= 65 && c <= 70 ? c - 55 : c >= 97 && c <= 102 ? c - 87 : -1;

/**
 * The bytes of a percent-encoded payload: `%XX` is one byte, any other character its UTF-8 (each
 * UTF-16 unit on its own, a lone surrogate half as U+FFFD, as `TextEncoder` encodes one unit).
 * Written straight into one `Uint8Array`: a payload of tens of MB decoded through an array of
 * numbers would take several hundred MB, past a Worker isolate's 128 MB.
 */
function percentDecode(payload: string): Uint8Array | undefined {
  // one byte per ASCII unit at most (`%XX` is three units for one byte), three per other unit
  let bound = payload.length;
  for (let i = 0; i < payload.length; i++) if (payload.charCodeAt(i) >= 0x80) bound += 2;
  const out = new Uint8Array(bound);
  let n = 0;
  for (let i = 0; i < payload.length; i++) {
    const c = payload.charCodeAt(i);
    if (c === 37) {
      // `%`: exactly two hex digits follow, or the payload is malformed
      const hi = i + 1 < payload.length ? hexDigit(payload.charCodeAt(i + 1)) : -1;
      const lo = i + 2 < payload.length ? hexDigit(payload.charCodeAt(i + 2)) : -1;
      if (hi < 0 || lo < 0) return undefined;
      out[n++] = (hi << 4) | lo;
      i += 2;
    } else if (c < 0x80) out[n++] = c;
    else if (c < 0x800) {
      out[n++] = 0xc0 | (c >> 6);
      out[n++] = 0x80 | (c & 0x3f);
    } else {
      const u = c >= 0xd800 && c <= 0xdfff ? 0xfffd : c;
      out[n++] = 0xe0 | (u >> 12);
      out[n++] = 0x80 | ((u >> 6) & 0x3f);
      out[n++] = 0x80 | (u & 0x3f);
    }
  }
  return out.subarray(0, n);
}

/**
 * Decodes `data:image/…;base64,…` or a percent-encoded `data:image/…,…`; undefined for data that
 * is not an image. Throws `BadResponseError` naming `where` for a malformed one.
 * @example
 * decodeDataUrl("data:image/png;base64,iVBORw0KGgo=", "image 0") // Uint8Array [137, 80, 78, 71, …]
 */
export const decodeDataUrl = (url: string, where: string): Uint8Array | undefined => {
  const comma = url.indexOf(",");
  if (comma < 0) throw new BadResponseError(`${where}: a data URL without a comma`);
  const head = url.slice(5, comma).toLowerCase();
  if (!head.startsWith("image/")) return undefined;
  const payload = url.slice(comma + 1);
  if (head.endsWith(";base64")) return decodeBase64(payload, `${where} data URL`);
  const bytes = percentDecode(payload);
  if (!bytes) throw new BadResponseError(`${where}: a data URL with invalid percent-encoding`);
  return bytes;
};
