/**
 * Byte-built images for tests: complete, valid PNGs (stored-deflate zlib, real CRCs) and JPEG,
 * WebP and GIF files whose structure is whole (headers as their encoders write them, a little
 * image data, the end marker), so they pass core's `checkWholeImage`. No binary files needed.
 * A test that needs a truncated file cuts one of these: `png({ width: 8, height: 8 }).subarray(0, 100)`.
 */

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function adler32(bytes: Uint8Array): number {
  let a = 1;
  let b = 0;
  for (const x of bytes) {
    a = (a + x) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

export function concat(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const u32be = (n: number): Uint8Array => new Uint8Array([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
const u16be = (n: number): Uint8Array => new Uint8Array([(n >>> 8) & 255, n & 255]);
const u16le = (n: number): Uint8Array => new Uint8Array([n & 255, (n >>> 8) & 255]);
const u24le = (n: number): Uint8Array => new Uint8Array([n & 255, (n >>> 8) & 255, (n >>> 16) & 255]);
const u32le = (n: number): Uint8Array => new Uint8Array([n & 255, (n >>> 8) & 255, (n >>> 16) & 255, n >>> 24]);
const text = (s: string): Uint8Array => new TextEncoder().encode(s);

function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const body = concat(text(type), data);
  return concat(u32be(data.length), body, u32be(crc32(body)));
}

/** zlib stream of stored (uncompressed) deflate blocks. */
function zlibStored(raw: Uint8Array): Uint8Array {
  const blocks: Uint8Array[] = [new Uint8Array([0x78, 0x01])];
  for (let at = 0; at === 0 || at < raw.length; at += 65535) {
    const part = raw.subarray(at, at + 65535);
    const final = at + 65535 >= raw.length ? 1 : 0;
    blocks.push(new Uint8Array([final]), u16le(part.length), u16le(~part.length & 0xffff), part);
  }
  blocks.push(u32be(adler32(raw)));
  return concat(...blocks);
}

/**
 * zlib stream of `n` zero bytes in one fixed-Huffman deflate block: a literal 0, then copies of
 * 258 bytes at distance 1 (13 bits each), so a 4096x4096 RGBA image of zeros is about 100 KB.
 * https://www.rfc-editor.org/rfc/rfc1951#section-3.2.6
 */
function zlibZeros(n: number): Uint8Array {
  const out: number[] = [0x78, 0x01];
  let acc = 0;
  let bits = 0;
  const put = (value: number, count: number) => {
    acc |= value << bits;
    bits += count;
    while (bits >= 8) {
      out.push(acc & 255);
      acc >>>= 8;
      bits -= 8;
    }
  };
  // Huffman codes are sent most significant bit first
  const code = (value: number, count: number) => {
    for (let i = count - 1; i >= 0; i--) put((value >>> i) & 1, 1);
  };
  put(1, 1); // BFINAL
  put(1, 2); // BTYPE 01: fixed codes
  let left = n;
  if (left > 0) {
    code(0x30, 8); // literal 0
    left--;
  }
  for (; left >= 258; left -= 258) {
    code(0xc5, 8); // length code 285: 258 bytes
    code(0, 5); // distance code 0: 1 byte back
  }
  for (; left > 0; left--) code(0x30, 8);
  code(0, 7); // end of block (256)
  if (bits > 0) out.push(acc & 255);
  // Adler-32 of zeros: a stays 1, b adds 1 per byte
  const b = n % 65521;
  out.push(b >>> 8, b & 255, 0, 1);
  return new Uint8Array(out);
}

const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

export interface PngSpec {
  width: number;
  height: number;
  /** 0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA; default 6 */
  colorType?: 0 | 2 | 3 | 4 | 6;
  /** add a tRNS chunk (transparency without an alpha channel) */
  trns?: boolean;
  /** skip pixel data: signature, IHDR, ancillary chunks and IEND, a header that is not a whole image */
  headerOnly?: boolean;
  /** ancillary chunk bytes to place before IDAT, e.g. a large text chunk */
  padBeforeData?: number;
  /** the scanlines (filter byte first in each row); default all zero */
  raw?: Uint8Array;
}

/** A valid 8-bit PNG (all pixels zero, compressed, so large sizes stay small), or its header only. */
export function png(spec: PngSpec): Uint8Array<ArrayBuffer> {
  const colorType = spec.colorType ?? 6;
  const ihdr = concat(u32be(spec.width), u32be(spec.height), new Uint8Array([8, colorType, 0, 0, 0]));
  const parts = [new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), pngChunk("IHDR", ihdr)];
  if (spec.padBeforeData) parts.push(pngChunk("tEXt", concat(text("Comment\0"), new Uint8Array(spec.padBeforeData))));
  if (colorType === 3) parts.push(pngChunk("PLTE", new Uint8Array([0, 0, 0, 255, 255, 255])));
  if (spec.trns) parts.push(pngChunk("tRNS", colorType === 3 ? new Uint8Array([0, 255]) : new Uint8Array(6)));
  if (!spec.headerOnly) {
    const row = 1 + spec.width * (CHANNELS[colorType] ?? 4);
    parts.push(pngChunk("IDAT", spec.raw ? zlibStored(spec.raw) : zlibZeros(row * spec.height)));
  }
  parts.push(pngChunk("IEND", new Uint8Array(0)));
  return concat(...parts);
}

/**
 * A decodable RGBA PNG of about `bytes` bytes (never fewer) whose pixels are noise from `seed`:
 * large, incompressible inputs and outputs for tests that move many megabytes.
 */
export function noisePng(bytes: number, seed: number): Uint8Array<ArrayBuffer> {
  const side = Math.max(1, Math.ceil(Math.sqrt(bytes / 4)));
  const row = 1 + side * 4;
  const raw = new Uint8Array(row * side);
  let x = (seed * 2654435761 + 1) >>> 0 || 1;
  for (let i = 0; i < raw.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    raw[i] = i % row === 0 ? 0 : x & 255; // filter byte 0 (None) at the start of every row
  }
  return png({ width: side, height: side, colorType: 6, raw });
}

function jpegSegment(marker: number, data: Uint8Array): Uint8Array {
  return concat(new Uint8Array([0xff, marker]), u16be(data.length + 2), data);
}

export interface JpegSpec {
  width: number;
  height: number;
  /** SOF marker: 0xC0 baseline (default), 0xC2 progressive … */
  sof?: number;
  /** bytes of EXIF-like APP1 data before the frame header (split in 65,533-byte segments) */
  app1Bytes?: number;
}

/** JPEG headers as an encoder writes them: SOI, APP0, [APP1…], DQT, DHT, SOFn, SOS, a little scan data, EOI. */
export function jpeg(spec: JpegSpec): Uint8Array<ArrayBuffer> {
  const parts = [new Uint8Array([0xff, 0xd8]), jpegSegment(0xe0, concat(text("JFIF\0"), new Uint8Array(9)))];
  for (let left = spec.app1Bytes ?? 0; left > 0; left -= 65533) {
    parts.push(jpegSegment(0xe1, new Uint8Array(Math.min(left, 65533))));
  }
  parts.push(jpegSegment(0xdb, new Uint8Array(65)));
  // a DHT comes before the frame header in many files: its marker (C4) sits inside the SOFn range
  parts.push(jpegSegment(0xc4, new Uint8Array(29)));
  const comps = new Uint8Array([1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
  parts.push(
    jpegSegment(
      spec.sof ?? 0xc0,
      concat(new Uint8Array([8]), u16be(spec.height), u16be(spec.width), new Uint8Array([3]), comps),
    ),
  );
  parts.push(jpegSegment(0xda, new Uint8Array([3, 1, 0, 2, 0x11, 3, 0x11, 0, 63, 0])));
  parts.push(new Uint8Array([0x12, 0x34, 0xff, 0x00, 0x56]), new Uint8Array([0xff, 0xd9]));
  return concat(...parts);
}

function riff(chunk: string, data: Uint8Array): Uint8Array<ArrayBuffer> {
  const body = concat(text("WEBP"), text(chunk), u32le(data.length), data, new Uint8Array(data.length & 1));
  return concat(text("RIFF"), u32le(body.length), body);
}

/** A lossy WebP (VP8 key frame header and a first partition of 6 bytes that fits its chunk). */
export function webpLossy(width: number, height: number): Uint8Array<ArrayBuffer> {
  // frame tag (key frame, version 0, show frame, first partition 6 bytes: 6 << 5 | 0x10),
  // start code, 14-bit sizes with scale 0
  const data = concat(
    new Uint8Array([0xd0, 0x00, 0x00, 0x9d, 0x01, 0x2a]),
    u16le(width),
    u16le(height),
    new Uint8Array(10),
  );
  return riff("VP8 ", data);
}

/** A lossless WebP (VP8L header) with or without its alpha hint. */
export function webpLossless(width: number, height: number, alpha: boolean): Uint8Array<ArrayBuffer> {
  const bits = ((width - 1) | ((height - 1) << 14) | ((alpha ? 1 : 0) << 28)) >>> 0;
  return riff("VP8L", concat(new Uint8Array([0x2f]), u32le(bits), new Uint8Array(8)));
}

/** An extended WebP (VP8X) with the alpha flag as given, its image in a VP8L chunk. */
export function webpExtended(width: number, height: number, alpha: boolean): Uint8Array<ArrayBuffer> {
  const data = concat(new Uint8Array([alpha ? 0x10 : 0, 0, 0, 0]), u24le(width - 1), u24le(height - 1));
  const image = webpLossless(width, height, alpha).subarray(12);
  const body = concat(text("WEBP"), text("VP8X"), u32le(data.length), data, image);
  return concat(text("RIFF"), u32le(body.length), body);
}

/** A GIF89a header, a 2-colour table, and optionally a graphic control extension with transparency. */
export function gif(width: number, height: number, transparent = false): Uint8Array<ArrayBuffer> {
  const parts = [text("GIF89a"), u16le(width), u16le(height), new Uint8Array([0x80, 0, 0]), new Uint8Array(6)];
  if (transparent) parts.push(new Uint8Array([0x21, 0xf9, 4, 1, 0, 0, 0, 0]));
  parts.push(
    new Uint8Array([0x2c, 0, 0, 0, 0]),
    u16le(width),
    u16le(height),
    new Uint8Array([0, 2, 2, 0x44, 0x01, 0, 0x3b]),
  );
  return concat(...parts);
}

const fromBase64 = (s: string): Uint8Array<ArrayBuffer> => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));

/**
 * Complete 24x16 images written by libvips (sharp 0.34), a half-transparent red fill: what real
 * encoders emit, as a check on the byte-built headers above.
 */
export const ENCODED_24x16 = {
  jpeg: fromBase64(
    "/9j/2wBDABALDA4MChAODQ4SERATGCgaGBYWGDEjJR0oOjM9PDkzODdASFxOQERXRTc4UG1RV19iZ2hnPk1xeXBkeFxlZ2P/2wBDARESEhgVGC8aGi9jQjhCY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2P/wAARCAAQABgDASIAAhEBAxEB/8QAFQABAQAAAAAAAAAAAAAAAAAAAAb/xAAUEAEAAAAAAAAAAAAAAAAAAAAA/8QAFgEBAQEAAAAAAAAAAAAAAAAAAAMF/8QAFBEBAAAAAAAAAAAAAAAAAAAAAP/aAAwDAQACEQMRAD8AkwEGoAA//9k=",
  ),
  jpegProgressive: fromBase64(
    "/9j/2wBDABALDA4MChAODQ4SERATGCgaGBYWGDEjJR0oOjM9PDkzODdASFxOQERXRTc4UG1RV19iZ2hnPk1xeXBkeFxlZ2P/2wBDARESEhgVGC8aGi9jQjhCY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2P/wgARCAAQABgDASIAAhEBAxEB/8QAFQABAQAAAAAAAAAAAAAAAAAAAAX/xAAWAQEBAQAAAAAAAAAAAAAAAAAAAwT/2gAMAwEAAhADEAAAAZInqA//xAAUEAEAAAAAAAAAAAAAAAAAAAAg/9oACAEBAAEFAl//xAAUEQEAAAAAAAAAAAAAAAAAAAAQ/9oACAEDAQE/AT//xAAUEQEAAAAAAAAAAAAAAAAAAAAQ/9oACAECAQE/AT//xAAUEAEAAAAAAAAAAAAAAAAAAAAg/9oACAEBAAY/Al//xAAUEAEAAAAAAAAAAAAAAAAAAAAg/9oACAEBAAE/IV//2gAMAwEAAgADAAAAEAgv/8QAFBEBAAAAAAAAAAAAAAAAAAAAEP/aAAgBAwEBPxA//8QAFBEBAAAAAAAAAAAAAAAAAAAAEP/aAAgBAgEBPxA//8QAFBABAAAAAAAAAAAAAAAAAAAAIP/aAAgBAQABPxBf/9k=",
  ),
  webpLossy: fromBase64(
    "UklGRkIAAABXRUJQVlA4IDYAAADQAgCdASoYABAAPtFUo0uoJKMhsAgBABoJQBdgBaSAAP7qZf4NkinOX/8bx/ku/t32WDgAAAA=",
  ),
  webpLossyAlpha: fromBase64(
    "UklGRmYAAABXRUJQVlA4WAoAAAAQAAAAFwAADwAAQUxQSAoAAAABB1DAiAhERP8DVlA4IDYAAADQAgCdASoYABAAPtFUo0uoJKMhsAgBABoJQBdgBaSAAP7qZf4NkinOX/8bx/ku/t32WDgAAAA=",
  ),
  webpLossless: fromBase64("UklGRh4AAABXRUJQVlA4TBEAAAAvF8ADEAdQjyLXo4CBiOh/AAA="),
  png: fromBase64(
    "iVBORw0KGgoAAAANSUhEUgAAABgAAAAQCAYAAAAMJL+VAAAACXBIWXMAAAPoAAAD6AG1e1JrAAAAJUlEQVQ4jWM4ISfXQEvMMGrBidEgOjGaik6MZjS50aJCbpCXpgA/e0Yf/kn+PAAAAABJRU5ErkJggg==",
  ),
  gif: fromBase64("R0lGODlhGAAQAIAAAExpccgeHiH5BAUAAAAALAAAAAAYABAAAAIRjI+py+0Po5y02ouz3rz7rxQAOw=="),
};
