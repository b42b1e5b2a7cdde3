import { concatBytes, fromHex, utf8 } from "../crypto.ts";
import { fail, OK, type Verified } from "../verify.ts";

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
