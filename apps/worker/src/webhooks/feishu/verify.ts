import { timingSafeEqual, toHex } from "../../lib/tokens.ts";
import { concatBytes, fromBase64, fromHex, sha256, utf8 } from "../crypto.ts";
import { fail, OK, type Verified } from "../verify.ts";

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
