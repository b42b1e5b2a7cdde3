/**
 * `POST /webhooks/telegram`: updates from setWebhook. `/image …` or a trigger phrase makes an
 * image; a photo whose caption is `edit image: …` (or a reply to a photo) edits it. Quick
 * answers ride on the webhook response itself (Telegram runs the `method` it holds), so the
 * ack is immediate and costs no extra call.
 */
import type { Context } from "hono";
import type { Env } from "../../env.ts";
import {
  arrayOf,
  boolean,
  checkShape,
  malformedPayload,
  NOT_A_JSON_OBJECT,
  number,
  object,
  optional,
  parseJsonObject,
  type Shape,
  string,
} from "../body.ts";
import { parseCommand } from "../command.ts";
import { logFailure } from "../log.ts";
import { HELP_TEXT, invalidText, NOT_ALLOWED_TEXT } from "../messages.ts";
import type { WebhookAppEnv } from "../platform.ts";
import { startChatJob } from "../start.ts";
import { chatTeams, resolveChatMember } from "../teams.ts";
import { botUsername, downloadFile, replyFields, sendMessage, type TelegramApi, type TelegramTarget } from "./api.ts";
import { verifyTelegram } from "./verify.ts";

interface PhotoSize {
  file_id: string;
  file_size?: number;
  width?: number;
}
interface Message {
  message_id: number;
  message_thread_id?: number;
  chat: { id: number; type?: string };
  from?: { id: number; is_bot?: boolean };
  text?: string;
  caption?: string;
  photo?: PhotoSize[];
  document?: { file_id: string; mime_type?: string; file_size?: number };
  reply_to_message?: Message;
}
interface Update {
  update_id: number;
  message?: Message;
}

/** The fields of a message this handler reads, and their types. */
const MESSAGE_FIELDS = {
  message_id: number,
  chat: object({ id: number, type: optional(string) }),
  message_thread_id: optional(number),
  from: optional(object({ id: number, is_bot: optional(boolean) })),
  text: optional(string),
  caption: optional(string),
  photo: optional(arrayOf(object({ file_id: string, file_size: optional(number) }))),
  document: optional(object({ file_id: string, mime_type: optional(string), file_size: optional(number) })),
};

/**
 * A message update as this handler reads it: a reply is read one level deep (its pictures), so
 * the message it replies to is checked without its own reply.
 */
const MESSAGE_UPDATE: Shape = object({
  update_id: number,
  message: object({ ...MESSAGE_FIELDS, reply_to_message: optional(object(MESSAGE_FIELDS)) }),
});

/** File ids of the images in a message: the largest photo size under 20 MB, or an image document. */
const imagesOf = (m: Message | undefined): string[] => {
  if (!m) return [];
  const photo = (m.photo ?? []).filter((p) => (p.file_size ?? 0) <= 20 * 1024 * 1024).at(-1);
  if (photo) return [photo.file_id];
  if (m.document?.mime_type?.startsWith("image/")) return [m.document.file_id];
  return [];
};

/** `/image@SomeBot`: the command names the bot it is for. */
const ADDRESSEE = /^\s*\/image@([A-Za-z0-9_]+)/iu;

/**
 * Whether the text is `/image@OtherBot …`, a command for another bot in the group (privacy mode
 * still delivers every message that starts with `/`). Without this, two image bots in one group
 * would both make, and bill, the image. When getMe fails the command is taken as ours, as before.
 */
const forAnotherBot = async (env: Env, api: TelegramApi, text: string): Promise<boolean> => {
  const to = ADDRESSEE.exec(text)?.[1];
  if (!to) return false;
  try {
    const me = await botUsername(api);
    return me !== undefined && me.toLowerCase() !== to.toLowerCase();
  } catch (e) {
    logFailure(env, "telegram getMe", e);
    return false;
  }
};

/** The Telegram webhook handler. */
export const telegramWebhook = async (c: Context<WebhookAppEnv>): Promise<Response> => {
  const verified = await verifyTelegram({
    secret: c.env.TELEGRAM_SECRET_TOKEN,
    header: c.req.header("x-telegram-bot-api-secret-token") ?? null,
  });
  if (!verified.ok) {
    console.warn(`webhooks: telegram request rejected: ${verified.reason}`);
    return c.text("invalid secret token", 401);
  }
  // Telegram redelivers an update answered with anything but a 2xx: one it cannot use is acked.
  const ack = () => c.body(null, 200);
  const update = parseJsonObject<Update>(await c.req.text());
  if (!update) return malformedPayload(c, "telegram", NOT_A_JSON_OBJECT, ack);
  // other updates (edited messages, channel posts, button presses) are not for this bot
  if (update.message === undefined) return ack();
  const problem = checkShape(update, MESSAGE_UPDATE);
  if (problem) return malformedPayload(c, "telegram", problem, ack);
  const m = update.message;
  if (m.from?.is_bot) return ack();
  const target: TelegramTarget = {
    chatId: m.chat.id,
    replyTo: m.message_id,
    ...(m.message_thread_id ? { threadId: m.message_thread_id } : {}),
  };
  const answer = (text: string) => c.json({ method: "sendMessage", ...replyFields(target), text });

  const text = m.text ?? m.caption ?? "";
  const api: TelegramApi = { base: c.env.TELEGRAM_API_BASE, token: c.env.TELEGRAM_BOT_TOKEN };
  if (await forAnotherBot(c.env, api, text)) return ack();
  const images = imagesOf(m).length ? imagesOf(m) : imagesOf(m.reply_to_message);
  const member = resolveChatMember(chatTeams(c), "telegram", String(m.chat.id), undefined, String(m.from?.id ?? ""));
  const parsed = parseCommand(text, {
    explicit: false,
    hasImages: images.length > 0,
    model: member?.model,
    skipModelRules: member?.skipModelRules,
  });
  if (!parsed.ok && !parsed.issues) {
    // Not addressed to the bot: answer /start and private chats with help, stay quiet in groups.
    return m.chat.type === "private" || /^\/start\b/.test(text) ? answer(HELP_TEXT) : ack();
  }
  if (!member) return answer(NOT_ALLOWED_TEXT);
  if (!parsed.ok) return answer(invalidText(parsed.issues));

  c.executionCtx.waitUntil(
    startChatJob(c.env, {
      platform: "telegram",
      eventId: String(update.update_id),
      member,
      command: parsed.command,
      target,
      origin: new URL(c.req.url).origin,
      reply: (msg) => sendMessage(api, target, msg),
      inputs: images.map((id) => ({ fetch: (budget) => downloadFile(api, id, budget) })),
    }),
  );
  return ack();
};
