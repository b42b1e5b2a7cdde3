/** Telegram Bot API calls the bot makes. The bot token is part of every URL, so errors never carry URLs. */
import { apiUrl, fetchBytes, PlatformApiError, sendJson } from "../http.ts";

/** Where a Telegram reply goes. */
export interface TelegramTarget {
  chatId: number | string;
  /** the message to reply to */
  replyTo?: number;
  /** forum topic */
  threadId?: number;
}

export interface TelegramApi {
  base: string;
  token: string | undefined;
}

/** sendPhoto takes photos up to 10 MB; sendDocument up to 50 MB. https://core.telegram.org/bots/api#sending-files */
export const TELEGRAM_MAX_PHOTO_BYTES = 10 * 1024 * 1024;
export const TELEGRAM_MAX_DOCUMENT_BYTES = 50 * 1024 * 1024;
/** Bots may download files up to 20 MB with getFile. */
export const TELEGRAM_MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024;

const tokenOf = (api: TelegramApi, method: string): string => {
  if (!api.token) throw new PlatformApiError("telegram", method, null, "TELEGRAM_BOT_TOKEN is not set", false);
  return api.token;
};

/** Removes the bot token from any text that might echo a URL. */
const scrub = (e: unknown, token: string): never => {
  if (e instanceof PlatformApiError)
    throw new PlatformApiError(e.platform, e.method, e.status, e.detail.replaceAll(token, "***"), e.retryable);
  throw e;
};

/** Fields every reply carries: chat, thread, and the message replied to. */
export const replyFields = (t: TelegramTarget): Record<string, unknown> => ({
  chat_id: t.chatId,
  ...(t.threadId ? { message_thread_id: t.threadId } : {}),
  ...(t.replyTo ? { reply_parameters: { message_id: t.replyTo, allow_sending_without_reply: true } } : {}),
});

const call = async (
  api: TelegramApi,
  method: string,
  body: BodyInit,
  headers: Record<string, string> = {},
): Promise<unknown> => {
  const token = tokenOf(api, method);
  const req = new Request(apiUrl(api.base, `bot${token}/${method}`), { method: "POST", headers, body });
  return sendJson<{ ok?: boolean; result?: unknown }>("telegram", method, req).then(
    (r) => r.result,
    (e: unknown) => scrub(e, token),
  );
};

/** `sendMessage` as a reply. */
export const sendMessage = async (api: TelegramApi, t: TelegramTarget, text: string): Promise<void> => {
  await call(api, "sendMessage", JSON.stringify({ ...replyFields(t), text }), { "content-type": "application/json" });
};

/** `sendPhoto` (≤ 10 MB) or `sendDocument` (≤ 50 MB) with the bytes as a multipart file. */
export const sendImage = async (
  api: TelegramApi,
  t: TelegramTarget,
  file: { name: string; bytes: Uint8Array; type: string },
  caption?: string,
): Promise<void> => {
  const asPhoto = file.bytes.length <= TELEGRAM_MAX_PHOTO_BYTES;
  const form = new FormData();
  for (const [k, v] of Object.entries(replyFields(t)))
    form.append(k, typeof v === "object" ? JSON.stringify(v) : String(v));
  if (caption) form.append("caption", caption.slice(0, 1024));
  form.append(
    asPhoto ? "photo" : "document",
    new Blob([file.bytes as Uint8Array<ArrayBuffer>], { type: file.type }),
    file.name,
  );
  await call(api, asPhoto ? "sendPhoto" : "sendDocument", form);
};

/** The bot's username per API base and token; it never changes for a token, so one getMe per isolate. */
const usernames = new Map<string, string>();

/** The bot's own `@username` (without the `@`), from `getMe`; undefined when Telegram gives none. */
export const botUsername = async (api: TelegramApi): Promise<string | undefined> => {
  const key = `${api.base}|${tokenOf(api, "getMe")}`;
  const hit = usernames.get(key);
  if (hit) return hit;
  const me = (await call(api, "getMe", "{}", { "content-type": "application/json" })) as
    | { username?: unknown }
    | undefined;
  if (typeof me?.username !== "string") return undefined;
  usernames.set(key, me.username);
  return me.username;
};

/** Downloads a file the user sent: `getFile`, then `/file/bot<token>/<file_path>`. */
export const downloadFile = async (api: TelegramApi, fileId: string, budget?: number): Promise<Uint8Array> => {
  const token = tokenOf(api, "getFile");
  const file = (await call(api, "getFile", JSON.stringify({ file_id: fileId }), {
    "content-type": "application/json",
  })) as { file_path?: string } | undefined;
  if (!file?.file_path)
    throw new PlatformApiError("telegram", "getFile", null, "no file_path (file over 20 MB?)", false);
  const url = apiUrl(api.base, `file/bot${token}/${file.file_path}`);
  return fetchBytes("telegram", "file download", new Request(url), TELEGRAM_MAX_DOWNLOAD_BYTES, budget).catch(
    (e: unknown) => scrub(e, token),
  );
};
