import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeBase64 } from "./base64.ts";
import { AbortedError, BadResponseError } from "./errors/index.ts";
import type { ImageSink } from "./image-sink.ts";
import { readImagesResponse, type SinkResponsePart } from "./read-images.ts";

const enc = new TextEncoder();

/** A body that delivers `text` cut at the given points; `log` records each read. */
const bodyOf = (text: string, at: number[] = [], log: string[] = []): ReadableStream<Uint8Array> => {
  const bytes = enc.encode(text);
  const points = [...new Set(at.map((a) => a % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let prev = 0;
  for (const p of [...points, bytes.length]) {
    if (p > prev) chunks.push(bytes.slice(prev, p));
    prev = p;
  }
  // no read-ahead: a chunk is pulled only when the reader asks for one
  return new ReadableStream(
    {
      pull(c) {
        log.push("read");
        const next = chunks.shift();
        if (next) c.enqueue(next);
        else c.close();
      },
    },
    { highWaterMark: 0 },
  );
};

/** A sink that records what it received and every call, in order. */
class RecordingSink implements ImageSink {
  readonly chunks: Uint8Array[] = [];
  readonly calls: string[] = [];
  abortReason: unknown;
  write(chunk: Uint8Array): void {
    this.calls.push("write");
    this.chunks.push(chunk);
  }
  close(): void {
    this.calls.push("close");
  }
  abort(reason: unknown): void {
    this.calls.push("abort");
    this.abortReason = reason;
  }
  get bytes(): Uint8Array {
    const out = new Uint8Array(this.chunks.reduce((n, c) => n + c.length, 0));
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}

const imagesDoc = (images: Uint8Array[], escapeSlash = false): string => {
  const data = images.map((img, i) => {
    const b64 = encodeBase64(img);
    return `{"b64_json":"${escapeSlash ? b64.replaceAll("/", "\\/") : b64}","revised_prompt":"take ${i}"}`;
  });
  return `{"created":7,"data":[${data.join(",")}]}`;
};

describe("readImagesResponse with a sink", () => {
  it("sends exactly each image's bytes to its own sink under random chunking, then closes it", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uint8Array({ maxLength: 9000 }), { minLength: 1, maxLength: 4 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        fc.boolean(),
        async (images, at, escapeSlash) => {
          const sinks: RecordingSink[] = [];
          const parts: SinkResponsePart[] = [];
          const sink = (index: number) => {
            sinks[index] = new RecordingSink();
            return sinks[index];
          };
          for await (const p of readImagesResponse(bodyOf(imagesDoc(images, escapeSlash), at), { sink })) parts.push(p);
          expect(sinks.map((s) => s.bytes)).toEqual(images);
          for (const s of sinks) expect(s.calls.filter((c) => c !== "write")).toEqual(["close"]);
          expect(sinks.every((s) => s.calls.at(-1) === "close")).toBe(true);
          expect(parts).toEqual([
            ...images.map((img, index) => ({
              kind: "image",
              index,
              byteLength: img.length,
              revisedPrompt: `take ${index}`,
            })),
            { kind: "meta", created: 7 },
          ]);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("reads no further chunk while a write is pending", async () => {
    const img = Uint8Array.from({ length: 30000 }, (_, i) => (i * 13) & 255);
    const doc = imagesDoc([img]);
    const log: string[] = [];
    const received: Uint8Array[] = [];
    const sink: ImageSink = {
      write: async (chunk) => {
        log.push("write start");
        received.push(chunk);
        await new Promise((r) => setTimeout(r, 1));
        log.push("write end");
      },
      close: () => {
        log.push("close");
      },
    };
    const at = Array.from({ length: 12 }, (_, k) => 1000 + k * 3000);
    for await (const _ of readImagesResponse(bodyOf(doc, at, log), { sink: () => sink })) {
      // parts are not needed here
    }
    expect(log.filter((e) => e === "write start").length).toBeGreaterThan(5);
    for (let k = 0; k < log.length; k++) {
      if (log[k] === "write start") expect(log[k + 1]).toBe("write end");
    }
    expect(log.filter((e) => e !== "read").at(-1)).toBe("close");
    expect(received.reduce((n, c) => n + c.length, 0)).toBe(img.length);
  });

  it("works with a WritableStream's writer", async () => {
    const img = Uint8Array.from({ length: 5000 }, (_, i) => (i * 7) & 255);
    const got: Uint8Array[] = [];
    let closed = false;
    const stream = new WritableStream<Uint8Array>({
      write: (c) => {
        got.push(c);
      },
      close: () => {
        closed = true;
      },
    });
    const parts: SinkResponsePart[] = [];
    for await (const p of readImagesResponse(bodyOf(imagesDoc([img]), [100, 2000]), { sink: () => stream.getWriter() }))
      parts.push(p);
    expect(closed).toBe(true);
    expect(Uint8Array.from(got.flatMap((c) => [...c]))).toEqual(img);
    expect(parts[0]).toEqual({ kind: "image", index: 0, byteLength: 5000, revisedPrompt: "take 0" });
  });

  it("aborts the open sink with the error when the base64 is invalid", async () => {
    const good = encodeBase64(new Uint8Array(3000));
    const doc = `{"data":[{"b64_json":"${good.slice(0, 2000)}*${good.slice(2000)}"}]}`;
    const sinks: RecordingSink[] = [];
    const read = async () => {
      for await (const _ of readImagesResponse(bodyOf(doc, [1500]), {
        sink: () => {
          sinks.push(new RecordingSink());
          return sinks.at(-1) as RecordingSink;
        },
      })) {
        // the read fails before any part
      }
    };
    await expect(read()).rejects.toThrow(BadResponseError);
    expect(sinks).toHaveLength(1);
    expect(sinks[0]?.calls.at(-1)).toBe("abort");
    expect(sinks[0]?.calls).not.toContain("close");
    expect(sinks[0]?.abortReason).toBeInstanceOf(BadResponseError);
  });

  it("aborts the open sink when the reader stops early, and leaves closed ones alone", async () => {
    const img = new Uint8Array(4000).fill(9);
    const sinks: RecordingSink[] = [];
    const sink = () => {
      sinks.push(new RecordingSink());
      return sinks.at(-1) as RecordingSink;
    };
    // the first image closes in the same chunk in which the second one starts
    for await (const p of readImagesResponse(bodyOf(imagesDoc([img, img]), [5000, 5500]), { sink })) {
      if (p.kind === "image") break;
    }
    expect(sinks.map((s) => s.calls.filter((c) => c !== "write"))).toEqual([["close"], ["abort"]]);
    expect(sinks[1]?.abortReason).toBeInstanceOf(AbortedError);
  });
});

const dec = new TextDecoder();

/** Reads a body with a tap; returns, in order, what the tap got and which parts came. */
async function tapped(body: ReadableStream<Uint8Array>) {
  const log: string[] = [];
  const text = new Map<number, string>();
  for await (const part of readImagesResponse(body, {
    onBase64: async (index, t) => {
      await Promise.resolve();
      log.push(`text ${index}`);
      text.set(index, (text.get(index) ?? "") + dec.decode(t));
    },
  })) {
    log.push(part.kind === "image" ? `image ${part.index}` : part.kind);
    if (part.kind === "image") expect(encodeBase64(part.bytes)).toBe(text.get(part.index));
  }
  return { log: log.filter((l, i) => l !== log[i - 1]), text };
}

describe("readImagesResponse onBase64", () => {
  it("hands each image's base64 text over before its image part, and before the next image's text", async () => {
    const a = encodeBase64(Uint8Array.from({ length: 3000 }, (_, i) => i * 7));
    const b = encodeBase64(Uint8Array.from({ length: 200 }, (_, i) => 255 - i));
    const json = `{"created":1,"data":[{"b64_json":"${a}","revised_prompt":"x"},{"revised_prompt":"y","b64_json":"${b}"}],"usage":{"input_tokens":1,"output_tokens":2,"total_tokens":3}}`;
    const { log, text } = await tapped(bodyOf(json, [5, 40, 41, 900, 2000, 4100, 4150]));
    expect(log).toEqual(["text 0", "image 0", "text 1", "image 1", "meta"]);
    expect(text.get(0)).toBe(a);
    expect(text.get(1)).toBe(b);
  });

  it("passes an escaped slash on as the slash itself", async () => {
    const bytes = Uint8Array.from({ length: 90 }, (_, i) => (i * 37) % 256);
    const b64 = encodeBase64(bytes);
    expect(b64).toContain("/");
    const { text } = await tapped(bodyOf(`{"data":[{"b64_json":"${b64.replaceAll("/", "\\/")}"}]}`, [17, 30]));
    expect(text.get(0)).toBe(b64);
  });

  it("the text is the base64 whatever the chunking (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 1, maxLength: 600 }),
        fc.array(fc.nat(1000), { maxLength: 8 }),
        async (bytes, cuts) => {
          const b64 = encodeBase64(bytes);
          const { text } = await tapped(bodyOf(`{"data":[{"b64_json":"${b64}"}],"created":2}`, cuts));
          expect(text.get(0)).toBe(b64);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("text that is not base64 still fails the read", async () => {
    await expect(tapped(bodyOf(`{"data":[{"b64_json":"AAA*"}]}`))).rejects.toBeInstanceOf(BadResponseError);
  });
});
