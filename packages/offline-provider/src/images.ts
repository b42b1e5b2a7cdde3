import { checkEditInputs, type InputImage, type UploadedFile } from "./inputs.ts";
import { type ImageParams, parseImageParams } from "./params.ts";
import { renderImage } from "./render.ts";
import { type FileStore, json, type Mutations, type Reply, type SseEvent } from "./reply.ts";
import { mimeOf } from "./sniff.ts";
import type { OutputFormat } from "./types.ts";
import { usageFor } from "./usage.ts";

/** Everything a generation or edit route needs. */
export interface ImageRouteContext {
  kind: "generation" | "edit";
  fields: Record<string, unknown>;
  files: UploadedFile[];
  /** model when the body names none (the path's model for `/content/models/<m>/…`) */
  defaultModel: string;
  mutations: Mutations;
  store: FileStore;
  /** base URL including `/v1`, for `response_format: "url"` */
  baseUrl: string;
}

const OTHER_FORMAT: Record<OutputFormat, OutputFormat> = { png: "jpeg", jpeg: "png", webp: "png" };
const MAX_SIDE = 3840;

/** Output size of an edit without `size`: the first image's, scaled down to at most 3840 on the long side. */
function sizeOf(image: InputImage | undefined): [number, number] {
  if (!image) return [1024, 1024];
  const scale = Math.min(1, MAX_SIDE / Math.max(image.width, image.height));
  return [Math.max(1, Math.round(image.width * scale)), Math.max(1, Math.round(image.height * scale))];
}

/** Spoils a base64 string in the middle, keeping its length (for the `invalid-base64` fault). */
export function spoilBase64(b64: string): string {
  const mid = Math.floor(b64.length / 2);
  return `${b64.slice(0, mid)}!!**~~${b64.slice(mid + 6)}`;
}

/** Draws the i-th image of a request, applying wrong-format / wrong-size / noise faults. */
async function draw(p: ImageParams, m: Mutations, i: number, partial?: number): Promise<Buffer> {
  const format = m.wrongFormat === true ? OTHER_FORMAT[p.format] : (m.wrongFormat ?? p.format);
  let [width, height] = [p.width, p.height];
  if (m.wrongSize === true) [width, height] = width === height ? [width, Math.round(height * 1.5)] : [height, width];
  else if (typeof m.wrongSize === "string") [width, height] = m.wrongSize.split("x").map(Number) as [number, number];
  const image = await renderImage({
    width,
    height,
    format,
    seed: `${p.prompt}#${i}`,
    transparent: p.background === "transparent" && format !== "jpeg",
    noise: m.noise,
    compression: p.compression,
    partial,
  });
  return m.truncateImage !== undefined && partial === undefined ? image.subarray(0, m.truncateImage) : image;
}

const b64 = (bytes: Buffer, m: Mutations) =>
  m.invalidBase64 ? spoilBase64(bytes.toString("base64")) : bytes.toString("base64");

/** `POST …/generations` and `POST …/edits`: checks the request and draws real images. */
export async function handleImages(ctx: ImageRouteContext): Promise<Reply> {
  // Check the prompt and fields before the (slower) image decoding, as the API does.
  const peek = parseImageParams(ctx.fields, { defaultModel: ctx.defaultModel, fallbackSize: [1024, 1024] });
  const inputs = ctx.kind === "edit" ? await checkEditInputs(ctx.files) : { images: [] };
  const asked = ctx.fields.size;
  const sizeFromInput = ctx.kind === "edit" && (asked === undefined || asked === "" || asked === "auto");
  const [w0, h0] = sizeFromInput ? sizeOf(inputs.images[0]) : [peek.width, peek.height];
  const p: ImageParams = { ...peek, width: w0, height: h0 };
  const quality = p.quality === "auto" ? (p.model.family.startsWith("dall-e") ? "standard" : "medium") : p.quality;
  const background = p.background === "transparent" ? "transparent" : "opaque";
  const gptImage = p.model.family.startsWith("gpt-image");
  const created = Math.floor(Date.now() / 1000);
  const size = `${p.width}x${p.height}`;
  const usage = (n: number) =>
    usageFor({ prompt: p.prompt, quality, width: p.width, height: p.height, n, inputImages: inputs.images });
  const m = ctx.mutations;

  if (p.stream) {
    const prefix = ctx.kind === "edit" ? "image_edit" : "image_generation";
    const common = { size, quality, background, output_format: p.format };
    const events: Array<() => Promise<SseEvent>> = [];
    for (let i = 0; i < p.n; i++) {
      for (let k = 0; k < p.partialImages; k++) {
        events.push(async () => ({
          event: `${prefix}.partial_image`,
          data: JSON.stringify({
            type: `${prefix}.partial_image`,
            b64_json: b64(await draw(p, m, i, k), m),
            partial_image_index: k,
            created_at: Math.floor(Date.now() / 1000),
            ...common,
          }),
        }));
      }
      events.push(async () => {
        const data = JSON.stringify({
          type: `${prefix}.completed`,
          b64_json: b64(await draw(p, m, i), m),
          created_at: Math.floor(Date.now() / 1000),
          ...common,
          usage: usage(1),
        });
        return { event: `${prefix}.completed`, data: m.invalidJson ? data.slice(0, -20) : data };
      });
    }
    return { kind: "sse", events };
  }

  const data: Array<Record<string, string>> = [];
  for (let i = 0; i < p.n; i++) {
    const bytes = await draw(p, m, i);
    const item: Record<string, string> =
      p.responseFormat === "url"
        ? { url: `${ctx.baseUrl}/files/${ctx.store.put(bytes, mimeOf(p.format), p.format)}` }
        : { b64_json: b64(bytes, m) };
    if (p.model.family === "dall-e-3") item.revised_prompt = `A detailed rendering of: ${p.prompt}`;
    data.push(item);
  }
  const body: Record<string, unknown> = { created, data };
  if (gptImage) Object.assign(body, { background, output_format: p.format, quality, size, usage: usage(p.n) });
  return json(200, body);
}
