import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  concat,
  ENCODED_24x16,
  gif,
  jpeg,
  noisePng,
  png,
  webpExtended,
  webpLossless,
  webpLossy,
} from "../test-fixtures/images.ts";
import { checkWholeImage, checkWholeImageData } from "./whole-image.ts";

/** Whole files: the byte-built fixtures and what libvips wrote (test-fixtures/images.ts). */
const WHOLE: [string, Uint8Array, string, number, number][] = [
  ["png RGBA", png({ width: 24, height: 16 }), "png", 24, 16],
  ["png palette with tRNS", png({ width: 3, height: 5, colorType: 3, trns: true }), "png", 3, 5],
  ["png with a large text chunk", png({ width: 2, height: 2, padBeforeData: 200_000 }), "png", 2, 2],
  ["noise png of 300 KB", noisePng(300_000, 7), "png", 274, 274],
  ["jpeg baseline", jpeg({ width: 640, height: 480 }), "jpeg", 640, 480],
  ["jpeg with 200 KB of APP1", jpeg({ width: 8, height: 9, app1Bytes: 200_000 }), "jpeg", 8, 9],
  ["webp lossy", webpLossy(30, 20), "webp", 30, 20],
  ["webp lossless", webpLossless(30, 20, true), "webp", 30, 20],
  ["webp extended", webpExtended(31, 21, true), "webp", 31, 21],
  ["gif", gif(5, 6, true), "gif", 5, 6],
  ...Object.entries(ENCODED_24x16).map(([name, bytes]): [string, Uint8Array, string, number, number] => [
    `libvips ${name}`,
    bytes,
    name.startsWith("jpeg") ? "jpeg" : name.startsWith("webp") ? "webp" : name,
    24,
    16,
  ]),
];

describe("checkWholeImage", () => {
  it.each(WHOLE)("%s is whole", async (_, bytes, format, width, height) => {
    expect(checkWholeImage(bytes)).toEqual({ ok: true, format, width, height });
    expect(await checkWholeImageData(new Blob([bytes as Uint8Array<ArrayBuffer>]))).toEqual({
      ok: true,
      format,
      width,
      height,
    });
  });

  it("names a PNG header of 100 bytes as truncated", () => {
    const head = png({ width: 64, height: 64 }).subarray(0, 100);
    expect(checkWholeImage(head)).toEqual({
      ok: false,
      reason: "PNG ends after 100 bytes, inside its IDAT chunk of 304 bytes: the file is truncated",
    });
  });

  // each reason names the format, what is wrong and, where it can, the byte count
  it.each<[string, Uint8Array, RegExp]>([
    ["png without IDAT", png({ width: 4, height: 4, headerOnly: true }), /^PNG has no IDAT chunk: no pixels$/],
    ["png cut inside IHDR", png({ width: 4, height: 4 }).subarray(0, 20), /^PNG ends after 20 bytes, inside its IHDR/],
    [
      "png cut before IEND",
      png({ width: 4, height: 4 }).subarray(0, -12),
      /^PNG ends after \d+ bytes with no IEND chunk/,
    ],
    ["png with a broken IHDR CRC", flip(png({ width: 4, height: 4 }), 30), /IHDR chunk fails its CRC/],
    ["png of width 0", png({ width: 0, height: 4 }), /^PNG IHDR gives a size of 0x4/],
    ["png chunk length past the end", setU32(png({ width: 4, height: 4 }), 33, 0x7fff_0000), /truncated$/],
    [
      "jpeg without EOI",
      jpeg({ width: 8, height: 8 }).subarray(0, -2),
      /^JPEG ends after \d+ bytes with no EOI marker/,
    ],
    ["jpeg cut in its header", jpeg({ width: 8, height: 8 }).subarray(0, 60), /before its first scan|inside a segment/],
    ["jpeg of height 0", jpeg({ width: 8, height: 0 }), /^JPEG frame header gives a size of 8x0/],
    ["webp cut", webpLossy(8, 8).subarray(0, 30), /^WebP ends after 30 bytes; its RIFF header says 40/],
    ["webp with bytes after RIFF", concat(webpLossy(8, 8), new Uint8Array(3)), /^WebP has 3 bytes after its RIFF/],
    ["webp VP8X alone", vp8xOnly(), /VP8X has no image data chunk/],
    ["gif without trailer", gif(4, 4).subarray(0, -1), /^GIF ends after \d+ bytes with no trailer/],
    ["not an image", new TextEncoder().encode("hello, world"), /^not a PNG, JPEG, WebP or GIF file/],
  ])("refuses %s", async (_, bytes, reason) => {
    const got = checkWholeImage(bytes);
    expect(got.ok).toBe(false);
    expect(got.ok ? "" : got.reason).toMatch(reason);
    expect(await checkWholeImageData(new Blob([bytes as Uint8Array<ArrayBuffer>]))).toEqual(got);
  });

  it("finds the EOI of a JPEG followed by other data (a phone's appended video)", () => {
    const withVideo = concat(jpeg({ width: 8, height: 8 }), new Uint8Array(300_000).fill(0x42));
    expect(checkWholeImage(withVideo)).toMatchObject({ ok: true, format: "jpeg" });
    const progressive = concat(ENCODED_24x16.jpegProgressive, new TextEncoder().encode("trailer"));
    expect(checkWholeImage(progressive)).toMatchObject({ ok: true, width: 24, height: 16 });
  });

  it("reads a large Blob in windows and agrees with the bytes", async () => {
    const big = concat(jpeg({ width: 8, height: 8, app1Bytes: 1_000_000 }), new Uint8Array(200_000));
    expect(await checkWholeImageData(new Blob([big]))).toEqual(checkWholeImage(big));
  });

  it("refuses every strict prefix of a whole file", () => {
    const files = WHOLE.map((w) => w[1]).filter((b) => b.length < 5000);
    fc.assert(
      fc.property(fc.constantFrom(...files), fc.nat(), (bytes, n) => {
        expect(checkWholeImage(bytes.subarray(0, n % bytes.length)).ok).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it("never throws on arbitrary bytes after a real signature", () => {
    const heads = [png({ width: 1, height: 1 }), jpeg({ width: 1, height: 1 }), webpLossy(1, 1), gif(1, 1)];
    fc.assert(
      fc.property(fc.constantFrom(...heads), fc.nat(40), fc.uint8Array({ maxLength: 300 }), (head, keep, tail) => {
        const bytes = concat(head.subarray(0, Math.min(head.length, 12 + keep)), tail);
        const got = checkWholeImage(bytes);
        expect(typeof (got.ok ? got.format : got.reason)).toBe("string");
      }),
      { numRuns: 3000 },
    );
  });
});

function flip(bytes: Uint8Array, at: number): Uint8Array {
  const out = bytes.slice();
  out[at]! ^= 0xff;
  return out;
}

function setU32(bytes: Uint8Array, at: number, value: number): Uint8Array {
  const out = bytes.slice();
  new DataView(out.buffer).setUint32(at, value);
  return out;
}

/** A RIFF whose only chunk is VP8X: the header of an extended WebP with no image after it. */
function vp8xOnly(): Uint8Array {
  const full = webpExtended(4, 4, false);
  const head = full.slice(0, 30);
  new DataView(head.buffer).setUint32(4, 22, true);
  return head;
}
