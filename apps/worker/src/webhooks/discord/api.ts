/** Discord calls the bot makes: edit the deferred interaction response, or post to the channel. */
import { apiUrl, PlatformApiError, sendJson } from "../http.ts";

/** Where a Discord reply goes. The interaction token is valid for 15 minutes. */
export interface DiscordTarget {
  applicationId: string;
  token: string;
  channelId?: string;
}

export interface DiscordFile {
  name: string;
  bytes: Uint8Array;
  type: string;
}

/** Builds the body of a message with files: `payload_json` plus `files[i]` parts. https://discord.com/developers/docs/reference#uploading-files */
const messageBody = (content: string, files: DiscordFile[]): { body: BodyInit; headers: Record<string, string> } => {
  const payload = {
    content: content.slice(0, 2000),
    allowed_mentions: { parse: [] },
    attachments: files.map((f, id) => ({ id, filename: f.name })),
  };
  if (!files.length) return { body: JSON.stringify(payload), headers: { "content-type": "application/json" } };
  const form = new FormData();
  form.append("payload_json", JSON.stringify(payload));
  for (const [i, f] of files.entries())
    form.append(`files[${i}]`, new Blob([f.bytes as Uint8Array<ArrayBuffer>], { type: f.type }), f.name);
  return { body: form, headers: {} };
};

/**
 * Replaces the deferred "thinking…" response (`PATCH /webhooks/{application_id}/{token}/messages/@original`).
 * Editing the same message again is harmless, so a retried delivery posts nothing twice.
 */
export const editOriginal = async (
  base: string,
  t: DiscordTarget,
  content: string,
  files: DiscordFile[] = [],
): Promise<void> => {
  const { body, headers } = messageBody(content, files);
  const url = apiUrl(
    base,
    `webhooks/${encodeURIComponent(t.applicationId)}/${encodeURIComponent(t.token)}/messages/@original`,
  );
  await sendJson("discord", "edit original response", new Request(url, { method: "PATCH", headers, body }));
};

/** Posts into the channel with the bot token, for when the interaction token has expired. */
export const postChannelMessage = async (
  base: string,
  botToken: string | undefined,
  channelId: string,
  content: string,
  files: DiscordFile[] = [],
): Promise<void> => {
  if (!botToken) throw new PlatformApiError("discord", "create message", null, "DISCORD_BOT_TOKEN is not set", false);
  const { body, headers } = messageBody(content, files);
  const url = apiUrl(base, `channels/${encodeURIComponent(channelId)}/messages`);
  await sendJson(
    "discord",
    "create message",
    new Request(url, { method: "POST", headers: { ...headers, authorization: `Bot ${botToken}` }, body }),
  );
};
