import { encodeBase64, type GeneratedImage } from "@gptimg/core";
import type { Env } from "../../env.ts";
import { signUrl } from "../../lib/signing.ts";
import { type RunEvent, StoreError } from "./run.ts";
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
 * Drains a run to its end: every image is in R2 and the row settled once this resolves, and only
 * two images were held at a time. Any failure (provider, storage) rejects here, before a status
 * line is sent. For answers an Idempotency-Key replays, which must name stored images only.
 */
export async function collect(events: AsyncGenerator<RunEvent>, echo: Echo): Promise<Collected> {
  const images: ResultImage[] = [];
  let first: Pick<GeneratedImage, "format" | "width" | "height"> | undefined;
  let tail: Record<string, unknown> = {};
  for await (const ev of events) {
    if (ev.type === "image") {
      first ??= ev.image;
      images.push(resultImage(ev));
    } else if (ev.type === "done") tail = responseTail(first, ev.result, echo);
  }
  images.sort((a, b) => a.index - b.index);
  return { images, tail };
}

const resultImage = (ev: Extract<RunEvent, { type: "image" }>): ResultImage => ({
  index: ev.image.index,
  key: ev.key,
  ...(ev.image.revisedPrompt !== undefined ? { revised_prompt: ev.image.revisedPrompt } : {}),
});

/** An answer that is ready before its run is over: what is left (storing, settling the row) runs on in `rest`. */
export interface EarlyAnswer<T> {
  answer: T;
  /** the run's remainder, never rejecting: the row records any failure */
  rest: Promise<void>;
}

/** Pulls what is left of a run (its row settles at its end); failures are the row's to record. */
export async function drain(events: AsyncGenerator<RunEvent>): Promise<void> {
  try {
    for await (const _ of events);
  } catch {
    // recorded in the job row by the run itself
  }
}

/**
 * A `url` answer: waits for the provider's answer and for each image's R2 put, and for nothing
 * else. Each URL is signed while its image is being stored; the row is settled in `rest`, after
 * the answer (one D1 batch that records usage and releases the quota hold).
 */
export async function answerUrl(
  env: Env,
  origin: string,
  created: number,
  events: AsyncGenerator<RunEvent>,
  echo: Echo,
): Promise<EarlyAnswer<{ body: Record<string, unknown>; collected: Collected }>> {
  const images: (ResultImage & { url: Promise<string>; stored: Promise<unknown> })[] = [];
  let first: Pick<GeneratedImage, "format" | "width" | "height"> | undefined;
  try {
    for (;;) {
      const next = await events.next();
      if (next.done) throw new Error("the run ended without an answer");
      const ev = next.value;
      if (ev.type === "image") {
        first ??= ev.image;
        images.push({ ...resultImage(ev), url: signUrl(env, origin, ev.key), stored: ev.stored });
      } else if (ev.type === "answered") {
        const tail = responseTail(first, ev.result, echo);
        const data = await Promise.all(
          images.map(async (img) => {
            await img.stored.catch((e: unknown) => {
              throw new StoreError(e);
            });
            return {
              url: await img.url,
              ...(img.revised_prompt !== undefined ? { revised_prompt: img.revised_prompt } : {}),
            };
          }),
        );
        images.sort((a, b) => a.index - b.index);
        const collected = { images: images.map(({ url: _u, stored: _s, ...img }) => img), tail };
        return { answer: { body: { created, data, ...tail }, collected }, rest: drain(events) };
      }
    }
  } catch (e) {
    // The run records the failure itself (a store that failed, not a client gone) before the
    // error answer goes out, and answers with what it recorded; a run that already ended
    // rejects with what it threw.
    throw await events.throw(e).then(
      () => e,
      (recorded: unknown) => recorded,
    );
  }
}

const enc0 = new TextEncoder();

/**
 * A `b64_json` answer streamed as the provider's answer arrives: each image's base64 text is
 * passed from the provider's body to the client as it comes (`onBase64`, from core's tap) while
 * the same bytes are decoded once and stored in R2 beside it. An answer that came in another
 * shape (SSE, chat, a URL) is encoded from the decoded image instead. The status line waits for
 * the body's first write (64 KiB of checked image text, or a whole image, see `write`), so a
 * failure found before it (invalid base64 or JSON, a cut answer) keeps its own HTTP status and
 * error body; a failure after it cuts the body (the client sees an incomplete answer; the row
 * records the failure). The body ends with the provider's answer: storing and settling the row
 * go on in `rest`.
 */
export class B64JsonStream {
  private readonly writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly body: ReadableStream<Uint8Array>;
  private opened = false;
  private open: number | undefined;
  private count = 0;
  private first: Pick<GeneratedImage, "format" | "width" | "height"> | undefined;
  private started: () => void = () => undefined;
  /** resolves when the body's first bytes are written: the status line goes out with them */
  readonly ready = new Promise<void>((resolve) => {
    this.started = resolve;
  });

  constructor(
    private readonly created: number,
    private readonly echo: Echo,
    /** aborted when the client goes away, to stop the provider's request */
    stop: AbortController,
  ) {
    // room for a few gathered writes, so reading the provider's body goes on while the client drains
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>(
      undefined,
      new ByteLengthQueuingStrategy({ highWaterMark: 4 * GATHER }),
    );
    this.body = readable;
    this.writer = writable.getWriter();
    this.writer.closed.catch(() => stop.abort());
  }

  /** bytes gathered for the next write to the client */
  private gathered = new Uint8Array(GATHER);
  private at = 0;

  /**
   * Adds bytes to the body. They are gathered into writes of up to `GATHER` bytes: a provider's
   * body arrives in chunks of a few KiB, and each write to a response costs the runtime about as
   * much as moving 16 KiB, so writing chunk by chunk made the body several times slower than its
   * bytes. `bytes` is copied (the tap's text is a view of a chunk core is still decoding).
   */
  private async write(s: string | Uint8Array): Promise<void> {
    const bytes = typeof s === "string" ? enc0.encode(s) : s;
    if (this.at + bytes.length > GATHER) await this.flush();
    if (bytes.length >= GATHER) {
      await this.send(bytes.slice());
      return;
    }
    this.gathered.set(bytes, this.at);
    this.at += bytes.length;
  }

  /** Writes what is gathered; a fresh buffer follows, as the runtime may take over the one written. */
  private async flush(): Promise<void> {
    if (this.at === 0) return;
    const out = this.gathered.subarray(0, this.at);
    this.gathered = new Uint8Array(GATHER);
    this.at = 0;
    await this.send(out);
  }

  /**
   * Writes to the client's body, releasing the status line on the first write. Until then
   * nothing has left: the gathered text passed core's checks of the provider's answer so far, and
   * a failure found in the next chunk (invalid base64 or JSON, a cut body) still gets its status.
   */
  private async send(bytes: Uint8Array): Promise<void> {
    // before the write: it settles only once the client reads, after the status line is out
    this.started();
    await this.writer.write(bytes);
  }

  private async item(index: number): Promise<void> {
    if (!this.opened) {
      this.opened = true;
      await this.write(`{"created":${this.created},"data":[`);
    }
    await this.write(`${this.count ? "," : ""}{"b64_json":"`);
    this.open = index;
  }

  /** The tap: an image's base64 text, as it arrives. */
  readonly onBase64 = async (index: number, text: Uint8Array): Promise<void> => {
    if (this.open !== index) await this.item(index);
    await this.write(text);
  };

  /** Writes the run into the body up to the provider's answer; resolves with what is left of the run. */
  async pump(events: AsyncGenerator<RunEvent>): Promise<void> {
    try {
      for (;;) {
        const next = await events.next();
        if (next.done) throw new Error("the run ended without an answer");
        const ev = next.value;
        if (ev.type === "image") {
          const img = ev.image;
          this.first ??= img;
          if (this.open !== img.index) {
            await this.item(img.index);
            for (let at = 0; at < img.bytes.length; at += SLICE) {
              await this.write(encodeBase64(img.bytes.subarray(at, Math.min(at + SLICE, img.bytes.length))));
            }
          }
          const rp = img.revisedPrompt === undefined ? "" : `,"revised_prompt":${JSON.stringify(img.revisedPrompt)}`;
          await this.write(`"${rp}}`);
          // the image's text is whole: its last bytes go out now, not with the next image's
          await this.flush();
          this.open = undefined;
          this.count++;
        } else if (ev.type === "answered") {
          const tail = JSON.stringify(responseTail(this.first, ev.result, this.echo));
          await this.write(`]${tail === "{}" ? "}" : `,${tail.slice(1)}`}`);
          await this.flush();
          await this.writer.close();
          return;
        }
      }
    } catch (e) {
      await events.return(undefined).catch(() => undefined);
      await this.writer.abort(e).catch(() => undefined);
      throw e;
    }
  }
}

/** Bytes per write of a streamed `b64_json` body (see `B64JsonStream.write`). */
const GATHER = 64 * 1024;

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
