/**
 * `POST /webhooks/slack`: slash commands (`/image …`, form-encoded) and the Events API
 * (`url_verification`, `event_callback` with `app_mention`). Slack wants an answer within 3 s,
 * so everything slow runs after the ack in `waitUntil`.
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
  type Shape,
  string,
} from "../body.ts";
import { parseCommand } from "../command.ts";
import { replyOnce } from "../dedupe.ts";
import { fetchBytes, PlatformApiError } from "../http.ts";
import { HELP_TEXT, invalidText, NOT_ALLOWED_TEXT, workingText } from "../messages.ts";
import type { WebhookAppEnv } from "../platform.ts";
import { startChatJob } from "../start.ts";
import { chatTeams, resolveChatMember } from "../teams.ts";
import { postMessage, postResponseUrl, type SlackApi, type SlackTarget } from "./api.ts";
import { slackPlainText, withoutAddress } from "./text.ts";
import { verifySlack } from "./verify.ts";

/** Largest input image fetched from Slack; all of a message's inputs share MAX_CHAT_INPUT_BYTES. */
const MAX_INPUT_BYTES = 25 * 1024 * 1024;

interface SlackFile {
  mimetype?: string;
  url_private?: string;
  url_private_download?: string;
  size?: number;
}
interface SlackEvent {
  type?: string;
  user?: string;
  bot_id?: string;
  text?: string;
  channel?: string;
  ts?: string;
  thread_ts?: string;
  files?: SlackFile[];
}
interface SlackEnvelope {
  type?: string;
  challenge?: string;
  team_id?: string;
  event_id?: string;
  event?: SlackEvent;
}

/** An event callback, as far as it is read before its event's type is known. */
const EVENT_CALLBACK: Shape = object({ event_id: string, team_id: optional(string), event: object({ type: string }) });

/** An app_mention from a person, as this handler reads it. https://api.slack.com/events/app_mention */
const APP_MENTION: Shape = object({
  event: object({
    user: string,
    channel: string,
    ts: string,
    thread_ts: optional(string),
    text: optional(string),
    files: optional(
      arrayOf(
        object({
          mimetype: optional(string),
          url_private: optional(string),
          url_private_download: optional(string),
          size: optional(number),
        }),
      ),
    ),
  }),
});

/** The fields of a slash command this handler reads. https://api.slack.com/interactivity/slash-commands#app_command_handling */
const SLASH_FIELDS = ["team_id", "channel_id", "user_id", "trigger_id"] as const;

/**
 * Whether the bot token may go to `url`: Slack's own hosts (files live on files.slack.com), or
 * the host of `SLACK_API_BASE` and its subdomains when that points elsewhere (a local fake). The
 * token reads every file the bot can see, so it never follows a URL anywhere else.
 */
export const slackFileUrlAllowed = (url: string, apiBase: string): boolean => {
  let host: string;
  let baseHost: string;
  try {
    host = new URL(url).hostname.toLowerCase();
    baseHost = new URL(apiBase).hostname.toLowerCase();
  } catch {
    return false;
  }
  return [baseHost, "slack.com"].some((h) => host === h || host.endsWith(`.${h}`));
};

const ephemeral = (c: Context<WebhookAppEnv>, text: string) => c.json({ response_type: "ephemeral", text });

/** The Slack webhook handler. */
export const slackWebhook = async (c: Context<WebhookAppEnv>): Promise<Response> => {
  const raw = new Uint8Array(await c.req.arrayBuffer());
  const verified = await verifySlack({
    secret: c.env.SLACK_SIGNING_SECRET,
    timestamp: c.req.header("x-slack-request-timestamp") ?? null,
    signature: c.req.header("x-slack-signature") ?? null,
    body: raw,
    nowS: nowSeconds(),
  });
  if (!verified.ok) {
    console.warn(`webhooks: slack request rejected: ${verified.reason}`);
    return c.text("invalid request signature", 401);
  }
  const text = new TextDecoder().decode(raw);
  const api: SlackApi = { base: c.env.SLACK_API_BASE, token: c.env.SLACK_BOT_TOKEN };
  const origin = new URL(c.req.url).origin;

  if ((c.req.header("content-type") ?? "").includes("application/x-www-form-urlencoded")) {
    const form = new URLSearchParams(text);
    if (form.has("payload")) return c.body(null, 200); // interactivity payloads: nothing to do
    const missing = SLASH_FIELDS.find((k) => !form.get(k));
    if (missing) return malformedPayload(c, "slack", { field: missing, rule: "must be a non-empty form field" });
    const [team, channel, user, trigger] = SLASH_FIELDS.map((k) => form.get(k) as string) as [
      string,
      string,
      string,
      string,
    ];
    const member = resolveChatMember(chatTeams(c), "slack", team, channel, user);
    if (!member) return ephemeral(c, NOT_ALLOWED_TEXT);
    const input = slackPlainText(form.get("text") ?? "").trim();
    if (!input) return ephemeral(c, HELP_TEXT);
    const parsed = parseCommand(input, {
      explicit: true,
      hasImages: false,
      model: member.model,
      skipModelRules: member.skipModelRules,
    });
    if (!parsed.ok) return ephemeral(c, parsed.issues ? invalidText(parsed.issues) : HELP_TEXT);
    const responseUrl = form.get("response_url") ?? undefined;
    const target: SlackTarget = { team, channel, ...(responseUrl ? { responseUrl } : {}) };
    c.executionCtx.waitUntil(
      startChatJob(c.env, {
        platform: "slack",
        eventId: `command:${trigger}`,
        member,
        command: parsed.command,
        target,
        origin,
        announce: false,
        reply: (msg) => (responseUrl ? postResponseUrl(responseUrl, msg) : postMessage(api, target, msg)),
      }),
    );
    return c.json({ response_type: "in_channel", text: workingText(parsed.command.kind, parsed.command.prompt) });
  }

  // Events are acked with an empty 200 whatever happens (Slack retries anything else, and turns
  // off the subscription of an app that fails too often); replies go out after the ack.
  const ack = () => c.body(null, 200);
  const body = parseJsonObject<SlackEnvelope>(text);
  if (!body) return malformedPayload(c, "slack", NOT_A_JSON_OBJECT, ack);
  if (body.type === "url_verification")
    return c.json({ challenge: typeof body.challenge === "string" ? body.challenge : "" });
  if (body.type !== "event_callback") return ack();
  const problem = checkShape(body, EVENT_CALLBACK);
  if (problem) return malformedPayload(c, "slack", problem, ack);
  const ev = body.event as SlackEvent;
  // other events are not for this bot, and a bot's own mentions never start anything
  if (ev.type !== "app_mention" || ev.bot_id !== undefined) return ack();
  const mentionProblem = checkShape(body, APP_MENTION);
  if (mentionProblem) return malformedPayload(c, "slack", mentionProblem, ack);
  const { user, channel } = ev as SlackEvent & { user: string; channel: string };
  const eventId = body.event_id as string;
  const target: SlackTarget = { team: body.team_id ?? "", channel, threadTs: ev.thread_ts ?? ev.ts };
  const reply = (msg: string) => postMessage(api, target, msg);
  const member = resolveChatMember(chatTeams(c), "slack", body.team_id ?? "", channel, user);
  if (!member) {
    c.executionCtx.waitUntil(replyOnce(c.env, "slack", eventId, () => reply(NOT_ALLOWED_TEXT)));
    return ack();
  }
  const images = (ev.files ?? []).filter(
    (f) => f.mimetype?.startsWith("image/") && (f.url_private_download ?? f.url_private),
  );
  const input = slackPlainText(withoutAddress(ev.text ?? "")).trim();
  const parsed = parseCommand(input, {
    explicit: true,
    hasImages: images.length > 0,
    model: member.model,
    skipModelRules: member.skipModelRules,
  });
  if (!parsed.ok) {
    const text = parsed.issues ? invalidText(parsed.issues) : HELP_TEXT;
    c.executionCtx.waitUntil(replyOnce(c.env, "slack", eventId, () => reply(text)));
    return ack();
  }
  c.executionCtx.waitUntil(
    startChatJob(c.env, {
      platform: "slack",
      eventId,
      member,
      command: parsed.command,
      target,
      origin,
      reply,
      inputs: images.slice(0, 16).map((f) => ({
        // the declared sizes refuse a message over the total before anything is downloaded
        ...(typeof f.size === "number" ? { size: f.size } : {}),
        fetch: async (budget) => {
          const url = f.url_private_download ?? f.url_private ?? "";
          if (!slackFileUrlAllowed(url, api.base)) {
            throw new PlatformApiError("slack", "file download", null, "the file is not hosted by Slack", false);
          }
          return fetchBytes(
            "slack",
            "file download",
            new Request(url, { headers: { authorization: `Bearer ${api.token ?? ""}` } }),
            MAX_INPUT_BYTES,
            budget,
          );
        },
      })),
    }),
  );
  return ack();
};
