import { toFile } from "openai";
import { describe, expect, it } from "vitest";
import { png } from "../../../../../packages/core/test-fixtures/images.ts";
import { decodeB64, memberToken, providerPerTest } from "../../../test/gateway-support.ts";
import { sdkClient } from "../../../test/sdk-client.ts";

const start = providerPerTest();

/** Width and height of a PNG, from its IHDR. */
const pngSize = (bytes: Uint8Array) => {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return `${view.getUint32(16)}x${view.getUint32(20)}`;
};

// OpenAI's spec (CreateImageRequest, CreateImageEditRequest): "`standard` is the only option for
// `dall-e-2`"; DALL·E clients send it as their default
describe("a DALL·E client through the openai SDK", () => {
  it("generates with dall-e-2 and quality standard", async () => {
    const side = start();
    const { token } = await memberToken({ team: "sdk-dalle2" });
    const res = await sdkClient(token).images.generate({
      model: "dall-e-2",
      prompt: "a lighthouse",
      quality: "standard",
      size: "256x256",
      response_format: "b64_json",
    });
    expect(pngSize(decodeB64(res.data?.[0]?.b64_json ?? ""))).toBe("256x256");
    expect(side.calls).toHaveLength(1);
  });

  it("edits with dall-e-2 and quality standard", async () => {
    start();
    const { token } = await memberToken({ team: "sdk-dalle2" });
    const res = await sdkClient(token).images.edit({
      model: "dall-e-2",
      prompt: "a scarf",
      quality: "standard",
      size: "256x256",
      image: await toFile(png({ width: 64, height: 64, colorType: 6 }), "in.png", { type: "image/png" }),
      response_format: "b64_json",
    });
    expect(pngSize(decodeB64(res.data?.[0]?.b64_json ?? ""))).toBe("256x256");
  });

  // OpenAI's spec: response_format defaults to `url` for dall-e-2 and dall-e-3; GPT image models
  // always answer base64
  it.each<[string, Record<string, unknown>, "url" | "b64_json"]>([
    ["dall-e-3", { model: "dall-e-3", size: "1024x1024" }, "url"],
    ["dall-e-2", { model: "dall-e-2", size: "256x256" }, "url"],
    ["gpt-image-2", { model: "gpt-image-2", size: "1024x1024", quality: "low" }, "b64_json"],
  ])("a %s generation naming no response_format answers as OpenAI does by default", async (_m, body, format) => {
    start();
    const { token } = await memberToken({ team: "sdk-dalle-default" });
    const res = await sdkClient(token).images.generate({ prompt: "a lighthouse", ...body });
    const image = res.data?.[0];
    if (format === "url") {
      expect(image?.url).toMatch(/^https:\/\/gw\.test\/files\//);
      expect(image?.b64_json).toBeUndefined();
    } else {
      expect(decodeB64(image?.b64_json ?? "").length).toBeGreaterThan(0);
      expect(image?.url).toBeUndefined();
    }
  });
});
