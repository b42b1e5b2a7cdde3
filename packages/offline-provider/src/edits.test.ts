import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOfflineProvider } from "./server.ts";
import { decoded, pngBytes, postJson } from "./test-support.ts";
import type { OfflineProvider } from "./types.ts";

let provider: OfflineProvider;
let png640: Uint8Array;
let png1024: Uint8Array;
let maskAlpha1024: Uint8Array;
beforeAll(async () => {
  provider = await startOfflineProvider();
  png640 = await pngBytes(640, 480);
  png1024 = await pngBytes(1024, 1024);
  maskAlpha1024 = await pngBytes(1024, 1024, true);
});
afterAll(() => provider.close());

type Part = [name: string, value: string | Uint8Array, filename?: string, type?: string];
function form(parts: Part[]): FormData {
  const fd = new FormData();
  for (const [name, value, filename = "input.png", type = "image/png"] of parts) {
    if (typeof value === "string") fd.append(name, value);
    else fd.append(name, new Blob([new Uint8Array(value)], { type }), filename);
  }
  return fd;
}
const edit = (parts: Part[], path = "/images/edits", headers: Record<string, string> = {}) =>
  fetch(`${provider.url}${path}`, { method: "POST", body: form(parts), headers });
// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field
const ok = async (res: Response): Promise<any> => {
  expect(res.status).toBe(200);
  return res.json();
};

describe("POST /v1/images/edits", () => {
  it.each(["image", "image[]"])("accepts images in the %s field and keeps the first image's size", async (field) => {
    const body = await ok(
      await edit([
        ["prompt", "add a hat"],
        [field, png640],
      ]),
    );
    expect(body.size).toBe("640x480");
    expect(await decoded(body.data[0].b64_json)).toMatchObject({ format: "png", width: 640, height: 480 });
  });

  it("uses the asked size, format and n", async () => {
    const body = await ok(
      await edit([
        ["prompt", "night scene"],
        ["image", png1024],
        ["size", "1536x1024"],
        ["output_format", "jpeg"],
        ["n", "2"],
      ]),
    );
    expect(body.data).toHaveLength(2);
    expect(await decoded(body.data[1].b64_json)).toMatchObject({ format: "jpeg", width: 1536, height: 1024 });
  });

  it("accepts repeated images, a mask, and counts image input tokens", async () => {
    const body = await ok(
      await edit([
        ["prompt", "combine"],
        ["image[]", png1024],
        ["image[]", png640, "ref.png"],
        ["mask", maskAlpha1024, "mask.png"],
        ["quality", "low"],
      ]),
    );
    // 1024x1024: 65 + 129*4 = 581; 640x480: 65 + 129*2 = 323
    expect(body.usage.input_tokens_details).toEqual({ text_tokens: 1, image_tokens: 904 });
    expect(body.usage.output_tokens).toBe(272);
    const rec = provider.requests.at(-1)!;
    expect(rec.files.map((f) => [f.field, f.filename])).toEqual([
      ["image[]", "input.png"],
      ["image[]", "ref.png"],
      ["mask", "mask.png"],
    ]);
    expect(rec.fields).toMatchObject({ prompt: "combine", quality: "low" });
  });

  it("accepts jpeg and webp inputs (sniffed, whatever the declared type)", async () => {
    const sharp = (await import("sharp")).default;
    const jpeg = await sharp(Buffer.from(png1024)).jpeg().toBuffer();
    const webp = await sharp(Buffer.from(png640)).webp().toBuffer();
    const body = await ok(
      await edit([
        ["prompt", "x"],
        ["image", jpeg, "a.bin", "application/octet-stream"],
        ["image", webp, "b.webp", "image/webp"],
      ]),
    );
    expect(body.size).toBe("1024x1024");
  });

  it("works on the canvas-20 edit path", async () => {
    const body = await ok(
      await edit(
        [
          ["prompt", "beret"],
          ["image[]", png1024],
          ["size", "1024x1536"],
        ],
        "/content/models/canvas-20/edits",
      ),
    );
    expect(await decoded(body.data[0].b64_json)).toMatchObject({ width: 1024, height: 1536 });
  });

  it("streams image_edit events", async () => {
    const res = await edit([
      ["prompt", "x"],
      ["image", png640],
      ["stream", "true"],
      ["partial_images", "1"],
    ]);
    const text = await res.text();
    expect([...text.matchAll(/^event: (.*)$/gm)].map((m) => m[1])).toEqual([
      "image_edit.partial_image",
      "image_edit.completed",
    ]);
  });

  it.each<[string, () => Part[], string, RegExp]>([
    ["no image", () => [["prompt", "x"]], "image", /Missing required parameter: 'image'/],
    ["no prompt", () => [["image", png640]], "prompt", /'prompt'/],
    [
      "17 images",
      () => [["prompt", "x"], ...Array.from({ length: 17 }, (): Part => ["image[]", png640])],
      "image",
      /at most 16/,
    ],
    [
      "a text file as image",
      () => [
        ["prompt", "x"],
        ["image", new TextEncoder().encode("hello, not an image"), "a.png"],
      ],
      "image",
      /unsupported image format/,
    ],
    [
      "a jpeg mask",
      () => [
        ["prompt", "x"],
        ["image", png1024],
        ["mask", new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3])],
      ],
      "mask",
      /must be a PNG/,
    ],
    [
      "a mask of another size",
      () => [
        ["prompt", "x"],
        ["image", png1024],
        ["mask", png640],
      ],
      "mask",
      /640x480 but the first image is 1024x1024/,
    ],
    [
      "a mask without alpha",
      () => [
        ["prompt", "x"],
        ["image", png1024],
        ["mask", png1024],
      ],
      "mask",
      /alpha channel/,
    ],
    [
      "an illegal size",
      () => [
        ["prompt", "x"],
        ["image", png1024],
        ["size", "1000x1000"],
      ],
      "size",
      /multiples of 16/,
    ],
    [
      "n = 11",
      () => [
        ["prompt", "x"],
        ["image", png1024],
        ["n", "11"],
      ],
      "n",
      /<= 10/,
    ],
  ])("rejects %s", async (_name, parts, param, message) => {
    const res = await edit(parts());
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: { param: string; message: string; type: string } };
    expect(error.type).toBe("invalid_request_error");
    expect(error.param).toBe(param);
    expect(error.message).toMatch(message);
  });

  it("reads a JSON body as the spec's JSON edit form (images by reference)", async () => {
    const res = await postJson(`${provider.url}/images/edits`, { prompt: "x" });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/'images'/);
  });

  it("rejects a malformed multipart body", async () => {
    const res = await fetch(`${provider.url}/images/edits`, {
      method: "POST",
      headers: { "content-type": "multipart/form-data; boundary=zzz" },
      body: "--zzz\r\nbroken",
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("invalid_multipart");
  });

  it("reads offline_fault from a multipart field", async () => {
    const res = await edit([
      ["prompt", "x"],
      ["image", png640],
      ["offline_fault", "status=503"],
    ]);
    expect(res.status).toBe(503);
  });
});
