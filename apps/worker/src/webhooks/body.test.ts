import { afterEach, describe, expect, it } from "vitest";
import { captureConsole, ORIGIN } from "../../test/gateway-support.ts";
import {
  B,
  chatFake,
  deliverCaptured,
  discordRequest,
  feishuEncryptText,
  jobCount,
  nowS,
  slackRequest,
  telegramRequest,
} from "../../test/webhooks-support.ts";
import { toHex } from "../lib/tokens.ts";
import { concatBytes, utf8 } from "./crypto.ts";

let fake: ReturnType<typeof chatFake> | undefined;
afterEach(() => {
  fake?.restore();
  fake = undefined;
});

/** JSON that parses but is not an object. */
const NOT_OBJECTS = ["null", "42", '"text"', "[1,2]", "true"];

/** A signed Feishu request around `body` (the outer JSON, as sent). */
const feishuSigned = async (body: string): Promise<Request> => {
  const ts = String(nowS());
  const nonce = crypto.randomUUID();
  const sig = toHex(
    new Uint8Array(
      await crypto.subtle.digest("SHA-256", concatBytes(utf8(ts + nonce + B.FEISHU_ENCRYPT_KEY), utf8(body))),
    ),
  );
  return new Request(`${ORIGIN}/webhooks/feishu`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-lark-request-timestamp": ts,
      "x-lark-request-nonce": nonce,
      "x-lark-signature": sig,
    },
    body,
  });
};

/** Slack events, Telegram and Feishu retry anything but a 2xx: the body is acked, and the log names it. */
const expectAcked = async (req: Request, platform: string, ack: string) => {
  const before = await jobCount();
  const logs = captureConsole();
  try {
    const { res, text } = await deliverCaptured(req, {});
    expect(res.status).toBe(200);
    expect(text).toBe(ack);
    expect(logs.lines).toEqual([`webhooks: ${platform} payload ignored: body: must be a JSON object`]);
  } finally {
    logs.restore();
  }
  expect(await jobCount()).toBe(before);
  expect(fake?.calls).toEqual([]);
};

/** Discord does not retry: the answer is a 400 naming `body`, and the log names it too. */
const expectBodyError = async (req: Request) => {
  const before = await jobCount();
  const logs = captureConsole();
  try {
    const { res, text } = await deliverCaptured(req, {});
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(JSON.parse(text)).toEqual({
      error: expect.objectContaining({ code: "validation", param: "body", message: "body: must be a JSON object" }),
    });
    expect(logs.lines).toEqual(["webhooks: discord payload ignored: body: must be a JSON object"]);
  } finally {
    logs.restore();
  }
  expect(await jobCount()).toBe(before);
};

describe("a verified body that is not a JSON object", () => {
  it.each(NOT_OBJECTS)("Slack event %s: acked with an empty 200, logged", async (body) => {
    fake = chatFake();
    await expectAcked(await slackRequest(body, { form: false }), "slack", "");
  });

  it.each(NOT_OBJECTS)("Discord interaction %s: 400 naming body", async (body) => {
    fake = chatFake();
    await expectBodyError(await discordRequest(undefined, { body }));
  });

  it.each(NOT_OBJECTS)("Telegram update %s: acked with an empty 200, logged", async (body) => {
    fake = chatFake();
    await expectAcked(telegramRequest(JSON.parse(body)), "telegram", "");
  });

  it.each(NOT_OBJECTS)("Feishu envelope %s (signed): acked with {}, logged", async (body) => {
    fake = chatFake();
    await expectAcked(await feishuSigned(body), "feishu", "{}");
  });

  it.each(NOT_OBJECTS)("Feishu decrypted event %s (signed): acked with {}, logged", async (plain) => {
    fake = chatFake();
    await expectAcked(await feishuSigned(JSON.stringify({ encrypt: await feishuEncryptText(plain) })), "feishu", "{}");
  });

  it("answers bad JSON the same way", async () => {
    fake = chatFake();
    await expectAcked(await slackRequest("{not json", { form: false }), "slack", "");
    await expectBodyError(await discordRequest(undefined, { body: "{not json" }));
    await expectAcked(await feishuSigned("{not json"), "feishu", "{}");
  });
});
