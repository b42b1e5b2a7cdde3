import { afterEach, describe, expect, it } from "vitest";
import { captureConsole } from "../../test/gateway-support.ts";
import {
  assertNoSecrets,
  B,
  chatFake,
  deliverCaptured,
  discordRequest,
  feishuRequest,
  jobCount,
  slackRequest,
  telegramRequest,
} from "../../test/webhooks-support.ts";

let fake: ReturnType<typeof chatFake> | undefined;
let logs: ReturnType<typeof captureConsole> | undefined;
afterEach(() => {
  fake?.restore();
  fake = undefined;
  logs?.restore();
  logs = undefined;
});

const feishuHeader = () => ({
  event_id: crypto.randomUUID(),
  event_type: "im.message.receive_v1",
  token: B.FEISHU_VERIFICATION_TOKEN,
  app_id: B.FEISHU_APP_ID,
  tenant_key: "tenant400",
});

const mention = (event: Record<string, unknown>) =>
  slackRequest(
    JSON.stringify({
      type: "event_callback",
      team_id: "T100",
      event_id: `Ev${crypto.randomUUID()}`,
      event: { type: "app_mention", user: "U100", channel: "C100", ts: "1700000000.000100", text: "a cat", ...event },
    }),
    { form: false },
  );
const command = (o: { data?: Record<string, unknown>; [k: string]: unknown }) =>
  discordRequest({
    id: String(Math.floor(Math.random() * 1e12)),
    type: 2,
    token: "interaction-token",
    guild_id: "200",
    member: { user: { id: "220" } },
    ...o,
    data: { name: "image", options: [{ name: "prompt", type: 3, value: "a cat" }], ...o.data },
  });
const feishuMessage = (message: Record<string, unknown>, sender: unknown = { sender_id: { open_id: "ou_1" } }) =>
  feishuRequest({
    schema: "2.0",
    header: feishuHeader(),
    event: {
      sender,
      message: { message_id: "om_1", chat_id: "oc_510", message_type: "text", content: '{"text":"a cat"}', ...message },
    },
  });
const telegramMessage = (message: Record<string, unknown>) =>
  telegramRequest({
    update_id: Math.floor(Math.random() * 1e9),
    message: { message_id: 2, chat: { id: 300, type: "private" }, from: { id: 9 }, text: "/image a cat", ...message },
  });

/**
 * Correctly signed requests whose payloads are not what the platform sends: the answer the
 * platform needs (200 where it would retry anything else, else a 400 naming the field) and the
 * field the log line names.
 */
const CASES: [string, () => Promise<Request> | Request, 200 | 400, string][] = [
  ["telegram: a message without chat", () => telegramMessage({ chat: undefined }), 200, "message.chat"],
  ["telegram: chat that is a string", () => telegramMessage({ chat: "x" }), 200, "message.chat"],
  ["telegram: chat id that is a string", () => telegramMessage({ chat: { id: "300" } }), 200, "message.chat.id"],
  ["telegram: text that is a number", () => telegramMessage({ text: 5 }), 200, "message.text"],
  ["telegram: photo that is a string", () => telegramMessage({ photo: "p" }), 200, "message.photo"],
  ["telegram: a photo size without file_id", () => telegramMessage({ photo: [{}] }), 200, "message.photo[0].file_id"],
  [
    "telegram: is_bot that is a string",
    () => telegramMessage({ from: { id: 9, is_bot: "no" } }),
    200,
    "message.from.is_bot",
  ],
  [
    "telegram: a reply whose reply is read no deeper (its text a number)",
    () => telegramMessage({ reply_to_message: { message_id: 1, chat: { id: 300 }, text: 5 } }),
    200,
    "message.reply_to_message.text",
  ],
  ["telegram: a message that is a string", () => telegramRequest({ update_id: 5, message: "hello" }), 200, "message"],
  ["telegram: a message that is null", () => telegramRequest({ update_id: 5, message: null }), 200, "message"],
  [
    "telegram: update_id that is a string",
    () => telegramRequest({ update_id: "6", message: { message_id: 2, chat: { id: 1 } } }),
    200,
    "update_id",
  ],
  [
    "slack: a slash command without team, channel or user",
    () => slackRequest("command=%2Fimage&text=a+cat"),
    400,
    "team_id",
  ],
  [
    "slack: a slash command without trigger_id",
    () => slackRequest("command=%2Fimage&text=a+cat&team_id=T100&channel_id=C100&user_id=U100"),
    400,
    "trigger_id",
  ],
  [
    "slack: a JSON body sent as a form",
    () => slackRequest(JSON.stringify({ team_id: "T100", text: "a" })),
    400,
    "team_id",
  ],
  [
    "slack: an event callback without event",
    () => slackRequest(JSON.stringify({ type: "event_callback", event_id: "Ev1" }), { form: false }),
    200,
    "event",
  ],
  [
    "slack: an event that is a string",
    () => slackRequest(JSON.stringify({ type: "event_callback", event_id: "Ev1", event: "x" }), { form: false }),
    200,
    "event",
  ],
  ["slack: a mention whose text is a number", () => mention({ text: 5 }), 200, "event.text"],
  ["slack: a mention whose files is a string", () => mention({ files: "x" }), 200, "event.files"],
  ["slack: a mention with a null file", () => mention({ files: [null] }), 200, "event.files[0]"],
  [
    "slack: a file whose mimetype is a number",
    () => mention({ files: [{ mimetype: 5 }] }),
    200,
    "event.files[0].mimetype",
  ],
  ["slack: a mention whose channel is a number", () => mention({ channel: 5 }), 200, "event.channel"],
  ["slack: a mention whose user is an object", () => mention({ user: {} }), 200, "event.user"],
  ["slack: a mention without ts", () => mention({ ts: undefined }), 200, "event.ts"],
  [
    "discord: a command without data",
    () => discordRequest({ id: "1", type: 2, token: "t", application_id: "a" }),
    400,
    "data",
  ],
  ["discord: a command whose options are not an array", () => command({ data: { options: "x" } }), 400, "data.options"],
  ["discord: a null option", () => command({ data: { options: [null] } }), 400, "data.options[0]"],
  [
    "discord: a prompt that is an object",
    () => command({ data: { options: [{ name: "prompt", type: 3, value: { a: 1 } }] } }),
    400,
    "data.options[0].value",
  ],
  ["discord: a token that is a number", () => command({ token: 5 }), 400, "token"],
  ["discord: a member that is a string", () => command({ member: "x" }), 400, "member"],
  [
    "discord: attachments that are a string",
    () => command({ data: { resolved: { attachments: "x" } } }),
    400,
    "data.resolved.attachments",
  ],
  ["discord: a command without guild member or user", () => command({ member: undefined }), 400, "user"],
  [
    "feishu: a message event without event",
    () => feishuRequest({ schema: "2.0", header: feishuHeader() }),
    200,
    "event",
  ],
  [
    "feishu: a message event with a null message",
    () => feishuRequest({ schema: "2.0", header: feishuHeader(), event: { message: null } }),
    200,
    "event.message",
  ],
  ["feishu: content that is not JSON", () => feishuMessage({ content: "{" }), 200, "event.message.content"],
  ["feishu: content that is JSON null", () => feishuMessage({ content: "null" }), 200, "event.message.content"],
  ["feishu: content that is a number", () => feishuMessage({ content: 5 }), 200, "event.message.content"],
  [
    "feishu: text that is an object",
    () => feishuMessage({ content: '{"text":{"a":1}}' }),
    200,
    "event.message.content.text",
  ],
  [
    "feishu: a post line holding null",
    () => feishuMessage({ message_type: "post", content: JSON.stringify({ content: [[null]] }) }),
    200,
    "event.message.content.content[0][0]",
  ],
  [
    "feishu: a localised post whose title is an object",
    () => feishuMessage({ message_type: "post", content: JSON.stringify({ zh_cn: { title: {}, content: [] } }) }),
    200,
    "event.message.content.zh_cn.title",
  ],
  ["feishu: message_id that is a number", () => feishuMessage({ message_id: 5 }), 200, "event.message.message_id"],
  ["feishu: a sender that is null", () => feishuMessage({}, null), 200, "event.sender"],
];

describe("a verified but malformed platform payload", () => {
  it.each(CASES)("%s", async (name, make, status, field) => {
    fake = chatFake();
    logs = captureConsole();
    const before = await jobCount();
    // deliver() also waits for the work after the answer (a reply in the chat), so its outcome is
    // asserted here rather than logged after the test
    const { res, text } = await deliverCaptured(await make(), {});
    expect(res.status, `${text} ${logs.lines.join(" / ")}`).toBe(status);
    const named = `${field.replace(/[[\].]/g, "\\$&")}: must be `;
    if (status === 400) {
      expect(JSON.parse(text)).toEqual({
        error: expect.objectContaining({
          code: "validation",
          param: field,
          message: expect.stringMatching(`^${named}`),
        }),
      });
    }
    const platform = name.split(":")[0] as string;
    expect(logs.lines).toEqual([expect.stringMatching(`^webhooks: ${platform} payload ignored: ${named}`)]);
    assertNoSecrets(logs.lines.join("\n"));
    expect(await jobCount()).toBe(before);
    // no reply and no download: only Feishu's token call may happen before the check, and it does not
    expect(fake.calls).toEqual([]);
  });
});
