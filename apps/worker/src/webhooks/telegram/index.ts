import type { ChatPlatform } from "../platform.ts";
import type { TelegramTarget } from "./api.ts";
import { deliverTelegram } from "./deliver.ts";
import { telegramWebhook } from "./route.ts";

/** Telegram: bot commands and mentions (Bot API webhook updates). */
export const telegram: ChatPlatform<TelegramTarget> = {
  name: "telegram",
  verification: "X-Telegram-Bot-Api-Secret-Token header",
  route: telegramWebhook,
  deliver: deliverTelegram,
};
