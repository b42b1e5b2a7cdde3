import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOfflineProvider } from "./server.ts";
import { decoded, parseSse, postJson } from "./test-support.ts";
import type { OfflineProvider } from "./types.ts";

let provider: OfflineProvider;
beforeAll(async () => {
  provider = await startOfflineProvider({ latencyMs: 60 });
});
afterAll(() => provider.close());

const stream = async (body: Record<string, unknown>, headers: Record<string, string> = {}) => {
  const res = await postJson(
    `${provider.url}/images/generations`,
    { prompt: "stream me", stream: true, ...body },
    headers,
  );
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("text/event-stream");
  return res;
};

describe("streaming generations", () => {
  it.each([0, 1, 2, 3])("sends %i partial images, then the completed image", async (partials) => {
    const events = parseSse(
      await (await stream({ partial_images: partials, size: "1536x1024", output_format: "webp" })).text(),
    );
    expect(events.map((e) => e.event)).toEqual([
      ...Array.from({ length: partials }, () => "image_generation.partial_image"),
      "image_generation.completed",
    ]);
    for (const [i, e] of events.entries()) {
      const data = JSON.parse(e.data);
      expect(data).toMatchObject({
        type: e.event,
        size: "1536x1024",
        output_format: "webp",
        quality: "medium",
        background: "opaque",
      });
      expect(typeof data.created_at).toBe("number");
      if (i < partials) expect(data.partial_image_index).toBe(i);
      expect(await decoded(data.b64_json)).toMatchObject({ format: "webp", width: 1536, height: 1024 });
    }
    const completed = JSON.parse(events.at(-1)!.data);
    expect(completed.usage.output_tokens).toBe(1584);
  });

  it("streams each of n images in turn", async () => {
    const events = parseSse(await (await stream({ n: 2, partial_images: 1, quality: "low" })).text());
    expect(events.map((e) => e.event)).toEqual([
      "image_generation.partial_image",
      "image_generation.completed",
      "image_generation.partial_image",
      "image_generation.completed",
    ]);
  });

  it("delivers a partial image before the final one is ready", async () => {
    const res = await stream({ partial_images: 2 });
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toContain("event: image_generation.partial_image");
    await reader.cancel();
  });

  it("cut drops a stream part-way", async () => {
    const res = await stream({ partial_images: 2 }, { "x-offline-fault": "cut=3000" });
    await expect(res.text()).rejects.toThrow();
  });

  it("invalid-json spoils the completed event", async () => {
    const events = parseSse(await (await stream({ partial_images: 1 }, { "x-offline-fault": "invalid-json" })).text());
    expect(() => JSON.parse(events[0]!.data)).not.toThrow();
    expect(() => JSON.parse(events[1]!.data)).toThrow();
  });

  it("validation errors are plain JSON, not a stream", async () => {
    const res = await postJson(`${provider.url}/images/generations`, { stream: true });
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toContain("application/json");
  });
});
