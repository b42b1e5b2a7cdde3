/**
 * `POST /webhooks/feishu`: Feishu/Lark event subscription (`im.message.receive_v1`). Events are
 * signed (X-Lark-Signature) and encrypted with the app's Encrypt Key; without that key
 * configured every request is refused. The URL-verification challenge, which Feishu sends
 * unsigned, is answered only when it decrypts under our key (and carries our verification token).
 */

import type { Context } from "hono";
import { nowSeconds } from "../../lib/clock.ts";
import { timingSafeEqual } from "../../lib/tokens.ts";
import {
  arrayOf,
  checkShape,
  malformedPayload,
  NOT_A_JSON_OBJECT,
  object,
  optional,
  type PayloadProblem,
  parseJsonObject,
  type Shape,
  string,
} from "../body.ts";
import { parseCommand } from "../command.ts";
import { replyOnce } from "../dedupe.ts";
import { logFailure } from "../log.ts";
import { HELP_TEXT, invalidText, NOT_ALLOWED_TEXT } from "../messages.ts";
import type { WebhookAppEnv } from "../platform.ts";
import { startChatJob } from "../start.ts";
import { chatTeams, resolveChatMember } from "../teams.ts";
import { downloadResource, FEISHU_MAX_IMAGE_BYTES, type FeishuApi, type FeishuTarget, reply } from "./api.ts";
import { decryptFeishu, verifyFeishu } from "./verify.ts";

interface FeishuEvent {
  type?: string;
  challenge?: string;
  token?: string;
  header?: { event_id?: string; event_type?: string; tenant_key?: string; token?: string };
}

/** An `im.message.receive_v1` event once MESSAGE_EVENT has checked it. */
interface MessageEvent {
  header: { event_id: string; tenant_key?: string };
  event: {
    sender?: { sender_id?: { open_id?: string }; sender_type?: string };
    message: {
      message_id: string;
      chat_id: string;
      thread_id?: string;
      message_type: string;
      content: string;
    };
  };
}

/** A message event as this handler reads it. https://open.feishu.cn/document/server-docs/im-v1/message/events/receive */
const MESSAGE_EVENT: Shape = object({
  header: object({ event_id: string, event_type: string, tenant_key: optional(string) }),
  event: object({
    sender: optional(
      object({ sender_id: optional(object({ open_id: optional(string) })), sender_type: optional(string) }),
    ),
    message: object({
      message_id: string,
      chat_id: string,
      chat_type: optional(string),
      thread_id: optional(string),
      message_type: string,
      content: string,
    }),
  }),
});

/** The element of a rich-text (post) line this handler reads. */
const POST_ELEMENT: Shape = object({ tag: optional(string), text: optional(string), image_key: optional(string) });

/**
 * Text and image keys of a text, image or rich-text (post) message, from its `content` (JSON in
 * a string); a problem naming the field when the content is not what its type holds.
 */
export const messageParts = (
  type: string,
  content: string,
): { text: string; imageKeys: string[] } | { problem: PayloadProblem } => {
  const field = "event.message.content";
  const c = parseJsonObject<Record<string, unknown>>(content);
  if (!c) return { problem: { field, rule: "must be a JSON object in a string" } };
  const bad = (shape: Shape) => {
    const problem = shape(c, field);
    return problem ? { problem } : null;
  };
  if (type === "text") return bad(object({ text: string })) ?? { text: c.text as string, imageKeys: [] };
  if (type === "image") return bad(object({ image_key: string })) ?? { text: "", imageKeys: [c.image_key as string] };
  if (type === "post") {
    // A post is `{ title, content: [[{ tag, text?, image_key? }]] }`, sometimes wrapped per locale.
    const wrapped = Array.isArray(c.content)
      ? undefined
      : Object.entries(c).find(([, v]) => typeof v === "object" && v !== null && "content" in v);
    const body = (wrapped ? wrapped[1] : c) as {
      title?: string;
      content: { tag?: string; text?: string; image_key?: string }[][];
    };
    const problem = object({ title: optional(string), content: arrayOf(arrayOf(POST_ELEMENT)) })(
      body,
      wrapped ? `${field}.${wrapped[0]}` : field,
    );
    if (problem) return { problem };
    const texts: string[] = body.title ? [body.title] : [];
    const keys: string[] = [];
    for (const el of body.content.flat()) {
      if (el.tag === "text" && el.text) texts.push(el.text);
      if (el.tag === "img" && el.image_key) keys.push(el.image_key);
    }
    return { text: texts.join(" "), imageKeys: keys };
  }
  return { text: "", imageKeys: [] };
};

/** The Feishu webhook handler. */
export const feishuWebhook = async (c: Context<WebhookAppEnv>): Promise<Response> => {
  const key = c.env.FEISHU_ENCRYPT_KEY;
  if (!key) {
    console.warn("webhooks: feishu request rejected: FEISHU_ENCRYPT_KEY is not set");
    return c.text("not configured", 401);
  }
  const raw = new Uint8Array(await c.req.arrayBuffer());
  const signature = c.req.header("x-lark-signature") ?? null;
  const signed = signature !== null;
  if (signed) {
    const verified = await verifyFeishu({
      encryptKey: key,
      timestamp: c.req.header("x-lark-request-timestamp") ?? null,
      nonce: c.req.header("x-lark-request-nonce") ?? null,
      signature,
      body: raw,
      nowS: nowSeconds(),
    });
    if (!verified.ok) {
      console.warn(`webhooks: feishu request rejected: ${verified.reason}`);
      return c.text("invalid signature", 401);
    }
  }
  // Unsigned, only the URL-verification challenge is answered, and every other outcome (not JSON,
  // bad padding, no or wrong token, not a challenge) is this one answer, so an unsigned request
  // learns nothing about why it failed: no padding or token oracle.
  const refused = () => c.text("invalid request", 401);
  const outer = parseJsonObject<{ encrypt?: unknown }>(new TextDecoder().decode(raw));
  // Feishu redelivers an event answered with anything but a 200 (15 s, 5 min, 1 h, 6 h later):
  // a signed event this handler cannot use is acked
  const ack = () => c.json({});
  if (!outer) return signed ? malformedPayload(c, "feishu", NOT_A_JSON_OBJECT, ack) : refused();
  const plain = typeof outer.encrypt === "string" ? await decryptFeishu(key, outer.encrypt) : null;
  if (plain === null) return signed ? c.text("body must be an event encrypted with the Encrypt Key", 401) : refused();
  const ev = parseJsonObject<FeishuEvent>(plain);
  if (!ev) return signed ? malformedPayload(c, "feishu", NOT_A_JSON_OBJECT, ack) : refused();
  const token = String(ev.token ?? ev.header?.token ?? "");
  const expected = c.env.FEISHU_VERIFICATION_TOKEN;
  const tokenOk = !expected || (await timingSafeEqual(token, expected));
  const challenge = () => c.json({ challenge: typeof ev.challenge === "string" ? ev.challenge : "" });
  if (!signed) {
    // Unsigned, the token is the only credential besides the encryption: without one, refuse.
    return expected && tokenOk && ev.type === "url_verification" ? challenge() : refused();
  }
  if (!tokenOk) return c.text("invalid verification token", 401);
  if (ev.type === "url_verification") return challenge();

  if (ev.header?.event_type !== "im.message.receive_v1") return ack();
  const problem = checkShape(ev, MESSAGE_EVENT);
  if (problem) return malformedPayload(c, "feishu", problem, ack);
  const { header, event } = ev as unknown as MessageEvent;
  const msg = event.message;
  const eventId = header.event_id;
  if (event.sender?.sender_type === "app") return ack();
  const parts = messageParts(msg.message_type, msg.content);
  if ("problem" in parts) return malformedPayload(c, "feishu", parts.problem, ack);
  const target: FeishuTarget = {
    messageId: msg.message_id,
    chatId: msg.chat_id,
    ...(msg.thread_id ? { inThread: true } : {}),
  };
  const api: FeishuApi = {
    base: c.env.FEISHU_API_BASE,
    appId: c.env.FEISHU_APP_ID,
    appSecret: c.env.FEISHU_APP_SECRET,
  };
  const say = (text: string) => reply(api, target, { msgType: "text", content: { text } });
  const later = (p: Promise<unknown>) =>
    c.executionCtx.waitUntil(p.catch((e: unknown) => logFailure(c.env, "feishu reply", e)));

  const member = resolveChatMember(
    chatTeams(c),
    "feishu",
    header.tenant_key ?? "",
    msg.chat_id,
    event.sender?.sender_id?.open_id ?? "",
  );
  if (!member) {
    later(replyOnce(c.env, "feishu", eventId, () => say(NOT_ALLOWED_TEXT)));
    return ack();
  }
  const { text, imageKeys } = parts;
  // Mentions arrive as @_user_1 placeholders; they are not part of the prompt.
  const input = text.replace(/@_user_\d+/g, " ").trim();
  const parsed = parseCommand(input, {
    explicit: true,
    hasImages: imageKeys.length > 0,
    model: member.model,
    skipModelRules: member.skipModelRules,
  });
  if (!parsed.ok || !input) {
    const text = parsed.ok || !parsed.issues || !input ? HELP_TEXT : invalidText(parsed.issues);
    later(replyOnce(c.env, "feishu", eventId, () => say(text)));
    return ack();
  }
  const messageId = msg.message_id;
  later(
    startChatJob(c.env, {
      platform: "feishu",
      eventId,
      member,
      command: parsed.command,
      target,
      origin: new URL(c.req.url).origin,
      reply: say,
      inputs: imageKeys.slice(0, 16).map((k) => ({
        fetch: (budget) => downloadResource(api, messageId, k, FEISHU_MAX_IMAGE_BYTES * 2, budget),
      })),
    }),
  );
  return ack();
};
