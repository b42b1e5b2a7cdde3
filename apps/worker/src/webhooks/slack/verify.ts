import { hmacSha256, timingSafeEqual, toHex } from "../../lib/tokens.ts";
import { concatBytes, fromHex, utf8 } from "../crypto.ts";
import { fail, OK, type Verified } from "../verify.ts";

/** Slack rejects requests older than five minutes to stop replays. https://api.slack.com/authentication/verifying-requests-from-slack */
export const SLACK_MAX_SKEW_S = 300;

/**
 * Slack: `X-Slack-Signature` is `v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{body}` under the
 * signing secret; the timestamp must be within five minutes of now either way.
 * @example await verifySlack({ secret, timestamp, signature, body, nowS: nowSeconds() })
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
