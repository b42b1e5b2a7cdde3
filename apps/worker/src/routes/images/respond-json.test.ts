/**
 * A streamed `b64_json` answer gathers the provider's base64 into writes of up to 64 KiB: a
 * provider's body arrives in chunks of a few KiB, and writing each one to the response made the
 * body several times slower than its bytes (docs/benchmarks.md, "hot path").
 */
import { describe, expect, it } from "vitest";
import { noisePng } from "../../../../../packages/core/test-fixtures/images.ts";
import { B64JsonStream } from "./respond-json.ts";
import type { RunEvent } from "./run.ts";

const toB64 = (bytes: Uint8Array) => (bytes as unknown as { toBase64(): string }).toBase64();

/** Reads a body to its end, keeping each chunk's size. */
async function chunks(body: ReadableStream<Uint8Array>): Promise<{ text: string; sizes: number[] }> {
  const sizes: number[] = [];
  let text = "";
  const dec = new TextDecoder();
  for await (const c of body as unknown as AsyncIterable<Uint8Array>) {
    sizes.push(c.length);
    text += dec.decode(c, { stream: true });
  }
  return { text, sizes };
}

describe("B64JsonStream", () => {
  it("passes 4 KiB pieces of base64 on in writes of at most 64 KiB, the image's last bytes with it", async () => {
    const image = noisePng(600_000, 7);
    const b64 = new TextEncoder().encode(toB64(image));
    const out = new B64JsonStream(1_700_000_000, { quality: "high" }, new AbortController());
    const piece = 4096;
    let taps = 0;
    async function* run(): AsyncGenerator<RunEvent> {
      // as core's tap calls it while the provider's body is read: views of one reused buffer
      const chunk = new Uint8Array(piece);
      for (let at = 0; at < b64.length; at += piece) {
        const part = b64.subarray(at, at + piece);
        chunk.set(part);
        await out.onBase64(0, chunk.subarray(0, part.length));
        chunk.fill(0x21); // the tap's bytes must have been copied
        taps++;
      }
      yield {
        type: "image",
        image: { index: 0, bytes: image, format: "png", width: 768, height: 768 },
        key: "t/x/k.png",
        stored: new Promise(() => undefined),
      } as RunEvent;
      yield { type: "answered", result: { model: "gpt-image-2", provider: "test", images: 1 } } as unknown as RunEvent;
    }
    const pumped = out.pump(run());
    const [{ text, sizes }] = await Promise.all([chunks(out.body), pumped]);
    const body = JSON.parse(text) as { created: number; data: { b64_json: string }[]; quality: string; size: string };
    expect(body.created).toBe(1_700_000_000);
    expect(body.data).toHaveLength(1);
    expect(body.data[0]?.b64_json).toBe(toB64(image));
    expect(body).toMatchObject({ quality: "high", size: "768x768", output_format: "png" });
    expect(taps).toBe(Math.ceil(b64.length / piece));
    expect(b64.length).toBeGreaterThan(512 * 1024);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(64 * 1024);
    // gathered: one write per 64 KiB (plus the image's tail and the answer's end), not one per tap
    expect(sizes.length).toBeLessThanOrEqual(Math.ceil(text.length / (64 * 1024)) + 2);
  });

  it.each([
    [60, "still holds its status line: the failure is answered with its own", false],
    [68, "has sent its first 64 KiB: the failure cuts the body", true],
  ])("a failure after %i KiB of image text %s", async (kib, _n, sent) => {
    const out = new B64JsonStream(1_700_000_000, {}, new AbortController());
    let ready = false;
    void out.ready.then(() => {
      ready = true;
    });
    const failure = new Error("invalid base64 further on");
    // biome-ignore lint/correctness/useYield: a run that fails while its first image's text is read
    async function* run(): AsyncGenerator<RunEvent> {
      const text = new TextEncoder().encode("A".repeat(1024));
      for (let i = 0; i < kib; i++) await out.onBase64(0, text);
      throw failure;
    }
    const read = chunks(out.body).then(
      () => expect.fail("the body ended"),
      (e: unknown) => e,
    );
    await expect(out.pump(run())).rejects.toBe(failure);
    expect(await read).toBe(failure);
    expect(ready).toBe(sent);
  });
});
