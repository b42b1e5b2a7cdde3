import { describe, expect, it } from "vitest";
import { concat, ENCODED_24x16, gif, jpeg, png, webpExtended, webpLossy } from "../test-fixtures/images.ts";
import { ValidationError } from "./errors/index.ts";
import { ownRule } from "./models.ts";
import type { EditOptions, GenerateOptions, ValidationIssue } from "./types.ts";
import { assertValid, validateEditOptions, validateGenerateOptions } from "./validate.ts";

const MB = 1024 * 1024;
const loose = (o: Record<string, unknown>): GenerateOptions => ({ prompt: "a lighthouse", ...o }) as GenerateOptions;
const fields = (issues: ValidationIssue[]): string[] => issues.map((i) => i.field);

describe("validateGenerateOptions", () => {
  it("refuses a model name over 128 characters, naming the field and the rule without echoing it whole", () => {
    const long = "m".repeat(3000);
    const issues = validateGenerateOptions(loose({ model: long }), long);
    expect(issues).toEqual([
      {
        field: "model",
        value: `${"m".repeat(32)}… (3000 characters)`,
        rule: expect.stringMatching(/^must be at most 128 characters \(gptimg's limit, not OpenAI's/),
      },
    ]);
    expect(validateGenerateOptions(loose({ model: "m".repeat(128) }), "m".repeat(128))).toEqual([]);
  });

  it.each<[string, Record<string, unknown>, string | undefined]>([
    ["minimal", {}, undefined],
    [
      "every option",
      {
        n: 4,
        size: "16:9",
        quality: "high",
        outputFormat: "webp",
        outputCompression: 80,
        background: "opaque",
        moderation: "low",
        partialImages: 2,
        stream: true,
        user: "u-1",
        extraBody: { seed: 1 },
      },
      undefined,
    ],
    [
      "transparent png on gpt-image-1",
      { model: "gpt-image-1", background: "transparent", outputFormat: "png" },
      undefined,
    ],
    ["dall-e-3 style and hd", { style: "vivid", quality: "hd", responseFormat: "url", size: "1792x1024" }, "dall-e-3"],
    ["dall-e-2 standard, its only quality in OpenAI's spec", { quality: "standard", size: "512x512" }, "dall-e-2"],
    ["unknown model, odd size", { size: "1000x333", style: "natural" }, "canvas-20"],
    // OpenAI's spec: transparent on gpt-image-2 is in preview (the provider decides), and
    // partial_images without stream is simply unused
    ["transparent png on gpt-image-2", { background: "transparent", outputFormat: "png" }, undefined],
    ["partial_images without stream", { partialImages: 2 }, undefined],
    ["extra_body null prototype", { extraBody: Object.create(null) }, undefined],
  ])("accepts %s", (_, o, model) => {
    expect(validateGenerateOptions(loose(o), model)).toEqual([]);
  });

  it.each<[string, Record<string, unknown>, string | undefined, ValidationIssue]>([
    [
      "missing prompt",
      { prompt: undefined },
      undefined,
      { field: "prompt", value: undefined, rule: "is required and must be non-empty text" },
    ],
    [
      "blank prompt",
      { prompt: "  \n" },
      undefined,
      { field: "prompt", value: "  \n", rule: "is required and must be non-empty text" },
    ],
    [
      "long prompt",
      { prompt: "x".repeat(32001) },
      undefined,
      {
        field: "prompt",
        value: "x".repeat(32001),
        rule: ownRule("must be at most 32000 characters for gpt-image-2 (got 32001)"),
      },
    ],
    [
      "long dall-e-3 prompt",
      { prompt: "é".repeat(4001) },
      "dall-e-3",
      {
        field: "prompt",
        value: "é".repeat(4001),
        rule: ownRule("must be at most 4000 characters for dall-e-3 (got 4001)"),
      },
    ],
    [
      "long dall-e-2 prompt",
      { prompt: "y".repeat(1001) },
      "dall-e-2",
      {
        field: "prompt",
        value: "y".repeat(1001),
        rule: ownRule("must be at most 1000 characters for dall-e-2 (got 1001)"),
      },
    ],
    ["n = 0", { n: 0 }, undefined, { field: "n", value: 0, rule: "must be an integer from 1 to 10" }],
    ["n = 11", { n: 11 }, undefined, { field: "n", value: 11, rule: "must be an integer from 1 to 10" }],
    ["n = 1.5", { n: 1.5 }, undefined, { field: "n", value: 1.5, rule: "must be an integer from 1 to 10" }],
    ["n = '2'", { n: "2" }, undefined, { field: "n", value: "2", rule: "must be an integer from 1 to 10" }],
    ["dall-e-3 n = 2", { n: 2 }, "dall-e-3", { field: "n", value: 2, rule: ownRule("must be at most 1 for dall-e-3") }],
    [
      "illegal size",
      { size: "1920x1080" },
      undefined,
      { field: "size", value: "1920x1080", rule: "both sides must be multiples of 16", suggestion: "1920x1088" },
    ],
    [
      "bad quality",
      { quality: "ultra" },
      undefined,
      { field: "quality", value: "ultra", rule: "must be one of low, medium, high, auto for gpt-image-2" },
    ],
    [
      "bad output_format",
      { outputFormat: "gif" },
      undefined,
      { field: "output_format", value: "gif", rule: "must be one of png, jpeg, webp for gpt-image-2" },
    ],
    [
      "dall-e-3 jpeg",
      { outputFormat: "jpeg" },
      "dall-e-3",
      { field: "output_format", value: "jpeg", rule: ownRule("must be one of png for dall-e-3") },
    ],
    [
      "compression 101",
      { outputFormat: "jpeg", outputCompression: 101 },
      undefined,
      { field: "output_compression", value: 101, rule: "must be an integer from 0 to 100" },
    ],
    [
      "compression -1",
      { outputFormat: "webp", outputCompression: -1 },
      undefined,
      { field: "output_compression", value: -1, rule: "must be an integer from 0 to 100" },
    ],
    [
      "compression with png",
      { outputFormat: "png", outputCompression: 50 },
      undefined,
      { field: "output_compression", value: 50, rule: "applies only to output_format jpeg or webp (not png)" },
    ],
    [
      "compression without format",
      { outputCompression: 50 },
      undefined,
      { field: "output_compression", value: 50, rule: "applies only to output_format jpeg or webp (not png)" },
    ],
    [
      "compression on dall-e-2",
      { outputCompression: 50 },
      "dall-e-2",
      { field: "output_compression", value: 50, rule: ownRule("is not supported by dall-e-2") },
    ],
    [
      "transparent jpeg",
      { background: "transparent", outputFormat: "jpeg" },
      "gpt-image-1",
      {
        field: "background",
        value: "transparent",
        rule: "transparent needs output_format png or webp (jpeg has no alpha)",
      },
    ],
    [
      "bad background",
      { background: "clear" },
      undefined,
      { field: "background", value: "clear", rule: "must be one of auto, opaque, transparent for gpt-image-2" },
    ],
    [
      "bad moderation",
      { moderation: "none" },
      undefined,
      { field: "moderation", value: "none", rule: "must be one of low, auto for gpt-image-2" },
    ],
    [
      "moderation on dall-e-3",
      { moderation: "low" },
      "dall-e-3",
      {
        field: "moderation",
        value: "low",
        rule: ownRule("is not supported by dall-e-3 (gpt-image-2, gpt-image-1, gpt-image-1-mini take it)"),
      },
    ],
    [
      "partial_images 4",
      { partialImages: 4, stream: true },
      undefined,
      { field: "partial_images", value: 4, rule: "must be an integer from 0 to 3" },
    ],
    [
      "partial_images on dall-e-3",
      { partialImages: 1, stream: false },
      "dall-e-3",
      { field: "partial_images", value: 1, rule: ownRule("is not supported by dall-e-3") },
    ],
    ["stream 'yes'", { stream: "yes" }, undefined, { field: "stream", value: "yes", rule: "must be true or false" }],
    [
      "stream on dall-e-2",
      { stream: true },
      "dall-e-2",
      { field: "stream", value: true, rule: ownRule("is not supported by dall-e-2") },
    ],
    [
      "style on gpt-image-2",
      { style: "vivid" },
      undefined,
      { field: "style", value: "vivid", rule: ownRule("is not supported by gpt-image-2 (dall-e-3 takes it)") },
    ],
    [
      "bad style on dall-e-3",
      { style: "anime" },
      "dall-e-3",
      { field: "style", value: "anime", rule: "must be one of vivid, natural for dall-e-3" },
    ],
    ["user number", { user: 42 }, undefined, { field: "user", value: 42, rule: "must be a string" }],
    [
      "bad response_format",
      { responseFormat: "base64" },
      undefined,
      { field: "response_format", value: "base64", rule: "must be one of b64_json, url for gpt-image-2" },
    ],
    [
      "extra_body array",
      { extraBody: [1] },
      undefined,
      { field: "extra_body", value: [1], rule: "must be a plain object" },
    ],
    [
      "extra_body overriding prompt",
      { extraBody: { prompt: "other" } },
      undefined,
      { field: "extra_body.prompt", value: "other", rule: "must not override prompt: set it through its own option" },
    ],
    [
      "extra_body overriding model",
      { extraBody: { model: "dall-e-3" } },
      undefined,
      { field: "extra_body.model", value: "dall-e-3", rule: "must not override model: set it through its own option" },
    ],
    ["empty model", { model: "" }, undefined, { field: "model", value: "", rule: "must be a non-empty string" }],
  ])("reports %s", (_, o, model, issue) => {
    expect(validateGenerateOptions(loose(o), model)).toEqual([issue]);
  });

  it("reports every problem at once, in field order", () => {
    const issues = validateGenerateOptions(
      loose({
        prompt: "",
        n: 20,
        size: "banana",
        quality: "ultra",
        outputCompression: 5,
        style: "vivid",
        partialImages: 5,
      }),
    );
    expect(fields(issues)).toEqual(["prompt", "n", "size", "quality", "output_compression", "style", "partial_images"]);
  });

  it("uses the model argument over opts.model", () => {
    expect(validateGenerateOptions(loose({ model: "dall-e-3", n: 5 }), "gpt-image-2")).toEqual([]);
    expect(fields(validateGenerateOptions(loose({ model: "dall-e-3", n: 5 })))).toEqual(["n"]);
  });

  it("judges sizes with the model given", () => {
    expect(validateGenerateOptions(loose({ size: "2048x2048" }), "gpt-image-1")).toEqual([
      {
        field: "size",
        value: "2048x2048",
        rule: ownRule("gpt-image-1 supports only 1024x1024, 1536x1024, 1024x1536"),
        suggestion: "1024x1024",
      },
    ]);
  });

  it("refuses something that is not an object", () => {
    expect(validateGenerateOptions(null as unknown as GenerateOptions)).toEqual([
      { field: "options", value: null, rule: "must be an object" },
    ]);
  });
});

describe("assertValid", () => {
  it("does nothing for no issues", () => {
    expect(() => assertValid([])).not.toThrow();
  });

  it("throws one ValidationError carrying every issue, one line each", () => {
    const issues = validateGenerateOptions(loose({ n: 0, size: "1920x1080" }));
    let error: unknown;
    try {
      assertValid(issues);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    const e = error as ValidationError;
    expect(e.issues).toEqual(issues);
    expect(e.param).toBe("n");
    expect(e.message).toBe(
      "n 0: must be an integer from 1 to 10\nsize 1920x1080: both sides must be multiples of 16; nearest legal: 1920x1088",
    );
  });
});

const rgba = (w: number, h: number) => ({ data: png({ width: w, height: h }), name: "in.png" });
const edit = (o: Record<string, unknown>): EditOptions => ({ prompt: "add a red scarf", ...o }) as EditOptions;

describe("validateEditOptions", () => {
  it.each<[string, Record<string, unknown>, string | undefined]>([
    ["one png", { images: [rgba(16, 16)] }, undefined],
    [
      "png, jpeg and webp",
      { images: [rgba(4, 4), { data: jpeg({ width: 9, height: 9 }) }, { data: webpLossy(8, 8) }] },
      undefined,
    ],
    [
      "real encoder output",
      { images: [{ data: ENCODED_24x16.jpeg }, { data: ENCODED_24x16.webpLossless }] },
      undefined,
    ],
    ["a Blob input", { images: [{ data: new Blob([png({ width: 2, height: 2 })]) }] }, undefined],
    ["a mask that fits", { images: [rgba(32, 24)], mask: { data: png({ width: 32, height: 24 }) } }, undefined],
    [
      "a tRNS mask",
      { images: [rgba(8, 8)], mask: { data: png({ width: 8, height: 8, colorType: 3, trns: true }) } },
      undefined,
    ],
    ["input_fidelity on gpt-image-1", { images: [rgba(4, 4)], inputFidelity: "high" }, "gpt-image-1"],
    ["input_fidelity on gpt-image-2 (accepted, never sent)", { images: [rgba(4, 4)], inputFidelity: "low" }, undefined],
    ["16 images", { images: Array.from({ length: 16 }, () => rgba(2, 2)) }, undefined],
    ["dall-e-2 square png", { images: [rgba(64, 64)] }, "dall-e-2"],
    [
      "a JPEG whose frame header is 100 KB in, as a Blob",
      { images: [{ data: new Blob([jpeg({ width: 640, height: 480, app1Bytes: 100_000 })]) }] },
      undefined,
    ],
  ])("accepts %s", async (_, o, model) => {
    expect(await validateEditOptions(edit(o), model)).toEqual([]);
  });

  it.each<[string, Record<string, unknown>, string | undefined, ValidationIssue[]]>([
    [
      "no images",
      { images: [] },
      undefined,
      [{ field: "image", value: [], rule: "at least one input image is required" }],
    ],
    [
      "images missing",
      {},
      undefined,
      [{ field: "image", value: undefined, rule: "at least one input image is required" }],
    ],
    [
      "17 images",
      { images: Array.from({ length: 17 }, () => rgba(2, 2)) },
      undefined,
      [{ field: "image", value: "17 images", rule: "at most 16 input images for gpt-image-2" }],
    ],
    [
      "a GIF",
      { images: [rgba(2, 2), { data: gif(2, 2), name: "anim.gif" }] },
      undefined,
      [
        {
          field: "image[1]",
          value: "anim.gif",
          rule: "must be PNG, JPEG or WebP for gpt-image-2, judged by content (this is gif)",
        },
      ],
    ],
    [
      "a GIF named as its surface took it",
      {
        images: [
          { ...rgba(2, 2), label: { field: "images[0]", value: "dog.png" } },
          { data: gif(2, 2), name: "anim.gif", label: { field: "--image", value: "pics/anim.gif" } },
        ],
      },
      undefined,
      [
        {
          field: "--image",
          value: "pics/anim.gif",
          rule: "must be PNG, JPEG or WebP for gpt-image-2, judged by content (this is gif)",
        },
      ],
    ],
    [
      "text named .png",
      { images: [{ data: new TextEncoder().encode("not really"), name: "fake.png" }] },
      undefined,
      [
        {
          field: "image[0]",
          value: "fake.png",
          rule: "must be PNG, JPEG or WebP (not an image: unknown format)",
        },
      ],
    ],
    [
      "100 bytes of a PNG header",
      { images: [rgba(8, 8), { data: png({ width: 64, height: 64 }).subarray(0, 100) }] },
      undefined,
      [
        {
          field: "image[1]",
          value: "<100 bytes>",
          rule: "must be a whole image (PNG ends after 100 bytes, inside its IDAT chunk of 304 bytes: the file is truncated)",
        },
      ],
    ],
    [
      "a JPEG cut before its end",
      { images: [{ data: new Blob([jpeg({ width: 8, height: 8 }).subarray(0, -2)]), name: "cut.jpg" }] },
      undefined,
      [
        {
          field: "image[0]",
          value: "cut.jpg",
          rule: `must be a whole image (JPEG ends after ${jpeg({ width: 8, height: 8 }).length - 2} bytes with no EOI marker: the file is truncated)`,
        },
      ],
    ],
    [
      "a mask cut before IEND",
      { images: [rgba(8, 8)], mask: { data: rgba(8, 8).data.subarray(0, -12), name: "mask.png" } },
      undefined,
      [
        {
          field: "mask",
          value: "mask.png",
          rule: `must be a whole image (PNG ends after ${rgba(8, 8).data.length - 12} bytes with no IEND chunk: the file is truncated)`,
        },
      ],
    ],
    [
      "a string instead of bytes",
      { images: [{ data: "iVBORw0KGgo=" }] },
      undefined,
      [{ field: "image[0]", value: { data: "iVBORw0KGgo=" }, rule: "must be { data: Blob | Uint8Array, name? }" }],
    ],
    [
      "a mask without alpha",
      { images: [rgba(8, 8)], mask: { data: png({ width: 8, height: 8, colorType: 2 }), name: "mask.png" } },
      undefined,
      [{ field: "mask", value: "mask.png", rule: "must be a PNG with an alpha channel (this PNG has none)" }],
    ],
    [
      "a JPEG mask",
      { images: [rgba(8, 8)], mask: { data: jpeg({ width: 8, height: 8 }) } },
      undefined,
      [
        {
          field: "mask",
          value: `<${jpeg({ width: 8, height: 8 }).length} bytes>`,
          rule: "must be a PNG with an alpha channel (this is jpeg)",
        },
      ],
    ],
    [
      "a mask of another size",
      { images: [rgba(8, 8)], mask: { data: png({ width: 8, height: 9 }), name: "m.png" } },
      undefined,
      [{ field: "mask", value: "m.png", rule: "must have the size of the first image, 8x8 (is 8x9)" }],
    ],
    [
      "a garbage mask",
      { images: [rgba(8, 8)], mask: { data: new Uint8Array([1, 2, 3]), name: "m.png" } },
      undefined,
      [
        {
          field: "mask",
          value: "m.png",
          rule: "must be a PNG with an alpha channel (not an image: unknown format)",
        },
      ],
    ],
    [
      "bad input_fidelity",
      { images: [rgba(4, 4)], inputFidelity: "max" },
      undefined,
      [{ field: "input_fidelity", value: "max", rule: "must be one of high, low for gpt-image-2" }],
    ],
    [
      "edits on dall-e-3",
      { images: [rgba(4, 4)] },
      "dall-e-3",
      [{ field: "model", value: "dall-e-3", rule: ownRule("dall-e-3 does not support edits") }],
    ],
    [
      "a non-square jpeg on dall-e-2",
      { images: [{ data: jpeg({ width: 64, height: 32 }), name: "a.jpg" }] },
      "dall-e-2",
      [
        {
          field: "image[0]",
          value: "a.jpg",
          rule: ownRule("must be PNG for dall-e-2, judged by content (this is jpeg)"),
        },
        { field: "image[0]", value: "a.jpg", rule: ownRule("must be square for dall-e-2 (is 64x32)") },
      ],
    ],
    [
      "input_fidelity on dall-e-2",
      { images: [rgba(4, 4)], inputFidelity: "high" },
      "dall-e-2",
      [
        {
          field: "input_fidelity",
          value: "high",
          rule: ownRule("is not supported by dall-e-2 (gpt-image-1 takes it)"),
        },
      ],
    ],
  ])("reports %s", async (_, o, model, expected) => {
    expect(await validateEditOptions(edit(o), model)).toEqual(expected);
  });

  it("checks the 50 MB total across images", async () => {
    const big = (): Uint8Array => concat(png({ width: 1, height: 1 }), new Uint8Array(26 * MB));
    const images = [{ data: big() }, { data: big() }];
    const total = images[0]!.data.length * 2;
    expect(await validateEditOptions(edit({ images }))).toEqual([
      { field: "image", value: `${total} bytes`, rule: "input images must total at most 50 MB (52428800 bytes)" },
    ]);
    expect(await validateEditOptions(edit({ images: images.slice(0, 1) }))).toEqual([]);
  });

  it("checks the mask is under 4 MB", async () => {
    const mask = concat(png({ width: 8, height: 8 }), new Uint8Array(4 * MB));
    expect(await validateEditOptions(edit({ images: [rgba(8, 8)], mask: { data: mask, name: "m.png" } }))).toEqual([
      { field: "mask", value: "m.png", rule: "must be smaller than 4 MB (4194304 bytes)" },
    ]);
  });

  it("checks dall-e-2 inputs are under 4 MB each", async () => {
    const input = concat(png({ width: 8, height: 8 }), new Uint8Array(4 * MB));
    expect(await validateEditOptions(edit({ images: [{ data: input, name: "x.png" }] }), "dall-e-2")).toEqual([
      { field: "image[0]", value: "x.png", rule: ownRule("must be smaller than 4 MB for dall-e-2") },
    ]);
  });

  it("reports option and image problems together", async () => {
    const issues = await validateEditOptions(
      edit({
        prompt: "",
        n: 0,
        background: "clear",
        images: [{ data: gif(1, 1) }],
        mask: { data: webpExtended(5, 5, true) },
      }),
    );
    expect(fields(issues)).toEqual(["prompt", "n", "background", "image[0]", "mask"]);
  });

  it("reads only the parts of a large Blob input that its header and structure need", async () => {
    let read = 0;
    class CountingBlob extends Blob {
      override slice(start?: number, end?: number, type?: string): Blob {
        read += (end ?? this.size) - (start ?? 0);
        return super.slice(start, end, type);
      }
    }
    const data = new CountingBlob([png({ width: 3, height: 3 }), new Uint8Array(8 * MB)]);
    expect(await validateEditOptions(edit({ images: [{ data }] }))).toEqual([]);
    // the header's prefix, then one window for the chunk walk (the 8 MB after IEND are never read)
    expect(read).toBeLessThanOrEqual(2 * 64 * 1024);
  });
});
