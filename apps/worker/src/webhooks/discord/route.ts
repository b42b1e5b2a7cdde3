/**
 * `POST /webhooks/discord`: interactions. PING (type 1) is answered with PONG; the `/image`
 * slash command (type 2) with a deferred response (type 5), after which the job's delivery
 * edits that response. Every request with a bad signature gets 401: Discord sends deliberate
 * forgeries and disables endpoints that accept them.
 */

import type { Context } from "hono";
import { nowSeconds } from "../../lib/clock.ts";
import {
  arrayOf,
  checkShape,
  malformedPayload,
  NOT_A_JSON_OBJECT,
  number,
  object,
  optional,
  parseJsonObject,
  recordOf,
  type Shape,
  scalar,
  string,
} from "../body.ts";
import { parseCommand } from "../command.ts";
import { fetchBytes } from "../http.ts";
import { HELP_TEXT, invalidText, NOT_ALLOWED_TEXT } from "../messages.ts";
import type { WebhookAppEnv } from "../platform.ts";
import { startChatJob } from "../start.ts";
import { chatTeams, resolveChatMember } from "../teams.ts";
import { type DiscordTarget, editOriginal } from "./api.ts";
import { verifyDiscord } from "./verify.ts";

/** https://discord.com/developers/docs/interactions/receiving-and-responding */
const PING = 1;
const APPLICATION_COMMAND = 2;
const PONG = 1;
const CHANNEL_MESSAGE = 4;
const DEFERRED_CHANNEL_MESSAGE = 5;
/** Message flag: only the invoking user sees it. */
const EPHEMERAL = 64;
const MAX_INPUT_BYTES = 25 * 1024 * 1024;

interface Option {
  name: string;
  type: number;
  value?: string | number | boolean;
}
/** An interaction; `id` and `token` are read only once COMMAND has checked them. */
interface Interaction {
  id: string;
  type?: number;
  application_id?: string;
  token: string;
  guild_id?: string;
  channel_id?: string;
  member?: { user?: { id?: string } };
  user?: { id?: string };
  data?: {
    name?: string;
    options?: Option[];
    resolved?: { attachments?: Record<string, { url?: string; content_type?: string; size?: number }> };
  };
}

/** An application command as this handler reads it. https://discord.com/developers/docs/interactions/receiving-and-responding#interaction-object */
const COMMAND: Shape = object({
  id: string,
  token: string,
  application_id: optional(string),
  guild_id: optional(string),
  channel_id: optional(string),
  member: optional(object({ user: object({ id: string }) })),
  user: optional(object({ id: string })),
  data: object({
    name: string,
    options: optional(arrayOf(object({ name: string, type: number, value: optional(scalar) }))),
    resolved: optional(
      object({
        attachments: optional(
          recordOf(object({ url: string, content_type: optional(string), size: optional(number) })),
        ),
      }),
    ),
  }),
});

/** Options of `/image` other than prompt and image, written into the text as `key=value`. */
const TEXT_OPTIONS = new Set(["size", "quality", "n", "format", "background"]);

/** The Discord webhook handler. */
export const discordWebhook = async (c: Context<WebhookAppEnv>): Promise<Response> => {
  const raw = new Uint8Array(await c.req.arrayBuffer());
  const verified = await verifyDiscord({
    publicKey: c.env.DISCORD_PUBLIC_KEY,
    timestamp: c.req.header("x-signature-timestamp") ?? null,
    signature: c.req.header("x-signature-ed25519") ?? null,
    body: raw,
    nowS: nowSeconds(),
  });
  if (!verified.ok) {
    console.warn(`webhooks: discord request rejected: ${verified.reason}`);
    return c.text("invalid request signature", 401);
  }
  // Discord shows the user "interaction failed" for a non-2xx and does not retry: a payload it
  // should never send is a 400 naming the field
  const it = parseJsonObject<Interaction>(new TextDecoder().decode(raw));
  if (!it) return malformedPayload(c, "discord", NOT_A_JSON_OBJECT);
  if (it.type === PING) return c.json({ type: PONG });
  const message = (content: string) =>
    c.json({ type: CHANNEL_MESSAGE, data: { content, flags: EPHEMERAL, allowed_mentions: { parse: [] } } });
  if (it.type !== APPLICATION_COMMAND) return message(HELP_TEXT);
  const problem = checkShape(it, COMMAND);
  if (problem) return malformedPayload(c, "discord", problem);
  // a guild command carries member.user, a DM's carries user
  const user = it.member?.user?.id ?? it.user?.id;
  if (user === undefined) {
    const rule = "must be an object (missing, and so is member.user)";
    return malformedPayload(c, "discord", { field: "user", rule });
  }
  if (it.data?.name !== "image") return message(HELP_TEXT);
  const scope = it.guild_id ?? `user:${user}`;
  const member = resolveChatMember(chatTeams(c), "discord", scope, it.channel_id, user);
  if (!member) return message(NOT_ALLOWED_TEXT);

  const opts = it.data.options ?? [];
  const prompt = String(opts.find((o) => o.name === "prompt")?.value ?? "");
  const extra = opts
    .filter((o) => TEXT_OPTIONS.has(o.name) && o.value !== undefined)
    .map((o) => `${o.name}=${o.value}`);
  const attachments = opts
    .filter((o) => o.type === 11 && typeof o.value === "string")
    .map((o) => it.data?.resolved?.attachments?.[o.value as string])
    .filter((a): a is { url: string; size?: number; content_type?: string } => typeof a?.url === "string");
  const parsed = parseCommand([prompt, ...extra].join(" "), {
    explicit: true,
    hasImages: attachments.length > 0,
    model: member.model,
    skipModelRules: member.skipModelRules,
  });
  if (!parsed.ok) return message(parsed.issues ? invalidText(parsed.issues) : HELP_TEXT);

  const target: DiscordTarget = {
    applicationId: it.application_id ?? c.env.DISCORD_APPLICATION_ID ?? "",
    token: it.token,
    ...(it.channel_id ? { channelId: it.channel_id } : {}),
  };
  c.executionCtx.waitUntil(
    startChatJob(c.env, {
      platform: "discord",
      eventId: it.id,
      member,
      command: parsed.command,
      target,
      origin: new URL(c.req.url).origin,
      reply: (text) => editOriginal(c.env.DISCORD_API_BASE, target, text),
      inputs: attachments.slice(0, 16).map((a) => ({
        ...(typeof a.size === "number" ? { size: a.size } : {}),
        fetch: (budget) => fetchBytes("discord", "attachment download", new Request(a.url), MAX_INPUT_BYTES, budget),
      })),
    }),
  );
  return c.json({ type: DEFERRED_CHANNEL_MESSAGE });
};
