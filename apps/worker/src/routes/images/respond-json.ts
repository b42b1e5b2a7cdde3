import { encodeBase64, type GeneratedImage } from "@gptimg/core";
import type { Env } from "../../env.ts";
import { signUrl } from "../../lib/signing.ts";
import type { RunEvent } from "./run.ts";
import { type Echo, responseTail } from "./wire.ts";

/** An image of a finished request: where it is in R2 and what OpenAI's `data[i]` says about it. */
export interface ResultImage {
  index: number;
  key: string;
  revised_prompt?: string;
}

/** A finished synchronous request: images in R2 (bytes dropped), and the fields after `data`. */
export interface Collected {
  images: ResultImage[];
  tail: Record<string, unknown>;
}

/**
 * Drains a run: every image is in R2 once this resolves, and only one image was held at a time.
 * Any failure (provider, storage) rejects here, before a status line is sent.
 */
export async function collect(events: AsyncGenerator<RunEvent>, echo: Echo): Promise<Collected> {
  const images: ResultImage[] = [];
  let first: Pick<GeneratedImage, "format" | "width" | "height"> | undefined;
  let tail: Record<string, unknown> = {};
  for await (const ev of events) {
    if (ev.type === "stored") {
      const { format, width, height, revisedPrompt } = ev.image;
      first ??= { format, width, height };
      images.push({
        index: ev.image.index,
        key: ev.stored.key,
        ...(revisedPrompt !== undefined ? { revised_prompt: revisedPrompt } : {}),
      });
    } else if (ev.type === "done") tail = responseTail(first, ev.result, echo);
  }
  images.sort((a, b) => a.index - b.index);
  return { images, tail };
}

/** 3 × 64 KiB: whole base64 quads, so encoded slices join without padding in between. */
const SLICE = 3 * 64 * 1024;
const enc = new TextEncoder();

/** Base64 of a byte stream, slice by slice, carrying at most two bytes between slices. */
async function* base64Slices(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let carry = new Uint8Array(0);
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    let buf = value;
    if (carry.length) {
      buf = new Uint8Array(carry.length + value.length);
      buf.set(carry);
      buf.set(value, carry.length);
    }
    const whole = buf.length - (buf.length % 3);
    for (let at = 0; at < whole; at += SLICE) yield encodeBase64(buf.subarray(at, Math.min(at + SLICE, whole)));
    carry = buf.slice(whole);
  }
  if (carry.length) yield encodeBase64(carry);
}

/**
 * A `b64_json` response, `{"created":…,"data":[{"b64_json":"…"},…],…,"usage":…}`, streamed from
 * R2 one image and one slice at a time: n=10 4K PNGs are ~150 MB of base64, more than a Worker's
 * 128 MB, so the body is never whole in memory.
 * @example
 * return b64JsonResponse(env.IMAGES, created, images, tail);
 */
export function b64JsonResponse(
  bucket: R2Bucket,
  created: number,
  images: ResultImage[],
  tail: Record<string, unknown>,
): Response {
  const tailJson = JSON.stringify(tail);
  async function* body(): AsyncGenerator<string> {
    yield `{"created":${created},"data":[`;
    for (const [i, img] of images.entries()) {
      const obj = await bucket.get(img.key);
      if (!obj) throw new Error(`stored image ${img.index} is missing`);
      yield `${i ? "," : ""}{"b64_json":"`;
      yield* base64Slices(obj.body);
      yield `"${img.revised_prompt === undefined ? "" : `,"revised_prompt":${JSON.stringify(img.revised_prompt)}`}}`;
    }
    yield `]${tailJson === "{}" ? "}" : `,${tailJson.slice(1)}`}`;
  }
  const it = body();
  const stream = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const { done, value } = await it.next();
        if (done) controller.close();
        else controller.enqueue(enc.encode(value));
      },
      async cancel() {
        await it.return(undefined);
      },
    },
    { highWaterMark: 0 },
  );
  return new Response(stream, { headers: { "Content-Type": "application/json" } });
}

/** A `url` response: each image gets a signed, expiring `/files/…` URL. */
export async function urlResponseBody(
  env: Env,
  origin: string,
  created: number,
  c: Collected,
): Promise<Record<string, unknown>> {
  const data = await Promise.all(
    c.images.map(async (img) => ({
      url: await signUrl(env, origin, img.key),
      ...(img.revised_prompt !== undefined ? { revised_prompt: img.revised_prompt } : {}),
    })),
  );
  return { created, data, ...c.tail };
}
