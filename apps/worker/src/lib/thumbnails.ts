/**
 * Thumbnails for the console's history grid: a WebP at most 384 px on its long side, made with the
 * Workers Images binding (`IMAGES_API`, which also runs under `wrangler dev`) when an image is
 * stored, and kept in R2 beside the original as `<index>.thumb.webp`, so the grid never downloads
 * originals. An image stored without one (no binding then, or a failure) gets it on first view.
 */
import type { Env } from "../env.ts";

/** Long side of a thumbnail, in pixels: sharp on a 2x phone screen in a 3-column grid. */
export const THUMB_SIZE = 384;
const THUMB_QUALITY = 70;

type ThumbEnv = Pick<Env, "IMAGES"> & Partial<Pick<Env, "IMAGES_API">>;

/** R2 key of the thumbnail of the image stored at `key`. */
export const thumbnailKey = (key: string): string => `${key.replace(/\.[A-Za-z0-9]+$/, "")}.thumb.webp`;

const streamOf = (bytes: Uint8Array | Blob): ReadableStream<Uint8Array> =>
  (bytes instanceof Blob ? bytes : new Blob([bytes as Uint8Array<ArrayBuffer>])).stream();

async function make(
  env: ThumbEnv,
  key: string,
  source: ReadableStream<Uint8Array>,
  meta: Record<string, string>,
): Promise<Uint8Array | null> {
  if (!env.IMAGES_API) return null;
  const out = await env.IMAGES_API.input(source)
    .transform({ width: THUMB_SIZE, height: THUMB_SIZE, fit: "scale-down" })
    .output({ format: "image/webp", quality: THUMB_QUALITY });
  const bytes = new Uint8Array(await out.response().arrayBuffer());
  await env.IMAGES.put(thumbnailKey(key), bytes, {
    httpMetadata: { contentType: "image/webp" },
    customMetadata: { ...meta, role: "thumbnail" },
  });
  return bytes;
}

/**
 * Makes and stores the thumbnail of an image being stored at `key` from its bytes. Never throws:
 * a thumbnail that fails is made again on first view; only the failure's kind is logged.
 */
export async function storeThumbnail(
  env: ThumbEnv,
  key: string,
  bytes: Uint8Array | Blob,
  meta: Record<string, string>,
): Promise<void> {
  if (!env.IMAGES_API) return;
  try {
    await make(env, key, streamOf(bytes), meta);
  } catch (e) {
    console.error(`thumbnail of a stored image failed: ${e instanceof Error ? e.name : "unknown"}`);
  }
}

/**
 * The thumbnail of the R2 image at `key`: read from R2, or made from the original and stored
 * when missing. Null when the original is gone or no Images binding is configured.
 */
export async function thumbnail(env: ThumbEnv, key: string): Promise<Uint8Array | null> {
  const stored = await env.IMAGES.get(thumbnailKey(key));
  if (stored) return new Uint8Array(await stored.arrayBuffer());
  const original = await env.IMAGES.get(key);
  if (!original) return null;
  return make(env, key, original.body, original.customMetadata ?? {});
}
