/** Slack Web API calls the bot makes: post a message, upload a file into a channel or thread. */
import { apiUrl, PlatformApiError, sendJson, sendText } from "../http.ts";

/** Where a Slack reply goes. */
export interface SlackTarget {
  team: string;
  channel: string;
  /** reply in this thread (the mention's ts, or its thread's) */
  threadTs?: string;
  /** a slash command's response_url: works where the bot is not a channel member (30 min, 5 uses) */
  responseUrl?: string;
}

export interface SlackApi {
  base: string;
  token: string | undefined;
}

interface SlackResult {
  ok: boolean;
  error?: string;
}

/** Slack answers 200 with `{ ok: false, error }`; these errors may pass on a retry. */
const RETRYABLE_ERRORS = new Set([
  "ratelimited",
  "internal_error",
  "fatal_error",
  "service_unavailable",
  "request_timeout",
]);

const call = async <T extends SlackResult>(
  api: SlackApi,
  method: string,
  body: BodyInit,
  contentType?: string,
): Promise<T> => {
  if (!api.token) throw new PlatformApiError("slack", method, null, "SLACK_BOT_TOKEN is not set", false);
  const headers: Record<string, string> = { authorization: `Bearer ${api.token}` };
  if (contentType) headers["content-type"] = contentType;
  const res = await sendJson<T>(
    "slack",
    method,
    new Request(apiUrl(api.base, method), { method: "POST", headers, body }),
  );
  if (!res.ok)
    throw new PlatformApiError("slack", method, 200, res.error ?? "ok=false", RETRYABLE_ERRORS.has(res.error ?? ""));
  return res;
};

/** `chat.postMessage` in the target channel/thread. */
export const postMessage = async (api: SlackApi, t: SlackTarget, text: string): Promise<void> => {
  await call(
    api,
    "chat.postMessage",
    JSON.stringify({ channel: t.channel, text, ...(t.threadTs ? { thread_ts: t.threadTs } : {}) }),
    "application/json; charset=utf-8",
  );
};

/**
 * Posts to a slash command's response_url (no token needed; visible to the channel). Slack
 * answers a plain `ok`, or JSON with `ok: false` and an error; an expired or used-up URL is a 404.
 */
export const postResponseUrl = async (url: string, text: string): Promise<void> => {
  const answer = await sendText(
    "slack",
    "response_url",
    new Request(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ response_type: "in_channel", text }),
    }),
  );
  let parsed: unknown;
  try {
    parsed = JSON.parse(answer);
  } catch {
    return;
  }
  const r = parsed as Partial<SlackResult> | null;
  if (r && typeof r === "object" && r.ok === false) {
    const error = typeof r.error === "string" ? r.error : "ok=false";
    throw new PlatformApiError("slack", "response_url", 200, error, RETRYABLE_ERRORS.has(error));
  }
};

/**
 * Uploads files with the external-upload flow: `files.getUploadURLExternal` per file, a POST of
 * the bytes to each upload URL, then one `files.completeUploadExternal` sharing them all into
 * the channel (and thread) with a comment.
 * https://api.slack.com/messaging/files#uploading_files
 */
export const uploadFiles = async (
  api: SlackApi,
  t: SlackTarget,
  files: { name: string; bytes: Uint8Array; title: string }[],
  comment: string,
): Promise<void> => {
  const ids: { id: string; title: string }[] = [];
  for (const f of files) {
    const form = new URLSearchParams({ filename: f.name, length: String(f.bytes.length) });
    const { upload_url, file_id } = await call<SlackResult & { upload_url: string; file_id: string }>(
      api,
      "files.getUploadURLExternal",
      form,
      "application/x-www-form-urlencoded",
    );
    const up = await fetch(upload_url, {
      method: "POST",
      headers: { "content-type": "application/octet-stream" },
      body: f.bytes as Uint8Array<ArrayBuffer>,
    }).catch((e: Error) => {
      throw new PlatformApiError("slack", "upload", null, `network error: ${e.message}`, true);
    });
    await up.body?.cancel();
    if (!up.ok)
      throw new PlatformApiError(
        "slack",
        "upload",
        up.status,
        "upload URL refused the file",
        up.status >= 500 || up.status === 429,
      );
    ids.push({ id: file_id, title: f.title });
  }
  await call(
    api,
    "files.completeUploadExternal",
    JSON.stringify({
      files: ids,
      channel_id: t.channel,
      initial_comment: comment,
      ...(t.threadTs ? { thread_ts: t.threadTs } : {}),
    }),
    "application/json; charset=utf-8",
  );
};
