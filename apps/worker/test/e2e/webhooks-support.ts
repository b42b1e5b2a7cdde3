/**
 * Node-side pieces for the webhook end-to-end tests and benchmark: a local fake of the Slack,
 * Discord, Telegram and Feishu APIs on 127.0.0.1, and requests signed the way each platform
 * signs them.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** Canary webhook secrets and the allow-list the stack runs with. */
export const WEBHOOK_SECRETS = {
  SLACK_SIGNING_SECRET: "slack-canary-signing-secret-e2e",
  SLACK_BOT_TOKEN: "xoxb-canary-bot-token-e2e",
  // RFC 8032 test 1 key pair
  DISCORD_PUBLIC_KEY: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
  DISCORD_APPLICATION_ID: "100000000000000001",
  TELEGRAM_BOT_TOKEN: "123456:telegram-canary-token-e2e",
  TELEGRAM_SECRET_TOKEN: "telegram-canary-secret-e2e",
  FEISHU_APP_ID: "cli_canary_e2e",
  FEISHU_APP_SECRET: "feishu-canary-app-secret-e2e",
  FEISHU_ENCRYPT_KEY: "feishu-canary-encrypt-key-e2e",
  FEISHU_VERIFICATION_TOKEN: "feishu-canary-verification-e2e",
  CHAT_TEAMS: JSON.stringify({
    "slack:T100": { team: "chat", perUser: true },
    "discord:200": { team: "chat" },
    "telegram:300": { team: "chat" },
    "feishu:tenant400": { team: "chat" },
  }),
};
const DISCORD_SECRET = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";

/** One request the fake received. */
export interface FakeCall {
  method: string;
  /** path including the platform prefix, e.g. `/telegram/bot123:abc/sendPhoto` */
  path: string;
  headers: IncomingMessage["headers"];
  body: Buffer;
  form(): Promise<FormData>;
  json(): unknown;
}

/** Answers a call instead of the default fake answer (e.g. to fail it once). */
export type FakeIntercept = (call: FakeCall) => { status: number; body: unknown } | undefined;

export interface ChatFake {
  url: string;
  calls: FakeCall[];
  /** `*_API_BASE` vars pointing at this fake */
  bases: Record<"SLACK_API_BASE" | "DISCORD_API_BASE" | "TELEGRAM_API_BASE" | "FEISHU_API_BASE", string>;
  intercept: FakeIntercept | undefined;
  close(): Promise<void>;
}

/** A tiny PNG (1x1, RGBA) served as the picture a user sent. */
export const USER_PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
  "base64",
);

function answer(url: string, path: string): { status: number; body: unknown } {
  if (path.startsWith("/slack/api/files.getUploadURLExternal"))
    return { status: 200, body: { ok: true, upload_url: `${url}/slack-files/upload/F1`, file_id: "F1" } };
  if (path.startsWith("/slack-files/upload/")) return { status: 200, body: "OK" };
  if (path.startsWith("/slack/")) return { status: 200, body: { ok: true, ts: "1.2" } };
  if (path.startsWith("/discord/")) return { status: 200, body: { id: "900" } };
  if (path.startsWith("/telegram/file/")) return { status: 200, body: USER_PNG };
  if (path.endsWith("/getFile")) return { status: 200, body: { ok: true, result: { file_path: "photos/1.png" } } };
  if (path.startsWith("/telegram/")) return { status: 200, body: { ok: true, result: { message_id: 1 } } };
  if (path.endsWith("/tenant_access_token/internal"))
    return { status: 200, body: { code: 0, tenant_access_token: "t-e2e", expire: 7200 } };
  if (path.endsWith("/im/v1/images")) return { status: 200, body: { code: 0, data: { image_key: "img_e2e" } } };
  if (path.startsWith("/feishu/")) return { status: 200, body: { code: 0, data: {} } };
  return { status: 404, body: { error: "no fake" } };
}

/** Starts the fake on 127.0.0.1 and a random port. */
export async function startChatFake(): Promise<ChatFake> {
  const calls: FakeCall[] = [];
  let server: Server | undefined;
  const fake: ChatFake = {
    url: "",
    calls,
    bases: { SLACK_API_BASE: "", DISCORD_API_BASE: "", TELEGRAM_API_BASE: "", FEISHU_API_BASE: "" },
    intercept: undefined,
    close: () => new Promise((r) => (server ? server.close(() => r()) : r())),
  };
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const call: FakeCall = {
        method: req.method ?? "GET",
        path: req.url ?? "/",
        headers: req.headers,
        body,
        form: () =>
          new Response(body, { headers: { "content-type": String(req.headers["content-type"] ?? "") } }).formData(),
        json: () => JSON.parse(body.toString("utf8")),
      };
      calls.push(call);
      const a = fake.intercept?.(call) ?? answer(fake.url, call.path);
      const out = Buffer.isBuffer(a.body)
        ? a.body
        : Buffer.from(typeof a.body === "string" ? a.body : JSON.stringify(a.body));
      res.writeHead(a.status, {
        "content-type": Buffer.isBuffer(a.body) ? "image/png" : "application/json",
        "content-length": out.length,
      });
      res.end(out);
    });
  });
  await new Promise<void>((r) => server?.listen(0, "127.0.0.1", r));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.bases = {
    SLACK_API_BASE: `${fake.url}/slack/api`,
    DISCORD_API_BASE: `${fake.url}/discord/api/v10`,
    TELEGRAM_API_BASE: `${fake.url}/telegram`,
    FEISHU_API_BASE: `${fake.url}/feishu/open-apis`,
  };
  return fake;
}

const enc = new TextEncoder();
const hex = (b: ArrayBuffer | Uint8Array) =>
  Buffer.from(b instanceof Uint8Array ? b : new Uint8Array(b)).toString("hex");
const nowS = () => Math.floor(Date.now() / 1000);

/** A Slack slash-command or Events API request, signed v0. */
export async function slackRequest(
  origin: string,
  body: string,
  o: { json?: boolean; ts?: number; secret?: string } = {},
): Promise<Request> {
  const ts = String(o.ts ?? nowS());
  const key = await crypto.subtle.importKey(
    "raw",
    enc.encode(o.secret ?? WEBHOOK_SECRETS.SLACK_SIGNING_SECRET),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const sig = hex(await crypto.subtle.sign("HMAC", key, enc.encode(`v0:${ts}:${body}`)));
  return new Request(`${origin}/webhooks/slack`, {
    method: "POST",
    headers: {
      "content-type": o.json ? "application/json" : "application/x-www-form-urlencoded",
      "x-slack-request-timestamp": ts,
      "x-slack-signature": `v0=${sig}`,
    },
    body,
  });
}

/** A slash command body with a fresh trigger id. */
export const slashBody = (text: string): string =>
  new URLSearchParams({
    team_id: "T100",
    channel_id: "C100",
    user_id: "U100",
    command: "/image",
    text,
    trigger_id: crypto.randomUUID(),
  }).toString();

let discordKey: Promise<CryptoKey> | undefined;
/** A Discord interaction signed with Ed25519 over timestamp + body. */
export async function discordRequest(origin: string, interaction: unknown): Promise<Request> {
  const b64u = (h: string) => Buffer.from(h, "hex").toString("base64url");
  discordKey ??= crypto.subtle.importKey(
    "jwk",
    { kty: "OKP", crv: "Ed25519", d: b64u(DISCORD_SECRET), x: b64u(WEBHOOK_SECRETS.DISCORD_PUBLIC_KEY) },
    { name: "Ed25519" },
    false,
    ["sign"],
  );
  const body = JSON.stringify(interaction);
  const ts = String(nowS());
  const sig = hex(await crypto.subtle.sign("Ed25519", await discordKey, enc.encode(ts + body)));
  return new Request(`${origin}/webhooks/discord`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-signature-ed25519": sig, "x-signature-timestamp": ts },
    body,
  });
}

/** An `/image` interaction in guild 200. */
export const discordCommand = (prompt: string) => ({
  id: String(Date.now()) + String(Math.random()).slice(2, 8),
  type: 2,
  application_id: WEBHOOK_SECRETS.DISCORD_APPLICATION_ID,
  token: `tok-${crypto.randomUUID()}`,
  guild_id: "200",
  channel_id: "210",
  member: { user: { id: "220" } },
  data: { name: "image", options: [{ name: "prompt", type: 3, value: prompt }] },
});

let updateId = Math.floor(Date.now() / 1000);
/** A Telegram update in chat 300. */
export const telegramUpdate = (message: Record<string, unknown>) => ({
  update_id: ++updateId,
  message: { message_id: updateId % 100000, chat: { id: 300, type: "group" }, from: { id: 310 }, ...message },
});

/** A Telegram webhook request with the secret-token header. */
export const telegramRequest = (
  origin: string,
  update: unknown,
  secret = WEBHOOK_SECRETS.TELEGRAM_SECRET_TOKEN,
): Request =>
  new Request(`${origin}/webhooks/telegram`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": secret },
    body: JSON.stringify(update),
  });

/** A Feishu event, encrypted with the Encrypt Key and signed (unless `signed: false`). */
export async function feishuRequest(origin: string, event: unknown, o: { signed?: boolean } = {}): Promise<Request> {
  const keyBytes = await crypto.subtle.digest("SHA-256", enc.encode(WEBHOOK_SECRETS.FEISHU_ENCRYPT_KEY));
  const key = await crypto.subtle.importKey("raw", keyBytes, { name: "AES-CBC" }, false, ["encrypt"]);
  const iv = crypto.getRandomValues(new Uint8Array(16));
  const ct = new Uint8Array(
    await crypto.subtle.encrypt({ name: "AES-CBC", iv }, key, enc.encode(JSON.stringify(event))),
  );
  const body = JSON.stringify({ encrypt: Buffer.concat([iv, ct]).toString("base64") });
  const ts = String(nowS());
  const nonce = crypto.randomUUID();
  const sig = hex(
    await crypto.subtle.digest("SHA-256", enc.encode(ts + nonce + WEBHOOK_SECRETS.FEISHU_ENCRYPT_KEY + body)),
  );
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (o.signed !== false)
    Object.assign(headers, { "x-lark-request-timestamp": ts, "x-lark-request-nonce": nonce, "x-lark-signature": sig });
  return new Request(`${origin}/webhooks/feishu`, { method: "POST", headers, body });
}

/** An `im.message.receive_v1` text event in tenant400. */
export const feishuMessage = (text: string) => ({
  schema: "2.0",
  header: {
    event_id: crypto.randomUUID(),
    event_type: "im.message.receive_v1",
    tenant_key: "tenant400",
    app_id: WEBHOOK_SECRETS.FEISHU_APP_ID,
    token: WEBHOOK_SECRETS.FEISHU_VERIFICATION_TOKEN,
  },
  event: {
    sender: { sender_id: { open_id: "ou_1" }, sender_type: "user" },
    message: {
      message_id: `om_${crypto.randomUUID().slice(0, 8)}`,
      chat_id: "oc_1",
      chat_type: "p2p",
      message_type: "text",
      content: JSON.stringify({ text }),
    },
  },
});
