/** Posts a finished job back to Feishu/Lark: upload each image, reply with it to the user's message. */

import type { Env } from "../../env.ts";
import type { DeliverableJob } from "../../jobs/types.ts";
import { fileName, linkLine, mimeOf, readImage, uploadOrLink } from "../deliver-util.ts";
import { doneText, failureText } from "../messages.ts";
import { FEISHU_MAX_IMAGE_BYTES, type FeishuApi, type FeishuTarget, reply, uploadImage } from "./api.ts";

/** Feishu's reply `uuid` is at most 50 characters. */
const uuid = (jobId: string, part: string): string => `${jobId}-${part}`.slice(-50);

/** Delivers to Feishu. Replies carry a `uuid`, so Feishu itself drops a retried duplicate. */
export const deliverFeishu = async (env: Env, t: FeishuTarget, job: DeliverableJob): Promise<void> => {
  const api: FeishuApi = { base: env.FEISHU_API_BASE, appId: env.FEISHU_APP_ID, appSecret: env.FEISHU_APP_SECRET };
  if (job.status !== "succeeded") {
    await reply(api, t, { msgType: "text", content: { text: failureText(job.error) }, uuid: uuid(job.id, "failure") });
    return;
  }
  const links: string[] = [];
  for (const img of job.images) {
    const bytes = img.bytes <= FEISHU_MAX_IMAGE_BYTES ? await readImage(env, img) : null;
    if (!bytes) {
      links.push(linkLine(img));
      continue;
    }
    await uploadOrLink(
      env,
      "feishu",
      async () => {
        const imageKey = await uploadImage(api, bytes, fileName(job.id, img), mimeOf(img));
        await reply(api, t, {
          msgType: "image",
          content: { image_key: imageKey },
          uuid: uuid(job.id, `image-${img.index}`),
        });
      },
      () => void links.push(linkLine(img)),
    );
  }
  const text = [doneText(job.prompt, job.images.length), ...links].join("\n");
  await reply(api, t, { msgType: "text", content: { text }, uuid: uuid(job.id, "text") });
};
