import { decodeBase64 } from "./base64.ts";
import { BadResponseError } from "./errors/index.ts";

// Data URLs as images travel in both directions: edit inputs given as `data:` references and
// chat answers that carry images inline. Kept apart from the chat answer parser, so building a
// request loads none of it.

/** The bytes of a percent-encoded payload: `%XX` is one byte, any other character its UTF-8. */
function percentDecode(payload: string): Uint8Array | undefined {
  const out: number[] = [];
  const enc = new TextEncoder();
  for (let i = 0; i < payload.length; i++) {
    const c = payload[i] as string;
    if (c === "%") {
      const hex = payload.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) return undefined;
      out.push(Number.parseInt(hex, 16));
      i += 2;
    } else if (c.charCodeAt(0) < 0x80) out.push(c.charCodeAt(0));
    else out.push(...enc.encode(c));
  }
  return Uint8Array.from(out);
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
