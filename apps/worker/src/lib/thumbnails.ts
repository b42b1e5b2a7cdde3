/**
 * Thumbnails for the console's history grid: a WebP at most 384 px on its long side, made with the
 * Workers Images binding (`IMAGES_API`, which also runs under `wrangler dev`) and stored in R2
 * beside the original as `<index>.thumb.webp`, so the grid never downloads originals.
 */
import type { Env } from "../env.ts";

/** Long side of a thumbnail, in pixels: sharp on a 2x phone screen in a 3-column grid. */
export const THUMB_SIZE = 384;
const THUMB_QUALITY = 70;

/** R2 key of the thumbnail of the image stored at `key`. */
export const thumbnailKey = (key: string): string => `${key.replace(/\.[A-Za-z0-9]+$/, "")}.thumb.webp`;

/**
 * The thumbnail of the R2 image at `key`: read from R2, or made from the original and stored
 * when missing. Null when the original is gone or no Images binding is configured.
 */
export async function thumbnail(env: Pick<Env, "IMAGES" | "IMAGES_API">, key: string): Promise<Uint8Array | null> {
  const tkey = thumbnailKey(key);
  const stored = await env.IMAGES.get(tkey);
  if (stored) return new Uint8Array(await stored.arrayBuffer());
  return makeThumbnail(env, key);
}

/** Makes and stores the thumbnail of the R2 image at `key`; null when it cannot. */
export async function makeThumbnail(env: Pick<Env, "IMAGES" | "IMAGES_API">, key: string): Promise<Uint8Array | null> {
  if (!env.IMAGES_API) return null;
  const original = await env.IMAGES.get(key);
  if (!original) return null;
  const out = await env.IMAGES_API.input(original.body)
    .transform({ width: THUMB_SIZE, height: THUMB_SIZE, fit: "scale-down" })
    .output({ format: "image/webp", quality: THUMB_QUALITY });
  const bytes = new Uint8Array(await out.response().arrayBuffer());
  await env.IMAGES.put(thumbnailKey(key), bytes, {
    httpMetadata: { contentType: "image/webp" },
    customMetadata: { ...(original.customMetadata ?? {}), role: "thumbnail" },
  });
  return bytes;
}
