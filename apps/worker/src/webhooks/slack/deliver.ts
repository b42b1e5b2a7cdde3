/** Posts a finished job back to Slack: the files into the channel/thread, or a clear failure. */

import type { Env } from "../../env.ts";
import type { DeliverableJob } from "../../jobs/types.ts";
import { type DeliverImage, fileName, linkLine, once, readImage, uploadOrLink } from "../deliver-util.ts";
import { doneText, failureText } from "../messages.ts";
import { postMessage, postResponseUrl, type SlackApi, type SlackTarget, uploadFiles } from "./api.ts";

/** Slack takes files up to 1 GB; above this we send a signed link instead of pushing the bytes through the Worker. */
export const SLACK_MAX_UPLOAD_BYTES = 50 * 1024 * 1024;

/** Delivers to Slack. Throws a retryable PlatformApiError to make the Workflow step retry. */
export const deliverSlack = async (env: Env, t: SlackTarget, job: DeliverableJob): Promise<void> => {
  const api: SlackApi = { base: env.SLACK_API_BASE, token: env.SLACK_BOT_TOKEN };
  // A slash command's response_url reaches channels the bot has not joined and DMs, where
  // chat.postMessage answers not_in_channel / channel_not_found; mentions have none.
  const say = (text: string) => (t.responseUrl ? postResponseUrl(t.responseUrl, text) : postMessage(api, t, text));
  if (job.status !== "succeeded") {
    await once(env, job.id, "failure", () => say(failureText(job.error)));
    return;
  }
  const small: { img: DeliverImage; bytes: Uint8Array }[] = [];
  const links: DeliverImage[] = [];
  for (const img of job.images) {
    const bytes = img.bytes <= SLACK_MAX_UPLOAD_BYTES ? await readImage(env, img) : null;
    if (bytes) small.push({ img, bytes });
    else links.push(img);
  }
  let uploaded = false;
  if (small.length) {
    // not_in_channel, missing_scope, …: will not pass on a retry, so they fall back to links
    await uploadOrLink(
      env,
      "slack",
      async () => {
        await once(env, job.id, "files", () =>
          uploadFiles(
            api,
            t,
            small.map(({ img, bytes }) => ({
              name: fileName(job.id, img),
              bytes,
              title: job.prompt.slice(0, 200) || fileName(job.id, img),
            })),
            doneText(job.prompt, job.images.length),
          ),
        );
        uploaded = true;
      },
      () => void links.push(...small.map((s) => s.img)),
    );
  }
  if (links.length) {
    const text = [...(uploaded ? [] : [doneText(job.prompt, job.images.length)]), ...links.map(linkLine)].join("\n");
    await once(env, job.id, "links", () => say(text));
  }
};
