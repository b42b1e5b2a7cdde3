/** Posts a finished job back to Discord by editing the deferred response (idempotent). */

import type { Env } from "../../env.ts";
import type { DeliverableJob } from "../../jobs/types.ts";
import { type DeliverImage, fileName, linkLine, mimeOf, once, readImage, uploadOrLink } from "../deliver-util.ts";
import { PlatformApiError } from "../http.ts";
import { doneText, failureText } from "../messages.ts";
import { type DiscordFile, type DiscordTarget, editOriginal, postChannelMessage } from "./api.ts";

/** Discord's default upload limit per file (10 MiB since 2024); larger images go as signed links. */
export const DISCORD_MAX_FILE_BYTES = 10 * 1024 * 1024;
/** Keep a whole message under Discord's request size limit. */
const DISCORD_MAX_MESSAGE_BYTES = 24 * 1024 * 1024;

/** Edits the deferred response; once its 15-minute token has expired, posts in the channel with the bot token. */
const send = async (env: Env, t: DiscordTarget, jobId: string, content: string, files: DiscordFile[]) => {
  try {
    await editOriginal(env.DISCORD_API_BASE, t, content, files);
  } catch (e) {
    // 401/404: the 15-minute interaction token expired; post in the channel with the bot token.
    const expired = e instanceof PlatformApiError && (e.status === 401 || e.status === 404);
    if (!expired || !t.channelId || !env.DISCORD_BOT_TOKEN) throw e;
    const channelId = t.channelId;
    await once(env, jobId, "channel", () =>
      postChannelMessage(env.DISCORD_API_BASE, env.DISCORD_BOT_TOKEN, channelId, content, files),
    );
  }
};

/** Delivers to Discord. Throws a retryable PlatformApiError to make the Workflow step retry. */
export const deliverDiscord = async (env: Env, t: DiscordTarget, job: DeliverableJob): Promise<void> => {
  if (job.status !== "succeeded") {
    await send(env, t, job.id, failureText(job.error), []);
    return;
  }
  const files: DiscordFile[] = [];
  const links: DeliverImage[] = [];
  let total = 0;
  for (const img of job.images) {
    const fits = img.bytes <= DISCORD_MAX_FILE_BYTES && total + img.bytes <= DISCORD_MAX_MESSAGE_BYTES;
    const bytes = fits ? await readImage(env, img) : null;
    if (bytes) {
      files.push({ name: fileName(job.id, img), bytes, type: mimeOf(img) });
      total += bytes.length;
    } else links.push(img);
  }
  const done = doneText(job.prompt, job.images.length);
  await uploadOrLink(
    env,
    "discord",
    () => send(env, t, job.id, [done, ...links.map(linkLine)].join("\n"), files),
    () => send(env, t, job.id, [done, ...job.images.map(linkLine)].join("\n"), []),
  );
};
