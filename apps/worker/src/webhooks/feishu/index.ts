import type { ChatPlatform } from "../platform.ts";
import type { FeishuTarget } from "./api.ts";
import { deliverFeishu } from "./deliver.ts";
import { feishuWebhook } from "./route.ts";

/** Feishu/Lark: `im.message.receive_v1` events, signed and encrypted. */
export const feishu: ChatPlatform<FeishuTarget> = {
  name: "feishu",
  verification: "Feishu signature with the encrypt key",
  route: feishuWebhook,
  deliver: deliverFeishu,
};
