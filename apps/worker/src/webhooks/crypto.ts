/** Byte helpers shared by the webhook verifiers. Web Crypto only, so they run in workerd, Node and Bun. */
import { decodeBase64 } from "@gptimg/core";

const encoder = new TextEncoder();

/** UTF-8 bytes of a string. */
export const utf8 = (s: string): Uint8Array<ArrayBuffer> => encoder.encode(s) as Uint8Array<ArrayBuffer>;

/** Bytes of a hex string, or null when it is not even-length hex. */
export const fromHex = (hex: string): Uint8Array<ArrayBuffer> | null => {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) return null;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
};

/** Bytes of standard base64 (padding optional, whitespace skipped: core's decoder), or null when malformed. */
export const fromBase64 = (b64: string): Uint8Array<ArrayBuffer> | null => {
  try {
    return decodeBase64(b64) as Uint8Array<ArrayBuffer>;
  } catch {
    return null;
  }
};

/** Concatenation of byte arrays. */
export const concatBytes = (...parts: Uint8Array[]): Uint8Array<ArrayBuffer> => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

/** SHA-256 of bytes. */
export const sha256 = async (data: Uint8Array): Promise<Uint8Array<ArrayBuffer>> =>
  new Uint8Array(await crypto.subtle.digest("SHA-256", data as Uint8Array<ArrayBuffer>));
