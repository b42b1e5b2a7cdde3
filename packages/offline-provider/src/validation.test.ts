import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOfflineProvider } from "./server.ts";
import { postJson } from "./test-support.ts";
import type { OfflineProvider } from "./types.ts";

let provider: OfflineProvider;
beforeAll(async () => {
  provider = await startOfflineProvider();
});
afterAll(() => provider.close());

describe("generation validation", () => {
  it.each([
    ["missing prompt", {}, "prompt", "missing_required_parameter", /Missing required parameter: 'prompt'/],
    ["empty prompt", { prompt: "" }, "prompt", "missing_required_parameter", /prompt/],
    ["prompt not a string", { prompt: 42 }, "prompt", "invalid_type", /expected a string/],
    ["n = 0", { prompt: "x", n: 0 }, "n", "integer_below_min_value", />= 1, but got 0/],
    ["n = 11", { prompt: "x", n: 11 }, "n", "integer_above_max_value", /<= 10, but got 11/],
    ["n fractional", { prompt: "x", n: 1.5 }, "n", "invalid_type", /integer/],
    ["dall-e-3 n = 2", { model: "dall-e-3", prompt: "x", n: 2 }, "n", "integer_above_max_value", /at most n=1/],
    ["size not multiple of 16", { prompt: "x", size: "1000x1000" }, "size", "invalid_size", /multiples of 16/],
    ["size side > 3840", { prompt: "x", size: "4096x1024" }, "size", "invalid_size", /at most 3840/],
    ["size ratio > 3", { prompt: "x", size: "3840x1152" }, "size", "invalid_size", /3:1/],
    ["too few pixels", { prompt: "x", size: "512x512" }, "size", "invalid_size", /between 655360 and 8294400/],
    ["too many pixels", { prompt: "x", size: "3840x2400" }, "size", "invalid_size", /between 655360 and 8294400/],
    ["size garbage", { prompt: "x", size: "big" }, "size", "invalid_value", /WIDTHxHEIGHT/],
    [
      "gpt-image-1 custom size",
      { model: "gpt-image-1", prompt: "x", size: "2048x2048" },
      "size",
      "invalid_value",
      /'1024x1024'/,
    ],
    ["dall-e-3 size", { model: "dall-e-3", prompt: "x", size: "1536x1024" }, "size", "invalid_value", /'1792x1024'/],
    [
      "unknown quality",
      { prompt: "x", quality: "ultra" },
      "quality",
      "invalid_value",
      /'low', 'medium', 'high', 'auto'/,
    ],
    [
      "unknown output_format",
      { prompt: "x", output_format: "gif" },
      "output_format",
      "invalid_value",
      /'png', 'jpeg', 'webp'/,
    ],
    ["unknown format alias", { prompt: "x", format: "jpg" }, "output_format", "invalid_value", /'jpg'/],
    ["unknown background", { prompt: "x", background: "clear" }, "background", "invalid_value", /'transparent'/],
    [
      "transparent on gpt-image-2",
      { prompt: "x", background: "transparent" },
      "background",
      "unsupported_value",
      /not supported for gpt-image-2/,
    ],
    [
      "transparent jpeg",
      { model: "gpt-image-1", prompt: "x", background: "transparent", output_format: "jpeg" },
      "background",
      "unsupported_value",
      /'png' or 'webp'/,
    ],
    [
      "compression with png",
      { prompt: "x", output_compression: 50 },
      "output_compression",
      "unsupported_value",
      /not 'png'/,
    ],
    [
      "compression > 100",
      { prompt: "x", output_format: "jpeg", output_compression: 101 },
      "output_compression",
      "integer_above_max_value",
      /<= 100/,
    ],
    [
      "partial_images 4",
      { prompt: "x", stream: true, partial_images: 4 },
      "partial_images",
      "integer_above_max_value",
      /<= 3/,
    ],
    ["bad response_format", { prompt: "x", response_format: "file" }, "response_format", "invalid_value", /'url'/],
    ["bad moderation", { prompt: "x", moderation: "none" }, "moderation", "invalid_value", /'low', 'auto'/],
  ])("rejects %s", async (_name, body, param, code, message) => {
    const res = await postJson(`${provider.url}/images/generations`, body);
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: Record<string, unknown> };
    expect(error).toMatchObject({ type: "invalid_request_error", param, code });
    expect(error.message).toMatch(message);
  });

  it("refuses a prompt with the forbidden word like the safety system", async () => {
    const res = await postJson(`${provider.url}/images/generations`, { prompt: "draw forbidden-content please" });
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: Record<string, unknown> };
    expect(error).toMatchObject({ code: "moderation_blocked", type: "image_generation_user_error" });
    expect(error.message).toMatch(/safety system/);
  });

  it("rejects a body that is not JSON", async () => {
    const res = await fetch(`${provider.url}/images/generations`, { method: "POST", body: "{nope" });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/could not parse the JSON/);
  });

  it.each([
    ["a legal custom size", { prompt: "x", size: "1920x1088" }],
    ["the largest size", { prompt: "x", size: "3840x2160" }],
    ["the smallest pixel count", { prompt: "x", size: "1024x640" }],
    ["ratio exactly 3", { prompt: "x", size: "2304x768" }],
  ])("accepts %s", async (_name, body) => {
    const res = await postJson(`${provider.url}/images/generations`, body);
    expect(res.status).toBe(200);
  });
});
