/**
 * Which chat workspaces, guilds and chats may use the bot, and which team member their
 * requests count against. Configured with the var `CHAT_TEAMS`, a JSON object keyed
 * `<platform>:<scope>` or `<platform>:<scope>:<channel>` (the narrower key wins):
 *
 * ```json
 * { "slack:T123": { "team": "acme", "member": "slack-bot", "perUser": true, "dailyImageQuota": 20 },
 *   "discord:987654321": { "team": "acme" },
 *   "telegram:-1001234": { "team": "acme", "member": "tg-group" },
 *   "feishu:2ed263bf32cf1651": { "team": "acme", "perUser": true } }
 * ```
 * Scopes: Slack team id, Discord guild id (`user:<id>` for DMs), Telegram chat id, Feishu
 * tenant key. Anything not listed is refused.
 */

import type { Context } from "hono";
import { skipModelRulesVar } from "../lib/model-rules.ts";
import type { WebhookAppEnv } from "./platform.ts";

/**
 * `CHAT_TEAMS` as a route sees it: the var, the names of the registered platforms, and the
 * deployment's SKIP_MODEL_RULES (a chat cannot send a header), which every member inherits.
 */
export interface ChatTeamsConfig {
  raw: string | undefined;
  platforms: readonly string[];
  skipModelRules?: boolean;
}

/** The `CHAT_TEAMS` of a webhook request. A bad SKIP_MODEL_RULES is a `ConfigError` naming it. */
export const chatTeams = (c: Context<WebhookAppEnv>): ChatTeamsConfig => ({
  raw: c.env.CHAT_TEAMS,
  platforms: c.get("platforms"),
  skipModelRules: skipModelRulesVar(c.env),
});

/** One allow-listed scope. */
export interface ChatTeamEntry {
  team: string;
  /** member name the usage is recorded under; default `<platform>-bot` */
  member?: string;
  /** when true, each chat user is their own member, `<platform>:<user id>` */
  perUser?: boolean;
  /** images per UTC day per mapped member; absent = unlimited */
  dailyImageQuota?: number;
  /** model for this scope; absent = the Worker's PROVIDER_MODEL */
  model?: string;
}

/** The member a chat request runs as. */
export interface ChatMember {
  team: string;
  member: string;
  dailyImageQuota: number | null;
  model?: string;
  /** the Worker's SKIP_MODEL_RULES: the provider decides what gptimg's model table would refuse */
  skipModelRules: boolean;
  /** the CHAT_TEAMS key that matched, for logs */
  key: string;
}

/** A mistake in the CHAT_TEAMS var; its message names key, field, value and rule (no secrets). */
export class ChatTeamsError extends Error {
  override name = "ChatTeamsError";
}

/** CHAT_TEAMS parsed once per isolate; the string is the cache key so a changed var is re-read. */
let cache: { raw: string; platforms: readonly string[]; table: Map<string, ChatTeamEntry> } | undefined;

const NAME = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,63}$/;

/**
 * Parses `CHAT_TEAMS`. Throws an Error naming the key, field, value and rule on bad config so a
 * deployment mistake is loud rather than a silent open door.
 */
export const parseChatTeams = (raw: string | undefined, platforms: readonly string[]): Map<string, ChatTeamEntry> => {
  const text = raw?.trim() || "{}";
  if (cache?.raw === text && cache.platforms === platforms) return cache.table;
  const names = platforms.join("|");
  const keyRule = new RegExp(`^(${names}):[^:\\s]+(:[^:\\s]+)?$`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ChatTeamsError("CHAT_TEAMS: must be a JSON object");
  }
  if (!json || typeof json !== "object" || Array.isArray(json))
    throw new ChatTeamsError("CHAT_TEAMS: must be a JSON object");
  const table = new Map<string, ChatTeamEntry>();
  for (const [key, v] of Object.entries(json as Record<string, unknown>)) {
    if (!keyRule.test(key)) {
      throw new ChatTeamsError(`CHAT_TEAMS key ${JSON.stringify(key)}: must be <${names}>:<scope>[:<channel>]`);
    }
    const e = v as Partial<ChatTeamEntry> | null;
    if (!e || typeof e !== "object") throw new ChatTeamsError(`CHAT_TEAMS[${key}]: must be an object with a "team"`);
    if (typeof e.team !== "string" || !NAME.test(e.team))
      throw new ChatTeamsError(
        `CHAT_TEAMS[${key}].team ${JSON.stringify(e.team)}: must be a name of 1-64 letters, digits, . _ : @ -`,
      );
    if (e.member !== undefined && (typeof e.member !== "string" || !NAME.test(e.member))) {
      throw new ChatTeamsError(
        `CHAT_TEAMS[${key}].member ${JSON.stringify(e.member)}: must be a name of 1-64 letters, digits, . _ : @ -`,
      );
    }
    if (e.perUser !== undefined && typeof e.perUser !== "boolean")
      throw new ChatTeamsError(`CHAT_TEAMS[${key}].perUser ${JSON.stringify(e.perUser)}: must be true or false`);
    if (e.dailyImageQuota !== undefined && !(Number.isInteger(e.dailyImageQuota) && e.dailyImageQuota >= 0)) {
      throw new ChatTeamsError(
        `CHAT_TEAMS[${key}].dailyImageQuota ${JSON.stringify(e.dailyImageQuota)}: must be a non-negative integer`,
      );
    }
    if (e.model !== undefined && typeof e.model !== "string")
      throw new ChatTeamsError(`CHAT_TEAMS[${key}].model: must be a string`);
    table.set(key, e as ChatTeamEntry);
  }
  cache = { raw: text, platforms, table };
  return table;
};

/**
 * Finds the member for a chat request, or null when the scope is not allow-listed.
 * @example resolveChatMember(chatTeams(c), "slack", "T123", "C456", "U789")
 */
export const resolveChatMember = (
  teams: ChatTeamsConfig,
  platform: string,
  scope: string,
  channel: string | undefined,
  userId: string,
): ChatMember | null => {
  const table = parseChatTeams(teams.raw, teams.platforms);
  const narrow = channel ? `${platform}:${scope}:${channel}` : undefined;
  const broad = `${platform}:${scope}`;
  const key = narrow && table.has(narrow) ? narrow : table.has(broad) ? broad : undefined;
  if (!key) {
    // Logged so an admin setting up a bot can read the scope to allow with `wrangler tail`.
    console.log(`webhooks: ${narrow ?? broad} is not in CHAT_TEAMS; refused`);
    return null;
  }
  const e = table.get(key) as ChatTeamEntry;
  const member = e.perUser ? `${platform}:${userId}` : (e.member ?? `${platform}-bot`);
  return {
    team: e.team,
    member,
    dailyImageQuota: e.dailyImageQuota ?? null,
    model: e.model,
    skipModelRules: teams.skipModelRules === true,
    key,
  };
};
