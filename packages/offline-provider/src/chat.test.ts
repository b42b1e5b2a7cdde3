import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOfflineProvider } from "./server.ts";
import { decoded, pngBytes, postJson } from "./test-support.ts";
import type { OfflineProvider } from "./types.ts";

let provider: OfflineProvider;
beforeAll(async () => {
  provider = await startOfflineProvider();
});
afterAll(() => provider.close());

interface Completion {
  object: string;
  choices: Array<{ message: { role: string; content: string; images: Array<{ image_url: { url: string } }> } }>;
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}
const chat = async (body: Record<string, unknown>) => {
  const res = await postJson(`${provider.url}/chat/completions`, body);
  return { status: res.status, body: (await res.json()) as Completion & { error?: { param: string; code: string } } };
};
const dataUrlBytes = (url: string) => url.replace(/^data:image\/\w+;base64,/, "");

describe("POST /v1/chat/completions", () => {
  it("returns the image as a markdown data URL and in message.images", async () => {
    const { status, body } = await chat({
      model: "gpt-image-2",
      messages: [{ role: "user", content: "a red balloon" }],
    });
    expect(status).toBe(200);
    expect(body.object).toBe("chat.completion");
    const message = body.choices[0]!.message;
    expect(message.role).toBe("assistant");
    const md = /!\[image\]\((data:image\/png;base64,[^)]+)\)/.exec(message.content);
    expect(md).not.toBeNull();
    expect(message.images[0]!.image_url.url).toBe(md![1]);
    expect(await decoded(dataUrlBytes(md![1]!))).toMatchObject({ format: "png", width: 1024, height: 1024 });
    expect(body.usage.completion_tokens).toBe(1056);
  });

  it("edits an image passed as a data URL part, keeping its size", async () => {
    const input = Buffer.from(await pngBytes(768, 1024)).toString("base64");
    const { status, body } = await chat({
      messages: [
        { role: "system", content: "you draw" },
        {
          role: "user",
          content: [
            { type: "text", text: "make it night" },
            { type: "image_url", image_url: { url: `data:image/png;base64,${input}` } },
          ],
        },
      ],
    });
    expect(status).toBe(200);
    expect(await decoded(dataUrlBytes(body.choices[0]!.message.images[0]!.image_url.url))).toMatchObject({
      width: 768,
      height: 1024,
    });
    expect(provider.requests.at(-1)?.fields.messages).toBeDefined();
    expect(JSON.stringify(provider.requests.at(-1)?.fields).length).toBeLessThan(2000);
  });

  it.each([
    ["no messages", {}, "messages", "missing_required_parameter"],
    ["no user message", { messages: [{ role: "system", content: "x" }] }, "messages", "invalid_value"],
    ["an empty prompt", { messages: [{ role: "user", content: "" }] }, "prompt", "missing_required_parameter"],
    [
      "a remote image URL",
      { messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "https://x/y.png" } }] }] },
      "messages",
      "invalid_image_url",
    ],
    ["a forbidden prompt", { messages: [{ role: "user", content: "forbidden-content" }] }, null, "moderation_blocked"],
  ])("rejects %s", async (_name, body, param, code) => {
    const res = await chat(body);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ param, code });
  });
});
