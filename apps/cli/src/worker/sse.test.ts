import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseSse, type SseMessage } from "./sse.ts";

function streamOf(chunks: string[]): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  return new ReadableStream({
    start(c) {
      for (const ch of chunks) c.enqueue(enc.encode(ch));
      c.close();
    },
  });
}
async function collect(chunks: string[]): Promise<SseMessage[]> {
  const out: SseMessage[] = [];
  for await (const m of parseSse(streamOf(chunks))) out.push(m);
  return out;
}

const TEXT =
  ': comment\r\nevent: status\r\ndata: {"status":"running"}\r\n\r\nevent: done\ndata: {"a":1}\ndata: {"b":2}\n\ndata: plain\r\rid: 7\nevent: x\ndata:no-space\n';

describe("parseSse", () => {
  it("parses events, multi-line data, CRLF/CR/LF and a last event without a blank line", async () => {
    expect(await collect([TEXT])).toEqual([
      { event: "status", data: '{"status":"running"}' },
      { event: "done", data: '{"a":1}\n{"b":2}' },
      { event: "message", data: "plain" },
      { event: "x", data: "no-space", id: "7" },
    ]);
  });

  it("gives the same events however the bytes are split", async () => {
    const whole = await collect([TEXT]);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: TEXT.length }), { maxLength: 12 }), async (cuts) => {
        const points = [...new Set(cuts)].sort((a, b) => a - b);
        const chunks: string[] = [];
        let prev = 0;
        for (const p of [...points, TEXT.length]) {
          chunks.push(TEXT.slice(prev, p));
          prev = p;
        }
        expect(await collect(chunks)).toEqual(whole);
      }),
    );
  });

  it("refuses an endless line", async () => {
    const gen = parseSse(streamOf(["data: ", "x".repeat(2000)]), 1000);
    await expect(gen.next()).rejects.toThrow(/longer than 1000/);
  });
});
