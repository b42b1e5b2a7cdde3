/**
 * Request verification for each chat platform, over the raw body and before anything is
 * parsed or stored. Every verifier fails closed: a missing secret or header is a rejection.
 */
import { timingSafeEqual } from "../lib/tokens.ts";
import { concatBytes, fromBase64, fromHex, hmacSha256, sha256, toHex, utf8 } from "./crypto.ts";

/** Outcome of a verification; `reason` is for logs and never holds a secret. */
export type Verified = { ok: true } | { ok: false; reason: string };

const fail = (reason: string): Verified => ({ ok: false, reason });
const OK: Verified = { ok: true };

/** Slack rejects requests older than five minutes to stop replays. https://api.slack.com/authentication/verifying-requests-from-slack */
export const SLACK_MAX_SKEW_S = 300;

/**
 * Slack: `X-Slack-Signature` is `v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{body}` under the
 * signing secret; the timestamp must be within five minutes of now either way.
 * @example await verifySlack({ secret, timestamp, signature, body, nowS: Date.now() / 1000 })
 */
export const verifySlack = async (p: {
  secret: string | undefined;
  timestamp: string | null;
  signature: string | null;
  body: Uint8Array;
  nowS: number;
}): Promise<Verified> => {
  if (!p.secret) return fail("SLACK_SIGNING_SECRET is not set");
  if (!p.timestamp || !/^\d{1,12}$/.test(p.timestamp)) return fail("missing or malformed X-Slack-Request-Timestamp");
  if (!p.signature?.startsWith("v0=")) return fail("missing or malformed X-Slack-Signature");
  if (Math.abs(p.nowS - Number(p.timestamp)) > SLACK_MAX_SKEW_S) return fail("stale X-Slack-Request-Timestamp");
  const given = fromHex(p.signature.slice(3));
  if (!given) return fail("malformed X-Slack-Signature");
  const mac = await hmacSha256(p.secret, concatBytes(utf8(`v0:${p.timestamp}:`), p.body));
  return (await timingSafeEqual(toHex(mac), toHex(given))) ? OK : fail("bad Slack signature");
};

/** Discord sends no timestamp window of its own; five minutes matches Slack and blocks old replays. */
export const DISCORD_MAX_SKEW_S = 300;

/**
 * Discord: `X-Signature-Ed25519` is the hex Ed25519 signature of `X-Signature-Timestamp` + body
 * under the application's public key (hex). https://discord.com/developers/docs/interactions/overview#setting-up-an-endpoint-validating-security-request-headers
 */
export const verifyDiscord = async (p: {
  publicKey: string | undefined;
  timestamp: string | null;
  signature: string | null;
  body: Uint8Array;
  /**
   * when given, the timestamp must be unix seconds (digits only) within DISCORD_MAX_SKEW_S of
   * now; the route always passes it. Left out only to check a bare signature (RFC 8032 vectors).
   */
  nowS?: number;
}): Promise<Verified> => {
  if (!p.publicKey) return fail("DISCORD_PUBLIC_KEY is not set");
  const key = fromHex(p.publicKey);
  if (key?.length !== 32) return fail("DISCORD_PUBLIC_KEY is not 32 bytes of hex");
  if (!p.timestamp || !p.signature) return fail("missing X-Signature-Ed25519 or X-Signature-Timestamp");
  const sig = fromHex(p.signature);
  if (sig?.length !== 64) return fail("malformed X-Signature-Ed25519");
  if (p.nowS !== undefined) {
    // a timestamp that is not plain unix seconds cannot be placed in the window: refused, not waved through
    if (!/^\d{1,12}$/.test(p.timestamp)) return fail("malformed X-Signature-Timestamp");
    if (Math.abs(p.nowS - Number(p.timestamp)) > DISCORD_MAX_SKEW_S) return fail("stale X-Signature-Timestamp");
  }
  try {
    const k = await crypto.subtle.importKey("raw", key, { name: "Ed25519" }, false, ["verify"]);
    const good = await crypto.subtle.verify("Ed25519", k, sig, concatBytes(utf8(p.timestamp), p.body));
    return good ? OK : fail("bad Discord signature");
  } catch {
    return fail("bad Discord signature");
  }
};

/**
 * Telegram: the `X-Telegram-Bot-Api-Secret-Token` header equals the secret set with setWebhook
 * (both hashed before comparing, so the timing tells nothing of the secret's length or content).
 */
export const verifyTelegram = async (p: { secret: string | undefined; header: string | null }): Promise<Verified> => {
  if (!p.secret) return fail("TELEGRAM_SECRET_TOKEN is not set");
  if (!p.header) return fail("missing X-Telegram-Bot-Api-Secret-Token");
  return (await timingSafeEqual(p.header, p.secret)) ? OK : fail("bad Telegram secret token");
};

/**
 * Feishu/Lark: `X-Lark-Signature` is hex SHA-256 of timestamp + nonce + encrypt key + raw body.
 * https://open.feishu.cn/document/ukTMukTMukTM/uYDNxYjL2QTM24iN0EjN/event-subscription-configure-/encrypt-key-encryption-configuration-case
 */
export const verifyFeishu = async (p: {
  encryptKey: string | undefined;
  timestamp: string | null;
  nonce: string | null;
  signature: string | null;
  body: Uint8Array;
  /** when given, a timestamp further than FEISHU_MAX_SKEW_S from now is rejected */
  nowS?: number;
}): Promise<Verified> => {
  if (!p.encryptKey) return fail("FEISHU_ENCRYPT_KEY is not set");
  if (!p.timestamp || !p.nonce || !p.signature) return fail("missing X-Lark-Request-Timestamp, -Nonce or -Signature");
  if (
    p.nowS !== undefined &&
    (!/^\d+$/.test(p.timestamp) || Math.abs(p.nowS - Number(p.timestamp)) > FEISHU_MAX_SKEW_S)
  ) {
    return fail("stale X-Lark-Request-Timestamp");
  }
  const given = fromHex(p.signature);
  if (!given) return fail("malformed X-Lark-Signature");
  const digest = await sha256(concatBytes(utf8(p.timestamp + p.nonce + p.encryptKey), p.body));
  return (await timingSafeEqual(toHex(digest), toHex(given))) ? OK : fail("bad Feishu signature");
};

/** Feishu signs a timestamp but sets no window; five minutes, as for Slack, blocks old replays. */
export const FEISHU_MAX_SKEW_S = 300;

/**
 * Decrypts a Feishu `encrypt` field: AES-256-CBC, key = SHA-256(encrypt key), IV = first 16
 * bytes of the base64-decoded field, PKCS#7 padding. Returns the plaintext, or null when the
 * field is malformed or does not decrypt under this key.
 */
export const decryptFeishu = async (encryptKey: string, encrypted: string): Promise<string | null> => {
  const data = fromBase64(encrypted);
  if (!data || data.length < 32 || data.length % 16 !== 0) return null;
  try {
    const key = await crypto.subtle.importKey("raw", await sha256(utf8(encryptKey)), { name: "AES-CBC" }, false, [
      "decrypt",
    ]);
    const plain = await crypto.subtle.decrypt({ name: "AES-CBC", iv: data.slice(0, 16) }, key, data.slice(16));
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(plain);
  } catch {
    return null;
  }
};
