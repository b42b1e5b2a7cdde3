import type { ImageFormat } from "./types.ts";

/** What the bytes of a real image say about it. */
export interface ImageInfo {
  ok: true;
  format: ImageFormat;
  width: number;
  height: number;
  hasAlpha: boolean;
}

/** The bytes are not an image gptimg can read; `reason` starts with "not an image: ". */
export interface NotAnImage {
  ok: false;
  reason: string;
}

const u16be = (b: Uint8Array, i: number): number => (b[i]! << 8) | b[i + 1]!;
const u16le = (b: Uint8Array, i: number): number => b[i]! | (b[i + 1]! << 8);
const u24le = (b: Uint8Array, i: number): number => b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16);
const u32be = (b: Uint8Array, i: number): number =>
  ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;
const ascii = (b: Uint8Array, i: number, n: number): string => String.fromCharCode(...b.subarray(i, i + n));
const startsWith = (b: Uint8Array, sig: readonly number[], at = 0): boolean =>
  b.length >= at + sig.length && sig.every((v, k) => b[at + k] === v);

const PNG_SIG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * The format named by the magic bytes, without checking the rest.
 * @example
 * sniffFormat(new Uint8Array([0xff, 0xd8, 0xff, 0xe0])) // "jpeg"
 */
export function sniffFormat(bytes: Uint8Array): ImageFormat | undefined {
  if (!(bytes instanceof Uint8Array)) return undefined;
  if (startsWith(bytes, PNG_SIG)) return "png";
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return "jpeg";
  if (bytes.length >= 12 && ascii(bytes, 0, 4) === "RIFF" && ascii(bytes, 8, 4) === "WEBP") return "webp";
  if (bytes.length >= 6 && (ascii(bytes, 0, 6) === "GIF87a" || ascii(bytes, 0, 6) === "GIF89a")) return "gif";
  return undefined;
}

const no = (why: string): NotAnImage => ({ ok: false, reason: `not an image: ${why}` });
const yes = (format: ImageFormat, width: number, height: number, hasAlpha: boolean): ImageInfo | NotAnImage =>
  width > 0 && height > 0 ? { ok: true, format, width, height, hasAlpha } : no(`${format} with zero width or height`);

/** PNG: IHDR gives size and colour type; a tRNS chunk before IDAT also means transparency. */
function inspectPng(b: Uint8Array): ImageInfo | NotAnImage {
  // https://www.w3.org/TR/png-3/#11IHDR: length 13, "IHDR", width, height, depth, colour type
  if (b.length < 33) return no("truncated PNG header");
  if (u32be(b, 8) !== 13 || ascii(b, 12, 4) !== "IHDR") return no("PNG without IHDR first");
  const width = u32be(b, 16);
  const height = u32be(b, 20);
  if (width > 0x7fffffff || height > 0x7fffffff) return no("PNG size out of range");
  const colorType = b[25]!;
  if (![0, 2, 3, 4, 6].includes(colorType)) return no(`PNG with unknown colour type ${colorType}`);
  let hasAlpha = colorType === 4 || colorType === 6;
  // Walk the chunks between IHDR and the image data; each step advances at least 12 bytes.
  for (let at = 33; !hasAlpha && at + 8 <= b.length; ) {
    const type = ascii(b, at + 4, 4);
    if (type === "IDAT" || type === "IEND") break;
    if (type === "tRNS") hasAlpha = true;
    at += 12 + u32be(b, at);
  }
  return yes("png", width, height, hasAlpha);
}

/** JPEG: walk marker segments to the first SOFn (not DHT C4, JPG C8, DAC CC). */
function inspectJpeg(b: Uint8Array): ImageInfo | NotAnImage {
  let at = 2;
  while (at < b.length) {
    if (b[at] !== 0xff) return no("JPEG marker expected");
    // fill bytes: any number of 0xFF before the marker code
    while (at < b.length && b[at] === 0xff) at++;
    if (at >= b.length) break;
    const marker = b[at]!;
    at++;
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) continue; // no length
    if (marker === 0xd9 || marker === 0xda) return no("JPEG without a frame header before its scan");
    if (at + 2 > b.length) break;
    const len = u16be(b, at);
    if (len < 2) return no("JPEG segment with a bad length");
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (at + 7 > b.length) break;
      const height = u16be(b, at + 3);
      const width = u16be(b, at + 5);
      // height 0 means "defined later by DNL", which no image API produces
      return yes("jpeg", width, height, false);
    }
    at += len;
  }
  return no("truncated JPEG: no frame header found");
}

/** WebP: the first chunk after "WEBP" is VP8 (lossy), VP8L (lossless) or VP8X (extended). */
function inspectWebp(b: Uint8Array): ImageInfo | NotAnImage {
  if (b.length < 30) return no("truncated WebP header");
  const chunk = ascii(b, 12, 4);
  // https://developers.google.com/speed/webp/docs/riff_container
  if (chunk === "VP8 ") {
    if (!startsWith(b, [0x9d, 0x01, 0x2a], 23)) return no("WebP VP8 without its start code");
    return yes("webp", u16le(b, 26) & 0x3fff, u16le(b, 28) & 0x3fff, false);
  }
  if (chunk === "VP8L") {
    if (b[20] !== 0x2f) return no("WebP VP8L without its signature");
    const bits = (b[21]! | (b[22]! << 8) | (b[23]! << 16) | (b[24]! << 24)) >>> 0;
    const width = (bits & 0x3fff) + 1;
    const height = ((bits >>> 14) & 0x3fff) + 1;
    return yes("webp", width, height, ((bits >>> 28) & 1) === 1);
  }
  if (chunk === "VP8X") {
    const flags = b[20]!;
    return yes("webp", u24le(b, 24) + 1, u24le(b, 27) + 1, (flags & 0x10) !== 0);
  }
  return no(`WebP with unknown chunk ${JSON.stringify(chunk)}`);
}

/** GIF: logical screen size; transparency from a graphic control extension before the first image. */
function inspectGif(b: Uint8Array): ImageInfo | NotAnImage {
  if (b.length < 13) return no("truncated GIF header");
  const width = u16le(b, 6);
  const height = u16le(b, 8);
  const packed = b[10]!;
  let at = 13 + (packed & 0x80 ? 3 * 2 ** ((packed & 7) + 1) : 0);
  let hasAlpha = false;
  // Extensions before the first image descriptor (0x2C); each step advances at least 2 bytes.
  while (at + 1 < b.length && b[at] === 0x21) {
    const label = b[at + 1]!;
    if (label === 0xf9 && at + 3 < b.length && (b[at + 3]! & 1) === 1) hasAlpha = true;
    at += 2;
    while (at < b.length && b[at]! !== 0) at += b[at]! + 1; // sub-blocks
    at++;
  }
  return yes("gif", width, height, hasAlpha);
}

/**
 * Reads the format, size and transparency of an image from its bytes; a prefix (the first 64 KB)
 * is enough for PNG, WebP and GIF, and for JPEG unless large metadata comes before the frame
 * header. Never throws: anything unreadable answers `{ ok: false, reason }`.
 * @example
 * const info = inspectImage(bytes); if (info.ok) console.log(info.format, info.width, info.height)
 */
export function inspectImage(bytes: Uint8Array): ImageInfo | NotAnImage {
  try {
    if (!(bytes instanceof Uint8Array)) return no("expected bytes");
    if (bytes.length === 0) return no("empty");
    switch (sniffFormat(bytes)) {
      case "png":
        return inspectPng(bytes);
      case "jpeg":
        return inspectJpeg(bytes);
      case "webp":
        return inspectWebp(bytes);
      case "gif":
        return inspectGif(bytes);
      default:
        return no("unknown format (expected PNG, JPEG, WebP or GIF)");
    }
  } catch (e) {
    // Defensive only: every read above is bounds-checked.
    return no(`unreadable (${e instanceof Error ? e.message : String(e)})`);
  }
}

const EXTENSIONS: Record<ImageFormat, string> = { png: "png", jpeg: "jpg", webp: "webp", gif: "gif" };
const MIME_TYPES: Record<ImageFormat, string> = {
  png: "image/png",
  jpeg: "image/jpeg",
  webp: "image/webp",
  gif: "image/gif",
};

/**
 * File extension without the dot; JPEG is `jpg`, the most common spelling.
 * @example
 * extensionFor("jpeg") // "jpg"
 */
export const extensionFor = (format: ImageFormat): string => EXTENSIONS[format];

/**
 * Media type for a format.
 * @example
 * mimeTypeFor("webp") // "image/webp"
 */
export const mimeTypeFor = (format: ImageFormat): string => MIME_TYPES[format];

/** Bytes `inspectImageData` reads: the header of every PNG, WebP and GIF, and of most JPEGs. */
export const INSPECT_HEAD_BYTES = 64 * 1024;

/**
 * `inspectImage` of a Blob (a form's file) or bytes, reading only its first
 * `INSPECT_HEAD_BYTES`, so a 50 MB file is not copied whole beside itself; a JPEG whose frame
 * header sits behind large metadata is read whole, and so is a PNG under 4 MB whose head shows
 * no alpha (its tRNS chunk may come later).
 * @example
 * const info = await inspectImageData(file); // { ok: true, format: "png", width: 1024, height: 1024, … }
 */
export async function inspectImageData(data: Blob | Uint8Array): Promise<ImageInfo | NotAnImage> {
  const size = data instanceof Uint8Array ? data.byteLength : data.size;
  const prefix = async (n: number) =>
    data instanceof Uint8Array ? data.subarray(0, n) : new Uint8Array(await data.slice(0, n).arrayBuffer());
  const head = await prefix(INSPECT_HEAD_BYTES);
  const info = inspectImage(head);
  if (size <= INSPECT_HEAD_BYTES) return info;
  if (!info.ok) return sniffFormat(head) === "jpeg" ? inspectImage(await prefix(size)) : info;
  // A PNG's transparency chunk (tRNS) may sit behind large metadata: read on for one small
  // enough to be a mask (under 4 MB), the only input whose alpha decides anything.
  if (info.format === "png" && !info.hasAlpha && size < PNG_ALPHA_READ_BYTES) return inspectImage(await prefix(size));
  return info;
}

/** PNGs up to this size are read whole when their head shows no alpha (the mask limit). */
const PNG_ALPHA_READ_BYTES = 4 * 1024 * 1024;
