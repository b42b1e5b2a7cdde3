import { type OfflineProvider, startOfflineProvider } from "@gptimg/offline-provider";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeBase64 } from "./base64.ts";
import { createImageClient } from "./client.ts";

const KEY = "sk-canary-tap-123";
let p: OfflineProvider;
beforeAll(async () => {
  p = await startOfflineProvider({ apiKey: KEY });
});
afterAll(() => p.close());

describe("ClientOptions.onImageBase64", () => {
  it("hands over each image's base64 before the image it decodes to", async () => {
    const text = new Map<number, string>();
    const dec = new TextDecoder();
    const log: string[] = [];
    const client = createImageClient({
      providers: [{ name: "primary", profile: "openai", baseUrl: `${p.url}/v1`, apiKey: KEY }],
      onImageBase64: (index, t) => {
        if (!text.has(index)) log.push(`text ${index}`);
        text.set(index, (text.get(index) ?? "") + dec.decode(t));
      },
    });
    for await (const ev of client.generateStream({ prompt: "a lighthouse", size: "1024x640", n: 2 })) {
      if (ev.type !== "image") continue;
      log.push(`image ${ev.image.index}`);
      expect(text.get(ev.image.index)).toBe(encodeBase64(ev.image.bytes));
    }
    expect(log).toEqual(["text 0", "image 0", "text 1", "image 1"]);
  });

  it("is not called for an SSE answer", async () => {
    let calls = 0;
    const client = createImageClient({
      providers: [{ name: "primary", profile: "openai", baseUrl: `${p.url}/v1`, apiKey: KEY }],
      onImageBase64: () => {
        calls++;
      },
    });
    const r = await client.generate({ prompt: "a lighthouse", size: "1024x640", stream: true, partialImages: 1 });
    expect(r.images).toHaveLength(1);
    expect(calls).toBe(0);
  });
});
