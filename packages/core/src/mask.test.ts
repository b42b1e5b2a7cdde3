import { inflateSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { png } from "../test-fixtures/images.ts";
import { inspectImage } from "./inspect.ts";
import { autoMaskFor, transparentMask } from "./mask.ts";
import { buildEditRequest } from "./request.ts";
import { validateEditOptions } from "./validate.ts";

/** The IDAT payload of a PNG, inflated by zlib (an outside decoder). */
function pixels(bytes: Uint8Array): Buffer {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const idat: Uint8Array[] = [];
  for (let at = 8; at < bytes.byteLength; ) {
    const len = view.getUint32(at);
    const type = new TextDecoder().decode(bytes.subarray(at + 4, at + 8));
    if (type === "IDAT") idat.push(bytes.subarray(at + 8, at + 8 + len));
    at += 12 + len;
  }
  return inflateSync(Buffer.concat(idat));
}

describe("transparentMask", () => {
  it("is a valid RGBA PNG of the size asked for, every pixel fully transparent", async () => {
    const mask = await transparentMask(37, 5);
    expect(inspectImage(mask)).toMatchObject({ ok: true, format: "png", width: 37, height: 5, hasAlpha: true });
    const raw = pixels(mask);
    expect(raw.byteLength).toBe(5 * (1 + 37 * 4));
    expect(raw.every((b) => b === 0)).toBe(true);
  });

  it("makes a 4K mask small, and refuses sizes that are no image", async () => {
    const mask = await transparentMask(3840, 2160);
    expect(mask.byteLength).toBeLessThan(200_000);
    expect(pixels(mask).byteLength).toBe(2160 * (1 + 3840 * 4));
    await expect(transparentMask(0, 10)).rejects.toThrow(/mask.width/);
    await expect(transparentMask(10, 1.5)).rejects.toThrow(/mask.height/);
  });

  it("autoMaskFor takes the first image's size and passes edit validation", async () => {
    const first = { data: png({ width: 64, height: 48 }), name: "in.png" };
    const mask = await autoMaskFor(first);
    expect(mask.name).toBe("mask.png");
    expect(inspectImage(mask.data as Uint8Array)).toMatchObject({ width: 64, height: 48 });
    const opts = { prompt: "x", images: [first, { data: png({ width: 32, height: 32 }) }], mask };
    expect(await validateEditOptions(opts)).toEqual([]);
    const form = await (await buildEditRequest({ name: "p", profile: "openai", apiKey: "k" }, opts)).formData();
    expect((form.get("mask") as File).size).toBe((mask.data as Uint8Array).byteLength);
    await expect(autoMaskFor({ data: new TextEncoder().encode("not an image") })).rejects.toThrow(/mask auto/);
  });
});
