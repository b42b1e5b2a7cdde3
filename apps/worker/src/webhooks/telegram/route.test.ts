import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { imagesResponse } from "../../../test/jobs-support.ts";
import {
  assertNoSecrets,
  B,
  chatFake,
  deliver,
  deliverCaptured,
  deliverTogether,
  INPUT_PNG,
  jobCount,
  telegramRequest,
} from "../../../test/webhooks-support.ts";
import { getJob } from "../../jobs/repo.ts";

let fake: ReturnType<typeof chatFake> | undefined;
afterEach(() => {
  fake?.restore();
  fake = undefined;
});

let updateId = 5000;
const update = (message: Record<string, unknown>, chatId = 300) => ({
  update_id: ++updateId,
  message: {
    message_id: 40 + updateId,
    date: 1700000000,
    chat: { id: chatId, type: "group" },
    from: { id: 310, is_bot: false },
    ...message,
  },
});
const bot = `/bot${B.TELEGRAM_BOT_TOKEN}/`;

describe("POST /webhooks/telegram", () => {
  it.each([
    ["a wrong secret token", "not-the-secret"],
    ["no secret token", null],
  ])("rejects %s with 401", async (_n, secret) => {
    fake = chatFake();
    const before = await jobCount();
    const { res, rejected } = await deliver(telegramRequest(update({ text: "/image a cat" }), secret));
    expect(res.status).toBe(401);
    expect(rejected).toEqual([expect.stringMatching(/^webhooks: telegram request rejected: /)]);
    expect(await jobCount()).toBe(before);
  });

  it("fails closed when TELEGRAM_SECRET_TOKEN is not set", async () => {
    const { res, rejected } = await deliver(telegramRequest(update({ text: "/image a cat" })), {
      TELEGRAM_SECRET_TOKEN: undefined,
    });
    expect(res.status).toBe(401);
    expect(rejected).toEqual([expect.stringMatching(/^webhooks: telegram request rejected: /)]);
  });

  it("acks at once, says it is working, then sends the photo as multipart", async () => {
    fake = chatFake();
    const u = update({ text: "/image@GptImgBot 高质量生图：大海 format=webp" });
    const { res, jobIds } = await deliver(telegramRequest(u));
    expect(res.status).toBe(200);
    const job = await getJob(env.DB, jobIds[0] as string);
    expect(job).toMatchObject({ member: "tg-chat", status: "succeeded" });
    expect(JSON.parse(job?.request_json ?? "{}")).toMatchObject({ prompt: "大海", outputFormat: "webp" });
    const [working] = fake.to(`${bot}sendMessage`).map((c) => c.json() as Record<string, unknown>);
    expect(working).toMatchObject({
      chat_id: 300,
      text: expect.stringContaining("大海"),
      reply_parameters: { message_id: u.message.message_id },
    });
    const [photo] = fake.to(`${bot}sendPhoto`);
    const form = await (photo as NonNullable<typeof photo>).form();
    expect(form.get("chat_id")).toBe("300");
    expect(JSON.parse(String(form.get("reply_parameters")))).toMatchObject({ message_id: u.message.message_id });
    const key = JSON.parse(job?.image_keys ?? "[]")[0].key as string;
    expect(new Uint8Array(await (form.get("photo") as File).arrayBuffer())).toEqual(
      new Uint8Array(await ((await env.IMAGES.get(key)) as R2ObjectBody).arrayBuffer()),
    );
    for (const c of fake.calls) assertNoSecrets(new TextDecoder().decode(c.body));
  });

  it("leaves /image@OtherBot to the bot it names: no job, no reply, even with a bad option", async () => {
    fake = chatFake();
    const before = await jobCount();
    for (const text of ["/image@OtherImageBot a cat", "/image@OtherImageBot a cat n=0"]) {
      const { res, text: body, jobIds } = await deliver(telegramRequest(update({ text })));
      expect(res.status).toBe(200);
      expect(body).toBe("");
      expect(jobIds).toEqual([]);
    }
    expect(await jobCount()).toBe(before);
    expect(fake.providerCalls).toHaveLength(0);
    expect(fake.to(`${bot}sendMessage`)).toHaveLength(0);
    // its own name is compared without regard to case
    const own = await deliver(telegramRequest(update({ text: "/image@gptimgbot a lighthouse" })));
    expect(own.jobIds).toHaveLength(1);
  });

  it("makes one job when Telegram redelivers an update", async () => {
    fake = chatFake();
    const u = update({ text: "best image: a lighthouse" });
    const first = await deliver(telegramRequest(u));
    const again = await deliver(telegramRequest(u));
    expect(first.jobIds).toHaveLength(1);
    expect(again.jobIds).toHaveLength(0);
    expect(fake.providerCalls).toHaveLength(1);
  });

  it("edits a photo whose caption is the command, fetched with getFile", async () => {
    fake = chatFake();
    const photo = [
      { file_id: "small", file_size: 100, width: 90 },
      { file_id: "big", file_size: 2000, width: 1024 },
    ];
    const { jobIds } = await deliver(telegramRequest(update({ caption: "edit image: make it night", photo })));
    const job = await getJob(env.DB, jobIds[0] as string);
    expect(job).toMatchObject({ kind: "edit", status: "succeeded" });
    expect(fake.to(`${bot}getFile`)[0]?.json()).toEqual({ file_id: "big" });
    expect(fake.to(`/file${bot}photos/file_1.png`)).toHaveLength(1);
    const inputKey = JSON.parse(job?.input_keys ?? "[]")[0] as string;
    expect(new Uint8Array(await ((await env.IMAGES.get(inputKey)) as R2ObjectBody).arrayBuffer())).toEqual(INPUT_PNG);
  });

  it("refuses a photo that is only the first 100 bytes of a PNG: says why and starts no job", async () => {
    fake = chatFake({
      intercept: (req) => (req.url.includes("/file/") ? new Response(INPUT_PNG.subarray(0, 100)) : undefined),
    });
    const before = await jobCount();
    const photo = [{ file_id: "cut", file_size: 100, width: 1024 }];
    const { text, jobIds } = await deliver(telegramRequest(update({ caption: "edit image: make it night", photo })));
    expect(jobIds).toEqual([]);
    expect(await jobCount()).toBe(before);
    expect(fake.providerCalls).toHaveLength(0);
    const said = [text, ...fake.to(`${bot}sendMessage`).map((c) => JSON.stringify(c.json()))].join("\n");
    expect(said).toContain("image[0] <100 bytes>: must be a whole image (PNG ends after 100 bytes");
  });

  it("answers a bad option in the webhook response and starts no job", async () => {
    fake = chatFake();
    const before = await jobCount();
    const { text } = await deliver(telegramRequest(update({ text: "/image a cat n=0" })));
    expect(JSON.parse(text)).toMatchObject({
      method: "sendMessage",
      chat_id: 300,
      text: expect.stringContaining("n 0: must be an integer from 1 to 4"),
    });
    expect(await jobCount()).toBe(before);
  });

  it("names the first five bad options of a command and counts the rest, as the HTTP API does", async () => {
    fake = chatFake();
    const before = await jobCount();
    // eight issues: size 7x7 breaks two rules
    const bad = "n=0 size=7x7 quality=best format=bmp background=pink moderation=none style=loud";
    const { text } = await deliver(telegramRequest(update({ text: `/image a cat ${bad}` })));
    const lines = (JSON.parse(text) as { text: string }).text.split("\n");
    expect(lines[0]).toBe("I can't start that image:");
    expect(lines.slice(1, 6)).toEqual(Array.from({ length: 5 }, () => expect.stringMatching(/^• \w+ \S+: /)));
    expect(lines.slice(6)).toEqual(["… and 3 more", expect.stringMatching(/^Example: /)]);
    expect(await jobCount()).toBe(before);
  });

  it("refuses a chat that is not in CHAT_TEAMS and ignores chatter in groups", async () => {
    const refused = await deliver(telegramRequest(update({ text: "/image a cat" }, 999)));
    expect(JSON.parse(refused.text)).toMatchObject({
      method: "sendMessage",
      text: expect.stringContaining("isn't set up"),
    });
    expect(refused.refused).toEqual(["webhooks: telegram:999 is not in CHAT_TEAMS; refused"]);
    const chatter = await deliver(telegramRequest(update({ text: "just chatting" })));
    expect(chatter.text).toBe("");
  });

  it("enforces the mapped member's daily quota", async () => {
    fake = chatFake();
    const first = await deliver(telegramRequest(update({ text: "/image one" }, 301)));
    expect(first.jobIds).toHaveLength(1);
    const second = await deliver(telegramRequest(update({ text: "/image two" }, 301)));
    expect(second.jobIds).toHaveLength(0);
    const last = fake.to(`${bot}sendMessage`).at(-1)?.json() as { text: string };
    expect(last.text).toContain("daily quota of 1 image");
  });

  it("redacts secrets from a platform's error before saying it could not read the picture", async () => {
    fake = chatFake({
      intercept: (req) =>
        req.url.endsWith("/getFile")
          ? new Response(
              JSON.stringify({ ok: false, description: `Bad Request: file of ${B.FEISHU_APP_SECRET} not found` }),
              { status: 400 },
            )
          : undefined,
    });
    const before = await jobCount();
    await deliver(telegramRequest(update({ caption: "edit image: make it night", photo: [{ file_id: "AgAD" }] })));
    expect(await jobCount()).toBe(before);
    const last = fake.to(`${bot}sendMessage`).at(-1)?.json() as { text: string };
    expect(last.text).toContain("couldn't read the attached image");
    expect(last.text).toContain("Bad Request");
    assertNoSecrets(last.text);
  });

  it("lets only one of two simultaneous commands through the last image of the daily quota", async () => {
    fake = chatFake();
    // chat 302's member has a quota of 1 and nothing used yet today
    const { jobIds } = await deliverTogether([
      telegramRequest(update({ text: "/image first" }, 302)),
      telegramRequest(update({ text: "/image second" }, 302)),
    ]);
    expect(jobIds).toHaveLength(1);
    expect(fake.providerCalls).toHaveLength(1);
    const texts = fake.to(`${bot}sendMessage`).map((c) => (c.json() as { text: string }).text);
    expect(texts.filter((t) => t.includes("daily quota of 1 image"))).toHaveLength(1);
    // the hold was released once the job row existed: nothing is left holding images
    const holds = await env.DB.prepare(
      "SELECT COUNT(*) AS n FROM quota_holds WHERE team = 'acme' AND member = 'tg-race'",
    ).first<{ n: number }>();
    expect(holds?.n).toBe(0);
  });

  it("retries a failed sendPhoto without generating again, and sends it once", async () => {
    let attempts = 0;
    fake = chatFake({
      intercept: (req) =>
        req.url.endsWith("/sendPhoto") && ++attempts === 1
          ? Response.json({ ok: false, error_code: 502, description: "Bad Gateway" }, { status: 502 })
          : undefined,
    });
    await deliver(telegramRequest(update({ text: "/image retry me" })));
    expect(fake.providerCalls).toHaveLength(1);
    expect(attempts).toBe(2);
  });

  it("sends a signed link when the chat refuses photos, so a made image still reaches the user", async () => {
    fake = chatFake({
      intercept: (req) =>
        req.url.endsWith("/sendPhoto")
          ? Response.json(
              { ok: false, error_code: 400, description: "Bad Request: not enough rights to send photos to the chat" },
              { status: 400 },
            )
          : undefined,
    });
    const warned: string[] = [];
    const warn = vi.spyOn(console, "warn").mockImplementation((line: unknown) => void warned.push(String(line)));
    const { jobIds } = await deliverCaptured(telegramRequest(update({ text: "/image no photos here" })), {}).finally(
      () => warn.mockRestore(),
    );
    expect(warned).toEqual([
      expect.stringMatching(/^webhooks: telegram upload refused, sending links: .*not enough rights/),
    ]);
    const job = await getJob(env.DB, jobIds[0] as string);
    expect(job?.status).toBe("succeeded");
    expect(JSON.parse(job?.delivery_state ?? "{}").chat).toMatchObject({ ok: true });
    const last = fake.to(`${bot}sendMessage`).at(-1)?.json() as { text: string };
    expect(last.text).toContain("no photos here");
    expect(last.text).toMatch(/\/files\/\S+\?.*exp=/);
    assertNoSecrets(last.text);
  });

  it("reports a content-policy refusal in the chat", async () => {
    fake = chatFake({
      provider: () =>
        Response.json(
          {
            error: {
              message: "rejected by the safety system",
              type: "image_generation_user_error",
              code: "moderation_blocked",
            },
          },
          { status: 400 },
        ),
    });
    await deliver(telegramRequest(update({ text: "/image refused" })));
    const last = fake.to(`${bot}sendMessage`).at(-1)?.json() as { text: string };
    expect(last.text).toContain("content policy");
    expect(fake.to(`${bot}sendPhoto`)).toHaveLength(0);
  });

  it("says the provider account is out of credit, not to try again in a minute", async () => {
    const message = "You exceeded your current quota, please check your plan and billing details.";
    fake = chatFake({
      provider: () =>
        Response.json({ error: { message, type: "insufficient_quota", code: "insufficient_quota" } }, { status: 429 }),
    });
    await deliver(telegramRequest(update({ text: "/image no credit" })));
    const last = fake.to(`${bot}sendMessage`).at(-1)?.json() as { text: string };
    expect(last.text).toContain("out of credit");
    expect(last.text).toContain("admin");
    expect(last.text).not.toMatch(/try again in a minute|rate limit/i);
    // sent to the provider once: neither core's retries nor a later step attempt repeat it
    expect(fake.providerCalls).toHaveLength(1);
  });

  it("never logs or replies with the bot token when Telegram echoes a URL back", async () => {
    fake = chatFake({
      intercept: (req) =>
        req.url.endsWith("/getFile")
          ? Response.json(
              { ok: false, error_code: 400, description: `Bad Request: file not found at ${req.url}` },
              { status: 400 },
            )
          : undefined,
    });
    const logs: string[] = [];
    const spies = (["error", "warn", "log"] as const).map((k) =>
      vi.spyOn(console, k).mockImplementation((...a: unknown[]) => void logs.push(a.join(" "))),
    );
    try {
      const { jobIds } = await deliver(
        telegramRequest(update({ caption: "edit image: make it night", photo: [{ file_id: "gone", file_size: 10 }] })),
      );
      expect(jobIds).toHaveLength(0);
      const last = fake.to(`${bot}sendMessage`).at(-1)?.json() as { text: string };
      expect(last.text).toContain("couldn't read the attached image");
      for (const text of [...logs, ...fake.calls.map((c) => new TextDecoder().decode(c.body))]) assertNoSecrets(text);
    } finally {
      for (const s of spies) s.mockRestore();
    }
  });

  it("a refusal by gptimg's model table names SKIP_MODEL_RULES; with the var on, the provider decides", async () => {
    const sent: unknown[] = [];
    fake = chatFake({
      provider: async (req) => {
        sent.push(await req.json());
        return imagesResponse(1);
      },
    });
    // style is dall-e-3's: gptimg's table refuses it on gpt-image-2, the chat's default model
    const refused = await deliver(telegramRequest(update({ text: "/image a cat style=vivid" })));
    expect(refused.jobIds).toHaveLength(0);
    // Telegram gets the refusal in the webhook's answer
    expect(JSON.parse(refused.text).text).toContain(
      "style vivid: is not supported by gpt-image-2 (dall-e-3 takes it) (gptimg's model table; the Worker's SKIP_MODEL_RULES var lets the provider decide)",
    );
    expect(fake.providerCalls).toHaveLength(0);

    const { jobIds } = await deliver(telegramRequest(update({ text: "/image a cat style=vivid" })), {
      SKIP_MODEL_RULES: "true",
    });
    const job = await getJob(env.DB, jobIds[0] as string);
    expect(job?.status).toBe("succeeded");
    expect(JSON.parse(job?.request_json ?? "{}")).toMatchObject({ style: "vivid", skipModelRules: true });
    expect(sent).toEqual([expect.objectContaining({ prompt: "a cat", style: "vivid" })]);
  });
});
