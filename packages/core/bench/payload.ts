/**
 * A deterministic images response of n images, served as a stream from one base64 buffer so
 * the benchmark itself never holds the whole JSON (n = 10 images of 11 MB is ~147 MB of JSON).
 */
import { Buffer } from "node:buffer";

export const IMAGE_BYTES = 11_000_000;
export const IMAGES = 10;
export const CHUNK = 64 * 1024;

/** Incompressible bytes, like a PNG's, from a fixed xorshift seed. */
export const makeImage = (size = IMAGE_BYTES): Uint8Array => {
  const img = new Uint8Array(size);
  let x = 0x9e3779b9;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    img[i] = x;
  }
  return img;
};

/** A cheap fingerprint: length and 64 bytes spread over the image. */
export const fingerprint = (b: Uint8Array): string => {
  let s = `${b.length}:`;
  for (let k = 0; k < 64; k++) s += `${b[Math.floor((k * (b.length - 1)) / 63)]},`;
  return s;
};

/** The same fingerprint, taken over pieces as they stream past, for an image of known length. */
export class Fingerprinter {
  private readonly picks: number[];
  private readonly seen: number[] = [];
  private offset = 0;
  constructor(private readonly length: number) {
    this.picks = Array.from({ length: 64 }, (_, k) => Math.floor((k * (length - 1)) / 63));
  }
  add(piece: Uint8Array): void {
    for (let k = 0; k < 64; k++) {
      const at = (this.picks[k] as number) - this.offset;
      if (at >= 0 && at < piece.length) this.seen[k] = piece[at] as number;
    }
    this.offset += piece.length;
  }
  result(): string {
    return this.offset === this.length ? `${this.length}:${this.seen.join(",")},` : `length ${this.offset}`;
  }
}

export interface Payload {
  /** the image as base64 ASCII bytes, shared by every item */
  b64: Uint8Array;
  expected: string;
  jsonBytes: number;
}

export const makePayload = (): Payload => {
  const img = makeImage();
  const b64 = new TextEncoder().encode(Buffer.from(img).toString("base64"));
  return { b64, expected: fingerprint(img), jsonBytes: segments(b64.length).reduce((n, s) => n + s.length, 0) };
};

const enc = new TextEncoder();
/** JSON text around the images; a number stands for the base64 of one image. */
const segments = (b64Length: number): (Uint8Array | { length: number })[] => {
  const out: (Uint8Array | { length: number })[] = [enc.encode('{"created":1778236581,"background":"opaque","data":[')];
  for (let i = 0; i < IMAGES; i++) {
    out.push(enc.encode(`${i ? "," : ""}{"b64_json":"`), { length: b64Length });
    out.push(enc.encode(`","revised_prompt":"a lighthouse at dusk, take ${i}"}`));
  }
  out.push(
    enc.encode(
      '],"output_format":"png","quality":"high","size":"3840x2160","usage":{"input_tokens":50,"output_tokens":6240,"total_tokens":6290}}',
    ),
  );
  return out;
};

/**
 * The response body in CHUNK-sized pieces, each a fresh copy as a network read would be.
 * `onChunk` runs once per piece (the benchmark samples memory there).
 */
export const responseStream = (p: Payload, onChunk: () => void): ReadableStream<Uint8Array> => {
  const segs = segments(p.b64.length);
  let seg = 0;
  let off = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      onChunk();
      const s = segs[seg];
      if (!s) return controller.close();
      const src = s instanceof Uint8Array ? s : p.b64;
      const end = Math.min(src.length, off + CHUNK);
      controller.enqueue(src.slice(off, end));
      off = end;
      if (off >= src.length) {
        seg++;
        off = 0;
      }
    },
  });
};
