/** Posts a finished job back to Telegram: one photo (or document) per image, as replies. */

import type { Env } from "../../env.ts";
import type { DeliverableJob } from "../../jobs/types.ts";
import { fileName, linkLine, mimeOf, once, readImage, uploadOrLink } from "../deliver-util.ts";
import { doneText, failureText } from "../messages.ts";
import { sendImage, sendMessage, TELEGRAM_MAX_DOCUMENT_BYTES, type TelegramApi, type TelegramTarget } from "./api.ts";

/**
 * Delivers to Telegram. Telegram has no idempotency key, so each image is recorded once sent
 * and a retried step sends only what is missing.
 */
export const deliverTelegram = async (env: Env, t: TelegramTarget, job: DeliverableJob): Promise<void> => {
  const api: TelegramApi = { base: env.TELEGRAM_API_BASE, token: env.TELEGRAM_BOT_TOKEN };
  if (job.status !== "succeeded") {
    await once(env, job.id, "failure", () => sendMessage(api, t, failureText(job.error)));
    return;
  }
  const caption = doneText(job.prompt, job.images.length);
  for (const [i, img] of job.images.entries()) {
    await once(env, job.id, `image:${img.index}`, async () => {
      const bytes = img.bytes <= TELEGRAM_MAX_DOCUMENT_BYTES ? await readImage(env, img) : null;
      const link = () => sendMessage(api, t, `${i === 0 ? `${caption}\n` : ""}${linkLine(img)}`);
      if (!bytes) return link();
      const name = fileName(job.id, img);
      await uploadOrLink(
        env,
        "telegram",
        () => sendImage(api, t, { name, bytes, type: mimeOf(img) }, i === 0 ? caption : undefined),
        link,
      );
    });
  }
};
