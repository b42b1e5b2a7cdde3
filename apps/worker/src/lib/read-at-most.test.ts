import { afterEach, describe, expect, it, vi } from "vitest";
import { fetchBytes, PlatformApiError } from "../webhooks/http.ts";
import { readAtMost } from "./read-at-most.ts";

/** A stream of `chunks` that records whether it was cancelled. */
function chunked(chunks: number[]) {
  let cancelled = false;
  let i = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      const n = chunks[i];
      if (n === undefined) return controller.close();
      controller.enqueue(new Uint8Array(n).fill(i + 1));
      i += 1;
    },
    cancel() {
      cancelled = true;
    },
  });
  return { stream, cancelled: () => cancelled, pulled: () => i };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("readAtMost", () => {
  it.each<[string, number[], number]>([
    ["empty", [], 0],
    ["one chunk", [5], 5],
    ["several chunks up to the limit exactly", [3, 4, 3], 10],
  ])("returns %s whole, in order", async (_n, sizes, max) => {
    const { stream, cancelled } = chunked(sizes);
    const bytes = await readAtMost(stream, max);
    expect(bytes).toEqual(Uint8Array.from(sizes.flatMap((n, i) => Array<number>(n).fill(i + 1))));
    expect(cancelled()).toBe(false);
  });

  it("stops at the chunk that passes the limit, cancels the stream and answers null", async () => {
    const { stream, cancelled, pulled } = chunked([4, 4, 4, 4, 4]);
    expect(await readAtMost(stream, 9)).toBeNull();
    expect(cancelled()).toBe(true);
    expect(pulled()).toBeLessThan(5);
  });
});

describe("fetchBytes", () => {
  const answer = (body: ReadableStream<Uint8Array>, headers: Record<string, string> = {}) =>
    vi.spyOn(globalThis, "fetch").mockResolvedValue(new Response(body, { headers }));
  const get = (max: number) => fetchBytes("slack", "file download", new Request("http://127.0.0.1:9/f"), max);

  it("returns a chunked download under the limit byte for byte", async () => {
    answer(chunked([3, 2]).stream);
    expect(await get(5)).toEqual(Uint8Array.of(1, 1, 1, 2, 2));
  });

  it.each<[string, number[], Record<string, string>, string]>([
    ["declared", [1], { "content-length": "100" }, "file is 100 bytes, over the 10-byte limit"],
    ["chunked", [6, 6, 6], {}, "file is over the 10-byte limit"],
  ])("refuses a %s body over the limit, not to be retried", async (_n, sizes, headers, detail) => {
    const body = chunked(sizes);
    answer(body.stream, headers);
    const err = await get(10).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PlatformApiError);
    expect(err).toMatchObject({ platform: "slack", retryable: false, detail });
    expect(body.cancelled()).toBe(true);
  });
});
