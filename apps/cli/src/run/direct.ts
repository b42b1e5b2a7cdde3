import { createImageClient, type EditOptions, type GenerateOptions, type ImageStreamEvent } from "@gptimg/core";
import { CliError } from "../cli/errors.ts";
import type { Io } from "../cli/io.ts";
import type { Progress } from "../cli/progress.ts";
import type { DirectSettings } from "../config/provider-settings.ts";
import type { Rate } from "../config/schema.ts";
import { estimateCost } from "../cost.ts";
import { type OutputMode, printSaved, type RunResult } from "./envelope.ts";
import type { ImageSaver } from "./saver.ts";

export interface DirectRun {
  io: Io;
  kind: "generate" | "edit";
  opts: GenerateOptions | EditOptions;
  settings: DirectSettings;
  timeoutMs: number | undefined;
  saver: ImageSaver;
  mode: OutputMode;
  progress: Progress;
  rates: Record<string, Rate>;
  fetch?: typeof fetch;
}

/**
 * Sends the request to the provider (with core's retries and fallbacks) and saves each image
 * as soon as it is decoded, so memory holds one image at a time.
 */
export async function runDirect(r: DirectRun): Promise<RunResult> {
  const client = createImageClient({
    providers: r.settings.providers,
    ...(r.timeoutMs ? { timeoutMs: r.timeoutMs } : {}),
    ...(r.fetch ? { fetch: r.fetch } : {}),
    onEvent: (ev) => {
      if (ev.type === "retry") {
        r.progress.note(
          `retrying ${ev.provider} in ${(ev.delayMs / 1000).toFixed(1)}s (attempt ${ev.attempt + 1}): ${ev.reason}`,
        );
      } else r.progress.note(`falling back from ${ev.from} to ${ev.to}: ${ev.reason}`);
    },
  });
  const opts = { ...r.opts, signal: r.io.signal };
  const events: AsyncIterable<ImageStreamEvent> =
    r.kind === "edit" ? client.editStream(opts as EditOptions) : client.generateStream(opts);
  const total = r.opts.n ?? 1;
  // images made so far: saved, or handed back when they could be saved nowhere
  let made = 0;
  for await (const ev of events) {
    if (ev.type === "partial") {
      const path = await r.saver.savePartial(ev.image.bytes, ev.index, ev.partialIndex);
      r.progress.note(`partial ${ev.partialIndex + 1} of image ${ev.index + 1}${path ? `: ${path}` : ""}`);
    } else if (ev.type === "image") {
      // the order of arrival names the file, never an index the server sent
      const saved = await r.saver.save(ev.image.bytes, made++);
      r.progress.clear();
      if (saved) printSaved(r.io, r.mode, saved);
      r.progress.update(`saved ${r.saver.saved.length}/${total}`);
    } else if (ev.type === "done") {
      const res = ev.result;
      return {
        ok: true,
        provider: res.provider,
        model: res.model,
        images: r.saver.saved,
        usage: res.usage ?? null,
        cost: estimateCost(res.model, res.usage, r.kind, r.rates, made),
        requestId: res.requestId ?? null,
        jobId: null,
        sizeMismatch: res.sizeMismatch,
        requestedSize: res.requestedSize ?? null,
      };
    }
  }
  throw new CliError("bad_response", "the provider's response ended without a result", { possiblyBilled: true });
}
