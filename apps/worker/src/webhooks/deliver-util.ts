/** Shared pieces of chat delivery: reading stored images, signed-link lines, at-most-once parts. */

import { extensionFor } from "@gptimg/core";
import type { Env } from "../env.ts";
import type { DeliverableJob } from "../jobs/types.ts";
import { nowSeconds } from "../lib/clock.ts";
import { safeMessage } from "../lib/secrets.ts";
import { markDelivered, wasDelivered } from "./dedupe.ts";
import { PlatformApiError } from "./http.ts";
import { linkText } from "./messages.ts";

export type DeliverImage = DeliverableJob["images"][number];

/** Reads an image's bytes from R2, or null when the object is gone (then a link is sent). */
export const readImage = async (env: Env, img: DeliverImage): Promise<Uint8Array | null> => {
  const obj = await env.IMAGES.get(img.key);
  return obj ? new Uint8Array(await obj.arrayBuffer()) : null;
};

/** File name for an uploaded image: `<job>-<index>.<ext>`. */
export const fileName = (jobId: string, img: DeliverImage): string =>
  `${jobId}-${img.index}.${extensionFor(img.format)}`;

/** MIME type of an image format. */
export const mimeOf = (img: DeliverImage): string => `image/${img.format}`;

/** "expires in 1 h" from the `exp` of a signed URL. */
const ttlNote = (url: string): string => {
  const exp = Number(new URL(url).searchParams.get("exp") ?? "0");
  const hours = Math.max(0, Math.round((exp - nowSeconds()) / 3600));
  return exp ? `expires in ${hours < 1 ? "under an hour" : `${hours} h`}` : "expires";
};

/** A line with the signed link of an image too large to upload (or when uploading failed). */
export const linkLine = (img: DeliverImage): string =>
  img.url
    ? linkText(img.url, img.bytes, ttlNote(img.url))
    : `image ${img.index} is stored but no public URL is configured (set PUBLIC_BASE_URL)`;

/**
 * Runs `send` unless this part of the job's reply was already posted, then records it. A crash
 * between sending and recording can repeat one part (at-least-once), never drop it.
 */
export const once = async (env: Env, jobId: string, part: string, send: () => Promise<void>): Promise<void> => {
  if (await wasDelivered(env.DB, jobId, part)) return;
  await send();
  await markDelivered(env.DB, jobId, part);
};

/**
 * Runs `upload`; when the platform refuses it for good (413, no permission to post files, a
 * missing scope), logs why and runs `link` instead: the image is made and paid for, and a signed
 * link still reaches a chat that takes no files. A failure worth retrying is thrown as is.
 */
export const uploadOrLink = async (
  env: Env,
  platform: string,
  upload: () => Promise<void>,
  link: () => void | Promise<void>,
): Promise<void> => {
  try {
    await upload();
  } catch (e) {
    if (!(e instanceof PlatformApiError) || e.retryable) throw e;
    console.warn(`webhooks: ${platform} upload refused, sending links: ${safeMessage(env, e)}`);
    await link();
  }
};
