/**
 * What checking that an image is whole costs: the structure walk of checkWholeImage on bytes in
 * hand and of checkWholeImageData on a Blob (64 KiB windows), for the worst inputs an edit takes.
 * Run: `npm run bench` in packages/core (after decode.bench.ts).
 */

import { checkWholeImage, checkWholeImageData } from "../src/whole-image.ts";
import { concat, jpeg, png } from "../test-fixtures/images.ts";

const MB = 1_000_000;

/** A chunk of `n` zero bytes of `type` (the walk reads lengths and types, not CRCs). */
function chunk(type: string, n: number): Uint8Array {
  const c = new Uint8Array(12 + n);
  new DataView(c.buffer).setUint32(0, n);
  c.set(new TextEncoder().encode(type), 4);
  return c;
}

/** 50 MB of PNG in 8 KiB IDAT chunks, libpng's default: the most chunks an input of that size has. */
function manyChunkPng(): Uint8Array {
  const one = png({ width: 1, height: 1 });
  const parts = [one.subarray(0, 33)];
  for (let i = 0; i < 6400; i++) parts.push(chunk("IDAT", 8192));
  parts.push(one.subarray(one.length - 12));
  return concat(...parts);
}

/** A JPEG whose 50 MB of scan data hold no marker, EOI last or followed by other data. */
function bigJpeg(after: number): Uint8Array {
  const head = jpeg({ width: 8, height: 8 });
  const scan = new Uint8Array(50 * MB);
  for (let i = 0; i < scan.length; i++) scan[i] = (i * 7919) & 0xfe; // never 0xFF
  return concat(head.subarray(0, head.length - 2), scan, new Uint8Array([0xff, 0xd9]), new Uint8Array(after));
}

const cases: [string, Uint8Array][] = [
  ["PNG 52 MB, 6400 IDAT chunks", manyChunkPng()],
  ["JPEG 50 MB, EOI last", bigJpeg(0)],
  ["JPEG 50 MB, data after EOI (scans walked)", bigJpeg(1000)],
];
for (const [name, bytes] of cases) {
  if (!checkWholeImage(bytes).ok) throw new Error(`${name}: not whole`);
  const runs = 5;
  let t = performance.now();
  for (let i = 0; i < runs; i++) checkWholeImage(bytes);
  const inHand = (performance.now() - t) / runs;
  const blob = new Blob([bytes as Uint8Array<ArrayBuffer>]);
  t = performance.now();
  for (let i = 0; i < runs; i++) await checkWholeImageData(blob);
  const asBlob = (performance.now() - t) / runs;
  console.log(`${name}: ${inHand.toFixed(2)} ms on bytes, ${asBlob.toFixed(1)} ms on a Blob`);
}
