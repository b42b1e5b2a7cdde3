import { sniffFormat } from "./inspect.ts";
import type { ImageFormat } from "./types.ts";

/** The bytes are a complete image file: its structure runs from signature to end marker. */
export interface WholeImage {
  ok: true;
  format: ImageFormat;
  width: number;
  height: number;
}

/** The bytes are not a complete image; `reason` says what is wrong and where. */
export interface NotWholeImage {
  ok: false;
  reason: string;
}

type Result = WholeImage | NotWholeImage;
/** A walker asks for `length` bytes at `at` (it gets fewer at the end of the file) and ends with a result. */
type Walk = Generator<{ at: number; length: number }, Result, Uint8Array>;

const u16be = (b: Uint8Array, i: number): number => (b[i]! << 8) | b[i + 1]!;
const u16le = (b: Uint8Array, i: number): number => b[i]! | (b[i + 1]! << 8);
const u24le = (b: Uint8Array, i: number): number => b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16);
const u32be = (b: Uint8Array, i: number): number =>
  ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;
const u32le = (b: Uint8Array, i: number): number => (u16le(b, i) + u16le(b, i + 2) * 65536) >>> 0;
const ascii = (b: Uint8Array, i: number, n: number): string => String.fromCharCode(...b.subarray(i, i + n));

const bad = (reason: string): NotWholeImage => ({ ok: false, reason });
const truncated = (what: string): NotWholeImage => bad(`${what}: the file is truncated`);
const sized = (format: ImageFormat, name: string, width: number, height: number): Result =>
  width > 0 && height > 0
    ? { ok: true, format, width, height }
    : bad(`${name} gives a size of ${width}x${height}: both sides must be at least 1`);

/** CRC-32 as PNG chunks use it (ISO 3309), bit by bit: only IHDR's 17 bytes are checked. */
function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const x of bytes) {
    c ^= x;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

/** Bit depths each PNG colour type allows (https://www.w3.org/TR/png-3/#table111). */
const PNG_DEPTHS: Record<number, readonly number[]> = {
  0: [1, 2, 4, 8, 16],
  2: [8, 16],
  3: [1, 2, 4, 8],
  4: [8, 16],
  6: [8, 16],
};

/**
 * PNG: IHDR first (length 13, a matching CRC, legal sizes and depth), then every chunk's length
 * inside the file, at least one IDAT, and IEND. Bytes after IEND are ignored, as decoders do.
 */
function* png(size: number): Walk {
  const h = yield { at: 0, length: 33 };
  if (h.length < 33) return truncated(`PNG ends after ${size} bytes, inside its IHDR chunk`);
  if (u32be(h, 8) !== 13 || ascii(h, 12, 4) !== "IHDR") return bad("PNG does not start with a 13-byte IHDR chunk");
  if (crc32(h.subarray(12, 29)) !== u32be(h, 29)) return bad("PNG IHDR chunk fails its CRC: the header is corrupt");
  const width = u32be(h, 16);
  const height = u32be(h, 20);
  if (width > 0x7fffffff || height > 0x7fffffff) return bad(`PNG IHDR gives a size of ${width}x${height}: over 2^31-1`);
  if (!PNG_DEPTHS[h[25]!]?.includes(h[24]!)) return bad(`PNG IHDR has colour type ${h[25]} with bit depth ${h[24]}`);
  let idat = 0;
  // each step moves on by at least 12 bytes (length, type, CRC) and stays inside the file
  for (let at = 33; ; ) {
    if (at + 12 > size) return truncated(`PNG ends after ${size} bytes with no IEND chunk`);
    const c = yield { at, length: 8 };
    const length = u32be(c, 0);
    const type = ascii(c, 4, 4);
    if (!/^[A-Za-z]{4}$/.test(type)) return bad(`PNG has no chunk type at byte ${at + 4}: the file is corrupt`);
    if (length > 0x7fffffff) return bad(`PNG ${type} chunk at byte ${at} has length ${length}, over 2^31-1`);
    const end = at + 12 + length;
    if (end > size) return truncated(`PNG ends after ${size} bytes, inside its ${type} chunk of ${length} bytes`);
    if (type === "IDAT") idat++;
    if (type === "IEND")
      return idat ? sized("png", "PNG IHDR", width, height) : bad("PNG has no IDAT chunk: no pixels");
    at = end;
  }
}

const isSof = (m: number): boolean => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;
/** Markers that stand alone, without a length: TEM and the restart markers RST0-7. */
const isStandalone = (m: number): boolean => m === 0x01 || (m >= 0xd0 && m <= 0xd7);
/** Bytes of entropy-coded data read per step while looking for the marker that ends a scan. */
const SCAN_WINDOW = 64 * 1024;

/**
 * JPEG: marker segments from SOI through a frame header (SOFn) to the first scan (SOS), then
 * the end marker EOI: the file's last two bytes, or, when data follows it (a phone's appended
 * video), the first EOI found by walking the scans. A 0xFF inside scan data is always followed
 * by 0x00 or a restart marker, so an EOI cannot be mistaken.
 */
function* jpeg(size: number): Walk {
  let frame: { width: number; height: number } | undefined;
  let scanned = false;
  for (let at = 2; ; ) {
    const m = yield { at, length: 4 };
    if (m.length < 2) {
      return truncated(`JPEG ends after ${size} bytes ${scanned ? "with no EOI marker" : "before its first scan"}`);
    }
    if (m[0] !== 0xff) return bad(`JPEG has no marker at byte ${at}: the file is corrupt`);
    const marker = m[1]!;
    if (marker === 0xff || isStandalone(marker)) {
      at += marker === 0xff ? 1 : 2; // fill byte, or a marker without a segment
      continue;
    }
    if (marker === 0xd9) {
      if (!scanned) return bad("JPEG ends (EOI) before any scan: no pixels");
      return frame ? sized("jpeg", "JPEG frame header", frame.width, frame.height) : bad("JPEG has no frame header");
    }
    if (m.length < 4) return truncated(`JPEG ends after ${size} bytes, inside a marker`);
    const length = u16be(m, 2);
    if (length < 2) return bad(`JPEG segment at byte ${at} has length ${length}: the file is corrupt`);
    const end = at + 2 + length;
    if (end > size) return truncated(`JPEG ends after ${size} bytes, inside a segment of ${length} bytes`);
    if (isSof(marker) && !frame) {
      const f = yield { at: at + 4, length: 5 };
      if (length < 8) return bad(`JPEG frame header at byte ${at} is ${length} bytes, under 8`);
      frame = { height: u16be(f, 1), width: u16be(f, 3) };
    }
    at = end;
    if (marker !== 0xda) continue;
    if (!frame) return bad("JPEG has a scan before any frame header");
    if (!scanned) {
      scanned = true;
      const tail = yield { at: size - 2, length: 2 };
      if (tail[0] === 0xff && tail[1] === 0xd9 && size - 2 >= at) {
        return sized("jpeg", "JPEG frame header", frame.width, frame.height);
      }
    }
    // entropy-coded data up to the next marker; each step moves on by at least one byte
    for (;;) {
      const w = yield { at, length: SCAN_WINDOW };
      if (w.length < 2) return truncated(`JPEG ends after ${size} bytes with no EOI marker`);
      let i = w.indexOf(0xff);
      while (i >= 0 && i + 1 < w.length && (w[i + 1] === 0 || isStandalone(w[i + 1]!) || w[i + 1] === 0xff)) {
        i = w.indexOf(0xff, i + 1);
      }
      if (i >= 0 && i + 1 < w.length) {
        at += i;
        break;
      }
      at += i > 0 ? i : i === 0 ? 1 : w.length;
    }
  }
}

/**
 * WebP: the RIFF size must match the byte length; chunks inside it must fit; the image is a VP8
 * (its first partition inside the chunk) or VP8L chunk, or VP8X followed by image data.
 */
function* webp(size: number): Walk {
  const h = yield { at: 0, length: 12 };
  const riffEnd = u32le(h, 4) + 8;
  if (riffEnd > size) return truncated(`WebP ends after ${size} bytes; its RIFF header says ${riffEnd}`);
  if (riffEnd < size) return bad(`WebP has ${size - riffEnd} bytes after its RIFF data, which ends at ${riffEnd}`);
  let dims: { width: number; height: number; name: string } | undefined;
  for (let at = 12, first = true; ; first = false) {
    if (at + 8 > riffEnd) {
      if (at < riffEnd) return truncated(`WebP ends after ${size} bytes, inside a chunk header`);
      return bad(dims ? "WebP VP8X has no image data chunk (VP8, VP8L or ANMF)" : "WebP has no image chunk");
    }
    const c = yield { at, length: 8 + 10 };
    const type = ascii(c, 0, 4);
    const length = u32le(c, 4);
    const end = at + 8 + length + (length & 1);
    // an odd last chunk may omit its padding byte
    if (at + 8 + length > riffEnd) return truncated(`WebP ends after ${size} bytes, inside its ${type} chunk`);
    const d = c.subarray(8);
    if (first && type === "VP8X") {
      if (length < 10) return bad("WebP VP8X chunk is under 10 bytes");
      dims = { width: u24le(d, 4) + 1, height: u24le(d, 7) + 1, name: "WebP VP8X" };
    } else if (first && type !== "VP8 " && type !== "VP8L") {
      return bad(`WebP starts with a ${JSON.stringify(type)} chunk, not VP8, VP8L or VP8X`);
    }
    if (type === "VP8 ") {
      if (length < 10 || d[3] !== 0x9d || d[4] !== 0x01 || d[5] !== 0x2a) return bad("WebP VP8 chunk has no key frame");
      const partition = (d[0]! | (d[1]! << 8) | (d[2]! << 16)) >>> 5;
      if (10 + partition > length) return bad(`WebP VP8 first partition of ${partition} bytes runs past its chunk`);
      dims ??= { width: u16le(d, 6) & 0x3fff, height: u16le(d, 8) & 0x3fff, name: "WebP VP8" };
    } else if (type === "VP8L") {
      if (length < 5 || d[0] !== 0x2f) return bad("WebP VP8L chunk has no signature");
      const bits = u32le(d, 1);
      dims ??= { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1, name: "WebP VP8L" };
    }
    if (dims && (type === "VP8 " || type === "VP8L" || type === "ANMF")) {
      return sized("webp", dims.name, dims.width, dims.height);
    }
    at = end;
  }
}

/** GIF: header and colour table, then extension and image blocks with their sub-blocks, to the trailer (0x3B). */
function* gif(size: number): Walk {
  const h = yield { at: 0, length: 13 };
  if (h.length < 13) return truncated(`GIF ends after ${size} bytes, inside its header`);
  const table = (packed: number): number => (packed & 0x80 ? 3 * 2 ** ((packed & 7) + 1) : 0);
  let images = 0;
  // each block and sub-block moves on by at least one byte
  for (let at = 13 + table(h[10]!); ; ) {
    const b = yield { at, length: 10 };
    if (b.length === 0) return truncated(`GIF ends after ${size} bytes with no trailer (0x3B)`);
    if (b[0] === 0x3b)
      return images ? sized("gif", "GIF screen descriptor", u16le(h, 6), u16le(h, 8)) : bad("GIF has no image");
    if (b[0] === 0x21) at += 2;
    else if (b[0] === 0x2c && b.length === 10) {
      at += 10 + table(b[9]!) + 1; // descriptor, local colour table, LZW minimum code size
      images++;
    } else if (b[0] === 0x2c) return truncated(`GIF ends after ${size} bytes, inside an image descriptor`);
    else return bad(`GIF has an unknown block 0x${b[0]!.toString(16)} at byte ${at}: the file is corrupt`);
    for (;;) {
      const s = yield { at, length: 1 };
      if (s.length === 0) return truncated(`GIF ends after ${size} bytes with no trailer (0x3B)`);
      at += s[0]! + 1;
      if (s[0] === 0) break;
    }
  }
}

const WALKS: Record<ImageFormat, (size: number) => Walk> = { png, jpeg, webp, gif };
const unknown = bad("not a PNG, JPEG, WebP or GIF file (no known signature)");

/**
 * Checks that bytes are a whole image, not just its header: the structure is walked from the
 * signature to the end marker (PNG IEND, JPEG EOI, the RIFF size of WebP, GIF's trailer), reading
 * chunk and segment headers in place, without a copy. Pixel data is not decoded and checksums
 * other than PNG's IHDR CRC are not computed. Never throws.
 * @example
 * checkWholeImage(first100Bytes) // { ok: false, reason: "PNG ends after 100 bytes, inside its IDAT chunk of 4096 bytes: the file is truncated" }
 */
export function checkWholeImage(bytes: Uint8Array): WholeImage | NotWholeImage {
  const format = sniffFormat(bytes);
  if (!format) return unknown;
  const walk = WALKS[format](bytes.length);
  for (let step = walk.next(); ; ) {
    if (step.done) return step.value;
    const { at, length } = step.value;
    step = walk.next(bytes.subarray(Math.max(0, at), at + length));
  }
}

/** Bytes read from a Blob at a time: headers close together are served from one read. */
const BLOB_WINDOW = 64 * 1024;

/**
 * `checkWholeImage` of a Blob (a form's file) or bytes. A Blob is read in 64 KB windows where
 * the walk needs them, so a 50 MB file is never copied whole beside itself.
 * @example
 * const whole = await checkWholeImageData(file); if (!whole.ok) console.error(whole.reason)
 */
export async function checkWholeImageData(data: Blob | Uint8Array): Promise<WholeImage | NotWholeImage> {
  if (data instanceof Uint8Array) return checkWholeImage(data);
  const size = data.size;
  const read = async (at: number, n: number) => new Uint8Array(await data.slice(at, at + n).arrayBuffer());
  let winAt = 0;
  let win = await read(0, BLOB_WINDOW);
  const format = sniffFormat(win);
  if (!format) return unknown;
  const walk = WALKS[format](size);
  for (let step = walk.next(); ; ) {
    if (step.done) return step.value;
    const at = Math.max(0, step.value.at);
    const end = Math.min(size, at + step.value.length);
    if (at < winAt || end > winAt + win.length) {
      winAt = at;
      win = await read(at, Math.max(end - at, BLOB_WINDOW));
    }
    step = walk.next(win.subarray(at - winAt, end - winAt));
  }
}
