/**
 * Daily image quota of a chat-mapped member (`dailyImageQuota` in CHAT_TEAMS). Chat members
 * have no token, so the gateway's per-token check does not apply; this counts the images
 * already recorded in `usage` for the (team, member) today plus those of jobs still in flight,
 * so a burst of messages cannot overrun the quota while the first jobs run.
 */
import type { ChatMember } from "./teams.ts";

/** Images the member may still make today (UTC), or null when unlimited. */
export const imagesLeft = async (
  db: D1Database,
  m: ChatMember,
  nowS = Math.floor(Date.now() / 1000),
): Promise<number | null> => {
  if (m.dailyImageQuota === null) return null;
  const day = new Date(nowS * 1000).toISOString().slice(0, 10);
  const dayStart = Math.floor(Date.parse(`${day}T00:00:00Z`) / 1000);
  const [used, pending] = await db.batch<{ n: number }>([
    db
      .prepare("SELECT COALESCE(SUM(images), 0) AS n FROM usage WHERE team = ? AND member = ? AND day = ?")
      .bind(m.team, m.member, day),
    db
      .prepare(
        "SELECT COALESCE(SUM(COALESCE(json_extract(request_json, '$.n'), 1)), 0) AS n FROM jobs " +
          "WHERE team = ? AND member = ? AND created_at >= ? AND status IN ('queued', 'running')",
      )
      .bind(m.team, m.member, dayStart),
  ]);
  return m.dailyImageQuota - (used?.results[0]?.n ?? 0) - (pending?.results[0]?.n ?? 0);
};
