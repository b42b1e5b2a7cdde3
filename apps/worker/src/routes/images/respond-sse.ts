import { encodeBase64 } from "@gptimg/core";
import type { Env } from "../../env.ts";
import { toOpenAIError } from "../../lib/errors.ts";
import { envSecrets } from "../../lib/secrets.ts";
import { signUrl } from "../../lib/signing.ts";
import type { StoredImage } from "../../lib/storage.ts";
import type { RunEvent } from "./run.ts";
import { type Echo, resolvedSettings, shareUsage, wireUsage } from "./wire.ts";

const enc = new TextEncoder();
const frame = (event: string, data: unknown) => enc.encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);

export interface SseOptions {
  env: Env;
  origin: string;
  /** `image_generation` or `image_edit`: the OpenAI event-name prefix */
  prefix: "image_generation" | "image_edit";
  created: number;
  echo: Echo;
  /** with `url`, completed events carry a signed URL instead of base64 */
  responseFormat: "b64_json" | "url";
  /**
   * Takes the stream's work (the upstream request, storing, settling the row), which outlives the
   * response when the client leaves: the caller keeps the Worker alive for it (`waitUntil`) and
   * releases the quota hold only once it is done.
   */
  keepAlive?: (work: Promise<void>) => void;
}

/** A final image once its put is done: the SSE event names only stored images. */
type Stored = Omit<Extract<RunEvent, { type: "image" }>, "stored" | "key"> & { stored: StoredImage };
/** A final image waiting for the request's usage: its bytes stay in hand for the latest one only. */
type Waiting = Omit<Stored, "image"> & { image: Omit<Stored["image"], "bytes">; bytes?: Uint8Array };

/**
 * OpenAI's image streaming events (`<prefix>.partial_image`, `<prefix>.completed`) re-encoded from
 * core's events, each with every field the spec requires: quality and background as resolved
 * (see `resolvedSettings`; `auto` only when nothing says more), the real size, `usage` on every
 * `completed` event. Each final image is in R2 before its `completed` event goes out; it carries
 * `b64_json` whatever the response format (a signed `url` rides beside it with `url`). An image
 * the provider streamed with its own usage goes out at once with it; otherwise the completed
 * events wait for the request's usage and share it (images read back from R2 but the last, so one
 * image is held at a time). An error after the stream started is sent as an `error` event (the
 * status line is already gone).
 */
export function streamSse(first: RunEvent, rest: AsyncGenerator<RunEvent>, o: SseOptions): Response {
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
  const writer = writable.getWriter();
  // A client that leaves (the readable cancelled) does not stop the work: the provider may bill
  // the request already, so its images are still stored and the row settled with their usage.
  // The pump stops writing and goes on draining the run.
  let gone = false;
  writer.closed.catch(() => {
    gone = true;
  });
  const send = async (bytes: Uint8Array) => {
    if (gone) return;
    try {
      await writer.write(bytes);
    } catch {
      gone = true;
    }
  };
  const settings = (reported: { quality?: string; background?: string }, format: string) => {
    const r = resolvedSettings(reported, o.echo, format);
    return { quality: r.quality ?? "auto", background: r.background ?? "auto" };
  };
  const completed = async (ev: Waiting, bytes: Uint8Array, usage: Record<string, unknown> | undefined) => {
    if (gone) return;
    const img = ev.image;
    const type = `${o.prefix}.completed`;
    await send(
      frame(type, {
        type,
        b64_json: encodeBase64(bytes),
        ...(o.responseFormat === "url" ? { url: await signUrl(o.env, o.origin, ev.stored.key) } : {}),
        created_at: o.created,
        size: `${img.width}x${img.height}`,
        ...settings(ev, img.format),
        output_format: img.format,
        ...(img.revisedPrompt !== undefined ? { revised_prompt: img.revisedPrompt } : {}),
        ...(usage ? { usage } : {}),
      }),
    );
  };
  const readBack = async (key: string): Promise<Uint8Array> => {
    const obj = await o.env.IMAGES.get(key);
    if (!obj) throw new Error(`stored image ${key} is missing`);
    return new Uint8Array(await obj.arrayBuffer());
  };
  const pump = async () => {
    const waiting: Waiting[] = [];
    try {
      let ev: RunEvent | undefined = first;
      while (ev) {
        if (ev.type === "partial") {
          const img = ev.image;
          const type = `${o.prefix}.partial_image`;
          if (!gone)
            await send(
              frame(type, {
                type,
                b64_json: encodeBase64(img.bytes),
                created_at: o.created,
                size: `${img.width}x${img.height}`,
                ...settings(ev, img.format),
                output_format: img.format,
                partial_image_index: ev.partialIndex,
              }),
            );
        } else if (ev.type === "image") {
          const { bytes, ...image } = ev.image;
          const { key: _key, stored: put, ...reported } = ev;
          const stored = await put;
          if (ev.usage) await completed({ ...reported, stored, image }, bytes, wireUsage(ev.usage));
          else {
            const last = waiting.at(-1);
            if (last) delete last.bytes;
            waiting.push({ ...reported, stored, image, bytes });
          }
        } else if (ev.type === "answered") {
          const shares = shareUsage(wireUsage(ev.result.usage), waiting.length);
          const r = ev.result;
          for (const [i, w] of waiting.entries()) {
            const reported = { quality: w.quality ?? r.quality, background: w.background ?? r.background };
            if (!gone) await completed({ ...w, ...reported }, w.bytes ?? (await readBack(w.stored.key)), shares[i]);
          }
          waiting.length = 0;
        }
        const next: IteratorResult<RunEvent> = await rest.next();
        ev = next.done ? undefined : next.value;
      }
      if (!gone) await writer.close().catch(() => {});
    } catch (e) {
      // the run settled its row before throwing; only the client is left to tell
      const { body } = toOpenAIError(e, envSecrets(o.env));
      await rest.return(undefined).catch(() => {});
      await send(frame("error", { type: "error", ...body }));
      await writer.close().catch(() => {});
    }
  };
  const work = pump();
  o.keepAlive?.(work);
  return new Response(readable, {
    headers: {
      "Content-Type": "text/event-stream; charset=utf-8",
      "Cache-Control": "no-cache",
      "X-Accel-Buffering": "no",
    },
  });
}
