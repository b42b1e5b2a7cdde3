/**
 * Bounded memory, shown by behaviour: the upstream answer is read no further ahead of the R2 puts
 * than one image, and a b64_json answer reads R2 only as fast as its client takes the body.
 * Thumbnails never stand between an image and its answer: they are handed to the background.
 */
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { noisePng, png } from "../../../../../packages/core/test-fixtures/images.ts";
import type { Env } from "../../env.ts";
import { thumbnailKey } from "../../lib/thumbnails.ts";
import { b64JsonResponse, type ResultImage } from "./respond-json.ts";
import { planRun, runImageRequest } from "./run.ts";

const MiB = 1024 * 1024;
const CHUNK = 64 * 1024;

const toB64 = (bytes: Uint8Array) => (bytes as unknown as { toBase64(): string }).toBase64();

/** A pull-driven body over `text` in 64 KiB chunks that counts how much has been handed out. */
function countedBody(text: string): { body: ReadableStream<Uint8Array>; pulled: () => number } {
  const bytes = new TextEncoder().encode(text);
  let at = 0;
  const body = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (at >= bytes.length) return controller.close();
        controller.enqueue(bytes.slice(at, at + CHUNK));
        at += CHUNK;
      },
    },
    { highWaterMark: 0 },
  );
  return { body, pulled: () => Math.min(at, bytes.length) };
}

afterEach(() => vi.restoreAllMocks());

describe("memory bounds of the image path", () => {
  it("puts each image into R2 before the next one is read from the provider's answer", async () => {
    const images = [0, 1, 2, 3].map((i) => noisePng(2 * MiB, i));
    const parts = images.map((img) => `{"b64_json":"${toB64(img)}"}`);
    const json = `{"created":1,"data":[${parts.join(",")}],"usage":{"total_tokens":1,"input_tokens":1,"output_tokens":0}}`;
    // where each image's JSON item ends in the body
    const ends: number[] = [];
    let offset = `{"created":1,"data":[`.length;
    for (const p of parts) {
      offset += p.length;
      ends.push(offset);
      offset += 1;
    }
    const upstream = countedBody(json);
    vi.spyOn(globalThis, "fetch").mockImplementation(
      async () => new Response(upstream.body, { headers: { "content-type": "application/json" } }),
    );
    const putsAt: { key: string; pulled: number; bytes: number }[] = [];
    const bucket = env.IMAGES;
    const counting = new Proxy(bucket, {
      get(target, prop) {
        if (prop === "put")
          return async (key: string, value: Uint8Array, opts?: R2PutOptions) => {
            putsAt.push({ key, pulled: upstream.pulled(), bytes: value.byteLength });
            return target.put(key, value, opts);
          };
        const v = Reflect.get(target, prop);
        return typeof v === "function" ? v.bind(target) : v;
      },
    });
    const options = { prompt: "memory", n: 4, model: "gpt-image-2" };
    const events = runImageRequest({
      env: { ...(env as unknown as Env), IMAGES: counting },
      member: { team: "acme", member: "alice", tokenId: "tok_memory" } as never,
      kind: "generate",
      options,
      plan: await planRun(env as unknown as Env, "generate", options),
      holdId: "hold_memory",
    });
    const stored: string[] = [];
    for await (const ev of events) if (ev.type === "image") stored.push(ev.key);
    expect(stored).toHaveLength(4);
    expect(putsAt.map((p) => p.bytes)).toEqual(images.map((i) => i.byteLength));
    for (const [i, put] of putsAt.entries()) {
      // image i is complete once its item closed; the reader may be at most one body chunk past it,
      // never into the bulk of the next image
      expect(put.pulled).toBeGreaterThanOrEqual(ends[i] as number);
      expect(put.pulled).toBeLessThanOrEqual((ends[i] as number) + 2 * CHUNK);
    }
    for (const [i, key] of stored.entries()) {
      const obj = await bucket.get(key);
      // compared as base64 text: a deep equality over megabytes of array elements is very slow
      expect(toB64(new Uint8Array((await obj?.arrayBuffer()) ?? new ArrayBuffer(0)))).toBe(
        toB64(images[i] as Uint8Array),
      );
    }
  });

  it("reads each stored image from R2 only when the client has taken the ones before it", async () => {
    const images = [0, 1, 2].map((i) => noisePng(1 * MiB, 10 + i));
    const keys = images.map((_, i) => `t/acme/memory/${crypto.randomUUID()}/${i}.png`);
    for (const [i, key] of keys.entries()) await env.IMAGES.put(key, images[i] as Uint8Array);
    let bodyRead = 0;
    const gets: { key: string; delivered: number }[] = [];
    let delivered = 0;
    const bucket = {
      async get(key: string) {
        gets.push({ key, delivered });
        const obj = await env.IMAGES.get(key);
        if (!obj) return null;
        const reader = obj.body.getReader();
        // count what leaves R2, to bound what sits between R2 and the client
        const body = new ReadableStream<Uint8Array>(
          {
            async pull(controller) {
              const { done, value } = await reader.read();
              if (done) return controller.close();
              bodyRead += value.byteLength;
              controller.enqueue(value);
            },
          },
          { highWaterMark: 0 },
        );
        return { body };
      },
    } as unknown as R2Bucket;
    const list: ResultImage[] = keys.map((key, index) => ({ index, key }));
    const res = b64JsonResponse(bucket, 7, list, { output_format: "png" });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const chunks: Uint8Array[] = [];
    let maxAhead = 0;
    for (let reads = 0; reads < 10_000; reads++) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      delivered += value.byteLength;
      // base64 grows 4/3: bytes read from R2 beyond what the client has received, decoded
      maxAhead = Math.max(maxAhead, bodyRead - Math.floor((delivered * 3) / 4));
    }
    const text = new TextDecoder().decode(await new Blob(chunks).arrayBuffer());
    const body = JSON.parse(text) as { created: number; data: { b64_json: string }[]; output_format: string };
    expect(body.created).toBe(7);
    expect(body.output_format).toBe("png");
    expect(body.data.map((d) => d.b64_json)).toEqual(images.map(toB64));
    expect(gets.map((g) => g.key)).toEqual(keys);
    // image i is fetched only after the whole base64 of the images before it reached the client
    let before = 0;
    for (const [i, g] of gets.entries()) {
      expect(g.delivered).toBeGreaterThanOrEqual(before);
      before += Math.ceil(((images[i] as Uint8Array).byteLength * 4) / 3);
    }
    // never more than one slice (192 KiB) plus one R2 chunk ahead of the client, not a whole image
    expect(maxAhead).toBeLessThan(512 * 1024);
  });
});

describe("thumbnails off the answer's path", () => {
  const answer = (n: number) => {
    const data = Array.from({ length: n }, (_, i) => ({ b64_json: toB64(png({ width: 96 + i, height: 64 })) }));
    return JSON.stringify({ created: 1, data, usage: { total_tokens: 1, input_tokens: 1, output_tokens: 0 } });
  };
  const run = async (imagesApi: ImagesBinding, background?: (w: Promise<void>) => void) => {
    vi.spyOn(globalThis, "fetch").mockImplementation(
      async () => new Response(answer(2), { headers: { "content-type": "application/json" } }),
    );
    const options = { prompt: "thumbs", n: 2, model: "gpt-image-2" };
    const events = runImageRequest({
      env: { ...(env as unknown as Env), IMAGES_API: imagesApi },
      member: { team: "acme", member: "alice", tokenId: "tok_thumbs" } as never,
      kind: "generate",
      options,
      plan: await planRun(env as unknown as Env, "generate", options),
      holdId: "hold_thumbs",
      ...(background ? { background } : {}),
    });
    const keys: string[] = [];
    for await (const ev of events) if (ev.type === "image") keys.push((await ev.stored).key);
    return keys;
  };

  it("answers and settles while the Images binding never answers, then makes them in the background", async () => {
    // an Images binding that hangs: nothing of the run may wait on it
    let asked = 0;
    const never = { output: () => new Promise(() => undefined) };
    const hanging = {
      input() {
        asked += 1;
        return { transform: () => never };
      },
    } as unknown as ImagesBinding;
    const later: Promise<void>[] = [];
    const keys = await run(hanging, (w) => later.push(w));
    expect(keys).toHaveLength(2);
    // every image stored and the row settled; the thumbnails handed over once, still pending
    for (const key of keys) expect(await env.IMAGES.head(key)).not.toBeNull();
    expect(later).toHaveLength(1);
    const pending = Symbol("pending");
    expect(await Promise.race([later[0], Promise.resolve(pending)])).toBe(pending);
    // it started with the first image and got no further
    await vi.waitFor(() => expect(asked).toBe(1));
    for (const key of keys) expect(await env.IMAGES.head(thumbnailKey(key))).toBeNull();
  });

  it("makes a WebP thumbnail of each image once the work handed to the background has run", async () => {
    const later: Promise<void>[] = [];
    const keys = await run(env.IMAGES_API as ImagesBinding, (w) => later.push(w));
    expect(later).toHaveLength(1);
    await later[0];
    for (const key of keys) {
      const thumb = await env.IMAGES.get(thumbnailKey(key));
      const bytes = new Uint8Array((await thumb?.arrayBuffer()) ?? new ArrayBuffer(0));
      expect(new TextDecoder().decode(bytes.slice(8, 12))).toBe("WEBP");
      expect(thumb?.customMetadata?.role).toBe("thumbnail");
    }
  });
});

describe("a streamed b64_json answer's puts", () => {
  /** R2 whose puts are logged in `order`, beside the events the test logs there. */
  const loggingBucket = (order: string[]) =>
    new Proxy(env.IMAGES, {
      get(target, prop) {
        if (prop === "put")
          return async (key: string, value: Uint8Array, opts?: R2PutOptions) => {
            order.push(`put ${key.slice(-5)}`);
            return target.put(key, value, opts);
          };
        const v = Reflect.get(target, prop);
        return typeof v === "function" ? v.bind(target) : v;
      },
    });

  const start = async (json: string, order: string[], n: number) => {
    vi.spyOn(globalThis, "fetch").mockImplementation(
      async () => new Response(countedBody(json).body, { headers: { "content-type": "application/json" } }),
    );
    const options = { prompt: "stream through", n, model: "gpt-image-2" };
    return runImageRequest({
      env: { ...(env as unknown as Env), IMAGES: loggingBucket(order) },
      member: { team: "acme", member: "alice", tokenId: "tok_gates" } as never,
      kind: "generate",
      options,
      plan: await planRun(env as unknown as Env, "generate", options),
      holdId: "hold_gates",
      onBase64: async () => undefined,
    });
  };

  it("start once the next image or the provider's answer end has come, not while the body is being sent", async () => {
    const images = [0, 1].map((i) => noisePng(256 * 1024, 30 + i));
    const json = `{"created":1,"data":[${images.map((img) => `{"b64_json":"${toB64(img)}"}`).join(",")}]}`;
    const order: string[] = [];
    const events = await start(json, order, 2);
    const keys: string[] = [];
    for await (const ev of events) {
      if (ev.type === "image") keys.push(ev.key);
      order.push(ev.type === "image" ? `image ${ev.key.slice(-5)}` : ev.type);
    }
    const [k0, k1] = keys.map((k) => k.slice(-5));
    expect(order).toEqual([`image ${k0}`, `put ${k0}`, `image ${k1}`, "answered", `put ${k1}`, "done"]);
    for (const [i, key] of keys.entries()) {
      const obj = await env.IMAGES.get(key);
      expect(toB64(new Uint8Array((await obj?.arrayBuffer()) ?? new ArrayBuffer(0)))).toBe(
        toB64(images[i] as Uint8Array),
      );
    }
  });

  it("still store an image already made when the answer fails after it", async () => {
    const image = noisePng(256 * 1024, 40);
    // the provider's answer stops after its first image: no second one, no closing brackets
    const json = `{"created":1,"data":[{"b64_json":"${toB64(image)}"},{"b64_json":"iVBO`;
    const order: string[] = [];
    const events = await start(json, order, 2);
    const keys: string[] = [];
    await expect(
      (async () => {
        for await (const ev of events) if (ev.type === "image") keys.push(ev.key);
      })(),
    ).rejects.toThrow();
    expect(keys).toHaveLength(1);
    expect(order).toEqual([`put ${(keys[0] as string).slice(-5)}`]);
    const obj = await env.IMAGES.get(keys[0] as string);
    expect(obj?.size).toBe(image.byteLength);
  });
});
