import { randomFillSync } from "node:crypto";
import sharp from "sharp";
import type { OutputFormat } from "./types.ts";

/** What to draw and how to encode it. */
export interface RenderOptions {
  width: number;
  height: number;
  format: OutputFormat;
  /** text the pattern is derived from (prompt plus image index) */
  seed: string;
  /** add an alpha channel with transparent stripes (png/webp only) */
  transparent?: boolean;
  /**
   * fill 40% of each row with random bytes, so a 4K PNG is ~11 MB and does not compress;
   * "photo": 25 %, so a 1024x1024 PNG is ~800 KB, the size of a real one
   */
  noise?: boolean | "photo";
  /** jpeg/webp quality 0-100 */
  compression?: number;
  /** partial image number (0-based): a coarser draft of the final pattern */
  partial?: number;
}

/** 32-bit FNV-1a: a stable, dependency-free hash for picking colours. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

const NOISE_SHARE = 0.4;
const PHOTO_SHARE = 0.25;

/**
 * Diagonal stripes over a horizontal gradient. Each row is a shifted copy of one doubled
 * template row, so filling 4K costs a few thousand `copy` calls and PNG deflate finds long
 * matches: a 3840x2160 PNG encodes in tens of milliseconds.
 */
export function renderRaw(opts: RenderOptions): { data: Buffer; channels: 3 | 4 } {
  const { width: w, height: h } = opts;
  const channels: 3 | 4 = opts.transparent ? 4 : 3;
  const seed = hash32(opts.seed);
  const a = [seed & 0xff, (seed >>> 8) & 0xff, (seed >>> 16) & 0xff];
  const b = [255 - a[0]!, (a[1]! + 96) & 0xff, (a[2]! + 160) & 0xff];
  const coarse = opts.partial !== undefined;
  const period = coarse ? Math.max(32, w >> (opts.partial! + 1)) : 24 + ((seed >>> 24) % 8) * 16;
  const rowLen = w * channels;
  const template = Buffer.alloc(rowLen * 2);
  for (let x = 0; x < w * 2; x++) {
    const stripe = x % period < period / 2;
    const t = (x % w) / w;
    const o = x * channels;
    for (let c = 0; c < 3; c++) {
      const base = stripe ? a[c]! : b[c]!;
      template[o + c] = Math.round(base * (1 - t * 0.5) + 64 * t);
    }
    if (channels === 4) template[o + 3] = stripe ? 255 : 0;
  }
  const data = Buffer.allocUnsafe(rowLen * h);
  for (let y = 0; y < h; y++) {
    const shift = (y % period) * channels;
    template.copy(data, y * rowLen, shift, shift + rowLen);
  }
  if (opts.noise) {
    const noisy = Math.floor(w * (opts.noise === "photo" ? PHOTO_SHARE : NOISE_SHARE)) * channels;
    for (let y = 0; y < h; y++) randomFillSync(data, y * rowLen, noisy);
  }
  return { data, channels };
}

/** Photo-sized images already drawn, by their options: drawn once, answered many times. */
const photos = new Map<string, Promise<Buffer>>();
const MAX_PHOTOS = 8;

/**
 * Draws and encodes one image; real bytes of the requested format and size. A "photo" image is
 * drawn once per options and reused, so a benchmark measures the answer, not the drawing.
 */
export function renderImage(opts: RenderOptions): Promise<Buffer> {
  if (opts.noise !== "photo") return encode(opts);
  const key = JSON.stringify(opts);
  let image = photos.get(key);
  if (!image) {
    if (photos.size >= MAX_PHOTOS) photos.delete(photos.keys().next().value as string);
    image = encode(opts);
    photos.set(key, image);
  }
  return image;
}

async function encode(opts: RenderOptions): Promise<Buffer> {
  const { data, channels } = renderRaw(opts);
  const img = sharp(data, { raw: { width: opts.width, height: opts.height, channels } });
  const quality = opts.compression ?? 90;
  switch (opts.format) {
    case "png":
      // level 1 without adaptive filtering: fast, and still small for the low-entropy pattern
      return img.png({ compressionLevel: 1, adaptiveFiltering: false }).toBuffer();
    case "jpeg":
      return img.jpeg({ quality: Math.max(1, quality) }).toBuffer();
    case "webp":
      return img.webp({ quality, effort: 0, alphaQuality: 100 }).toBuffer();
  }
}
