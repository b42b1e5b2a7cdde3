import { env } from "cloudflare:workers";
import { encodeBase64, inspectImage } from "@gptimg/core";
import { describe, expect, it } from "vitest";
import { png } from "../../../../../packages/core/test-fixtures/images.ts";
import {
  call,
  decodeB64,
  expectNoCanary,
  memberToken,
  providerPerTest,
  responseText,
} from "../../../test/gateway-support.ts";
import { jsonEditRefs } from "./json-edit.ts";

const startProvider = providerPerTest();
const DOG = png({ width: 64, height: 64 });
const MASK = png({ width: 64, height: 64 });
/** A public image host the Worker fetches from (answered in the test, the guard stays real). */
const HOST = "https://images.example.com";
const start = () =>
  startProvider(undefined, {
    [HOST]: (req) =>
      new URL(req.url).pathname === "/dog.png"
        ? new Response(DOG, { headers: { "content-type": "image/png" } })
        : new URL(req.url).pathname === "/moved.png"
          ? new Response(null, { status: 302, headers: { location: "https://127.0.0.1/dog.png" } })
          : new Response("not found", { status: 404 }),
  });
const editJson = (token: string | undefined, body: unknown) =>
  call("/v1/images/edits", {
    ...(token ? { token } : {}),
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
const dataUrl = (b: Uint8Array) => `data:image/png;base64,${encodeBase64(b)}`;

describe("POST /v1/images/edits as application/json (the spec's JSON edit form)", () => {
  it("fetches an https reference, decodes a data URL mask, edits, and stores the inputs as a multipart edit does", async () => {
    const side = start();
    const { token } = await memberToken({ team: "json-edit" });
    const res = await editJson(token, {
      prompt: "add a red scarf",
      images: [{ image_url: `${HOST}/dog.png` }, { image_url: dataUrl(png({ width: 32, height: 32 })) }],
      mask: { image_url: dataUrl(MASK) },
      size: "1024x1024",
      n: 1,
      moderation: null,
    });
    const text = await responseText(res.clone());
    expect(res.status, text).toBe(200);
    const body = (await res.json()) as { data: { b64_json: string }[] };
    expect(inspectImage(decodeB64(body.data[0]!.b64_json))).toMatchObject({ ok: true, width: 1024, height: 1024 });
    expectNoCanary(text, "the response");
    expect(side.calls.map((c) => c.url)).toEqual([`${HOST}/dog.png`, `${env.PROVIDER_BASE_URL}/images/edits`]);
    const job = await env.DB.prepare("SELECT id, input_keys FROM jobs WHERE team = ? ORDER BY created_at DESC LIMIT 1")
      .bind("json-edit")
      .first<{ id: string; input_keys: string }>();
    expect(JSON.parse(job!.input_keys).map((k: string) => k.split("/").at(-1))).toEqual([
      "input-0.png",
      "input-1.png",
      "mask.png",
    ]);
    const stored = await env.IMAGES.get(JSON.parse(job!.input_keys)[0]);
    expect(new Uint8Array(await stored!.arrayBuffer())).toEqual(DOG);
  });

  it("takes a data URL over 1 MiB (the JSON edit form has the multipart body limit, 56 MiB)", async () => {
    start();
    const { token } = await memberToken({ team: "json-big" });
    const big = png({ width: 64, height: 64, padBeforeData: 2 * 1024 * 1024 });
    const res = await editJson(token, { prompt: "x", images: [{ image_url: dataUrl(big) }], size: "1024x1024" });
    expect(res.status, await responseText(res.clone())).toBe(200);
  });

  it("a data URL of only the first 100 bytes of a PNG is a 400 naming it, and nothing reaches the provider", async () => {
    const side = start();
    const { token } = await memberToken();
    const images = [{ image_url: dataUrl(DOG) }, { image_url: dataUrl(DOG.subarray(0, 100)) }];
    const res = await editJson(token, { prompt: "x", images });
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: { message: string; param: string } };
    expect(error.param).toMatch(/^images?\[1\]/);
    expect(error.message).toContain("must be a whole image (PNG ends after 100 bytes");
    expect(side.calls).toEqual([]);
  });

  it("names options the provider call leaves out in Gptimg-Unsent-Options, never dropping them silently", async () => {
    start();
    const { token } = await memberToken();
    const res = await editJson(token, {
      prompt: "x",
      images: [{ image_url: dataUrl(DOG) }],
      size: "1024x1024",
      input_fidelity: "high",
      moderation: "low",
    });
    expect(res.status).toBe(200);
    const unsent = res.headers.get("gptimg-unsent-options") ?? "";
    expect(unsent).toMatch(/input_fidelity=high \(gpt-image-2 always edits at high fidelity/);
    expect(unsent).toMatch(/moderation=low \(the multipart edit form has no moderation field/);
    await res.arrayBuffer();
    const plain = await editJson(token, { prompt: "x", images: [{ image_url: dataUrl(DOG) }], size: "1024x1024" });
    expect(plain.headers.get("gptimg-unsent-options")).toBeNull();
    await plain.arrayBuffer();
  });

  it("a file_id gets a 400 saying the Worker holds no Files API and what to send instead", async () => {
    const side = start();
    const { token } = await memberToken();
    const res = await editJson(token, { prompt: "x", images: [{ file_id: "file-abc123" }] });
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: { message: string; param: string; type: string } };
    expect(error.param).toBe("images[0].file_id");
    expect(error.type).toBe("invalid_request_error");
    expect(error.message).toMatch(/holds no Files API.*send the image as image_url \(an https URL or a data:image/);
    expect(side.calls).toEqual([]);
  });

  it.each([
    ["http://images.example.com/dog.png", /https URL on a public host/],
    ["https://127.0.0.1/dog.png", /https URL on a public host/],
    ["https://169.254.169.254/latest/meta-data", /https URL on a public host/],
    ["https://metadata.internal/x.png", /https URL on a public host/],
    [`${HOST}/missing.png`, /the download answered HTTP 404/],
    [`${HOST}/moved.png`, /redirects are not followed \(HTTP 302\)/],
  ])("refuses %s naming images[0].image_url, and nothing reaches the provider", async (url, rule) => {
    const side = start();
    const { token } = await memberToken();
    const res = await editJson(token, { prompt: "x", images: [{ image_url: url }] });
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: { message: string; param: string } };
    expect(error.param).toBe("images[0].image_url");
    expect(error.message, error.message).toMatch(rule);
    expect(side.calls.filter((c) => c.url.startsWith(env.PROVIDER_BASE_URL))).toEqual([]);
  });

  it("fetches nothing for a caller without a valid token", async () => {
    const side = start();
    const res = await editJson("gpi_not_a_member", { prompt: "x", images: [{ image_url: `${HOST}/dog.png` }] });
    expect(res.status).toBe(401);
    expect(side.calls).toEqual([]);
  });

  it.each([
    ["a number prompt", { prompt: 123 }, "prompt", "prompt 123: must be a string"],
    ["an array model", { prompt: "x", model: ["x"] }, "model", 'model ["x"]: must be a string'],
    ["a string n", { prompt: "x", n: "2" }, "n", "n 2: must be an integer"],
    ["an object size", { prompt: "x", size: { w: 1 } }, "size", 'size {"w":1}: must be a string'],
    ["a string stream", { prompt: "x", stream: "true" }, "stream", "stream true: must be a boolean"],
    ["an unknown field", { prompt: "x", foo: 1 }, "foo", "foo 1: is not a known parameter of an image request"],
  ])("400 for %s as /v1/images/generations answers it, fetching nothing", async (_n, fields, field, message) => {
    const side = start();
    const { token } = await memberToken({ team: "json-edit-types" });
    const res = await editJson(token, { ...fields, images: [{ image_url: `${HOST}/dog.png` }] });
    const { error } = (await res.json()) as { error: { message: string; param: string; type: string } };
    expect(res.status, error.message).toBe(400);
    expect(error).toMatchObject({ param: field, type: "invalid_request_error", message });
    expect(side.calls).toEqual([]);
    const gen = await call("/v1/images/generations", {
      token,
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(fields),
    });
    expect(gen.status).toBe(400);
    expect(((await gen.json()) as { error: { message: string } }).error.message).toBe(message);
  });

  it("checks referenced bytes like uploaded files (a GIF data URL is refused)", async () => {
    start();
    const { token } = await memberToken();
    const res = await editJson(token, {
      prompt: "x",
      images: [{ image_url: "data:image/gif;base64,R0lGODlhAQABAAAAACw=" }],
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/PNG, JPEG or WebP/);
  });
});

describe("jsonEditRefs", () => {
  it.each([
    [{ prompt: "x" }, "images", /1 to 16 image references/],
    [{ prompt: "x", images: [] }, "images", /1 to 16/],
    [{ prompt: "x", images: [{ image_url: "https://a.example/x.png", file_id: "f" }] }, "images[0]", /exactly one/],
    [{ prompt: "x", images: [{ url: "https://a.example/x.png" }] }, "images[0].url", /not a field/],
    [
      { prompt: "x", images: [{ image_url: "https://a.example/x.png" }], mask: { file_id: "f" } },
      "mask.file_id",
      /Files API/,
    ],
    [{ prompt: "x", image: "x", images: [{ image_url: "https://a.example/x.png" }] }, "image", /multipart/],
    [{ images: [{ image_url: "https://a.example/x.png" }] }, "prompt", /is required/],
    [{ prompt: "x", quality: 1, images: [{ image_url: "https://a.example/x.png" }] }, "quality", /must be a string/],
  ])("names the field of %j", (body, field, rule) => {
    expect(() => jsonEditRefs(body)).toThrow(rule);
    try {
      jsonEditRefs(body);
    } catch (e) {
      expect((e as { issues: { field: string }[] }).issues[0]?.field).toBe(field);
    }
  });
});

describe("jsonEditRefs reads the other fields once", () => {
  it("hands back the fields as read, with their JSON types, for the edit to finish without reading them again", () => {
    const refs = jsonEditRefs({
      prompt: "add a hat",
      n: 2,
      output_format: "webp",
      moderation: null,
      images: [{ image_url: "https://a.example/x.png" }],
    });
    expect(refs.images).toEqual(["https://a.example/x.png"]);
    expect(refs.read.opts).toEqual({ prompt: "add a hat", n: 2, outputFormat: "webp" });
    expect(refs.read.issues).toEqual([]);
  });
});
