import {
  extensionFor,
  type GeneratedImage,
  type ImageFormat,
  type ImageInfo,
  inspectImageData,
  mimeTypeFor,
} from "@gptimg/core";
import type { Env } from "../env.ts";
import { sha256Hex } from "./tokens.ts";

const pad2 = (n: number) => String(n).padStart(2, "0");

/**
 * R2 key of output image `index` of a job: `t/<team>/<yyyy>/<mm>/<job>/<index>.<ext>` (UTC month of
 * `date`, so a team's images list by month).
 * @example
 * imageKey("acme", "job_abc", 0, "png", new Date("2026-05-01")) // "t/acme/2026/05/job_abc/0.png"
 */
export function imageKey(team: string, jobId: string, index: number, ext: string, date: Date = new Date()): string {
  return `${jobPrefix(team, jobId, date)}${index}.${ext}`;
}

/**
 * R2 key of an edit input beside the outputs: `…/<job>/input-<index>.<ext>`, or `…/<job>/mask.<ext>`.
 * @example
 * inputKey("acme", "job_abc", "mask", "png", date) // "t/acme/2026/05/job_abc/mask.png"
 */
export function inputKey(
  team: string,
  jobId: string,
  which: number | "mask",
  ext: string,
  date: Date = new Date(),
): string {
  return `${jobPrefix(team, jobId, date)}${which === "mask" ? "mask" : `input-${which}`}.${ext}`;
}

/** `t/<team>/<yyyy>/<mm>/<job>/` */
export function jobPrefix(team: string, jobId: string, date: Date = new Date()): string {
  return `t/${team}/${date.getUTCFullYear()}/${pad2(date.getUTCMonth() + 1)}/${jobId}/`;
}

/**
 * SHA-256 hex of a prompt. Stored with images instead of the prompt itself: prompts may be
 * private, while the hash still links identical prompts across images and jobs.
 */
export const promptHash = (prompt: string): Promise<string> => sha256Hex(prompt);

/** Longest value of an image's R2 custom metadata (R2 takes 2 KB in all): the model name's limit. */
export const MAX_META_VALUE = 128;

/** What R2 custom metadata records about an image. */
export interface ImageMeta {
  job: string;
  team: string;
  member: string;
  model: string;
  /** the size asked for (after resolution), or "auto" */
  size?: string;
  /** from `promptHash` */
  promptSha256?: string;
  /** "output" (default) or "input" / "mask" for edit inputs */
  role?: "output" | "input" | "mask";
}

/** An image as stored: what a job record keeps in `image_keys`. */
export interface StoredImage {
  index: number;
  key: string;
  format: ImageFormat;
  width: number;
  height: number;
  bytes: number;
}

/**
 * Stores one image in R2 with its content type, a download file name and custom metadata (job,
 * team, member, model, requested size, real dimensions, prompt SHA-256; never the prompt).
 * `bytes` may be a Blob (an edit input as parsed from the form): R2 takes it as it is, uncopied.
 * @example
 * const stored = await putImage(env, imageKey(team, job, 0, "png"), image, { job, team, member, model });
 */
export async function putImage(
  env: Pick<Env, "IMAGES">,
  key: string,
  image: Pick<GeneratedImage, "format" | "width" | "height" | "index"> & { bytes: Uint8Array | Blob },
  meta: ImageMeta,
): Promise<StoredImage> {
  const ext = extensionFor(image.format);
  const fileName = `${meta.job}-${meta.role === "input" ? "input-" : meta.role === "mask" ? "mask-" : ""}${image.index}.${ext}`;
  const customMetadata: Record<string, string> = {
    job: meta.job,
    team: meta.team,
    member: meta.member,
    model: meta.model,
    role: meta.role ?? "output",
    format: image.format,
    width: String(image.width),
    height: String(image.height),
  };
  if (meta.size) customMetadata.size = meta.size;
  if (meta.promptSha256) customMetadata.prompt_sha256 = meta.promptSha256;
  // R2 refuses metadata over 2 KB: requests are validated shorter, and this bounds whatever is not
  for (const [k, v] of Object.entries(customMetadata)) customMetadata[k] = v.slice(0, MAX_META_VALUE);
  // an output's thumbnail is made once its job is settled (lib/thumbnails.ts), never on this path
  await env.IMAGES.put(key, image.bytes, {
    httpMetadata: { contentType: mimeTypeFor(image.format), contentDisposition: `inline; filename="${fileName}"` },
    customMetadata,
  });
  return {
    index: image.index,
    key,
    format: image.format,
    width: image.width,
    height: image.height,
    bytes: image.bytes instanceof Blob ? image.bytes.size : image.bytes.byteLength,
  };
}

/** An edit input or mask with its R2 key, ready to store. */
export interface PlannedInput {
  data: Blob | Uint8Array;
  which: number | "mask";
  info: ImageInfo;
  key: string;
}

/**
 * Inspects an edit's inputs (their heads only) and names their R2 keys beside the job's outputs,
 * mask last, without storing anything: a job records the keys with its row before it stores.
 * Inputs must have passed validation; one that is not an image throws.
 * @example
 * const planned = await planInputs("acme", jobId, files, mask, date);
 */
export async function planInputs(
  team: string,
  jobId: string,
  inputs: readonly (Blob | Uint8Array)[],
  mask: Blob | Uint8Array | undefined,
  date: Date,
): Promise<PlannedInput[]> {
  const items = [
    ...inputs.map((data, i) => ({ data, which: i as number | "mask" })),
    ...(mask ? [{ data: mask, which: "mask" as const }] : []),
  ];
  return Promise.all(
    items.map(async ({ data, which }) => {
      const info = await inspectImageData(data);
      if (!info.ok) throw new Error(`edit input ${which}: ${info.reason}`);
      return { data, which, info, key: inputKey(team, jobId, which, extensionFor(info.format), date) };
    }),
  );
}

/** Stores planned edit inputs in R2 (role `input` or `mask` in their metadata). */
export async function putInputs(
  env: Pick<Env, "IMAGES">,
  planned: readonly PlannedInput[],
  meta: Omit<ImageMeta, "role" | "size">,
): Promise<void> {
  await Promise.all(
    planned.map((p) =>
      putImage(
        env,
        p.key,
        { ...p.info, bytes: p.data, index: p.which === "mask" ? 0 : p.which },
        { ...meta, role: p.which === "mask" ? "mask" : "input" },
      ),
    ),
  );
}
