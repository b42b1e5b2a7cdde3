import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeBase64 } from "./base64.ts";
import { BadResponseError } from "./errors/index.ts";
import { parseImageEvents, type SseImageEvent } from "./sse.ts";

const enc = new TextEncoder();
const bodyOf = (text: string, at: number[] = []): ReadableStream<Uint8Array> => {
  const bytes = enc.encode(text);
  const points = [...new Set(at.map((a) => a % (bytes.length + 1))), bytes.length].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let prev = 0;
  for (const p of points) {
    if (p > prev) chunks.push(bytes.slice(prev, p));
    prev = p;
  }
  return new ReadableStream({
    pull(c) {
      const next = chunks.shift();
      if (next) c.enqueue(next);
      else c.close();
    },
  });
};
const collect = async (body: ReadableStream<Uint8Array>): Promise<SseImageEvent[]> => {
  const out: SseImageEvent[] = [];
  for await (const ev of parseImageEvents(body)) out.push(ev);
  return out;
};
const everyByte = (s: string): number[] => [...enc.encode(s).keys()];

const P0 = Uint8Array.from({ length: 90 }, (_, i) => i);
const P1 = Uint8Array.from({ length: 91 }, (_, i) => 255 - i);
const FINAL = Uint8Array.from({ length: 500 }, (_, i) => (i * 13) & 255);
const common =
  '"background":"opaque","created_at":1713833628,"output_format":"png","quality":"high","size":"1024x1024"';
const partial = (type: string, idx: number, img: Uint8Array) =>
  `{"type":"${type}.partial_image",${common},"partial_image_index":${idx},"b64_json":"${encodeBase64(img)}"}`;
const completed = (type: string, img: Uint8Array) =>
  `{"type":"${type}.completed","b64_json":"${encodeBase64(img).replaceAll("/", "\\/")}",${common},"usage":{"input_tokens":50,"output_tokens":4160,"total_tokens":4210,"input_tokens_details":{"image_tokens":40,"text_tokens":10}}}`;
const settings = { outputFormat: "png", size: "1024x1024", quality: "high", background: "opaque" };
const usage = {
  inputTokens: 50,
  outputTokens: 4160,
  totalTokens: 4210,
  inputTokensDetails: { imageTokens: 40, textTokens: 10 },
};

const expectedFor = (final = FINAL): SseImageEvent[] => [
  { type: "partial", index: 0, partialIndex: 0, bytes: P0, ...settings },
  { type: "partial", index: 0, partialIndex: 1, bytes: P1, ...settings },
  { type: "completed", index: 0, bytes: final, usage, ...settings },
];

const stream = (type: string, nl: string) =>
  [
    `: keep-alive comment${nl}`,
    `event: ${type}.partial_image${nl}data: ${partial(type, 0, P0)}${nl}${nl}`,
    `id: 2${nl}retry: 1000${nl}event: ${type}.partial_image${nl}data: ${partial(type, 1, P1)}${nl}${nl}`,
    `event: ${type}.completed${nl}data: ${completed(type, FINAL)}${nl}${nl}`,
    `data: [DONE]${nl}${nl}`,
  ].join("");

describe("parseImageEvents", () => {
  it.each([
    ["image_generation", "\n"],
    ["image_edit", "\r\n"],
    ["image_generation", "\r"],
  ])("reads %s events with %j line ends, whole and byte by byte", async (type, nl) => {
    const text = stream(type, nl);
    expect(await collect(bodyOf(text))).toEqual(expectedFor());
    expect(await collect(bodyOf(text, everyByte(text)))).toEqual(expectedFor());
  });

  it("joins multi-line data with newlines and reads an event type given after the data", async () => {
    // cut between two members: a newline is whitespace there, as JSON.parse would see it
    const json = completed("image_generation", FINAL);
    const cutAt = json.indexOf(",") + 1;
    const [a, b] = [json.slice(0, cutAt), json.slice(cutAt)];
    const text = `data:${a}\ndata\ndata: ${b}\nevent: image_generation.completed\n\n`;
    expect(await collect(bodyOf(text, [3, 50, 60]))).toEqual([
      { type: "completed", index: 0, bytes: FINAL, usage, ...settings },
    ]);
  });

  it("numbers images by completed events and keeps a final event without its blank line", async () => {
    const text = `data: ${completed("image_generation", P0)}\n\ndata: ${completed("image_generation", P1)}\n`;
    const events = await collect(bodyOf(text));
    expect(events.map((e) => (e.type === "completed" ? [e.index, e.bytes] : e))).toEqual([
      [0, P0],
      [1, P1],
    ]);
  });

  it("skips unknown event types and everything after [DONE]", async () => {
    const text = `data: {"type":"image_generation.started"}\n\ndata: [DONE]\n\ndata: ${completed("image_generation", P0)}\n\n`;
    expect(await collect(bodyOf(text))).toEqual([]);
  });

  it.each([
    [
      "an error event",
      'event: error\ndata: {"type":"error","error":{"message":"Rate limit hit","code":"rate_limit_exceeded"}}\n\n',
      { type: "error", message: "Rate limit hit", code: "rate_limit_exceeded" },
    ],
    [
      "an error object without an event name",
      'data: {"error":{"message":"server busy","type":"server_error"}}\n\n',
      { type: "error", message: "server busy" },
    ],
    [
      "a flat error payload",
      'event: error\ndata: {"message":"bad things","code":500}\n\n',
      { type: "error", message: "bad things", code: "500" },
    ],
    [
      "an error that may have been billed (the Worker's, after the provider began)",
      'event: error\ndata: {"type":"error","error":{"message":"cut off","code":"bad_response","possibly_billed":true}}\n\n',
      { type: "error", message: "cut off", code: "bad_response", possiblyBilled: true },
    ],
  ])("reports %s", async (_name, text, expected) => {
    expect(await collect(bodyOf(text, [9]))).toEqual([expected]);
  });

  it.each([
    [
      "a stream cut inside an event",
      `data: ${completed("image_generation", FINAL).slice(0, 200)}`,
      "event stream ended early after 206 bytes, inside event 1",
    ],
    ["data that is not JSON", "data: hello\n\n", "event 1 data is not JSON (5 characters of text)"],
    [
      "invalid JSON in data",
      'data: {"type":"x",}\n\n',
      "invalid JSON in event 1 data at byte 12: expected a key, found '}'",
    ],
    [
      "invalid base64",
      'data: {"type":"image_edit.completed","b64_json":"QU!D"}\n\n',
      "invalid base64 in event 1 b64_json at offset 2",
    ],
    [
      "a completed event without an image",
      'data: {"type":"image_generation.completed"}\n\n',
      "event 1 (image_generation.completed) has no b64_json image",
    ],
    ["an array as data", "data: [1,2]\n\n", "event 1 data is not JSON"],
  ])("rejects %s", async (_name, text, message) => {
    for (const body of [bodyOf(text), bodyOf(text, everyByte(text))]) {
      const err = await collect(body).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(BadResponseError);
      expect((err as Error).message).toContain(message);
    }
  });

  it("decodes random images under random chunking and line ends", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 3000 }),
        fc.constantFrom("\n", "\r\n", "\r"),
        fc.array(fc.nat(), { maxLength: 15 }),
        async (img, nl, at) => {
          const text = stream("image_edit", nl).replace(encodeBase64(FINAL).replaceAll("/", "\\/"), encodeBase64(img));
          expect(await collect(bodyOf(text, at))).toEqual(expectedFor(img));
        },
      ),
      { numRuns: 150 },
    );
  });
});
