import { env } from "cloudflare:workers";
import { encodeBase64, inspectImage } from "@gptimg/core";
import { describe, expect, it, vi } from "vitest";
import { png } from "../../../../../packages/core/test-fixtures/images.ts";
// the module itself, not the package entry: the entry loads sharp, which the Workers runtime cannot
import { FORBIDDEN_WORD } from "../../../../../packages/offline-provider/src/params.ts";
import {
  CANARY_KEY,
  call,
  decodeB64,
  dumpR2,
  expectNoCanary,
  memberToken,
  ORIGIN,
  parseSse,
  providerPerTest,
  responseText,
} from "../../../test/gateway-support.ts";
import { sha256Hex } from "../../lib/tokens.ts";

const start = providerPerTest();
const generate = (token: string, body: unknown) =>
  call("/v1/images/generations", {
    token,
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });

interface ImagesBody {
  created: number;
  data: { b64_json?: string; url?: string }[];
  usage?: { input_tokens: number; output_tokens: number; total_tokens: number };
  size?: string;
  output_format?: string;
}
interface JobRow {
  id: string;
  status: string;
  image_keys: string;
  input_keys: string | null;
  error: string | null;
  usage: string | null;
  cost: number | null;
}
/**
 * The team's latest job once settled: a `b64_json` body ends with the provider's answer, and the
 * last image's put and the row's settlement follow it (waited for here, for at most 5 s).
 */
async function lastJob(team: string): Promise<JobRow | null> {
  for (let i = 0; ; i++) {
    const row = await env.DB.prepare("SELECT * FROM jobs WHERE team = ? ORDER BY rowid DESC LIMIT 1")
      .bind(team)
      .first<JobRow>();
    if (row?.status !== "running" || i >= 200) return row;
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe("POST /v1/images/generations", () => {
  it("answers OpenAI's b64_json shape; every image is in R2 with metadata, and usage is recorded", async () => {
    const side = start();
    const { token, id: tokenId } = await memberToken({ team: "gen-b64", member: "alice" });
    const prompt = "a lighthouse at dusk";
    const res = await generate(token, { prompt, n: 2, size: "1024x1024", quality: "low" });
    const text = await responseText(res.clone());
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/json");
    const body = (await res.json()) as ImagesBody;
    expect(body.data).toHaveLength(2);
    expect(body).toMatchObject({ size: "1024x1024", output_format: "png", quality: "low" });
    expect(body.usage?.total_tokens).toBeGreaterThan(0);
    for (const d of body.data)
      expect(inspectImage(decodeB64(d.b64_json as string))).toMatchObject({
        ok: true,
        format: "png",
        width: 1024,
        height: 1024,
      });
    // the key went upstream in Authorization only (the offline provider checks it), never back out
    expect(side.calls).toHaveLength(1);
    expect(side.calls[0]?.headers.get("authorization")).toBe(`Bearer ${CANARY_KEY}`);
    expectNoCanary(text, "the response");

    const job = await lastJob("gen-b64");
    expect(job?.status).toBe("succeeded");
    const keys = JSON.parse(job?.image_keys ?? "[]") as { key: string; index: number; bytes: number }[];
    const month = new Date().toISOString().slice(0, 7).replace("-", "/");
    expect(keys.map((k) => k.key)).toEqual([0, 1].map((i) => `t/gen-b64/${month}/${job?.id}/${i}.png`));
    for (const [i, k] of keys.entries()) {
      const obj = await env.IMAGES.get(k.key);
      expect(obj).not.toBeNull();
      // compared as base64 text: a deep equality over a megabyte of array elements is very slow
      expect(encodeBase64(new Uint8Array(await obj!.arrayBuffer()))).toBe(body.data[i]?.b64_json);
      expect(obj?.httpMetadata?.contentType).toBe("image/png");
      expect(obj?.httpMetadata?.contentDisposition).toBe(`inline; filename="${job?.id}-${i}.png"`);
      expect(obj?.customMetadata).toEqual({
        job: job?.id,
        team: "gen-b64",
        member: "alice",
        model: "gpt-image-2",
        role: "output",
        format: "png",
        width: "1024",
        height: "1024",
        size: "1024x1024",
        prompt_sha256: await sha256Hex(prompt),
      });
    }
    const r2 = await dumpR2("t/gen-b64/");
    expect(r2.text).not.toContain(prompt);
    expectNoCanary(r2.text, "R2");
    const usage = await env.DB.prepare("SELECT * FROM usage WHERE token_id = ?")
      .bind(tokenId)
      .first<Record<string, number>>();
    expect(usage).toMatchObject({
      images: 2,
      input_tokens: body.usage?.input_tokens,
      output_tokens: body.usage?.output_tokens,
    });
    expect(usage?.cost_usd).toBeGreaterThan(0);
    expect(job?.cost).toBe(usage?.cost_usd);
  });

  it("returns signed URLs with response_format=url that download the stored bytes", async () => {
    start();
    const { token } = await memberToken({ team: "gen-url" });
    const res = await generate(token, { prompt: "a red square", response_format: "url", size: "1536x1024" });
    expect(res.status).toBe(200);
    const body = (await res.json()) as ImagesBody;
    expect(body.data).toHaveLength(1);
    const url = new URL(body.data[0]?.url as string);
    expect(url.origin).toBe(ORIGIN);
    expect(url.pathname).toMatch(/^\/files\/t\/gen-url\/\d{4}\/\d{2}\/job_[0-9a-z]{20}\/0\.png$/);
    expect(url.searchParams.get("kid")).toBe("k2");
    const file = await call(url.pathname + url.search);
    expect(file.status).toBe(200);
    expect(inspectImage(new Uint8Array(await file.arrayBuffer()))).toMatchObject({
      ok: true,
      width: 1536,
      height: 1024,
    });
  });

  it("uses DEFAULT_RESPONSE_FORMAT=url when the body names none", async () => {
    start();
    const { app } = await import("../../app.ts");
    const { token } = await memberToken({ team: "gen-default" });
    const res = await app.request(
      `${ORIGIN}/v1/images/generations`,
      {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ prompt: "x" }),
      },
      { ...env, DEFAULT_RESPONSE_FORMAT: "url" },
    );
    const body = (await res.json()) as ImagesBody;
    expect(body.data[0]?.url).toMatch(/^https:\/\/gw\.test\/files\//);
    expect(body.data[0]?.b64_json).toBeUndefined();
  });

  it("streams OpenAI image events; the completed image is in R2 before its event and carries usage", async () => {
    start();
    const { token } = await memberToken({ team: "gen-sse" });
    const res = await generate(token, { prompt: "a boat", stream: true, partial_images: 2, size: "1024x1024" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const text = await res.text();
    expectNoCanary(text, "the stream");
    const events = parseSse(text);
    expect(events.map((e) => e.event)).toEqual([
      "image_generation.partial_image",
      "image_generation.partial_image",
      "image_generation.completed",
    ]);
    expect(events.map((e) => e.data.partial_image_index)).toEqual([0, 1, undefined]);
    const done = events[2]?.data as { b64_json: string; usage: { total_tokens: number }; type: string; size: string };
    expect(done.type).toBe("image_generation.completed");
    expect(done.size).toBe("1024x1024");
    expect(done.usage.total_tokens).toBeGreaterThan(0);
    const job = await lastJob("gen-sse");
    const key = (JSON.parse(job?.image_keys ?? "[]") as { key: string }[])[0]?.key as string;
    const stored = new Uint8Array(await (await env.IMAGES.get(key))!.arrayBuffer());
    expect(stored).toEqual(decodeB64(done.b64_json));
  });

  it.each<[string, unknown, string]>([
    ["a prompt missing", { n: 1 }, "prompt"],
    ["a prompt that is not a string", { prompt: 5 }, "prompt"],
    ["n over 10", { prompt: "x", n: 11 }, "n"],
    ["n as a string", { prompt: "x", n: "2" }, "n"],
    ["an illegal size", { prompt: "x", size: "1920x1080" }, "size"],
    ["an unknown quality", { prompt: "x", quality: "ultra" }, "quality"],
    ["an unknown output format", { prompt: "x", output_format: "bmp" }, "output_format"],
    ["compression out of range", { prompt: "x", output_format: "jpeg", output_compression: 101 }, "output_compression"],
    ["transparent with jpeg", { prompt: "x", background: "transparent", output_format: "jpeg" }, "background"],
    ["an unknown response_format", { prompt: "x", response_format: "xml" }, "response_format"],
    ["stream as a string", { prompt: "x", stream: "yes" }, "stream"],
    ["an unknown parameter", { prompt: "x", seed: 42 }, "seed"],
    ["an edit-only parameter", { prompt: "x", input_fidelity: "high" }, "input_fidelity"],
    ["a JSON array", [{ prompt: "x" }], "body"],
  ])("400 for %s, naming the field", async (_n, body, field) => {
    const side = start();
    const { token } = await memberToken({ team: "gen-bad" });
    const res = await generate(token, body);
    expect(res.status).toBe(400);
    const err = (await res.json()) as { error: { code: string; param: string; message: string; type: string } };
    expect(err.error).toMatchObject({ code: "validation", type: "invalid_request_error", param: field });
    expect(err.error.message).toContain(field);
    expect(side.calls).toHaveLength(0);
  });

  it("400 for a body that is not JSON", async () => {
    start();
    const { token } = await memberToken();
    const res = await call("/v1/images/generations", {
      token,
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{prompt:",
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: "validation", param: "body" } });
  });

  it.each<[string, string | undefined, Record<string, unknown>, number, string, Record<string, unknown>]>([
    ["content policy", undefined, { prompt: `a ${FORBIDDEN_WORD} scene` }, 400, "content_policy", {}],
    ["a provider 500", "status=500;should-retry=false", { prompt: "x" }, 502, "provider_error", {}],
    ["a provider 429", "status=429;retry-after=7;should-retry=false", { prompt: "x" }, 429, "rate_limited", {}],
    [
      "an invalid JSON answer",
      "invalid-json",
      { prompt: "x", response_format: "url" },
      502,
      "bad_response",
      { possibly_billed: true },
    ],
  ])("maps %s to %i %s without leaking the key", async (_n, fault, body, status, code, extra) => {
    start(fault);
    const { token } = await memberToken({ team: "gen-fail" });
    const res = await generate(token, body);
    const text = await responseText(res.clone());
    expect(res.status).toBe(status);
    expect(await res.json()).toMatchObject({ error: { code, ...extra } });
    expectNoCanary(text, "the error response");
    if (status === 429) expect(res.headers.get("retry-after")).toBe("7");
    const job = await lastJob("gen-fail");
    expect(job?.status).toBe("failed");
    expect(JSON.parse(job?.error ?? "{}")).toMatchObject({ code, status });
    expectNoCanary(JSON.stringify(job), "the job row");
  });

  it("keeps a provider image cut to 100 bytes in R2 and books the row as possibly billed with its usage", async () => {
    start("truncated-image");
    const { token, id: tokenId } = await memberToken({ team: "gen-cut" });
    const res = await generate(token, { prompt: "a cut cat" });
    // b64_json passes the provider's answer through as it arrives: the client gets what was sent,
    // and the row, settled after the answer's end, says what is wrong with it
    expect(res.status).toBe(200);
    const body = (await res.json()) as ImagesBody;
    expect(decodeB64(body.data[0]?.b64_json as string).byteLength).toBe(100);
    const job = await lastJob("gen-cut");
    expect(job?.status).toBe("failed");
    expect(JSON.parse(job?.error ?? "{}")).toMatchObject({
      code: "bad_response",
      possibly_billed: true,
      message: expect.stringMatching(/not whole: image 0 .*PNG ends after 100 bytes/),
    });
    const [key] = (JSON.parse(job?.image_keys ?? "[]") as { key: string }[]).map((i) => i.key);
    const stored = await env.IMAGES.get(key as string);
    expect((await stored?.arrayBuffer())?.byteLength).toBe(100);
    const usage = await env.DB.prepare("SELECT * FROM usage WHERE token_id = ?")
      .bind(tokenId)
      .first<Record<string, number>>();
    expect(usage).toMatchObject({ images: 1, possibly_billed: 1 });
    expect(usage?.output_tokens).toBeGreaterThan(0);
  });

  it.each<[string, Record<string, unknown>, Record<string, string>]>([
    ["a url answer", { prompt: "a lost cat", response_format: "url" }, {}],
    ["a keyed b64_json answer", { prompt: "a lost cat" }, { "idempotency-key": "lost-1" }],
  ])(
    "tells the client the request may have been billed when an image cannot be stored: %s",
    async (_n, body, headers) => {
      start();
      const team = `gen-lost-${crypto.randomUUID().slice(0, 8)}`;
      const { token } = await memberToken({ team });
      // R2 refuses this team's output images (and nothing else)
      const bucket = Object.getPrototypeOf(env.IMAGES) as R2Bucket;
      const put = bucket.put;
      vi.spyOn(bucket, "put").mockImplementation(function (this: R2Bucket, key, ...rest) {
        if (key.startsWith(`t/${team}/`)) return Promise.reject(new Error("R2 is unavailable"));
        return put.call(this, key, ...rest);
      });
      const res = await call("/v1/images/generations", {
        token,
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify(body),
      });
      const text = await responseText(res.clone());
      expect(res.status).toBe(500);
      const answer = (await res.json()) as { error: Record<string, unknown> };
      expect(answer.error).toMatchObject({
        code: "internal",
        possibly_billed: true,
        message: expect.stringMatching(/could not be stored; the provider may have billed the request/),
      });
      expect(answer.error.request_id).toEqual(expect.any(String));
      expectNoCanary(text, "the error response");
      vi.restoreAllMocks();
      // the row records the same failure: not a client gone, possibly billed
      const job = await lastJob(team);
      expect(job?.status).toBe("failed");
      const error = JSON.parse(job?.error ?? "{}") as Record<string, unknown>;
      expect(error).toMatchObject({ code: "internal", possibly_billed: true });
      expect(error.message).toMatch(/could not be stored/);
    },
  );

  it("names a size alias the model makes smaller in Gptimg-Unsent-Options", async () => {
    start();
    const { token } = await memberToken({ team: "gen-alias" });
    const res = await generate(token, { prompt: "a wide sea", model: "gpt-image-1", size: "4k" });
    expect(res.status).toBe(200);
    expect(res.headers.get("gptimg-unsent-options")).toBe(
      "size=4k (gpt-image-1 makes no 3840x2160; its closest, 1536x1024, is sent)",
    );
    await res.arrayBuffer();
    const fits = await generate(token, { prompt: "a wide sea", model: "gpt-image-1", size: "landscape" });
    expect(fits.headers.get("gptimg-unsent-options")).toBeNull();
    await fits.arrayBuffer();
  });

  it("replays an Idempotency-Key request from R2 without calling the provider again", async () => {
    const side = start();
    const { token } = await memberToken({ team: "gen-idem" });
    const init = (body: unknown) => ({
      token,
      method: "POST",
      headers: { "content-type": "application/json", "idempotency-key": "key-1" },
      body: JSON.stringify(body),
    });
    const first = (await (await call("/v1/images/generations", init({ prompt: "once" }))).json()) as ImagesBody;
    const again = await call("/v1/images/generations", init({ prompt: "once" }));
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(((await again.json()) as ImagesBody).data[0]?.b64_json).toBe(first.data[0]?.b64_json);
    expect(side.calls).toHaveLength(1);
    const other = await call("/v1/images/generations", init({ prompt: "different" }));
    expect(other.status).toBe(409);
    expect(await other.json()).toMatchObject({ error: { code: "idempotency_conflict" } });
  });
});

describe("POST /v1/images/edits", () => {
  const edit = (token: string, form: FormData) => call("/v1/images/edits", { token, method: "POST", body: form });
  const file = (bytes: Uint8Array, name: string, type = "image/png") => new File([bytes], name, { type });

  it("edits with several images and a mask; inputs are stored beside the outputs", async () => {
    const side = start();
    const { token } = await memberToken({ team: "edit-ok", member: "eve" });
    const form = new FormData();
    form.append("prompt", "add a red scarf");
    form.append("image[]", file(png({ width: 64, height: 64 }), "dog.png"));
    form.append("image[]", file(png({ width: 32, height: 32 }), "ref.png"));
    form.append("mask", file(png({ width: 64, height: 64 }), "mask.png"));
    form.append("size", "1024x1024");
    form.append("n", "1");
    const res = await edit(token, form);
    const text = await responseText(res.clone());
    expect(res.status).toBe(200);
    const body = (await res.json()) as ImagesBody;
    expect(inspectImage(decodeB64(body.data[0]?.b64_json as string))).toMatchObject({
      ok: true,
      width: 1024,
      height: 1024,
    });
    expectNoCanary(text, "the response");
    expect(side.calls[0]?.url).toBe(`${env.PROVIDER_BASE_URL}/images/edits`);
    const job = await lastJob("edit-ok");
    expect(job?.status).toBe("succeeded");
    const prefix = `t/edit-ok/${new Date().toISOString().slice(0, 7).replace("-", "/")}/${job?.id}/`;
    expect(JSON.parse(job?.input_keys ?? "[]")).toEqual([
      `${prefix}input-0.png`,
      `${prefix}input-1.png`,
      `${prefix}mask.png`,
    ]);
    // the output's thumbnail is made once the row is settled, after the answer
    await vi.waitFor(async () => expect(await env.IMAGES.head(`${prefix}0.thumb.webp`)).not.toBeNull(), {
      timeout: 20_000,
      interval: 50,
    });
    const { objects } = await dumpR2(prefix);
    expect(objects.map((o) => [o.key.slice(prefix.length), o.customMetadata?.role])).toEqual([
      ["0.png", "output"],
      ["0.thumb.webp", "thumbnail"],
      ["input-0.png", "input"],
      ["input-1.png", "input"],
      ["mask.png", "mask"],
    ]);
    const row = await env.DB.prepare("SELECT request_json FROM jobs WHERE id = ?")
      .bind(job?.id)
      .first<{ request_json: string }>();
    expect(JSON.parse(row?.request_json ?? "{}")).toMatchObject({ prompt: "add a red scarf" });
    expect(JSON.parse(row?.request_json ?? "{}")).not.toHaveProperty("images");
  });

  it("stores a large input in R2 byte for byte without reading it whole into memory", async () => {
    start();
    const { token } = await memberToken({ team: "edit-big" });
    const big = png({ width: 64, height: 64, padBeforeData: 4 * 1024 * 1024 });
    const reads: number[] = [];
    const original = Blob.prototype.arrayBuffer;
    const spy = vi.spyOn(Blob.prototype, "arrayBuffer").mockImplementation(function (this: Blob) {
      reads.push(this.size);
      return original.call(this);
    });
    const form = new FormData();
    form.append("prompt", "add a hat");
    form.append("image", file(big, "big.png"));
    let res: Response;
    try {
      res = await edit(token, form);
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    } finally {
      spy.mockRestore();
    }
    // only heads are read (64 KiB at most); the 4 MiB file itself never is
    expect(reads.length).toBeGreaterThan(0);
    expect(Math.max(...reads)).toBeLessThanOrEqual(64 * 1024);
    const job = await lastJob("edit-big");
    const [key] = JSON.parse(job?.input_keys ?? "[]") as string[];
    const stored = await env.IMAGES.get(key ?? "");
    expect(stored?.size).toBe(big.byteLength);
    const digest = async (b: ArrayBuffer | Uint8Array) => [...new Uint8Array(await crypto.subtle.digest("SHA-256", b))];
    expect(await digest((await stored?.arrayBuffer()) ?? new ArrayBuffer(0))).toEqual(await digest(big));
  });

  it("streams image_edit events; with response_format=url the completed event carries a signed URL beside b64_json", async () => {
    start();
    const { token } = await memberToken({ team: "edit-sse" });
    const form = new FormData();
    form.append("prompt", "make it night");
    form.append("image", file(png({ width: 64, height: 64 }), "a.png"));
    form.append("stream", "true");
    form.append("partial_images", "1");
    form.append("response_format", "url");
    const res = await edit(token, form);
    expect(res.status).toBe(200);
    const events = parseSse(await res.text());
    expect(events.map((e) => e.event)).toEqual(["image_edit.partial_image", "image_edit.completed"]);
    const done = events[1]?.data as { url: string; b64_json: string };
    const url = new URL(done.url);
    const download = await call(url.pathname + url.search);
    expect(download.status).toBe(200);
    const downloaded = new Uint8Array(await download.arrayBuffer());
    expect(inspectImage(downloaded)).toMatchObject({ ok: true });
    // the spec requires b64_json on every completed event: the same image as at the URL
    expect(decodeB64(done.b64_json)).toEqual(downloaded);
  });

  const tiny = () => file(png({ width: 16, height: 16 }), "a.png");
  it.each<[string, () => [string, string | File][], string]>([
    ["no image", () => [["prompt", "x"]], "image"],
    [
      "an image sent as text",
      () => [
        ["prompt", "x"],
        ["image", "not a file"],
      ],
      "image",
    ],
    [
      "17 images",
      () => [["prompt", "x"], ...Array.from({ length: 17 }, (): [string, File] => ["image[]", tiny()])],
      "image",
    ],
    [
      "a file that is not an image",
      () => [
        ["prompt", "x"],
        ["image", file(new TextEncoder().encode("hello"), "a.txt", "text/plain")],
      ],
      "image",
    ],
    [
      "n that is not a number",
      () => [
        ["prompt", "x"],
        ["n", "two"],
        ["image", tiny()],
      ],
      "n",
    ],
    ["no prompt", () => [["image", tiny()]], "prompt"],
  ])("400 for %s, naming the field", async (_n, fields, field) => {
    const side = start();
    const { token } = await memberToken({ team: "edit-bad" });
    const form = new FormData();
    for (const [name, value] of fields()) form.append(name, value);
    const res = await edit(token, form);
    expect(res.status).toBe(400);
    const err = (await res.json()) as { error: { param: string; message: string } };
    expect(err.error.param).toMatch(new RegExp(`^${field.replace(/[[\]]/g, "\\$&")}`));
    expect(err.error.message).toContain(field);
    expect(side.calls).toHaveLength(0);
  });

  it("400 for an input that is only the first 100 bytes of a PNG: nothing stored, nothing sent", async () => {
    const side = start();
    const { token } = await memberToken({ team: "edit-cut" });
    const form = new FormData();
    form.append("prompt", "add a red scarf");
    form.append("image[]", file(png({ width: 64, height: 64 }), "dog.png"));
    form.append("image[]", file(png({ width: 64, height: 64 }).subarray(0, 100), "cut.png"));
    const res = await edit(token, form);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      error: {
        type: "invalid_request_error",
        code: "validation",
        param: "image[1]",
        message: expect.stringContaining(
          "image[1] cut.png: must be a whole image (PNG ends after 100 bytes, inside its IDAT chunk of 304 bytes: the file is truncated)",
        ),
      },
    });
    expect(side.calls).toHaveLength(0);
    expect(await lastJob("edit-cut")).toBeNull();
    expect((await dumpR2("t/edit-cut/")).objects).toEqual([]);
  });

  it("400 for a JSON body without images (the JSON edit form needs them) and for other content types", async () => {
    start();
    const { token } = await memberToken();
    const send = (type: string) =>
      call("/v1/images/edits", { token, method: "POST", headers: { "content-type": type }, body: "{}" });
    const res = await send("application/json");
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: "validation", param: "images" } });
    const text = await send("text/plain");
    expect(text.status).toBe(400);
    expect(await text.json()).toMatchObject({
      error: { code: "validation", param: "body", message: expect.stringMatching(/application\/json/) },
    });
  });
});
