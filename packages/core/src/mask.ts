import { ValidationError } from "./errors/index.ts";
import { inspectImageData } from "./inspect.ts";
import type { ImageInput } from "./types.ts";

/** CRC-32 (ISO-HDLC, as PNG chunks use), table built once on first use. */
let crcTable: Uint32Array | undefined;
function crc32(parts: readonly Uint8Array[]): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (const bytes of parts) for (const b of bytes) c = crcTable[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.byteLength);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.byteLength);
  const head = new TextEncoder().encode(type);
  out.set(head, 4);
  out.set(data, 8);
  view.setUint32(8 + data.byteLength, crc32([head, data]));
  return out;
}

/** The largest side a mask is made for (gpt-image-2's longest edge is 3840). */
const MAX_SIDE = 16384;

/**
 * A fully transparent PNG (8-bit RGBA, every pixel alpha 0) of `width` x `height`: the mask that
 * lets an edit change the whole image (`--mask auto`). Rows are streamed through the platform's
 * `CompressionStream("deflate")`, so a 4K mask never holds its 33 MB of raw pixels at once.
 * @example
 * const mask = await transparentMask(1024, 1536) // Uint8Array, a valid PNG of a few KB
 */
export async function transparentMask(width: number, height: number): Promise<Uint8Array<ArrayBuffer>> {
  for (const [field, v] of [
    ["width", width],
    ["height", height],
  ] as const) {
    if (!Number.isInteger(v) || v < 1 || v > MAX_SIDE) {
      throw new ValidationError([
        { field: `mask.${field}`, value: v, rule: `must be an integer from 1 to ${MAX_SIDE}` },
      ]);
    }
  }
  const row = new Uint8Array(1 + width * 4); // filter type 0, then RGBA zeros
  const stream = new CompressionStream("deflate");
  const writer = stream.writable.getWriter();
  const written = (async () => {
    for (let y = 0; y < height; y++) await writer.write(row);
    await writer.close();
  })();
  const compressed = new Uint8Array(await new Response(stream.readable).arrayBuffer());
  await written;
  const ihdr = new Uint8Array(13);
  const view = new DataView(ihdr.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  ihdr.set([8, 6, 0, 0, 0], 8); // bit depth 8, colour type 6 (RGBA), deflate, adaptive filter, no interlace
  const parts = [
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", compressed),
    chunk("IEND", new Uint8Array(0)),
  ];
  const out = new Uint8Array(parts.reduce((a, p) => a + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/**
 * The automatic mask for an edit: fully transparent, the size of the first input image (the
 * image a mask applies to), named `mask.png`. Throws `ValidationError` when the first input is
 * not an image whose size can be read.
 */
export async function autoMaskFor(first: ImageInput): Promise<ImageInput> {
  const info = await inspectImageData(first.data);
  if (!info.ok) {
    throw new ValidationError([
      { field: "mask", value: "auto", rule: `needs the first image's size, but it is not an image (${info.reason})` },
    ]);
  }
  return { data: await transparentMask(info.width, info.height), name: "mask.png" };
}
