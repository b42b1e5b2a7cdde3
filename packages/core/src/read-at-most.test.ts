import { describe, expect, it } from "vitest";
import { readAtMost } from "./read-at-most.ts";

/** A body that sends `first` and then nothing, never closing; `cancelled` resolves with the reason it is cancelled with. */
function stalling(first: Uint8Array) {
  let cancelled!: (reason: unknown) => void;
  const reason = new Promise<unknown>((r) => {
    cancelled = r;
  });
  const body = new ReadableStream<Uint8Array>({
    start: (c) => c.enqueue(first),
    cancel: (r) => cancelled(r),
  });
  return { body, reason };
}

describe("readAtMost", () => {
  it("reads a stream whole, or answers null past max", async () => {
    const body = () => new Blob([new Uint8Array([1, 2]), new Uint8Array([3])]).stream();
    expect(await readAtMost(body(), 3)).toEqual(new Uint8Array([1, 2, 3]));
    expect(await readAtMost(body(), 2)).toBeNull();
  });

  it("stops a body that stalls once the signal aborts: the stream is cancelled and the reason thrown", async () => {
    const { body, reason } = stalling(new Uint8Array([1, 2]));
    const stop = new AbortController();
    const read = readAtMost(body, 100, stop.signal);
    const why = new Error("too slow");
    stop.abort(why);
    await expect(read).rejects.toBe(why);
    expect(await reason).toBe(why);
  });

  it("reads nothing with a signal already aborted", async () => {
    const { body, reason } = stalling(new Uint8Array([1]));
    const why = new Error("gone");
    await expect(readAtMost(body, 100, AbortSignal.abort(why))).rejects.toBe(why);
    expect(await reason).toBe(why);
  });
});
