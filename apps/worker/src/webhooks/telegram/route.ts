/**
 * `POST /webhooks/telegram`: updates from setWebhook. `/image …` or a trigger phrase makes an
 * image; a photo whose caption is `edit image: …` (or a reply to a photo) edits it. Quick
 * answers ride on the webhook response itself (Telegram runs the `method` it holds), so the
 * ack is immediate and costs no extra call.
 */
import type { Context } from "hono";
import type { Env } from "../../env.ts";
import { notAJsonObject, parseJsonObject } from "../body.ts";
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
  update_id?: number;
  message?: Message;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const optional = (v: unknown, ok: (x: unknown) => boolean) => v === undefined || ok(v);
const isStr = (v: unknown) => typeof v === "string";
const isNum = (v: unknown) => typeof v === "number" && Number.isFinite(v);

/**
 * Whether a message has the shape this handler reads (ids, chat, sender, text, photos, a reply).
 * A verified update that does not is answered 200 and starts nothing: Telegram redelivers on 5xx.
 */
function wellFormed(m: unknown, depth = 0): m is Message {
  if (!isObj(m) || !isNum(m.message_id) || !isObj(m.chat) || !isNum(m.chat.id)) return false;
  return (
    optional(m.chat.type, isStr) &&
    optional(m.message_thread_id, isNum) &&
    optional(m.from, (f) => isObj(f) && isNum(f.id)) &&
    optional(m.text, isStr) &&
    optional(m.caption, isStr) &&
    optional(
      m.photo,
      (p) => Array.isArray(p) && p.every((s) => isObj(s) && isStr(s.file_id) && optional(s.file_size, isNum)),
    ) &&
    optional(m.document, (d) => isObj(d) && isStr(d.file_id) && optional(d.mime_type, isStr)) &&
    optional(m.reply_to_message, (r) => depth < 1 && wellFormed(r, depth + 1))
  );
}

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
  const update = parseJsonObject<Update>(await c.req.text());
  if (!update) return notAJsonObject(c);
  const m = update.message;
  if (m === undefined || update.update_id === undefined) return c.body(null, 200);
  if (!isNum(update.update_id) || !wellFormed(m)) {
    console.warn("webhooks: telegram update ignored: not the shape of a message update");
    return c.body(null, 200);
  }
  if (m.from?.is_bot) return c.body(null, 200);
  const target: TelegramTarget = {
    chatId: m.chat.id,
    replyTo: m.message_id,
    ...(m.message_thread_id ? { threadId: m.message_thread_id } : {}),
  };
  const answer = (text: string) => c.json({ method: "sendMessage", ...replyFields(target), text });

  const text = m.text ?? m.caption ?? "";
  const api: TelegramApi = { base: c.env.TELEGRAM_API_BASE, token: c.env.TELEGRAM_BOT_TOKEN };
  if (await forAnotherBot(c.env, api, text)) return c.body(null, 200);
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
    return m.chat.type === "private" || /^\/start\b/.test(text) ? answer(HELP_TEXT) : c.body(null, 200);
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
  return c.body(null, 200);
};
