import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { concat, png as fixturePng, jpeg } from "../test-fixtures/images.ts";
import { ValidationError } from "./errors/index.ts";
import { resolveProvider } from "./providers.ts";
import { buildEditRequest, buildGenerateRequest, describeRequest, editRequestForm, partFilename } from "./request.ts";
import type { EditOptions, ProviderConfig } from "./types.ts";
import { unsentOptions } from "./wire-fields.ts";

const KEY = "sk-canary-do-not-leak-123";

/** A whole `w`x`h` RGBA PNG; `tail` is appended after its IEND, where decoders ignore it. */
const png = (w: number, h: number, tail: Uint8Array = new Uint8Array()): Uint8Array =>
  concat(fixturePng({ width: w, height: h }), tail);
const JPEG = jpeg({ width: 1024, height: 1024 });

const openai: ProviderConfig = { name: "primary", profile: "openai", apiKey: KEY };
const minimax: ProviderConfig = {
  name: "minimax",
  profile: "custom",
  baseUrl: "https://api.minimax.io/v1",
  apiKey: KEY,
  paths: { generations: "/content/models/canvas-20/generations", edits: "/content/models/canvas-20/edits" },
  model: "canvas-20",
  fixedModel: true,
};

const jsonOf = async (req: Request) => JSON.parse(await req.clone().text()) as Record<string, unknown>;

describe("buildGenerateRequest", () => {
  it.each([
    [openai, "https://api.openai.com/v1/images/generations", { model: "gpt-image-2", output_format: "jpeg" }],
    [
      { name: "w", profile: "wellapi", apiKey: KEY },
      "https://wellapi.ai/v1/images/generations",
      { model: "gpt-image-2", format: "jpeg" },
    ],
    [
      { name: "c", profile: "openai-compatible", baseUrl: "http://127.0.0.1:9/v1", model: "gpt-image-1" },
      "http://127.0.0.1:9/v1/images/generations",
      { model: "gpt-image-1", output_format: "jpeg" },
    ],
    [
      minimax,
      "https://api.minimax.io/v1/content/models/canvas-20/generations",
      { model: "canvas-20", output_format: "jpeg" },
    ],
  ] as [ProviderConfig, string, Record<string, unknown>][])(
    "POSTs JSON with the profile's names (%#)",
    async (provider, url, expected) => {
      const req = buildGenerateRequest(provider, {
        prompt: "大海",
        n: 2,
        size: "1024x1024",
        quality: "low",
        outputFormat: "jpeg",
      });
      expect(req.method).toBe("POST");
      expect(req.url).toBe(url);
      expect(req.headers.get("content-type")).toBe("application/json");
      expect(req.headers.get("accept")).toBe("application/json");
      const body = await jsonOf(req);
      expect(body).toMatchObject({ prompt: "大海", n: 2, size: "1024x1024", quality: "low", ...expected });
      expect(body).not.toHaveProperty("outputFormat");
      if (provider.profile === "wellapi") expect(body).not.toHaveProperty("output_format");
    },
  );

  it("a fixed model replaces the caller's model", async () => {
    expect((await jsonOf(buildGenerateRequest(minimax, { prompt: "x", model: "gpt-image-2" }))).model).toBe(
      "canvas-20",
    );
  });

  it.each([
    [undefined, undefined],
    ["auto", "auto"],
    ["16:9", "1536x864"],
    ["landscape", "1536x1024"],
    ["1920x1088", "1920x1088"],
  ])("sends size %s as %s", async (size, wire) => {
    const body = await jsonOf(buildGenerateRequest(openai, { prompt: "x", size }));
    expect(body.size).toBe(wire);
    expect(Object.hasOwn(body, "size")).toBe(wire !== undefined);
  });

  it("drops fields the model family does not take", async () => {
    const body = await jsonOf(
      buildGenerateRequest(openai, {
        prompt: "x",
        model: "dall-e-3",
        style: "vivid",
        quality: "high",
        outputFormat: "png",
      }),
    );
    expect(body).toMatchObject({ model: "dall-e-3", style: "vivid", quality: "hd" });
    expect(body).not.toHaveProperty("output_format");
    const gpt = await jsonOf(buildGenerateRequest(openai, { prompt: "x", responseFormat: "b64_json" }));
    expect(gpt).not.toHaveProperty("response_format");
  });

  it("maps every option to snake_case and asks for SSE when streaming", async () => {
    const req = buildGenerateRequest(openai, {
      prompt: "x",
      outputFormat: "webp",
      outputCompression: 50,
      background: "opaque",
      moderation: "low",
      stream: true,
      partialImages: 2,
      user: "u1",
    });
    expect(await jsonOf(req)).toEqual({
      model: "gpt-image-2",
      prompt: "x",
      output_format: "webp",
      output_compression: 50,
      background: "opaque",
      moderation: "low",
      stream: true,
      partial_images: 2,
      user: "u1",
    });
    expect(req.headers.get("accept")).toContain("text/event-stream");
  });

  it("merges extraBody last: provider's, then the call's", async () => {
    const p = { ...openai, extraBody: { n: 3, vendor: "a", keep: 1 } };
    const body = await jsonOf(
      buildGenerateRequest(p, { prompt: "x", n: 1, extraBody: { vendor: "b", nested: { a: [1] } } }),
    );
    expect(body).toMatchObject({ n: 1, vendor: "b", keep: 1, nested: { a: [1] } });
    expect(Object.keys(body).slice(-3)).toEqual(["vendor", "keep", "nested"]);
  });

  it("a provider's extraBody is a default: an explicit option keeps its value, an absent one takes it", async () => {
    const p = { ...openai, extraBody: { quality: "low", moderation: "low" } };
    expect(await jsonOf(buildGenerateRequest(p, { prompt: "x", quality: "high" }))).toMatchObject({
      quality: "high",
      moderation: "low",
    });
    expect(await jsonOf(buildGenerateRequest(p, { prompt: "x" }))).toMatchObject({ quality: "low" });
    const form = await (
      await buildEditRequest(p, { prompt: "x", quality: "high", images: [{ data: png(64, 48) }] })
    ).formData();
    expect(form.getAll("quality")).toEqual(["high"]);
  });

  it("sends Authorization only with a key", () => {
    expect(buildGenerateRequest(openai, { prompt: "x" }).headers.get("authorization")).toBe(`Bearer ${KEY}`);
    expect(buildGenerateRequest({ name: "n", profile: "openai" }, { prompt: "x" }).headers.has("authorization")).toBe(
      false,
    );
  });

  it("validates before building, reporting every problem", () => {
    const e = (() => {
      try {
        buildGenerateRequest(openai, { prompt: "", n: 11, size: "1920x1080" });
      } catch (err) {
        return err;
      }
    })() as ValidationError;
    expect(e).toBeInstanceOf(ValidationError);
    expect(e.issues.map((i) => i.field).sort()).toEqual(["n", "prompt", "size"]);
  });

  it("builds chat/completions for the chat profile", async () => {
    const req = buildGenerateRequest(
      { name: "c", profile: "chat", baseUrl: "http://127.0.0.1:9/v1", apiKey: KEY },
      { prompt: "a cat", n: 2 },
    );
    expect(req.url).toBe("http://127.0.0.1:9/v1/chat/completions");
    expect(await jsonOf(req)).toEqual({ model: "gpt-image-2", messages: [{ role: "user", content: "a cat" }], n: 2 });
  });
});

describe("buildEditRequest", () => {
  const image = png(64, 48);

  it("sends each image as its own part under image[] when there are several, then the mask", async () => {
    const req = await buildEditRequest(openai, {
      prompt: "add a hat",
      images: [{ data: image, name: "/home/someone/private/dog.png" }, { data: new Blob([JPEG as BlobPart]) }],
      mask: { data: png(64, 48), name: "C:\\Users\\someone\\mask.png" },
      inputFidelity: "high",
      size: "1024x1024",
    });
    expect(req.url).toBe("https://api.openai.com/v1/images/edits");
    expect(req.headers.get("content-type")).toMatch(/^multipart\/form-data; boundary=/);
    const form = await req.formData();
    const files = form.getAll("image[]") as File[];
    expect(files.map((f) => [f.name, f.type])).toEqual([
      ["dog.png", "image/png"],
      ["image-1.jpg", "image/jpeg"],
    ]);
    expect(new Uint8Array(await files[0]!.arrayBuffer())).toEqual(image);
    expect((form.get("mask") as File).name).toBe("mask.png");
    expect(form.get("size")).toBe("1024x1024");
    // gpt-image-2 always works at high fidelity and rejects the field (reported by unsentOptions).
    expect(form.has("input_fidelity")).toBe(false);
    expect(form.has("image")).toBe(false);
  });

  it("sends one image as `image`, as OpenAI's SDKs do, and a configured field name always", async () => {
    const one = await (await buildEditRequest(openai, { prompt: "x", images: [{ data: image }] })).formData();
    expect(one.getAll("image")).toHaveLength(1);
    expect(one.has("image[]")).toBe(false);
    const fixed = { ...openai, fields: { image: "image[]" } };
    const kept = await (await buildEditRequest(fixed, { prompt: "x", images: [{ data: image }] })).formData();
    expect(kept.getAll("image[]")).toHaveLength(1);
    expect(kept.has("image")).toBe(false);
  });

  it("leaves moderation out of a multipart edit (the spec's form has no such field) and says so", async () => {
    const opts = { prompt: "x", images: [{ data: image }], moderation: "low" as const, inputFidelity: "high" as const };
    const form = await (await buildEditRequest(openai, opts)).formData();
    expect(form.has("moderation")).toBe(false);
    expect(unsentOptions("gpt-image-2", opts, "multipart")).toEqual([
      { field: "moderation", value: "low", reason: expect.stringMatching(/multipart edit form has no moderation/) },
      { field: "input_fidelity", value: "high", reason: expect.stringMatching(/always edits at high fidelity/) },
    ]);
    // a generation carries it
    const gen = JSON.parse(await buildGenerateRequest(openai, { prompt: "x", moderation: "low" }).text());
    expect(gen.moderation).toBe("low");
    expect(unsentOptions("gpt-image-2", { prompt: "x", moderation: "low" })).toEqual([]);
  });

  it("uses a repeated plain `image` field for wellapi and `format`", async () => {
    const req = await buildEditRequest(
      { name: "w", profile: "wellapi" },
      { prompt: "x", images: [{ data: image }, { data: image }], outputFormat: "png" },
    );
    const form = await req.formData();
    expect(form.getAll("image")).toHaveLength(2);
    expect(form.has("image[]")).toBe(false);
    expect(form.get("format")).toBe("png");
  });

  it("keeps input_fidelity for gpt-image-1", async () => {
    const form = await (
      await buildEditRequest(openai, {
        prompt: "x",
        model: "gpt-image-1",
        images: [{ data: image }],
        inputFidelity: "low",
      })
    ).formData();
    expect(form.get("input_fidelity")).toBe("low");
  });

  it("puts extraBody last, replacing an option of the same name, objects as JSON", async () => {
    const req = await buildEditRequest(openai, {
      prompt: "x",
      n: 1,
      images: [{ data: image }],
      extraBody: { n: 2, opts: { a: 1 } },
    });
    const form = await req.formData();
    expect([...form.keys()]).toEqual(["model", "prompt", "image", "n", "opts"]);
    expect(form.getAll("n")).toEqual(["2"]);
    expect(form.get("opts")).toBe('{"a":1}');
  });

  it("is rejected when an input is not an image", async () => {
    await expect(
      buildEditRequest(openai, { prompt: "x", images: [{ data: new TextEncoder().encode("hello"), name: "a.txt" }] }),
    ).rejects.toThrow(/image\[0\] a\.txt/);
  });

  it("sends images as data URLs in image_url parts for the chat profile", async () => {
    const req = await buildEditRequest(
      { name: "c", profile: "chat", baseUrl: "http://127.0.0.1:9/v1" },
      { prompt: "edit", images: [{ data: image }] },
    );
    const body = await jsonOf(req);
    const content = (body.messages as { content: { type: string; image_url?: { url: string } }[] }[])[0]!.content;
    expect(content[0]).toEqual({ type: "text", text: "edit" });
    expect(content[1]!.type).toBe("image_url");
    const url = content[1]!.image_url!.url;
    expect(url.startsWith("data:image/png;base64,")).toBe(true);
    expect(Uint8Array.from(atob(url.split(",")[1]!), (c) => c.charCodeAt(0))).toEqual(image);
  });

  it("refuses a mask with the chat profile", async () => {
    await expect(
      buildEditRequest(
        { name: "c", profile: "chat", baseUrl: "http://127.0.0.1:9/v1" },
        { prompt: "x", images: [{ data: image }], mask: { data: image } },
      ),
    ).rejects.toThrow(/mask.*chat protocol/);
  });

  it("round-trips random options and image bytes exactly through multipart", async () => {
    const text = fc.string({ minLength: 1, maxLength: 40 }).filter((s) => !/[\r\n]/.test(s) && s.trim() !== "");
    const options = fc.record(
      {
        n: fc.integer({ min: 1, max: 10 }),
        quality: fc.constantFrom("low", "medium", "high", "auto"),
        outputFormat: fc.constantFrom("png", "jpeg", "webp"),
        background: fc.constantFrom("auto", "opaque"),
        moderation: fc.constantFrom("low", "auto"),
        size: fc.constantFrom("auto", "1024x1024", "1536x1024", "2048x1152"),
        user: text,
      },
      { requiredKeys: [] },
    );
    const extra = fc.dictionary(fc.constantFrom("vendor_a", "vendor_b", "seed", "n"), fc.oneof(text, fc.integer()), {
      maxKeys: 3,
    });
    const images = fc.array(
      fc.record({
        w: fc.integer({ min: 1, max: 64 }),
        h: fc.integer({ min: 1, max: 64 }),
        tail: fc.uint8Array({ maxLength: 2000 }),
      }),
      { minLength: 1, maxLength: 4 },
    );
    await fc.assert(
      fc.asyncProperty(text, options, extra, images, async (prompt, o, extraBody, imgs) => {
        const opts: EditOptions = {
          prompt,
          ...o,
          extraBody,
          images: imgs.map((i) => ({ data: png(i.w, i.h, i.tail) })),
        } as EditOptions;
        const form = await (await buildEditRequest(openai, opts)).formData();
        expect(form.get("prompt")).toBe(prompt);
        expect(form.get("model")).toBe("gpt-image-2");
        const wire: Record<string, unknown> = {
          n: o.n,
          quality: o.quality,
          output_format: o.outputFormat,
          background: o.background,
          size: o.size,
          user: o.user,
          ...extraBody,
        };
        for (const [k, v] of Object.entries(wire)) {
          if (v === undefined) expect(form.has(k)).toBe(false);
          else expect(form.getAll(k)).toEqual([String(v)]);
        }
        expect(form.has("moderation")).toBe(false);
        const files = form.getAll(imgs.length === 1 ? "image" : "image[]") as File[];
        expect(files).toHaveLength(imgs.length);
        for (const [i, f] of files.entries()) {
          expect(f.name).toBe(`image-${i}.png`);
          expect(new Uint8Array(await f.arrayBuffer())).toEqual((opts.images[i] as { data: Uint8Array }).data);
        }
      }),
      { numRuns: 60 },
    );
  });
});

describe("partFilename", () => {
  it.each([
    ["/home/u/secret/dog.png", "dog.png"],
    ["C:\\Users\\u\\cat.jpg", "cat.jpg"],
    ['we"ird;name.png', "weirdname.png"],
    ["..", "image-0.png"],
    ["dir/", "image-0.png"],
    [undefined, "image-0.png"],
  ])("%s -> %s", (name, expected) => {
    expect(partFilename(name, "image-0", "png")).toBe(expected);
  });
});

describe("describeRequest", () => {
  it("redacts the key and describes a JSON body", async () => {
    const req = buildGenerateRequest(
      { ...openai, headers: { "x-api-key": KEY, "x-team": "blue" } },
      { prompt: "x", extraBody: { note: `k=${KEY}` } },
    );
    const d = await describeRequest(req, [KEY]);
    expect(d.method).toBe("POST");
    expect(d.url).toBe("https://api.openai.com/v1/images/generations");
    expect(d.headers.authorization).toBe("Bearer ***redacted***");
    expect(d.headers["x-api-key"]).toBe("***redacted***");
    expect(d.headers["x-team"]).toBe("blue");
    expect(d.body).toMatchObject({ model: "gpt-image-2", prompt: "x", note: "k=***redacted***" });
    expect(JSON.stringify(d)).not.toContain("canary");
    // The request is still sendable after being described.
    expect(await jsonOf(req)).toHaveProperty("prompt", "x");
  });

  it("lists form fields and files, not file contents", async () => {
    const req = await buildEditRequest(openai, {
      prompt: "x",
      images: [{ data: png(8, 8), name: "a.png" }, { data: png(8, 8) }],
      n: 2,
    });
    const d = await describeRequest(req, [KEY]);
    expect(d.body).toEqual({
      fields: { model: "gpt-image-2", prompt: "x", n: "2" },
      files: [
        { field: "image[]", filename: "a.png", type: "image/png", bytes: png(8, 8).length },
        { field: "image[]", filename: "image-1.png", type: "image/png", bytes: png(8, 8).length },
      ],
    });
    expect(JSON.stringify(d)).not.toContain(KEY);
  });

  it("shows an input a dry-run did not fetch as its URL (without its query) where its stand-in is, in a form and in JSON", async () => {
    const placeholder = png(1, 1);
    const signed = (path: string) => `https://a.example/${path}?X-Amz-Signature=canary-sig-${path}`;
    const notFetched = { placeholder, urls: [signed("dog.png"), "https://a.example/cat.png"] };
    const form = await buildEditRequest(openai, {
      prompt: "x",
      images: [
        { data: placeholder, name: "dog.png" },
        { data: png(8, 8), name: "real.png" },
      ],
    });
    expect(((await describeRequest(form, [], notFetched)).body as { files: unknown[] }).files).toEqual([
      { field: "image[]", filename: "dog.png", notFetched: "https://a.example/dog.png?…" },
      { field: "image[]", filename: "real.png", type: "image/png", bytes: png(8, 8).length },
    ]);
    const json = await buildEditRequest(
      { ...openai, jsonEdits: true },
      {
        prompt: "x",
        images: [{ data: placeholder }, { imageUrl: signed("ref.png") }, { data: placeholder }],
      },
    );
    const described = await describeRequest(json, [], notFetched);
    expect((described.body as { images: unknown[] }).images).toEqual([
      { image_url: "not fetched by a dry-run: https://a.example/dog.png?…" },
      { image_url: "https://a.example/ref.png?…" },
      { image_url: "not fetched by a dry-run: https://a.example/cat.png" },
    ]);
    expect(JSON.stringify(described)).not.toContain("canary");
    // without them, the stand-in is described as any file is
    expect(((await describeRequest(form)).body as { files: { bytes: number }[] }).files[0]?.bytes).toBe(
      placeholder.length,
    );
  });

  it("shortens inline data URLs of chat edits", async () => {
    const req = await buildEditRequest(
      { name: "c", profile: "chat", baseUrl: "http://127.0.0.1:9/v1" },
      { prompt: "x", images: [{ data: png(8, 8) }] },
    );
    const d = await describeRequest(req);
    expect(JSON.stringify(d.body)).toContain(`data:image/png;base64,… (${png(8, 8).length} bytes)`);
  });
});

describe("no key anywhere but Authorization", () => {
  it("keeps the key out of URL, other headers and body", async () => {
    const provider = resolveProvider({ ...openai });
    for (const req of [
      buildGenerateRequest(provider, { prompt: "x", user: "u" }),
      await buildEditRequest(provider, { prompt: "x", images: [{ data: png(8, 8) }] }),
    ]) {
      const headers = [...req.headers.entries()].filter(([k]) => k !== "authorization");
      const all = `${req.url}\n${JSON.stringify(headers)}\n${await req.clone().text()}`;
      expect(all).not.toContain(KEY);
      expect(req.headers.get("authorization")).toBe(`Bearer ${KEY}`);
    }
  });
});

describe("buildEditRequest: the spec's JSON edit form", () => {
  const PNG = png(8, 8);
  const b64 = (bytes: Uint8Array) => `data:image/png;base64,${btoa(String.fromCharCode(...bytes))}`;
  const url = "https://images.example.com/cat.png";

  it("sends https references as images[].image_url, files as data URLs, with moderation (the JSON form has it)", async () => {
    const req = await buildEditRequest(openai, {
      prompt: "add a hat",
      images: [{ imageUrl: url }, { data: PNG, name: "local.png" }, { fileId: "file-abc123" }],
      mask: { fileId: "file-mask1" },
      moderation: "low",
      size: "1024x1024",
    });
    expect(req.url).toBe("https://api.openai.com/v1/images/edits");
    expect(req.headers.get("content-type")).toBe("application/json");
    const body = JSON.parse(await req.text());
    expect(body).toEqual({
      model: "gpt-image-2",
      prompt: "add a hat",
      images: [{ image_url: url }, { image_url: b64(PNG) }, { file_id: "file-abc123" }],
      mask: { file_id: "file-mask1" },
      size: "1024x1024",
      moderation: "low",
    });
    expect(editRequestForm(openai, { prompt: "x", images: [{ imageUrl: url }] })).toBe("json");
    expect(unsentOptions("gpt-image-2", { prompt: "x", images: [], moderation: "low" }, "json")).toEqual([]);
  });

  it("decodes data URLs to files when nothing else is a reference (multipart, as before)", async () => {
    const opts = { prompt: "x", images: [{ imageUrl: b64(PNG) }] };
    expect(editRequestForm(openai, opts)).toBe("multipart");
    const form = await (await buildEditRequest(openai, opts)).formData();
    const file = form.get("image") as File;
    expect(new Uint8Array(await file.arrayBuffer())).toEqual(PNG);
    expect(file.name).toBe("image-0.png");
  });

  it("refuses references a profile without the JSON form cannot take, saying what to send", async () => {
    const wellapi: ProviderConfig = { name: "w", profile: "wellapi", apiKey: KEY };
    const e = await buildEditRequest(wellapi, { prompt: "x", images: [{ data: PNG }, { imageUrl: url }] }).catch(
      (err) => err,
    );
    expect(e).toBeInstanceOf(ValidationError);
    expect(e.issues).toEqual([
      {
        field: "images[1].image_url",
        value: url,
        rule: expect.stringMatching(
          /provider w \(profile wellapi\) does not take the JSON edit form: send the image as a file/,
        ),
      },
    ]);
    // a config that says its API takes it is believed
    const req = await buildEditRequest({ ...wellapi, jsonEdits: true }, { prompt: "x", images: [{ imageUrl: url }] });
    expect(JSON.parse(await req.text()).images).toEqual([{ image_url: url }]);
  });

  it("refuses references for dall-e-2 (the spec: JSON edits take GPT image models only)", async () => {
    const e = await buildEditRequest(openai, { prompt: "x", model: "dall-e-2", images: [{ imageUrl: url }] }).catch(
      (err) => err,
    );
    expect(e.issues[0]).toMatchObject({
      field: "images[0].image_url",
      rule: expect.stringMatching(/GPT image models only/),
    });
  });

  it.each([
    [{ imageUrl: "http://images.example.com/a.png?sig=user:pw" }, "images[0].image_url", /https URL or a data URL/],
    [{ imageUrl: "ftp://user:pw@x/a.png?token=1" }, "images[0].image_url", /https URL or a data URL/],
    [{ imageUrl: "https://user:pw@x.example/a.png" }, "images[0].image_url", /credentials/],
    [{ imageUrl: "not a url?X-Amz-Signature=user:pw" }, "images[0].image_url", /https URL or a data URL/],
    [{ imageUrl: url, fileId: "file-1" }, "images[0]", /exactly one of image_url or file_id/],
    [{ fileId: "" }, "images[0].file_id", /File API id/],
    [{ imageUrl: "data:image/png;base64,%%%" }, "images[0].image_url", /valid base64/],
    [{ imageUrl: "data:image/png;base64,R0lGODlhAQABAAAAACw=" }, "images[0].image_url", /must be PNG, JPEG or WebP/],
  ])("validates the reference %j, naming %s", async (ref, field, rule) => {
    const e = await buildEditRequest(openai, { prompt: "x", images: [ref] }).catch((err) => err);
    expect(e).toBeInstanceOf(ValidationError);
    expect(e.issues).toEqual([expect.objectContaining({ field, rule: expect.stringMatching(rule) })]);
    expect(e.message).not.toContain("user:pw");
    expect(JSON.stringify(e.issues)).not.toContain("user:pw");
  });

  it("refuses more references than the model takes", async () => {
    const images = Array.from({ length: 17 }, () => ({ imageUrl: url }));
    const e = await buildEditRequest(openai, { prompt: "x", images }).catch((err) => err);
    expect(e.issues).toEqual([{ field: "image", value: "17 images", rule: "at most 16 input images for gpt-image-2" }]);
  });

  it("puts https URLs straight into a chat message's image_url parts", async () => {
    const chat: ProviderConfig = { name: "c", profile: "chat", baseUrl: "https://relay.example/v1", apiKey: KEY };
    const body = JSON.parse(await (await buildEditRequest(chat, { prompt: "x", images: [{ imageUrl: url }] })).text());
    expect(body.messages[0].content[1]).toEqual({ type: "image_url", image_url: { url } });
    const e = await buildEditRequest(chat, { prompt: "x", images: [{ fileId: "file-1" }] }).catch((err) => err);
    expect(e.issues[0].rule).toMatch(/chat protocol, which takes image URLs but no file ids/);
  });
});

describe("skipModelRules: the provider decides what gptimg's model table refuses", () => {
  it("sends a size, prompt and n the table refuses, and says whose rule it was without it", async () => {
    const opts = { prompt: "x", model: "gpt-image-1", size: "2048x2048" };
    const e = (() => {
      try {
        buildGenerateRequest(openai, opts);
      } catch (err) {
        return err as ValidationError;
      }
    })();
    expect(e?.issues[0]?.rule).toMatch(/gptimg's model table; skipModelRules lets the provider decide/);
    const body = JSON.parse(await buildGenerateRequest(openai, { ...opts, skipModelRules: true, n: 3 }).text());
    expect(body).toMatchObject({ model: "gpt-image-1", size: "2048x2048", n: 3 });
    const dalle = JSON.parse(
      await buildGenerateRequest(openai, {
        prompt: "y".repeat(5000),
        model: "dall-e-3",
        n: 2,
        skipModelRules: true,
      }).text(),
    );
    expect(dalle).toMatchObject({ n: 2 });
  });

  it("still applies the spec's own limits", () => {
    expect(() => buildGenerateRequest(openai, { prompt: "x", n: 11, skipModelRules: true })).toThrow(
      /n 11: must be an integer from 1 to 10/,
    );
  });
});

describe("per-model rules as the spec states them", () => {
  const image = { data: png(8, 8) };
  it.each([
    ["gpt-image-1", true],
    ["gpt-image-1.5", true],
    ["gpt-image-1-mini", false],
    ["gpt-image-2", false],
  ])("input_fidelity on %s: sent %s, else reported by unsentOptions", async (model, sent) => {
    const opts = { prompt: "x", model, images: [image], inputFidelity: "high" as const };
    const form = await (await buildEditRequest(openai, opts)).formData();
    expect(form.get("input_fidelity")).toBe(sent ? "high" : null);
    const unsent = unsentOptions(model, opts, "multipart").filter((u) => u.field === "input_fidelity");
    expect(unsent).toEqual(
      sent ? [] : [{ field: "input_fidelity", value: "high", reason: expect.stringContaining(model) }],
    );
  });

  it("sends background transparent on gpt-image-2 (in preview per the spec: the provider decides)", async () => {
    const b = await buildGenerateRequest(openai, { prompt: "x", background: "transparent" }).json();
    expect(b.background).toBe("transparent");
  });

  it("takes partial_images without stream (the spec knows no such error)", async () => {
    const b = await buildGenerateRequest(openai, { prompt: "x", partialImages: 2 }).json();
    expect(b.partial_images).toBe(2);
  });
});
