import { describe, expect, it } from "vitest";
import { encodeBase64 } from "./base64.ts";
import { type ChatImageRef, extractChatImages, readChatImages } from "./chat.ts";
import { BadResponseError } from "./errors/index.ts";

const IMG = Uint8Array.from({ length: 120 }, (_, i) => (i * 11) & 255);
const B64 = encodeBase64(IMG);
const DATA_URL = `data:image/png;base64,${B64}`;
const completion = (message: Record<string, unknown>) => ({
  id: "chatcmpl-1",
  choices: [{ index: 0, message: { role: "assistant", ...message } }],
});
const bodyOf = (text: string, chunk = 50): ReadableStream<Uint8Array> => {
  const bytes = new TextEncoder().encode(text);
  let o = 0;
  return new ReadableStream({
    pull(c) {
      if (o >= bytes.length) return c.close();
      c.enqueue(bytes.slice(o, o + chunk));
      o += chunk;
    },
  });
};

describe("extractChatImages", () => {
  it.each<[string, Record<string, unknown>, ChatImageRef[]]>([
    ["a markdown data URL", { content: `Here you go:\n\n![image](${DATA_URL})` }, [{ bytes: IMG }]],
    [
      "a markdown https URL with a title",
      { content: `![a cat](https://cdn.test/cat.png "cat")` },
      [{ url: "https://cdn.test/cat.png" }],
    ],
    [
      "a markdown URL in angle brackets",
      { content: "![x](<https://cdn.test/x?id=1>)" },
      [{ url: "https://cdn.test/x?id=1" }],
    ],
    ["a bare data URL", { content: `image: ${DATA_URL}` }, [{ bytes: IMG }]],
    [
      "a bare image link",
      { content: "saved to https://cdn.test/out/1.webp." },
      [{ url: "https://cdn.test/out/1.webp" }],
    ],
    [
      "images in text order",
      { content: `first https://cdn.test/a.png then ![b](${DATA_URL}) and ![c](https://cdn.test/c.jpg)` },
      [{ url: "https://cdn.test/a.png" }, { bytes: IMG }, { url: "https://cdn.test/c.jpg" }],
    ],
    [
      "ordinary links, non-image data and other schemes, ignored",
      {
        content:
          "[docs](https://docs.test/page) https://docs.test/page.html data:text/plain;base64,QUJD ![x](javascript:alert(1)) ![y](file:///etc/passwd)",
      },
      [],
    ],
    [
      "content parts: image_url, b64_json, inline_data, output_image, text",
      {
        content: [
          { type: "text", text: "look: ![a](https://cdn.test/a.png)" },
          { type: "image_url", image_url: { url: DATA_URL } },
          { type: "image_url", image_url: "https://cdn.test/b.png" },
          { type: "output_image", b64_json: B64 },
          { type: "image", inline_data: { mime_type: "image/png", data: B64 } },
          { type: "output_image", url: "https://cdn.test/c.png" },
        ],
      },
      [
        { url: "https://cdn.test/a.png" },
        { bytes: IMG },
        { url: "https://cdn.test/b.png" },
        { bytes: IMG },
        { bytes: IMG },
        { url: "https://cdn.test/c.png" },
      ],
    ],
    [
      "OpenRouter message.images[]",
      { content: "Here is your image.", images: [{ type: "image_url", image_url: { url: DATA_URL } }] },
      [{ bytes: IMG }],
    ],
    [
      "a repeated URL once",
      { content: "![a](https://cdn.test/a.png) ![again](https://cdn.test/a.png)" },
      [{ url: "https://cdn.test/a.png" }],
    ],
    [
      "a percent-encoded SVG data URL",
      { content: "![s](data:image/svg+xml,%3Csvg%2F%3E)" },
      [{ bytes: new TextEncoder().encode("<svg/>") }],
    ],
    ["no content", { content: null }, []],
  ])("finds %s", (_name, message, expected) => {
    expect(extractChatImages(completion(message))).toEqual(expected);
  });

  it("reads an images-API body answered on the chat route", () => {
    expect(extractChatImages({ data: [{ b64_json: B64 }, { url: "https://cdn.test/d.png" }] })).toEqual([
      { bytes: IMG },
      { url: "https://cdn.test/d.png" },
    ]);
  });

  it.each([null, 42, "text", [], { choices: "x" }, { choices: [null, { message: 3 }] }])(
    "finds nothing in %j",
    (value) => {
      expect(extractChatImages(value)).toEqual([]);
    },
  );

  it("rejects invalid base64 in a data URL, naming where it was", () => {
    const msg = completion({ content: [{ type: "image_url", image_url: { url: "data:image/png;base64,QU!D" } }] });
    expect(() => extractChatImages(msg)).toThrow(BadResponseError);
    expect(() => extractChatImages(msg)).toThrow(
      "invalid base64 in choices[0].message.content[0] data URL at offset 2",
    );
  });
});

describe("readChatImages", () => {
  it("reads a body in chunks, including multi-byte text split across them", async () => {
    const text = JSON.stringify(completion({ content: `生成完成 🎨 ![图](${DATA_URL})` }));
    expect(await readChatImages(bodyOf(text, 7))).toEqual([{ bytes: IMG }]);
  });

  it.each([
    [
      "a cut body",
      JSON.stringify(completion({ content: "x" })).slice(0, 30),
      "invalid JSON in chat response of 30 bytes",
    ],
    [
      "an error object",
      '{"error":{"message":"model overloaded","type":"server_error"}}',
      "chat response carries an error: model overloaded",
    ],
  ])("rejects %s", async (_name, text, message) => {
    await expect(readChatImages(bodyOf(text))).rejects.toThrow(message);
    await expect(readChatImages(bodyOf(text))).rejects.toBeInstanceOf(BadResponseError);
  });

  it("stops reading past maxBytes", async () => {
    const text = JSON.stringify(completion({ content: `![a](${DATA_URL})` }));
    await expect(readChatImages(bodyOf(text), { maxBytes: 100 })).rejects.toThrow(
      "chat response is larger than 100 bytes (maxBytes)",
    );
  });
});

describe("percent-encoded data URLs", () => {
  it("decode to the exact bytes, high bytes included", () => {
    const refs = extractChatImages({
      choices: [{ message: { content: "![a](data:image/png,%89PNG%0D%0A%1A%0A)" } }],
    }) as ChatImageRef[];
    expect(refs).toHaveLength(1);
    const bytes = (refs[0] as { bytes: Uint8Array }).bytes;
    expect([...bytes]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  });

  it("a broken escape is a bad response naming where it was", () => {
    expect(() => extractChatImages({ choices: [{ message: { content: "![a](data:image/png,%8)" } }] })).toThrow(
      BadResponseError,
    );
  });
});
