import { describe, expect, it } from "vitest";
import { type DecodeContext, decodeResponse, downloadImage } from "./decode-response.ts";
import { BadResponseError } from "./errors/index.ts";
import { resolveProvider } from "./providers.ts";

const KEY = "sk-canary-do-not-leak-123";
const provider = resolveProvider({
  name: "p",
  profile: "openai-compatible",
  baseUrl: "https://api.example.test/v1",
  apiKey: KEY,
});
// A PNG header that sniffs as 16x16.
const PNG = Uint8Array.from(atob("iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAYAAAAf8/9hAAAAAElFTkSuQmCC"), (c) =>
  c.charCodeAt(0),
);

function context(seen: Request[], body: BodyInit = PNG as BodyInit): DecodeContext {
  return {
    provider,
    secrets: [KEY],
    status: 200,
    requestId: "req_1",
    signal: new AbortController().signal,
    fetch: async (input, init) => {
      seen.push(new Request(input, init));
      return new Response(body, { status: 200 });
    },
  };
}

describe("downloadImage", () => {
  it.each([
    ["https://api.example.test/v1/files/a.png", true],
    ["https://cdn.example.test/a.png", false],
    ["http://api.example.test/v1/files/a.png", false], // another scheme is another origin
  ])("%s gets the key: %s", async (url, auth) => {
    const seen: Request[] = [];
    expect(await downloadImage(url, 0, context(seen))).toEqual(PNG);
    expect(seen[0]?.headers.get("authorization")).toBe(auth ? `Bearer ${KEY}` : null);
  });

  it.each([["file:///etc/passwd"], ["not a url"], ["data:text/plain,hi"]])("refuses %s", async (url) => {
    await expect(downloadImage(url, 0, context([]))).rejects.toBeInstanceOf(BadResponseError);
  });

  it("decodes a data URL without fetching", async () => {
    const seen: Request[] = [];
    expect(await downloadImage(`data:image/png;base64,${btoa(String.fromCharCode(...PNG))}`, 0, context(seen))).toEqual(
      PNG,
    );
    expect(seen).toHaveLength(0);
  });
});

describe("decodeResponse", () => {
  const run = async (body: string, type = "application/json") => {
    const parts = [];
    for await (const p of decodeResponse(new Response(body, { headers: { "content-type": type } }), context([])))
      parts.push(p);
    return parts;
  };

  it("yields images then meta", async () => {
    const b64 = btoa(String.fromCharCode(...PNG));
    const parts = await run(
      JSON.stringify({
        created: 5,
        data: [{ b64_json: b64 }],
        usage: { input_tokens: 1, output_tokens: 2, total_tokens: 3 },
      }),
    );
    expect(parts.map((p) => p.type)).toEqual(["image", "meta"]);
    expect(parts[0]).toMatchObject({ image: { format: "png", width: 16, height: 16, index: 0 } });
  });

  it.each([
    ['{"data":[]}', /without any image/],
    ['{"data":[{"b64_json":"aGVsbG8="}]}', /not a usable image/],
    ['{"error":{"message":"quota gone","code":"x"}}', /quota gone/],
  ])("%s fails as a possibly billed bad response", async (body, message) => {
    const e = await run(body).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(BadResponseError);
    expect(e).toMatchObject({ possiblyBilled: true, status: 200, requestId: "req_1", provider: "p" });
    expect((e as Error).message).toMatch(message);
  });
});

describe("chat answers", () => {
  const chat = resolveProvider({ name: "c", profile: "chat", baseUrl: "https://api.example.test/v1", apiKey: KEY });
  const b64 = "iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAYAAAAf8/9hAAAAAElFTkSuQmCC";
  const other = "iVBORw0KGgoAAAANSUhEUgAAACAAAAAgCAYAAAAf8/9hAAAAAElFTkSuQmCC";
  const decodeChat = async (message: Record<string, unknown>) => {
    const res = Response.json({ choices: [{ message }] });
    const parts = [];
    for await (const part of decodeResponse(res, { ...context([]), provider: chat })) parts.push(part);
    return parts.filter((p) => p.type === "image");
  };

  it("counts an image given twice (markdown data URL and images[]) once", async () => {
    const images = await decodeChat({
      content: `here: ![x](data:image/png;base64,${b64})`,
      images: [{ type: "image_url", image_url: { url: `data:image/png;base64,${b64}` } }, { b64_json: b64 }],
    });
    expect(images).toHaveLength(1);
  });

  it("keeps two different images, in order", async () => {
    const images = await decodeChat({
      content: `![a](data:image/png;base64,${b64}) ![b](data:image/png;base64,${other})`,
    });
    expect(images.map((p) => (p.type === "image" ? [p.image.width, p.image.height] : []))).toEqual([
      [16, 16],
      [32, 32],
    ]);
  });
});
