/** Feishu/Lark Open API calls the bot makes, with a cached tenant_access_token. */
import { apiUrl, fetchBytes, PlatformApiError, sendJson } from "../http.ts";

/** Where a Feishu reply goes: a reply to the user's message. */
export interface FeishuTarget {
  messageId: string;
  chatId: string;
  /** reply inside the message's thread (when it was already in one) */
  inThread?: boolean;
}

export interface FeishuApi {
  base: string;
  appId: string | undefined;
  appSecret: string | undefined;
}

/** Feishu takes message images up to 10 MB. https://open.feishu.cn/document/server-docs/im-v1/image/create */
export const FEISHU_MAX_IMAGE_BYTES = 10 * 1024 * 1024;

interface FeishuResult {
  code?: number;
  msg?: string;
}
/** Codes worth a retry: rate limited, internal error. */
const RETRYABLE_CODES = new Set([99991400, 99991401, 1500, 230020]);

/** Tokens live 2 h; refresh a little early. Cached per isolate and per app. */
const tokens = new Map<string, { token: string; expires: number }>();

const check = <T extends FeishuResult>(method: string, r: T): T => {
  if (r.code !== undefined && r.code !== 0)
    throw new PlatformApiError("feishu", method, 200, `code ${r.code}: ${r.msg ?? ""}`, RETRYABLE_CODES.has(r.code));
  return r;
};

/** `POST /auth/v3/tenant_access_token/internal`, cached until shortly before it expires. */
export const tenantToken = async (api: FeishuApi, now = Date.now()): Promise<string> => {
  if (!api.appId || !api.appSecret)
    throw new PlatformApiError(
      "feishu",
      "tenant_access_token",
      null,
      "FEISHU_APP_ID or FEISHU_APP_SECRET is not set",
      false,
    );
  const cacheKey = `${api.base}|${api.appId}`;
  const hit = tokens.get(cacheKey);
  if (hit && hit.expires > now) return hit.token;
  const req = new Request(apiUrl(api.base, "auth/v3/tenant_access_token/internal"), {
    method: "POST",
    headers: { "content-type": "application/json; charset=utf-8" },
    body: JSON.stringify({ app_id: api.appId, app_secret: api.appSecret }),
  });
  const r = check(
    "tenant_access_token",
    await sendJson<FeishuResult & { tenant_access_token?: string; expire?: number }>(
      "feishu",
      "tenant_access_token",
      req,
    ),
  );
  if (!r.tenant_access_token)
    throw new PlatformApiError("feishu", "tenant_access_token", 200, "no token in response", true);
  tokens.set(cacheKey, { token: r.tenant_access_token, expires: now + Math.max(60, (r.expire ?? 7200) - 300) * 1000 });
  return r.tenant_access_token;
};

const authed = async (api: FeishuApi, method: string, path: string, init: RequestInit): Promise<unknown> => {
  const token = await tenantToken(api);
  const headers = new Headers(init.headers);
  headers.set("authorization", `Bearer ${token}`);
  return check(
    method,
    await sendJson<FeishuResult & { data?: unknown }>(
      "feishu",
      method,
      new Request(apiUrl(api.base, path), { ...init, headers }),
    ),
  ).data;
};

/** `POST /im/v1/images` (multipart, image_type=message) → image_key. */
export const uploadImage = async (api: FeishuApi, bytes: Uint8Array, name: string, type: string): Promise<string> => {
  const form = new FormData();
  form.append("image_type", "message");
  form.append("image", new Blob([bytes as Uint8Array<ArrayBuffer>], { type }), name);
  const data = (await authed(api, "upload image", "im/v1/images", { method: "POST", body: form })) as
    | { image_key?: string }
    | undefined;
  if (!data?.image_key) throw new PlatformApiError("feishu", "upload image", 200, "no image_key in response", true);
  return data.image_key;
};

/**
 * `POST /im/v1/messages/{message_id}/reply`. `uuid` makes Feishu drop a repeat of the same
 * reply within an hour, so a retried delivery does not post twice.
 */
export const reply = async (
  api: FeishuApi,
  t: FeishuTarget,
  msg: { msgType: "text" | "image"; content: Record<string, string>; uuid?: string },
): Promise<void> => {
  await authed(api, "reply message", `im/v1/messages/${encodeURIComponent(t.messageId)}/reply`, {
    method: "POST",
    headers: { "content-type": "application/json; charset=utf-8" },
    body: JSON.stringify({
      msg_type: msg.msgType,
      content: JSON.stringify(msg.content),
      reply_in_thread: t.inThread === true,
      ...(msg.uuid ? { uuid: msg.uuid } : {}),
    }),
  });
};

/** Downloads an image the user sent: `GET /im/v1/messages/{message_id}/resources/{file_key}?type=image`. */
export const downloadResource = async (
  api: FeishuApi,
  messageId: string,
  key: string,
  maxBytes: number,
  budget?: number,
): Promise<Uint8Array> => {
  const token = await tenantToken(api);
  const url = apiUrl(
    api.base,
    `im/v1/messages/${encodeURIComponent(messageId)}/resources/${encodeURIComponent(key)}?type=image`,
  );
  return fetchBytes(
    "feishu",
    "resource download",
    new Request(url, { headers: { authorization: `Bearer ${token}` } }),
    maxBytes,
    budget,
  );
};
