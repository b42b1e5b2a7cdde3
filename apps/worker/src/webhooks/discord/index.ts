import type { ChatPlatform } from "../platform.ts";
import type { DiscordTarget } from "./api.ts";
import { deliverDiscord } from "./deliver.ts";
import { discordWebhook } from "./route.ts";

/** Discord: application commands (interactions). */
export const discord: ChatPlatform<DiscordTarget> = {
  name: "discord",
  verification: "Ed25519 signature",
  route: discordWebhook,
  deliver: deliverDiscord,
};
