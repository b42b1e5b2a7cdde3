/**
 * Daily image quota of a chat-mapped member (`dailyImageQuota` in CHAT_TEAMS). Chat members
 * have no token, so the gateway's per-token check does not apply; the same count and hold
 * (lib/quota.ts) are keyed by (team, member) instead: the images recorded in `usage` today, those
 * of jobs still in flight, and live quota holds, so a burst of messages cannot overrun the quota.
 */
import { nowSeconds } from "../lib/clock.ts";
import { countedStatement, takeHold } from "../lib/quota.ts";
import type { ChatMember } from "./teams.ts";

/** The member would go past their daily quota; the chat says so with `quotaText`. */
export class ChatQuotaExceededError extends Error {
  override name = "ChatQuotaExceededError";
}

/** Images the member may still make today (UTC), or null when unlimited. */
export const imagesLeft = async (db: D1Database, m: ChatMember, nowS = nowSeconds()): Promise<number | null> => {
  if (m.dailyImageQuota === null) return null;
  const row = await countedStatement(db, { team: m.team, member: m.member }, nowS).first<{ counted: number }>();
  return m.dailyImageQuota - (row?.counted ?? 0);
};

/**
 * Takes a quota hold of `n` images for the member in the same statement that checks the quota,
 * so two events at the same moment cannot both pass on the last images. Returns the hold id (for
 * `releaseHold` once the job row counts by itself), or null when the member is unlimited.
 * @throws ChatQuotaExceededError when the images do not fit
 */
export const holdImages = async (db: D1Database, m: ChatMember, n: number): Promise<string | null> => {
  if (m.dailyImageQuota === null) return null;
  const hold = await takeHold(db, { team: m.team, member: m.member }, n, m.dailyImageQuota);
  if (!hold.ok) throw new ChatQuotaExceededError(`daily quota of ${m.dailyImageQuota}: ${hold.left} left, ${n} asked`);
  return hold.holdId;
};
