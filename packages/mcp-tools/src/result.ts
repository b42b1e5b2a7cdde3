import { encodeBase64, type ImageFormat, mimeTypeFor } from "@gptimg/core";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";

/**
 * One image a tool made: saved on this machine (`path`) or stored by a Worker (`url`), or, when
 * it could be saved nowhere, `unsaved`: then the result itself is its only copy.
 */
export interface OutcomeImage {
  path?: string;
  url?: string;
  unsaved?: boolean;
  width: number;
  height: number;
  format: string;
  bytes: number;
}

/** Token usage in core's camelCase. */
export interface OutcomeUsage {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
}

/** What a backend answers for generate_image, edit_image and get_job. */
export interface ImageOutcome {
  /** `queued`/`running`: a Worker job outlasted the wait; `jobId` names it for get_job */
  status: "succeeded" | "queued" | "running";
  jobId?: string | null;
  provider?: string | null;
  model?: string | null;
  requestId?: string | null;
  usage?: OutcomeUsage | null;
  costUsd?: number | null;
  sizeMismatch?: boolean;
  images: OutcomeImage[];
  /** what the run said beside its images: an image saved under another name, a size or format other than asked */
  notes?: string[];
  /** reads image `index`'s bytes for an inline preview; called only when it fits the cap */
  readImage?(index: number): Promise<Uint8Array | undefined>;
}

/** `structuredContent` of generate_image, edit_image and get_job (see `imageResultSchema`). */
export interface StructuredImageResult {
  status: ImageOutcome["status"];
  job_id?: string;
  provider?: string;
  model?: string;
  request_id?: string;
  images: {
    path?: string;
    url?: string;
    /** absent for an image saved nowhere */
    uri?: string;
    /** saved nowhere: its only copy is its `image` content in this result */
    unsaved?: boolean;
    width: number;
    height: number;
    format: string;
    mime_type: string;
    bytes: number;
  }[];
  usage?: { input_tokens: number; output_tokens: number; total_tokens: number };
  cost_usd?: number;
  size_mismatch?: boolean;
  notes?: string[];
  /** how many images are also inline as `image` content */
  previews: number;
}

/** Default cap on one tool result, serialized: 1 MiB. */
export const DEFAULT_RESULT_CAP = 1024 * 1024;
/** The smallest cap accepted: room for the text, links and structured data of 10 images. */
export const MIN_RESULT_CAP = 16 * 1024;
/** The JSON-RPC envelope around a result (`{"jsonrpc":"2.0","id":…,"result":…}`), generously. */
const ENVELOPE_BYTES = 256;

const utf8 = new TextEncoder();
const sizeOf = (v: unknown): number => utf8.encode(JSON.stringify(v)).length;

/**
 * A `file://` URI for an absolute path (POSIX or Windows), percent-encoding what a URI may not
 * carry raw. Web APIs only, so the Worker's bundle can share this module.
 * @example
 * fileUri("/tmp/a b.png") // "file:///tmp/a%20b.png"
 */
export function fileUri(path: string): string {
  const slashed = path.replace(/\\/g, "/");
  const withRoot = /^[A-Za-z]:\//.test(slashed) ? `/${slashed}` : slashed;
  return `file://${withRoot
    .split("/")
    .map((seg, i) => (i === 1 && /^[A-Za-z]:$/.test(seg) ? seg : encodeURIComponent(seg)))
    .join("/")}`;
}

function describe(img: OutcomeImage, i: number, n: number): string {
  const where =
    img.path ??
    img.url ??
    (img.unsaved ? "saved nowhere; its only copy is the image content of this result" : "(stored)");
  return `image ${i + 1} of ${n}: ${where} (${img.width}x${img.height} ${img.format}, ${img.bytes} bytes)`;
}

function summary(o: ImageOutcome): string {
  const parts = [o.model, o.provider ? `via ${o.provider}` : undefined].filter(Boolean).join(" ");
  const extra = [
    o.jobId ? `job ${o.jobId}` : undefined,
    o.requestId ? `request ${o.requestId}` : undefined,
    o.usage ? `${o.usage.totalTokens} tokens` : undefined,
    typeof o.costUsd === "number" ? `about $${o.costUsd.toFixed(4)}` : undefined,
    o.sizeMismatch ? "the provider answered another size than asked" : undefined,
  ].filter(Boolean);
  return [parts || "done", ...extra].join("; ");
}

/**
 * The tool result for an outcome: `structuredContent` (every image with path or signed URL,
 * width, height, format, bytes; usage, cost, provider, request id), one text line and one
 * `resource_link` per image, then inline `image` previews, in order, only while the whole
 * serialized result stays within `cap` bytes. No result exceeds the cap but for an image saved
 * nowhere (`unsaved`), which is always inline: it has no other copy. Otherwise previews are the
 * only part that grows with image size, and each is added only after measuring it.
 */
export async function imageResult(o: ImageOutcome, cap = DEFAULT_RESULT_CAP): Promise<CallToolResult> {
  const limit = Math.max(cap, MIN_RESULT_CAP) - ENVELOPE_BYTES;
  const images = o.images.map((img) => {
    const uri = img.url ?? (img.path ? fileUri(img.path) : undefined);
    return {
      ...(img.path ? { path: img.path } : {}),
      ...(img.url ? { url: img.url } : {}),
      ...(uri ? { uri } : {}),
      ...(img.unsaved ? { unsaved: true } : {}),
      width: img.width,
      height: img.height,
      format: img.format,
      mime_type: mimeTypeFor(img.format as ImageFormat) ?? "application/octet-stream",
      bytes: img.bytes,
    };
  });
  const structured: Record<string, unknown> = {
    status: o.status,
    ...(o.jobId ? { job_id: o.jobId } : {}),
    ...(o.provider ? { provider: o.provider } : {}),
    ...(o.model ? { model: o.model } : {}),
    ...(o.requestId ? { request_id: o.requestId } : {}),
    images,
    ...(o.usage
      ? {
          usage: {
            input_tokens: o.usage.inputTokens,
            output_tokens: o.usage.outputTokens,
            total_tokens: o.usage.totalTokens,
          },
        }
      : {}),
    ...(typeof o.costUsd === "number" ? { cost_usd: o.costUsd } : {}),
    ...(o.sizeMismatch !== undefined ? { size_mismatch: o.sizeMismatch } : {}),
    ...(o.notes?.length ? { notes: o.notes } : {}),
    previews: 0,
  };
  const content: CallToolResult["content"] = [];
  if (o.status !== "succeeded") {
    content.push({
      type: "text",
      text: `job ${o.jobId} is ${o.status}: call get_job with id ${JSON.stringify(o.jobId)} to wait for its images`,
    });
  }
  for (const [i, img] of o.images.entries()) content.push({ type: "text", text: describe(img, i, o.images.length) });
  if (o.status === "succeeded") content.push({ type: "text", text: summary(o) });
  for (const note of o.notes ?? []) content.push({ type: "text", text: note });
  for (const [i, img] of images.entries()) {
    if (!img.uri) continue;
    content.push({
      type: "resource_link",
      uri: img.uri,
      name: img.path ? (img.path.split(/[\\/]/).pop() ?? `image-${i + 1}`) : `image-${i + 1}.${img.format}`,
      mimeType: img.mime_type,
      description: describe(o.images[i]!, i, o.images.length),
    });
  }
  const result: CallToolResult = { content, structuredContent: structured };
  // "previews": 10 takes one more digit than 0: count it before measuring
  let used = sizeOf(result) + 1;
  for (const [i, img] of images.entries()) {
    const encoded = 4 * Math.ceil(img.bytes / 3);
    const item = { type: "image" as const, data: "", mimeType: img.mime_type };
    // the item with empty data plus its base64 and a comma; an image saved nowhere goes in whatever its size
    const fits = (added: number) => img.unsaved === true || used + added <= limit;
    if (!fits(sizeOf(item) + encoded + 1) || !o.readImage) continue;
    const bytes = await o.readImage(i).catch(() => undefined);
    if (!bytes || bytes.byteLength !== img.bytes) continue;
    item.data = encodeBase64(bytes);
    const added = sizeOf(item) + 1;
    if (!fits(added)) continue;
    content.push(item);
    used += added;
    structured.previews = (structured.previews as number) + 1;
  }
  return result;
}
