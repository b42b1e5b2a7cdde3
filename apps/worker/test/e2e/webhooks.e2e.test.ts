import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Stack, startStack } from "../../scripts/lib/stack.ts";
import { pngSize, until } from "./support.ts";
import {
  type ChatFake,
  discordCommand,
  discordRequest,
  feishuMessage,
  feishuRequest,
  slackRequest,
  slashBody,
  startChatFake,
  telegramRequest,
  telegramUpdate,
  WEBHOOK_SECRETS,
} from "./webhooks-support.ts";

let stack: Stack;
let fake: ChatFake;
const tg = `/telegram/bot${WEBHOOK_SECRETS.TELEGRAM_BOT_TOKEN}`;

beforeAll(async () => {
  fake = await startChatFake();
  stack = await startStack({ vars: { ...WEBHOOK_SECRETS, ...fake.bases } });
});
afterAll(async () => {
  await stack?.stop();
  await fake?.close();
});
beforeEach(() => {
  stack.provider.setFaults([]);
  fake.intercept = undefined;
});

/** Waits for the fake to have received a call matching `match`. */
const received = (match: (path: string, method: string) => boolean) =>
  until(async () => fake.calls.find((c) => match(c.path, c.method)), 160, 250);

const allSecrets = Object.entries(WEBHOOK_SECRETS)
  .filter(([k]) => /SECRET|TOKEN|KEY/.test(k) && k !== "DISCORD_PUBLIC_KEY")
  .map(([, v]) => v);
const noSecrets = (text: string) => {
  for (const s of allSecrets) expect(text).not.toContain(s);
};

describe("chat webhooks through wrangler dev", () => {
  it("Slack: rejects forged and stale requests", async () => {
    expect((await fetch(await slackRequest(stack.origin, slashBody("a cat"), { secret: "wrong-secret" }))).status).toBe(
      401,
    );
    expect(
      (await fetch(await slackRequest(stack.origin, slashBody("a cat"), { ts: Math.floor(Date.now() / 1000) - 600 })))
        .status,
    ).toBe(401);
  });

  it("Slack: a slash command acks in-channel and the PNG is uploaded to the channel", async () => {
    const res = await fetch(await slackRequest(stack.origin, slashBody("best image: a lighthouse size=1536x1024")));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ response_type: "in_channel" });
    const complete = await received((p) => p.startsWith("/slack/api/files.completeUploadExternal"));
    expect(complete.json()).toMatchObject({ files: [{ id: "F1" }], channel_id: "C100" });
    const upload = fake.calls.find((c) => c.path.startsWith("/slack-files/upload/"));
    expect(pngSize(new Uint8Array(upload?.body ?? []))).toEqual({ width: 1536, height: 1024 });
    expect(complete.headers.authorization).toBe(`Bearer ${WEBHOOK_SECRETS.SLACK_BOT_TOKEN}`);
  });

  it("Discord: PONG, 401 for a forgery, and a deferred command edited with files[0]", async () => {
    const ping = await fetch(await discordRequest(stack.origin, { id: "1", type: 1 }));
    expect(await ping.json()).toEqual({ type: 1 });
    const forged = await discordRequest(stack.origin, { id: "1", type: 1 });
    const bad = new Request(forged, {
      headers: { ...Object.fromEntries(forged.headers), "x-signature-ed25519": "0".repeat(128) },
    });
    expect((await fetch(bad)).status).toBe(401);

    const it = discordCommand("a castle in the clouds");
    const res = await fetch(await discordRequest(stack.origin, it));
    expect(await res.json()).toEqual({ type: 5 });
    // first edit: "working on it"; second: the image
    const edits = () =>
      fake.calls.filter((c) => c.method === "PATCH" && c.path.endsWith(`/${it.token}/messages/@original`));
    await until(async () => (edits().length >= 2 ? true : undefined), 160, 250);
    const last = edits().at(-1) as NonNullable<ReturnType<typeof edits>[number]>;
    const form = await last.form();
    expect(JSON.parse(String(form.get("payload_json")))).toMatchObject({ attachments: [{ id: 0 }] });
    expect(pngSize(new Uint8Array(await (form.get("files[0]") as File).arrayBuffer()))).not.toBeNull();
  });

  it("Telegram: a redelivered update makes one generation and one photo", async () => {
    const before = stack.provider.count("/images/generations");
    const update = telegramUpdate({ text: "/image 高质量生图：大海" });
    expect((await fetch(telegramRequest(stack.origin, update))).status).toBe(200);
    expect((await fetch(telegramRequest(stack.origin, update))).status).toBe(200);
    const photo = await received((p) => p === `${tg}/sendPhoto`);
    const form = await photo.form();
    expect(form.get("chat_id")).toBe("300");
    expect(pngSize(new Uint8Array(await (form.get("photo") as File).arrayBuffer()))).not.toBeNull();
    await new Promise((r) => setTimeout(r, 1000));
    expect(stack.provider.count("/images/generations") - before).toBe(1);
    expect(fake.calls.filter((c) => c.path === `${tg}/sendPhoto`)).toHaveLength(1);
    expect((await fetch(telegramRequest(stack.origin, telegramUpdate({ text: "/image x" }), "wrong"))).status).toBe(
      401,
    );
  });

  it("Telegram: a failed sendPhoto is retried without a second generation", async () => {
    let failures = 0;
    fake.intercept = (c) =>
      c.path === `${tg}/sendPhoto` && failures++ === 0
        ? { status: 502, body: { ok: false, error_code: 502, description: "Bad Gateway" } }
        : undefined;
    const before = stack.provider.count("/images/generations");
    const sentBefore = fake.calls.filter((c) => c.path === `${tg}/sendPhoto`).length;
    await fetch(telegramRequest(stack.origin, telegramUpdate({ text: "/image retry me" })));
    await until(
      async () => (fake.calls.filter((c) => c.path === `${tg}/sendPhoto`).length - sentBefore >= 2 ? true : undefined),
      200,
      250,
    );
    expect(stack.provider.count("/images/generations") - before).toBe(1);
  }, 90_000);

  it("Telegram: a provider refusal is reported in the chat", async () => {
    const update = telegramUpdate({ text: "/image a forbidden-content poster" });
    await fetch(telegramRequest(stack.origin, update));
    const replies = () =>
      fake.calls
        .filter((c) => c.path === `${tg}/sendMessage`)
        .map((c) => c.json() as { text: string; reply_parameters?: { message_id: number } })
        .filter((j) => j.reply_parameters?.message_id === update.message.message_id);
    await until(async () => (replies().length >= 2 ? true : undefined), 160, 250);
    expect(replies().map((r) => r.text)).toEqual([
      expect.stringMatching(/^Generating/),
      expect.stringContaining("content policy"),
    ]);
    expect(
      fake.calls.filter((c) => c.path === `${tg}/sendPhoto` && c.body.includes(String(update.message.message_id))),
    ).toHaveLength(0);
    noSecrets(JSON.stringify(replies()));
  });

  it("Feishu: answers the challenge and replies with an uploaded image", async () => {
    const token = WEBHOOK_SECRETS.FEISHU_VERIFICATION_TOKEN;
    const challenge = await fetch(
      await feishuRequest(stack.origin, { challenge: "c-123", token, type: "url_verification" }, { signed: false }),
    );
    expect(await challenge.json()).toEqual({ challenge: "c-123" });
    const forged = await fetch(
      await feishuRequest(
        stack.origin,
        { challenge: "c-9", token: "guess", type: "url_verification" },
        { signed: false },
      ),
    );
    expect(forged.status).toBe(401);
    const ev = feishuMessage("best image: a kite");
    expect((await fetch(await feishuRequest(stack.origin, ev))).status).toBe(200);
    const upload = await received((p) => p === "/feishu/open-apis/im/v1/images");
    expect((await upload.form()).get("image_type")).toBe("message");
    const reply = await received(
      (p) =>
        p === `/feishu/open-apis/im/v1/messages/${ev.event.message.message_id}/reply` &&
        fake.calls.some((c) => c.path === p && (c.json() as { msg_type: string }).msg_type === "image"),
    );
    expect(reply).toBeDefined();
    expect((await fetch(await feishuRequest(stack.origin, ev, { signed: false }))).status).toBe(401);
  });
});
