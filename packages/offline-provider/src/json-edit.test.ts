import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOfflineProvider } from "./server.ts";
import { decoded, pngBytes, postJson } from "./test-support.ts";
import type { OfflineProvider } from "./types.ts";

let provider: OfflineProvider;
let images: Server;
let imagesUrl: string;
let png640: Uint8Array;
let mask640: Uint8Array;
beforeAll(async () => {
  provider = await startOfflineProvider();
  png640 = await pngBytes(640, 480);
  mask640 = await pngBytes(640, 480, true);
  // a local image host: the only kind of URL the offline provider fetches
  images = createServer((req, res) => {
    if (req.url === "/cat.png") res.writeHead(200, { "content-type": "image/png" }).end(png640);
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => images.listen(0, "127.0.0.1", r));
  imagesUrl = `http://127.0.0.1:${(images.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await provider.close();
  await new Promise((r) => images.close(r));
});

const dataUrl = (b: Uint8Array) => `data:image/png;base64,${Buffer.from(b).toString("base64")}`;
const edit = (body: unknown) => postJson(`${provider.url}/images/edits`, body);

describe("POST /v1/images/edits as application/json (the spec's EditImageBodyJsonParam)", () => {
  it("takes data URLs and a data-URL mask, keeping the first image's size", async () => {
    const res = await edit({
      prompt: "add a hat",
      images: [{ image_url: dataUrl(png640) }],
      mask: { image_url: dataUrl(mask640) },
    });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.size).toBe("640x480");
    expect((await decoded(body.data[0].b64_json)).width).toBe(640);
  });

  it("fetches an http URL on this machine", async () => {
    const res = await edit({ prompt: "x", images: [{ image_url: `${imagesUrl}/cat.png` }], moderation: "low" });
    expect(res.status).toBe(200);
    expect((await res.json()).size).toBe("640x480");
  });

  it.each<[() => Record<string, unknown>, string, RegExp]>([
    [
      () => ({ images: [{ image_url: "https://example.com/a.png" }] }),
      "images[0].image_url",
      /fetches nothing from the internet/,
    ],
    [
      () => ({ images: [{ image_url: dataUrl(png640), file_id: "file-1" }] }),
      "images[0]",
      /exactly one of image_url or file_id/,
    ],
    [() => ({ images: [{ file_id: "file-nope" }] }), "images[0].file_id", /No such file/],
    [() => ({ images: [{ url: "x" }] }), "images[0].url", /Unknown parameter/],
    [() => ({ images: [] }), "images", /1 to 16/],
    [() => ({}), "images", /Missing required parameter: 'images'/],
    [() => ({ model: "dall-e-2", images: [{ image_url: dataUrl(png640) }] }), "model", /GPT image models only/],
    [() => ({ images: [{ image_url: "http://127.0.0.1:1/cat.png" }] }), "images[0].image_url", /could not download/],
  ])("refuses bad body %# naming its param", async (body, param, message) => {
    const res = await edit({ prompt: "x", ...body() });
    expect(res.status).toBe(400);
    const { error } = await res.json();
    expect(error.param).toBe(param);
    expect(error.message).toMatch(message);
  });

  it("checks referenced bytes as the multipart path checks files", async () => {
    const res = await edit({ prompt: "x", images: [{ image_url: "data:image/png;base64,R0lGODlhAQABAAAAACw=" }] });
    expect(res.status).toBe(400);
    expect((await res.json()).error.code).toBe("invalid_image_format");
  });

  it("still refuses other content types", async () => {
    const res = await fetch(`${provider.url}/images/edits`, {
      method: "POST",
      body: JSON.stringify({ prompt: "x" }),
      headers: { "content-type": "text/plain" },
    });
    expect(res.status).toBe(400);
    expect((await res.json()).error.code).toBe("invalid_content_type");
  });
});
