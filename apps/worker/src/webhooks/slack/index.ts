import type { ChatPlatform } from "../platform.ts";
import type { SlackTarget } from "./api.ts";
import { deliverSlack } from "./deliver.ts";
import { slackWebhook } from "./route.ts";

/** Slack: slash commands and app mentions. */
export const slack: ChatPlatform<SlackTarget> = {
  name: "slack",
  verification: "Slack v0 HMAC signature, 5-minute window",
  route: slackWebhook,
  deliver: deliverSlack,
};
