/** Generate and edit through the public API, streaming partial images as they arrive. */
import { parseImageEvents } from "@gptimg/core";
import { ApiError, request } from "./api.ts";

/** The options a member picks; names as on the wire. */
export interface Settings {
  prompt: string;
  model: string;
  size: string;
  quality: string;
  output_format: string;
  output_compression: number | null;
  background: string;
  n: number;
}

export const DEFAULT_SETTINGS: Settings = {
  prompt: "",
  model: "",
  size: "auto",
  quality: "auto",
  output_format: "png",
  output_compression: null,
  background: "auto",
  n: 1,
};

/** How many partial images to ask for while an image is made. */
export const PARTIAL_IMAGES = 2;

/** What the wire body carries for these settings (defaults left out). */
export function wireFields(s: Settings, size: string): Record<string, string | number> {
  const out: Record<string, string | number> = { prompt: s.prompt };
  if (s.model) out.model = s.model;
  if (size && size !== "auto") out.size = size;
  if (s.quality !== "auto") out.quality = s.quality;
  out.output_format = s.output_format;
  if (s.output_compression !== null && s.output_format !== "png") out.output_compression = s.output_compression;
  if (s.background !== "auto") out.background = s.background;
  if (s.n !== 1) out.n = s.n;
  return out;
}

export interface RunCallbacks {
  /** a partial image of output `index`, decoded: pixels to draw, or an object URL */
  partial(index: number, preview: Preview): void;
  /** a finished image of output `index` */
  completed(index: number, blob: Blob): void;
  /** ms from the click to the first event, as the browser saw it */
  firstEvent?(ms: number): void;
}

const mime = (format: string | undefined) => `image/${format === "jpeg" ? "jpeg" : (format ?? "png")}`;

/**
 * Runs one generate (no files) or edit (files, optional mask) as a stream. Throws ApiError for
 * a failure before or during the stream.
 */
export async function runImages(
  fields: Record<string, string | number>,
  files: File[] | null,
  mask: Blob | null,
  cb: RunCallbacks,
  signal: AbortSignal,
): Promise<void> {
  const started = performance.now();
  let res: Response;
  if (files) {
    const form = new FormData();
    for (const [k, v] of Object.entries(fields)) form.append(k, String(v));
    form.append("stream", "true");
    form.append("partial_images", String(PARTIAL_IMAGES));
    for (const f of files) form.append("image[]", f, f.name);
    if (mask) form.append("mask", mask, "mask.png");
    res = await request("/v1/images/edits", { method: "POST", body: form, signal });
  } else {
    res = await request("/v1/images/generations", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ ...fields, stream: true, partial_images: PARTIAL_IMAGES }),
      signal,
    });
  }
  if (!res.body) throw new ApiError("The server answered with no body", res.status, "bad_response", null);
  let first = true;
  for await (const ev of parseImageEvents(res.body)) {
    if (first) {
      first = false;
      cb.firstEvent?.(performance.now() - started);
    }
    if (ev.type === "error")
      throw new ApiError(ev.message, 502, ev.code ?? "provider_error", null, ev.possiblyBilled === true);
    const type = mime(ev.outputFormat);
    if (ev.type === "partial") cb.partial(ev.index, await preview(ev.bytes as Uint8Array<ArrayBuffer>, type));
    else cb.completed(ev.index, new Blob([ev.bytes as Uint8Array<ArrayBuffer>], { type }));
  }
}

/** A partial image ready to show: decoded pixels (drawn into a canvas), or an object URL. */
export type Preview = ImageBitmap | string;

/**
 * A partial image decoded before it is shown. Where WebCodecs' ImageDecoder is, its bytes are
 * decoded straight to pixels off the main thread, with no Blob, object URL or blob: load (in
 * Chromium these cost ~12 ms for a 1024x1024 PNG, mostly waiting on the browser process), and a
 * canvas shows them at its own size without rastering an <img> into tiles (docs/benchmarks.md,
 * "Console"). Elsewhere, or when that decode fails, an <img> of an object URL decoded before it
 * is inserted, so it paints in the next frame; a decode that fails is shown anyway.
 */
async function preview(bytes: Uint8Array<ArrayBuffer>, type: string): Promise<Preview> {
  if (typeof ImageDecoder === "function") {
    const decoder = new ImageDecoder({ data: bytes, type });
    try {
      const { image } = await decoder.decode();
      try {
        return await createImageBitmap(image);
      } finally {
        image.close();
      }
    } catch {
      // not a format this decoder reads: the <img> below shows what the browser can
    } finally {
      decoder.close();
    }
  }
  const url = URL.createObjectURL(new Blob([bytes], { type }));
  const img = new Image();
  img.src = url;
  await img.decode().catch(() => undefined);
  return url;
}
