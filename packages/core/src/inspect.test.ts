import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ENCODED_24x16, gif, jpeg, png, webpExtended, webpLossless, webpLossy } from "../test-fixtures/images.ts";
import {
  extensionFor,
  INSPECT_HEAD_BYTES,
  inspectImage,
  inspectImageData,
  mimeTypeFor,
  sniffFormat,
} from "./inspect.ts";

const real: [string, Uint8Array, { format: string; width: number; height: number; hasAlpha: boolean }][] = [
  ["png RGBA", png({ width: 3, height: 2 }), { format: "png", width: 3, height: 2, hasAlpha: true }],
  ["png RGB", png({ width: 5, height: 7, colorType: 2 }), { format: "png", width: 5, height: 7, hasAlpha: false }],
  ["png grey", png({ width: 4, height: 4, colorType: 0 }), { format: "png", width: 4, height: 4, hasAlpha: false }],
  [
    "png grey+alpha",
    png({ width: 4, height: 1, colorType: 4 }),
    { format: "png", width: 4, height: 1, hasAlpha: true },
  ],
  ["png palette", png({ width: 2, height: 2, colorType: 3 }), { format: "png", width: 2, height: 2, hasAlpha: false }],
  [
    "png palette + tRNS",
    png({ width: 2, height: 2, colorType: 3, trns: true }),
    { format: "png", width: 2, height: 2, hasAlpha: true },
  ],
  [
    "png RGB + tRNS",
    png({ width: 9, height: 9, colorType: 2, trns: true }),
    { format: "png", width: 9, height: 9, hasAlpha: true },
  ],
  [
    "png 4K header only",
    png({ width: 3840, height: 2160, headerOnly: true }),
    { format: "png", width: 3840, height: 2160, hasAlpha: true },
  ],
  [
    "jpeg baseline",
    jpeg({ width: 1536, height: 1024 }),
    { format: "jpeg", width: 1536, height: 1024, hasAlpha: false },
  ],
  [
    "jpeg progressive",
    jpeg({ width: 640, height: 480, sof: 0xc2 }),
    { format: "jpeg", width: 640, height: 480, hasAlpha: false },
  ],
  [
    "jpeg with EXIF",
    jpeg({ width: 100, height: 200, app1Bytes: 30000 }),
    { format: "jpeg", width: 100, height: 200, hasAlpha: false },
  ],
  ["webp lossy", webpLossy(1024, 768), { format: "webp", width: 1024, height: 768, hasAlpha: false }],
  ["webp lossless", webpLossless(300, 200, false), { format: "webp", width: 300, height: 200, hasAlpha: false }],
  ["webp lossless alpha", webpLossless(16384, 1, true), { format: "webp", width: 16384, height: 1, hasAlpha: true }],
  ["webp extended", webpExtended(3840, 2160, false), { format: "webp", width: 3840, height: 2160, hasAlpha: false }],
  ["webp extended alpha", webpExtended(1, 1, true), { format: "webp", width: 1, height: 1, hasAlpha: true }],
  ["gif", gif(10, 20), { format: "gif", width: 10, height: 20, hasAlpha: false }],
  ["gif transparent", gif(10, 20, true), { format: "gif", width: 10, height: 20, hasAlpha: true }],
  // written by a real encoder (libvips)
  ["libvips jpeg", ENCODED_24x16.jpeg, { format: "jpeg", width: 24, height: 16, hasAlpha: false }],
  [
    "libvips progressive jpeg",
    ENCODED_24x16.jpegProgressive,
    { format: "jpeg", width: 24, height: 16, hasAlpha: false },
  ],
  ["libvips webp lossy", ENCODED_24x16.webpLossy, { format: "webp", width: 24, height: 16, hasAlpha: false }],
  ["libvips webp lossy+alpha", ENCODED_24x16.webpLossyAlpha, { format: "webp", width: 24, height: 16, hasAlpha: true }],
  ["libvips webp lossless", ENCODED_24x16.webpLossless, { format: "webp", width: 24, height: 16, hasAlpha: true }],
  ["libvips png", ENCODED_24x16.png, { format: "png", width: 24, height: 16, hasAlpha: true }],
  ["libvips gif", ENCODED_24x16.gif, { format: "gif", width: 24, height: 16, hasAlpha: true }],
];

describe("inspectImage", () => {
  it.each(real)("reads %s", (_, bytes, expected) => {
    expect(inspectImage(bytes)).toEqual({ ok: true, ...expected });
  });

  it("reads an image inside a larger buffer (subarray with an offset)", () => {
    const inner = png({ width: 31, height: 17, colorType: 2 });
    const outer = new Uint8Array(inner.length + 100);
    outer.set(inner, 50);
    expect(inspectImage(outer.subarray(50, 50 + inner.length))).toMatchObject({ ok: true, width: 31, height: 17 });
  });

  it("reads a 64 KB prefix of a PNG whose tRNS comes after a large chunk", () => {
    const bytes = png({ width: 8, height: 8, colorType: 2, trns: true, padBeforeData: 20000 });
    expect(inspectImage(bytes.subarray(0, 65536))).toMatchObject({ ok: true, hasAlpha: true });
  });

  it.each([
    ["empty", new Uint8Array(0), "empty"],
    ["text", new TextEncoder().encode("<html>error</html>"), "unknown format"],
    ["png signature only", png({ width: 1, height: 1 }).subarray(0, 8), "truncated PNG"],
    ["png zero width", png({ width: 0, height: 5, headerOnly: true }), "zero width"],
    ["jpeg SOI only", new Uint8Array([0xff, 0xd8, 0xff]), "truncated JPEG"],
    ["jpeg cut before SOF", jpeg({ width: 10, height: 10 }).subarray(0, 30), "truncated JPEG"],
    ["jpeg with EXIF, 64 KB prefix", jpeg({ width: 1, height: 1, app1Bytes: 70000 }).subarray(0, 65536), "truncated"],
    ["webp cut", webpLossy(10, 10).subarray(0, 20), "truncated WebP"],
    ["gif cut", gif(1, 1).subarray(0, 8), "truncated GIF"],
  ])("refuses %s with a reason", (_, bytes, why) => {
    const r = inspectImage(bytes);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.reason).toMatch(/^not an image: /);
      expect(r.reason).toContain(why);
    }
  });

  it("refuses what is not a Uint8Array", () => {
    expect(inspectImage("PNG" as unknown as Uint8Array)).toEqual({ ok: false, reason: "not an image: expected bytes" });
  });

  it("never throws on arbitrary bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const r = inspectImage(bytes);
        expect(typeof r.ok).toBe("boolean");
      }),
      { numRuns: 2000 },
    );
  });

  it("never throws on real headers that were cut or had bytes changed", () => {
    const sources = real.map(([, b]) => (b.length > 4096 ? b.subarray(0, 4096) : b));
    fc.assert(
      fc.property(
        fc.constantFrom(...sources),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
        fc.nat(),
        (source, edits, cut) => {
          const bytes = source.slice(0, (cut % source.length) + 1);
          for (const [at, v] of edits) bytes[at % bytes.length] = v;
          const r = inspectImage(bytes);
          if (r.ok) {
            expect(r.width).toBeGreaterThan(0);
            expect(r.height).toBeGreaterThan(0);
          } else expect(r.reason).toMatch(/^not an image: /);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("gives the same answer on every prefix long enough to hold the header", () => {
    for (const [, bytes, expected] of real) {
      for (let n = 1; n <= Math.min(bytes.length, 600); n++) {
        const r = inspectImage(bytes.subarray(0, n));
        if (r.ok) expect(r).toMatchObject({ format: expected.format, width: expected.width, height: expected.height });
      }
    }
  });
});

describe("sniffFormat, extensionFor, mimeTypeFor", () => {
  it.each([
    [png({ width: 1, height: 1 }), "png"],
    [jpeg({ width: 1, height: 1 }), "jpeg"],
    [webpLossy(1, 1), "webp"],
    [gif(1, 1), "gif"],
    [new TextEncoder().encode("RIFF....WAVE"), undefined],
    [new Uint8Array([0xff, 0xd8]), undefined],
    [new Uint8Array(0), undefined],
  ])("sniffs %#", (bytes, format) => {
    expect(sniffFormat(bytes)).toBe(format);
  });

  it.each([
    ["png", "png", "image/png"],
    ["jpeg", "jpg", "image/jpeg"],
    ["webp", "webp", "image/webp"],
    ["gif", "gif", "image/gif"],
  ] as const)("%s → .%s, %s", (format, ext, mime) => {
    expect(extensionFor(format)).toBe(ext);
    expect(mimeTypeFor(format)).toBe(mime);
  });
});

describe("inspectImageData", () => {
  /** A Blob that records the size of every slice read from it. */
  const watched = (bytes: Uint8Array) => {
    const reads: number[] = [];
    const blob = new Blob([bytes as BlobPart]);
    const slice = blob.slice.bind(blob);
    blob.slice = (start?: number, end?: number) => {
      const part = slice(start, end);
      reads.push(part.size);
      return part;
    };
    return { blob, reads };
  };

  it.each(real)("%s: a Blob and its bytes inspect alike", async (_name, bytes, want) => {
    expect(await inspectImageData(new Blob([bytes as BlobPart]))).toMatchObject({ ok: true, ...want });
    expect(await inspectImageData(bytes)).toMatchObject({ ok: true, ...want });
  });

  it("reads only the head of a large PNG", async () => {
    const big = new Uint8Array(3 * INSPECT_HEAD_BYTES);
    big.set(png({ width: 8, height: 4 }));
    const { blob, reads } = watched(big);
    expect(await inspectImageData(blob)).toMatchObject({ ok: true, format: "png", width: 8, height: 4 });
    expect(reads).toEqual([INSPECT_HEAD_BYTES]);
  });

  it("reads a JPEG whole when its frame header sits behind large metadata", async () => {
    const bytes = jpeg({ width: 40, height: 30, app1Bytes: 2 * INSPECT_HEAD_BYTES });
    const { blob, reads } = watched(bytes);
    expect(await inspectImageData(blob)).toMatchObject({ ok: true, format: "jpeg", width: 40, height: 30 });
    expect(reads).toEqual([INSPECT_HEAD_BYTES, bytes.byteLength]);
  });

  it("reads on for the tRNS chunk of a small PNG whose metadata fills the head", async () => {
    const bytes = png({ width: 8, height: 4, colorType: 3, trns: true, padBeforeData: 2 * INSPECT_HEAD_BYTES });
    const { blob, reads } = watched(bytes);
    expect(await inspectImageData(blob)).toMatchObject({ ok: true, format: "png", hasAlpha: true });
    expect(reads).toEqual([INSPECT_HEAD_BYTES, bytes.byteLength]);
  });

  it("reads a non-image only to its head, and says it is not an image", async () => {
    const { blob, reads } = watched(new Uint8Array(3 * INSPECT_HEAD_BYTES).fill(7));
    expect(await inspectImageData(blob)).toMatchObject({ ok: false });
    expect(reads).toEqual([INSPECT_HEAD_BYTES]);
  });
});
