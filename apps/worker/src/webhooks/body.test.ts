import { afterEach, describe, expect, it } from "vitest";
import { ORIGIN } from "../../test/gateway-support.ts";
import {
  B,
  chatFake,
  deliver,
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

const expectBodyError = async (req: Request) => {
  const before = await jobCount();
  const { res, text } = await deliver(req);
  expect(res.status).toBe(400);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  expect(JSON.parse(text)).toEqual({
    error: expect.objectContaining({ code: "validation", param: "body", message: expect.stringContaining("body") }),
  });
  expect(await jobCount()).toBe(before);
};

describe("a verified body that is not a JSON object", () => {
  it.each(NOT_OBJECTS)("Slack event %s: 400 naming body", async (body) => {
    fake = chatFake();
    await expectBodyError(await slackRequest(body, { form: false }));
  });

  it.each(NOT_OBJECTS)("Discord interaction %s: 400 naming body", async (body) => {
    fake = chatFake();
    await expectBodyError(await discordRequest(undefined, { body }));
  });

  it.each(NOT_OBJECTS)("Telegram update %s: 400 naming body", async (body) => {
    fake = chatFake();
    await expectBodyError(telegramRequest(JSON.parse(body)));
  });

  it.each(NOT_OBJECTS)("Feishu envelope %s (signed): 400 naming body", async (body) => {
    fake = chatFake();
    await expectBodyError(await feishuSigned(body));
  });

  it.each(NOT_OBJECTS)("Feishu decrypted event %s (signed): 400 naming body", async (plain) => {
    fake = chatFake();
    await expectBodyError(await feishuSigned(JSON.stringify({ encrypt: await feishuEncryptText(plain) })));
  });

  it("answers bad JSON the same way", async () => {
    fake = chatFake();
    await expectBodyError(await slackRequest("{not json", { form: false }));
    await expectBodyError(await discordRequest(undefined, { body: "{not json" }));
    await expectBodyError(await feishuSigned("{not json"));
  });
});
