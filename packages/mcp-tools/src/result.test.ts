import { encodeBase64 } from "@gptimg/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fileUri, type ImageOutcome, imageResult, MIN_RESULT_CAP } from "./result.ts";

const size = (v: unknown) => new TextEncoder().encode(JSON.stringify(v)).length;

function outcome(sizes: number[]): ImageOutcome {
  return {
    status: "succeeded",
    provider: "default",
    model: "gpt-image-2",
    requestId: "req_1",
    usage: { inputTokens: 10, outputTokens: 20, totalTokens: 30 },
    costUsd: 0.01,
    images: sizes.map((bytes, i) => ({
      path: `/tmp/out/image ${i}.png`,
      width: 1024,
      height: 1024,
      format: "png",
      bytes,
    })),
    readImage: async (i) => new Uint8Array(sizes[i] ?? 0).fill(7),
  };
}

describe("imageResult", () => {
  it("adds previews in order while the result fits, and says how many", async () => {
    const r = await imageResult(outcome([1000, 900_000, 2000]), 1024 * 1024);
    expect(r.content.filter((c) => c.type === "image")).toHaveLength(2);
    expect(r.structuredContent).toMatchObject({ previews: 2 });
    expect(size(r)).toBeLessThanOrEqual(1024 * 1024 - 256);
  });

  it("never exceeds the cap, whatever the images and the cap", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 40_000 }), { minLength: 0, maxLength: 10 }),
        fc.integer({ min: MIN_RESULT_CAP, max: 200_000 }),
        async (sizes, cap) => {
          const r = await imageResult(outcome(sizes), cap);
          expect(size(r)).toBeLessThanOrEqual(cap);
          const previews = r.content.filter((c) => c.type === "image").length;
          expect((r.structuredContent as { previews: number }).previews).toBe(previews);
        },
      ),
      { numRuns: 50 },
    );
  });

  it("skips a preview whose bytes changed on disk since the image was saved", async () => {
    const o = outcome([100]);
    o.readImage = async () => new Uint8Array(99);
    expect((await imageResult(o)).content.some((c) => c.type === "image")).toBe(false);
  });

  it("an image saved nowhere is inline whatever the cap, its only copy, with no uri or link", async () => {
    const o = outcome([1000, 60_000]);
    o.images[1] = { width: 1024, height: 1024, format: "png", bytes: 60_000, unsaved: true };
    const r = await imageResult(o, MIN_RESULT_CAP);
    const inline = r.content.filter((c) => c.type === "image");
    // the first image's preview fits the cap; the second goes in although it does not
    expect(inline).toHaveLength(2);
    expect(size(r)).toBeGreaterThan(MIN_RESULT_CAP);
    expect(inline[1]).toMatchObject({ data: encodeBase64(new Uint8Array(60_000).fill(7)) });
    expect(r.content.filter((c) => c.type === "resource_link")).toHaveLength(1);
    const images = (r.structuredContent as { images: Record<string, unknown>[] }).images;
    expect(images[1]).toEqual({
      unsaved: true,
      width: 1024,
      height: 1024,
      format: "png",
      mime_type: "image/png",
      bytes: 60_000,
    });
    expect(r.content).toContainEqual({
      type: "text",
      text: "image 2 of 2: saved nowhere; its only copy is the image content of this result (1024x1024 png, 60000 bytes)",
    });
  });

  it("answers a job still running with its id and what to call", async () => {
    const r = await imageResult({ status: "running", jobId: "job_1", images: [] });
    expect(r.structuredContent).toMatchObject({ status: "running", job_id: "job_1", images: [] });
    expect(r.content[0]).toMatchObject({ type: "text", text: expect.stringContaining('get_job with id "job_1"') });
  });
});

describe("fileUri", () => {
  it.each([
    ["/tmp/a b.png", "file:///tmp/a%20b.png"],
    ["/tmp/100%#.png", "file:///tmp/100%25%23.png"],
    ["C:\\Users\\me\\x.png", "file:///C:/Users/me/x.png"],
    ["/tmp/图.png", "file:///tmp/%E5%9B%BE.png"],
  ])("%s → %s", (path, uri) => {
    expect(fileUri(path)).toBe(uri);
    expect(decodeURIComponent(new URL(uri).pathname).replace(/^\/([A-Z]:)/, "$1")).toBe(path.replace(/\\/g, "/"));
  });
});
