import { afterEach, describe, expect, it } from "vitest";
import { captureConsole } from "../../test/gateway-support.ts";
import {
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

/** Correctly signed requests whose payloads are not what the platform sends. */
const CASES: [string, () => Promise<Request> | Request][] = [
  [
    "telegram: a message without chat",
    () => telegramRequest({ update_id: 1, message: { message_id: 2, text: "/image a cat" } }),
  ],
  [
    "telegram: chat that is a string",
    () => telegramRequest({ update_id: 2, message: { message_id: 2, chat: "x", text: "/image a" } }),
  ],
  [
    "telegram: text that is a number",
    () => telegramRequest({ update_id: 3, message: { message_id: 2, chat: { id: 1 }, text: 5 } }),
  ],
  [
    "telegram: photo that is a string",
    () => telegramRequest({ update_id: 4, message: { message_id: 2, chat: { id: 1 }, photo: "p" } }),
  ],
  ["telegram: a message that is a string", () => telegramRequest({ update_id: 5, message: "hello" })],
  [
    "telegram: update_id that is a string",
    () => telegramRequest({ update_id: "6", message: { message_id: 2, chat: { id: 1 } } }),
  ],
  ["slack: a slash command without team, channel or user", () => slackRequest("command=%2Fimage&text=a+cat")],
  ["slack: a slash command without text", () => slackRequest("command=%2Fimage&team_id=T1&channel_id=C1&user_id=U1")],
  [
    "slack: an event callback without event",
    () => slackRequest(JSON.stringify({ type: "event_callback" }), { form: false }),
  ],
  [
    "slack: an event that is a string",
    () => slackRequest(JSON.stringify({ type: "event_callback", event: "x" }), { form: false }),
  ],
  ["discord: a command without data", () => discordRequest({ id: "1", type: 2, token: "t", application_id: "a" })],
  [
    "discord: a command whose options are not an array",
    () => discordRequest({ id: "1", type: 2, token: "t", data: { name: "image", options: "x" } }),
  ],
  [
    "discord: a command without guild or member",
    () =>
      discordRequest({
        id: "1",
        type: 2,
        token: "t",
        data: { name: "image", options: [{ name: "prompt", value: "a" }] },
      }),
  ],
  ["discord: an unknown interaction type", () => discordRequest({ id: "1", type: 99 })],
  ["feishu: a message event without event", () => feishuRequest({ schema: "2.0", header: feishuHeader() })],
  [
    "feishu: a message event with a null message",
    () => feishuRequest({ schema: "2.0", header: feishuHeader(), event: { message: null } }),
  ],
  [
    "feishu: content that is not JSON",
    () =>
      feishuRequest({
        schema: "2.0",
        header: feishuHeader(),
        event: {
          sender: { sender_id: {} },
          message: { message_id: "m", chat_id: "oc_510", message_type: "text", content: "{" },
        },
      }),
  ],
];

describe("a verified but malformed platform payload", () => {
  it.each(CASES)("%s: 200 or 400, never 5xx, and no job", async (_name, make) => {
    fake = chatFake();
    logs = captureConsole();
    const before = await jobCount();
    // deliver() also waits for the work after the answer (a reply in the chat), so its outcome is
    // asserted here rather than logged after the test
    const { res, text } = await deliverCaptured(await make(), {});
    expect([200, 400], `${text} ${logs.lines.join(" / ")}`).toContain(res.status);
    expect(logs.lines.join("\n")).not.toMatch(/internal error/);
    expect(await jobCount()).toBe(before);
  });
});
