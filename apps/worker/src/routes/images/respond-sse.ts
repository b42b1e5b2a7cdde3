import { encodeBase64 } from "@gptimg/core";
import type { Env } from "../../env.ts";
import { toOpenAIError } from "../../lib/errors.ts";
import { envSecrets } from "../../lib/secrets.ts";
import { signUrl } from "../../lib/signing.ts";
import type { RunEvent } from "./run.ts";
import { type Echo, wireUsage } from "./wire.ts";

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
  /** aborted when the stream ends early (the client went away), to stop the upstream request */
  stop?: AbortController;
}

/**
 * OpenAI's image streaming events (`<prefix>.partial_image`, `<prefix>.completed`) re-encoded from
 * core's events. Each final image is in R2 before its `completed` event goes out. The last image's
 * event waits for the provider's usage so it can carry it, as OpenAI's does; that holds one image.
 * An error after the stream started is sent as an `error` event (the status line is already gone).
 */
export function streamSse(first: RunEvent, rest: AsyncGenerator<RunEvent>, o: SseOptions): Response {
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
  const writer = writable.getWriter();
  // the client went away (the readable was cancelled): stop the upstream request now rather than
  // at the pump's next write, which waits for the provider's next event
  writer.closed.catch(() => o.stop?.abort());
  const completed = async (ev: Extract<RunEvent, { type: "stored" }>, usage?: Record<string, unknown>) => {
    const img = ev.image;
    const data: Record<string, unknown> = { type: `${o.prefix}.completed` };
    if (o.responseFormat === "url") data.url = await signUrl(o.env, o.origin, ev.stored.key);
    else data.b64_json = encodeBase64(img.bytes);
    Object.assign(data, {
      created_at: o.created,
      size: `${img.width}x${img.height}`,
      ...(o.echo.quality ? { quality: o.echo.quality } : {}),
      ...(o.echo.background ? { background: o.echo.background } : {}),
      output_format: img.format,
      ...(img.revisedPrompt !== undefined ? { revised_prompt: img.revisedPrompt } : {}),
      ...(usage ? { usage } : {}),
    });
    await writer.write(frame(data.type as string, data));
  };
  const pump = async () => {
    let pending: Extract<RunEvent, { type: "stored" }> | undefined;
    try {
      let ev: RunEvent | undefined = first;
      while (ev) {
        if (ev.type === "partial") {
          const img = ev.image;
          await writer.write(
            frame(`${o.prefix}.partial_image`, {
              type: `${o.prefix}.partial_image`,
              b64_json: encodeBase64(img.bytes),
              created_at: o.created,
              size: `${img.width}x${img.height}`,
              ...(o.echo.quality ? { quality: o.echo.quality } : {}),
              ...(o.echo.background ? { background: o.echo.background } : {}),
              output_format: img.format,
              partial_image_index: ev.partialIndex,
            }),
          );
        } else if (ev.type === "stored") {
          if (pending) await completed(pending);
          pending = ev;
        } else if (ev.type === "done") {
          if (pending) await completed(pending, wireUsage(ev.result.usage));
          pending = undefined;
        }
        const next: IteratorResult<RunEvent> = await rest.next();
        ev = next.done ? undefined : next.value;
      }
      await writer.close();
    } catch (e) {
      const { body } = toOpenAIError(e, envSecrets(o.env));
      await rest.return(undefined).catch(() => {});
      await writer.write(frame("error", { type: "error", ...body })).catch(() => {});
      await writer.close().catch(() => {});
    }
  };
  void pump();
  return new Response(readable, {
    headers: {
      "Content-Type": "text/event-stream; charset=utf-8",
      "Cache-Control": "no-cache",
      "X-Accel-Buffering": "no",
    },
  });
}
