import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeBase64 } from "./base64.ts";
import { BadResponseError } from "./errors/index.ts";
import { type ResponsePart, readImagesResponse } from "./read-images.ts";

const enc = new TextEncoder();

/** A body that delivers `bytes` cut at the given points (modulo length). */
const bodyOf = (text: string | Uint8Array, at: number[] = []): ReadableStream<Uint8Array> => {
  const bytes = typeof text === "string" ? enc.encode(text) : text;
  const points = [...new Set(at.map((a) => a % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let prev = 0;
  for (const p of [...points, bytes.length]) {
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
const everyByte = (text: string): number[] => [...enc.encode(text).keys()];
const collect = async (body: ReadableStream<Uint8Array>): Promise<ResponsePart[]> => {
  const parts: ResponsePart[] = [];
  for await (const p of readImagesResponse(body)) parts.push(p);
  return parts;
};
const failure = async (body: ReadableStream<Uint8Array>): Promise<Error> => {
  try {
    await collect(body);
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected the read to fail");
};

const IMG_A = Uint8Array.from({ length: 300 }, (_, i) => (i * 31) & 255);
const IMG_B = Uint8Array.from({ length: 77 }, (_, i) => (i * 7 + 3) & 255);
// JSON.stringify never escapes "/", but some servers do: keep one escaped form in the fixtures
const B64_A = encodeBase64(IMG_A).replaceAll("/", "\\/");
const B64_B = encodeBase64(IMG_B);
const USAGE =
  '{"input_tokens":8,"input_tokens_details":{"image_tokens":0,"text_tokens":8},"output_tokens":196,"total_tokens":204}';
const META_EXPECTED = {
  kind: "meta",
  created: 1778236581,
  size: "1024x1024",
  quality: "low",
  outputFormat: "png",
  background: "opaque",
  usage: { inputTokens: 8, outputTokens: 196, totalTokens: 204, inputTokensDetails: { imageTokens: 0, textTokens: 8 } },
};

const DOCS: [string, string][] = [
  [
    "usage after data",
    `{"created":1778236581,"background":"opaque","data":[{"b64_json":"${B64_A}","revised_prompt":"a \\"sea\\" caf\\u00e9 \\ud83c\\udf0a 海"},{"b64_json":"${B64_B}"}],"output_format":"png","quality":"low","size":"1024x1024","usage":${USAGE}}`,
  ],
  [
    "usage before data, revised_prompt first, pretty-printed",
    `{\n  "usage": ${USAGE},\n  "size": "1024x1024", "quality": "low", "output_format": "png", "background": "opaque",\n  "data": [\n    { "revised_prompt": "a \\"sea\\" café 🌊 海", "b64_json": "${B64_A}" },\n    { "b64_json": "${B64_B}", "revised_prompt": null, "extra": {"nested": [1, 2]} }\n  ],\n  "created": 1778236581\n}\n`,
  ],
];

describe("readImagesResponse", () => {
  it.each(DOCS)("reads images and meta (%s), whole and byte by byte", async (_name, doc) => {
    for (const body of [bodyOf(doc), bodyOf(doc, everyByte(doc))]) {
      const parts = await collect(body);
      expect(parts).toEqual([
        { kind: "image", index: 0, bytes: IMG_A, revisedPrompt: 'a "sea" café 🌊 海' },
        { kind: "image", index: 1, bytes: IMG_B },
        META_EXPECTED,
      ]);
    }
  });

  it("reads URL items", async () => {
    const doc =
      '{"created":1,"data":[{"url":"https://cdn.test/a.png","revised_prompt":"x"},{"url":"https://cdn.test/b.png"}]}';
    expect(await collect(bodyOf(doc, [5, 40]))).toEqual([
      { kind: "url", index: 0, url: "https://cdn.test/a.png", revisedPrompt: "x" },
      { kind: "url", index: 1, url: "https://cdn.test/b.png" },
      { kind: "meta", created: 1 },
    ]);
  });

  it("reports a top-level error object in meta", async () => {
    const doc =
      '{"error":{"message":"Your request was rejected by the safety system.","type":"invalid_request_error","code":"moderation_blocked","param":null}}';
    expect(await collect(bodyOf(doc))).toEqual([
      {
        kind: "meta",
        error: {
          message: "Your request was rejected by the safety system.",
          type: "invalid_request_error",
          code: "moderation_blocked",
        },
      },
    ]);
    expect(await collect(bodyOf('{"error":"quota exhausted","data":null}'))).toEqual([
      { kind: "meta", error: { message: "quota exhausted" } },
    ]);
  });

  it("yields an image as soon as its item closes, before the rest of the body arrives", async () => {
    const first = `{"data":[{"b64_json":"${B64_B}"},`;
    let pulls = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        pulls++;
        if (pulls === 1) c.enqueue(enc.encode(first));
        else if (pulls === 2) c.enqueue(enc.encode(`{"b64_json":"${B64_B}"}]}`));
        else c.close();
      },
    });
    const it = readImagesResponse(body)[Symbol.asyncIterator]();
    const one = await it.next();
    expect(one.value).toEqual({ kind: "image", index: 0, bytes: IMG_B });
    expect(pulls).toBeLessThanOrEqual(2);
    await it.return?.();
  });

  it("cancels the body when the reader stops early", async () => {
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(enc.encode(`{"data":[{"b64_json":"${B64_B}"},{"b64_json":"`));
      },
      cancel() {
        cancelled = true;
      },
    });
    for await (const part of readImagesResponse(body)) {
      expect(part.kind).toBe("image");
      break;
    }
    expect(cancelled).toBe(true);
  });

  it("reports a body cut at any point as ended early", async () => {
    const doc = enc.encode(DOCS[0]![1]);
    for (let cutAt = 1; cutAt < doc.length; cutAt += 7) {
      const err = await failure(bodyOf(doc.subarray(0, cutAt)));
      expect(err).toBeInstanceOf(BadResponseError);
      expect(err.message).toMatch(new RegExp(`^response ended early after ${cutAt} bytes`));
    }
    expect((await failure(bodyOf(doc.subarray(0, 80)))).message).toContain("inside data[0].b64_json");
    expect((await failure(bodyOf(""))).message).toBe("response is empty: expected a JSON value");
  });

  it.each([
    [
      "invalid JSON",
      `{"data":[{"b64_json":"QUJD"}]]`,
      "invalid JSON in response at byte 29: expected ',' or '}', found ']'",
    ],
    [
      "an HTML page",
      "<html><body>502</body></html>",
      "invalid JSON in response at byte 0: expected a value, found '<'",
    ],
    [
      "an invalid base64 character",
      `{"data":[{"b64_json":"QUJD"},{"b64_json":"QU*D"}]}`,
      "invalid base64 in data[1].b64_json at offset 2: '*' is not in the base64 alphabet",
    ],
    [
      "a raw newline inside base64",
      `{"data":[{"b64_json":"QU\nJD"}]}`,
      "invalid JSON in response at byte 24: control character",
    ],
    [
      "incomplete padding",
      `{"data":[{"b64_json":"QUJDRE="}]}`,
      "invalid base64 in data[0].b64_json at offset 7: '=' padding is incomplete",
    ],
    [
      "misplaced padding",
      `{"data":[{"b64_json":"QUJDR="}]}`,
      "invalid base64 in data[0].b64_json at offset 5: '=' padding can only follow",
    ],
    [
      "a lone final character",
      `{"data":[{"b64_json":"QUJDR"}]}`,
      "invalid base64 in data[0].b64_json at offset 5: the final group has a single character",
    ],
    [
      "a non-ASCII character in base64",
      `{"data":[{"b64_json":"QUé"}]}`,
      "invalid base64 in data[0].b64_json at offset 2: U+00C3",
    ],
    [
      "an escaped non-base64 character",
      `{"data":[{"b64_json":"QU\\u00e9"}]}`,
      "invalid base64 in data[0].b64_json at offset 2: U+00E9",
    ],
    [
      "b64_json that is not a string",
      `{"data":[{"b64_json":42}]}`,
      "data[0].b64_json is a number: expected a base64 string",
    ],
    ["an item with no image", `{"data":[{"revised_prompt":"x"}]}`, "data[0] has neither b64_json nor url"],
    ["a data item that is not an object", `{"data":["QUJD"]}`, "data[0] is a string: expected an object"],
    ["data that is not an array", `{"data":{"b64_json":"QUJD"}}`, "data is a object: expected an array"],
    ["a top-level array", `[{"b64_json":"QUJD"}]`, "response is a JSON array: expected an object with data[]"],
    ["a top-level string", `"QUJD"`, "response is a string: expected an object with data[]"],
    ["two b64_json in one item", `{"data":[{"b64_json":"QUJD","b64_json":"QUJD"}]}`, "data[0] has b64_json twice"],
    [
      "an oversized string",
      `{"revised":"${"x".repeat(1024 * 1024 + 1)}","data":[]}`,
      "the string at revised in response is longer than 1048576 bytes",
    ],
  ])("rejects %s", async (_name, doc, message) => {
    for (const body of [bodyOf(doc), bodyOf(doc, doc.length < 200 ? everyByte(doc) : [1000, 2000])]) {
      const err = await failure(body);
      expect(err).toBeInstanceOf(BadResponseError);
      expect(err.message).toContain(message);
    }
  });

  it("decodes exactly the bytes of random images under random chunking", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uint8Array({ maxLength: 6000 }), { minLength: 1, maxLength: 4 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        fc.boolean(),
        async (images, at, escapeSlash) => {
          const data = images.map((img) => {
            const b64 = encodeBase64(img);
            return `{"b64_json":"${escapeSlash ? b64.replaceAll("/", "\\/") : b64}"}`;
          });
          const doc = `{"created":7,"data":[${data.join(",")}]}`;
          const parts = await collect(bodyOf(doc, at));
          expect(parts.map((p) => (p.kind === "image" ? p.bytes : p))).toEqual([
            ...images,
            { kind: "meta", created: 7 },
          ]);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("reads the same non-image fields as JSON.parse for random documents", async () => {
    const extra = fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 4 });
    const metaKeys = ["created", "size", "quality", "output_format", "background"] as const;
    await fc.assert(
      fc.asyncProperty(
        extra,
        fc.record({
          created: fc.jsonValue({ maxDepth: 1 }),
          size: fc.jsonValue({ maxDepth: 1 }),
          quality: fc.string(),
        }),
        fc.array(fc.record({ img: fc.uint8Array({ maxLength: 64 }), rp: fc.string({ maxLength: 20 }), junk: extra }), {
          maxLength: 3,
        }),
        fc.array(fc.nat(), { maxLength: 12 }),
        async (top, fields, items, at) => {
          const obj: Record<string, unknown> = { ...top, ...fields };
          delete obj.data;
          delete obj.error;
          delete obj.usage;
          obj.data = items.map((i) => ({ ...i.junk, b64_json: encodeBase64(i.img), revised_prompt: i.rp }));
          const text = JSON.stringify(obj);
          const parsed = JSON.parse(text) as Record<string, unknown>;
          const expectedMeta: Record<string, unknown> = { kind: "meta" };
          for (const k of metaKeys) {
            const v = parsed[k];
            if (k === "created" ? typeof v === "number" : typeof v === "string")
              expectedMeta[k === "output_format" ? "outputFormat" : k] = v;
          }
          const parsedItems = parsed.data as Record<string, unknown>[];
          const expected = [
            ...parsedItems.map((item, index) => ({
              kind: "image",
              index,
              bytes: items[index]!.img,
              revisedPrompt: item.revised_prompt,
            })),
            expectedMeta,
          ];
          expect(await collect(bodyOf(text, at))).toEqual(expected);
        },
      ),
      { numRuns: 200 },
    );
  });
});
