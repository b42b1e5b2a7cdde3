/**
 * Thumbnails for the console's history grid: a WebP at most 384 px on its long side, made with the
 * Workers Images binding (`IMAGES_API`, which also runs under `wrangler dev`) and kept in R2 beside
 * the original as `<index>.thumb.webp`, so the grid never downloads originals. They are made once
 * a job is settled, off the answer's path (`makeThumbnails`, in `waitUntil` or a Workflow step of
 * its own), from the stored original streamed out of R2; an image viewed before its thumbnail is
 * there (or stored without a binding) gets it made on that first view.
 */
import type { Env } from "../env.ts";

/** Long side of a thumbnail, in pixels: sharp on a 2x phone screen in a 3-column grid. */
export const THUMB_SIZE = 384;
const THUMB_QUALITY = 70;

type ThumbEnv = Pick<Env, "IMAGES"> & Partial<Pick<Env, "IMAGES_API">>;

/** R2 key of the thumbnail of the image stored at `key`. */
export const thumbnailKey = (key: string): string => `${key.replace(/\.[A-Za-z0-9]+$/, "")}.thumb.webp`;

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
 * Makes and stores the thumbnails of images already in R2, one at a time (each original streamed
 * from R2 into the binding, never held whole), skipping any that exist. Runs after a job is
 * settled, never on an answer's path. Never throws: a thumbnail that fails is made again on
 * first view; only the failure's kind is logged.
 * @example c.executionCtx.waitUntil(makeThumbnails(env, stored.map((s) => s.key)))
 */
export async function makeThumbnails(env: ThumbEnv, keys: readonly string[]): Promise<void> {
  if (!env.IMAGES_API) return;
  for (const key of keys) {
    try {
      if (await env.IMAGES.head(thumbnailKey(key))) continue;
      const original = await env.IMAGES.get(key);
      if (original) await make(env, key, original.body, original.customMetadata ?? {});
    } catch (e) {
      console.error(`thumbnail of a stored image failed: ${e instanceof Error ? e.name : "unknown"}`);
    }
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
