import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOfflineProvider } from "./server.ts";
import { decoded, postJson } from "./test-support.ts";
import type { OfflineProvider } from "./types.ts";

let provider: OfflineProvider;
beforeAll(async () => {
  provider = await startOfflineProvider();
});
afterAll(() => provider.close());

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field
const generate = async (body: Record<string, unknown>, path = "/images/generations"): Promise<any> => {
  const res = await postJson(`${provider.url}${path}`, body);
  expect(res.status).toBe(200);
  return res.json();
};

describe("POST /v1/images/generations", () => {
  it.each([
    ["png", "1024x1024"],
    ["jpeg", "1536x1024"],
    ["webp", "1024x1536"],
    ["png", "3840x2160"],
    ["jpeg", "2160x3840"],
    ["webp", "2048x1152"],
    ["png", "1280x720"],
  ])("returns a real %s image of %s", async (format, size) => {
    const body = await generate({ model: "gpt-image-2", prompt: "a lighthouse", size, output_format: format });
    expect(body).toMatchObject({ output_format: format, size, background: "opaque", quality: "medium" });
    expect(body.data).toHaveLength(1);
    const [w, h] = size.split("x").map(Number);
    expect(await decoded(body.data[0].b64_json)).toMatchObject({ format, width: w, height: h, hasAlpha: false });
  });

  it("defaults to a 1024x1024 png and treats size auto the same", async () => {
    for (const body of [{ prompt: "sea" }, { prompt: "sea", size: "auto" }]) {
      const res = await generate(body);
      expect(res.size).toBe("1024x1024");
      expect(await decoded(res.data[0].b64_json)).toMatchObject({ format: "png", width: 1024, height: 1024 });
    }
  });

  it("accepts WellAPI's `format` as an alias of output_format", async () => {
    const res = await generate({ prompt: "大海", format: "jpeg", quality: "low" });
    expect(res.output_format).toBe("jpeg");
    expect((await decoded(res.data[0].b64_json)).format).toBe("jpeg");
  });

  it.each(["png", "webp"])("gives %s an alpha channel for a transparent background (gpt-image-1)", async (format) => {
    const res = await generate({
      model: "gpt-image-1",
      prompt: "logo",
      background: "transparent",
      output_format: format,
    });
    expect(res.background).toBe("transparent");
    expect(await decoded(res.data[0].b64_json)).toMatchObject({ format, hasAlpha: true });
  });

  it("returns n different images", async () => {
    const res = await generate({ prompt: "three cats", n: 3, quality: "low" });
    expect(res.data).toHaveLength(3);
    expect(new Set(res.data.map((d: { b64_json: string }) => d.b64_json)).size).toBe(3);
  });

  it("draws a pattern that depends on the prompt", async () => {
    const a = await generate({ prompt: "a red fox" });
    const b = await generate({ prompt: "a red fox" });
    const c = await generate({ prompt: "a blue whale" });
    expect(a.data[0].b64_json).toBe(b.data[0].b64_json);
    expect(a.data[0].b64_json).not.toBe(c.data[0].b64_json);
  });

  it.each([
    ["low", "1024x1024", 272],
    ["medium", "1024x1024", 1056],
    ["high", "1024x1024", 4160],
    ["high", "2048x2048", 16640],
    ["auto", "1024x1024", 1056],
  ])("reports usage for quality %s at %s", async (quality, size, output) => {
    const res = await generate({ prompt: "a small red boat on a lake", quality, size, n: 2 });
    expect(res.usage).toEqual({
      input_tokens: 7,
      input_tokens_details: { text_tokens: 7, image_tokens: 0 },
      output_tokens: output * 2,
      total_tokens: 7 + output * 2,
    });
  });

  it("serves response_format url from /v1/files on the same server", async () => {
    const res = await generate({ prompt: "a kite", response_format: "url", output_format: "webp" });
    const url: string = res.data[0].url;
    expect(url.startsWith(`${provider.url}/files/`)).toBe(true);
    expect(res.data[0].b64_json).toBeUndefined();
    const file = await fetch(url);
    expect(file.status).toBe(200);
    expect(file.headers.get("content-type")).toBe("image/webp");
    expect(await decoded(new Uint8Array(await file.arrayBuffer()))).toMatchObject({ format: "webp", width: 1024 });
    expect((await fetch(`${provider.url}/files/file-nope.png`)).status).toBe(404);
  });

  it("adds revised_prompt for dall-e-3 and omits gpt-image fields", async () => {
    const res = await generate({ model: "dall-e-3", prompt: "a castle", size: "1792x1024", quality: "hd" });
    expect(res.data[0].revised_prompt).toContain("a castle");
    expect(res.usage).toBeUndefined();
    expect(await decoded(res.data[0].b64_json)).toMatchObject({ width: 1792, height: 1024 });
  });

  it.each([
    ["/content/models/canvas-20/generations", {}],
    ["/custom/anything/generations", { model: "gpt-image-2" }],
  ])("accepts the custom path %s", async (path, extra) => {
    const res = await generate({ prompt: "cat with coffee", size: "1024x1536", ...extra }, path);
    expect(await decoded(res.data[0].b64_json)).toMatchObject({ width: 1024, height: 1536 });
    expect(provider.requests.at(-1)?.path).toBe(`/v1${path}`);
  });

  it("answers with an x-request-id", async () => {
    const res = await postJson(`${provider.url}/images/generations`, { prompt: "id" });
    expect(res.headers.get("x-request-id")).toMatch(/^req_[0-9a-f]{24}$/);
  });
});
