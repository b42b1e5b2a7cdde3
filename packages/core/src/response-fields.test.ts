import { describe, expect, it } from "vitest";
import { readBody } from "./response-fields.ts";

/** A byte stream (as fetch bodies are) that has queued `pieces` before the first read. */
function queuedByteStream(pieces: Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    type: "bytes",
    start(controller) {
      for (const p of pieces) controller.enqueue(p.slice());
      controller.close();
    },
  });
}

const piece = (n: number, fill: number) => new Uint8Array(n).fill(fill);

describe("readBody", () => {
  it("reads a byte stream in 64 KiB reads, not in the pieces it received", async () => {
    const pieces = Array.from({ length: 300 }, (_, i) => piece(4096, i & 255));
    const got: Uint8Array[] = [];
    for await (const c of readBody(queuedByteStream(pieces))) got.push(c);
    expect(got.length).toBe(Math.ceil((300 * 4096) / 65536));
    expect(got.slice(0, -1).every((c) => c.length === 65536)).toBe(true);
    // every byte in order: piece i holds the value i & 255
    let at = 0;
    const wrong: number[] = [];
    for (const c of got) {
      for (let k = 0; k < c.length; k += 512) if (c[k] !== ((at + k) >> 12) % 256) wrong.push(at + k);
      at += c.length;
    }
    expect(at).toBe(300 * 4096);
    expect(wrong).toEqual([]);
  });

  it("yields a trickle's small reads as copies of their own size", async () => {
    let sent = 0;
    const body = new ReadableStream({
      type: "bytes",
      async pull(controller: ReadableByteStreamController) {
        if (sent === 5) {
          controller.close();
          // a read waiting with its buffer learns of the end this way (the Streams spec's close)
          controller.byobRequest?.respond(0);
          return;
        }
        await new Promise((r) => setTimeout(r, 1));
        controller.enqueue(piece(100, ++sent));
      },
    });
    const got: Uint8Array[] = [];
    for await (const c of readBody(body)) got.push(c);
    expect(got.map((c) => [c.length, c.buffer.byteLength, c[0]])).toEqual([1, 2, 3, 4, 5].map((k) => [100, 100, k]));
  });

  it("reads any other stream chunk by chunk", async () => {
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(piece(10, 1));
        controller.enqueue(new Uint8Array(0));
        controller.enqueue(piece(20, 2));
        controller.close();
      },
    });
    const got: number[] = [];
    for await (const c of readBody(body)) got.push(c.length);
    expect(got).toEqual([10, 20]);
  });

  it("cancels a byte stream its reader leaves early", async () => {
    let cancelled: unknown;
    const body = new ReadableStream({
      type: "bytes",
      pull(controller: ReadableByteStreamController) {
        controller.enqueue(piece(1000, 7));
      },
      cancel(reason) {
        cancelled = reason ?? "cancelled";
      },
    });
    for await (const c of readBody(body)) {
      expect(c.length).toBe(1000);
      break;
    }
    expect(cancelled).toBeDefined();
  });
});
