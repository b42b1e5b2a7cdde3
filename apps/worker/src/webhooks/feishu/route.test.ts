import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ORIGIN } from "../../../test/gateway-support.ts";
import {
  assertNoSecrets,
  B,
  bigBodies,
  chatFake,
  deliver,
  deliverCaptured,
  feishuEncrypt,
  feishuEncryptText,
  feishuRequest,
  jobCount,
  nowS,
} from "../../../test/webhooks-support.ts";
import { getJob } from "../../jobs/repo.ts";

let fake: ReturnType<typeof chatFake> | undefined;
afterEach(() => {
  fake?.restore();
  fake = undefined;
});

const message = (content: Record<string, unknown>, type = "text", tenant = "tenant400") => ({
  schema: "2.0",
  header: {
    event_id: crypto.randomUUID(),
    event_type: "im.message.receive_v1",
    create_time: String(Date.now()),
    token: B.FEISHU_VERIFICATION_TOKEN,
    app_id: B.FEISHU_APP_ID,
    tenant_key: tenant,
  },
  event: {
    sender: { sender_id: { open_id: "ou_500" }, sender_type: "user", tenant_key: tenant },
    message: {
      message_id: `om_${crypto.randomUUID().slice(0, 8)}`,
      chat_id: "oc_510",
      chat_type: "group",
      message_type: type,
      content: JSON.stringify(content),
    },
  },
});

describe("POST /webhooks/feishu", () => {
  it("answers the encrypted URL-verification challenge", async () => {
    const challenge = { challenge: "ajls384kdjx98XX", token: B.FEISHU_VERIFICATION_TOKEN, type: "url_verification" };
    const { res, text } = await deliver(await feishuRequest(challenge, { signed: false }));
    expect(res.status).toBe(200);
    expect(JSON.parse(text)).toEqual({ challenge: "ajls384kdjx98XX" });
  });

  it.each([
    ["encrypted under another key", { key: "another-encrypt-key" }, {}],
    ["a forged signature", {}, { "x-lark-signature": "00".repeat(32) }],
    ["a stale timestamp", { ts: nowS() - 3600 }, {}],
  ])("rejects an event %s", async (_n, o, headers) => {
    fake = chatFake();
    const before = await jobCount();
    const req = await feishuRequest(message({ text: "@_user_1 best image: a cat" }), o);
    const { res, rejected } = await deliver(
      new Request(req, { headers: { ...Object.fromEntries(req.headers), ...headers } }),
    );
    expect(res.status).toBe(401);
    expect(rejected).toEqual([expect.stringMatching(/^webhooks: feishu request rejected: /)]);
    expect(await jobCount()).toBe(before);
  });

  it("rejects an unsigned event, and everything when FEISHU_ENCRYPT_KEY is not set", async () => {
    const unsigned = await deliver(await feishuRequest(message({ text: "best image: a cat" }), { signed: false }));
    expect(unsigned.res.status).toBe(401);
    const challenge = { challenge: "c", token: B.FEISHU_VERIFICATION_TOKEN, type: "url_verification" };
    const unset = await deliver(await feishuRequest(challenge, { signed: false }), { FEISHU_ENCRYPT_KEY: undefined });
    expect(unset.res.status).toBe(401);
    expect(unset.rejected).toEqual(["webhooks: feishu request rejected: FEISHU_ENCRYPT_KEY is not set"]);
  });

  it("answers an unsigned challenge only when FEISHU_VERIFICATION_TOKEN is set and matches", async () => {
    const challenge = { challenge: "c", token: B.FEISHU_VERIFICATION_TOKEN, type: "url_verification" };
    const unset = await deliver(await feishuRequest(challenge, { signed: false }), {
      FEISHU_VERIFICATION_TOKEN: undefined,
    });
    expect(unset.res.status).toBe(401);
    const wrong = { ...challenge, token: "not-the-verification-token" };
    expect((await deliver(await feishuRequest(wrong, { signed: false }))).res.status).toBe(401);
  });

  it("uploads the image and replies with it to the message", async () => {
    fake = chatFake();
    const ev = message({ text: "@_user_1 高质量生图: 大海 size=square" });
    const { res, text, jobIds } = await deliver(await feishuRequest(ev));
    expect(res.status).toBe(200);
    expect(JSON.parse(text)).toEqual({});
    const job = await getJob(env.DB, jobIds[0] as string);
    expect(job).toMatchObject({ status: "succeeded", member: "feishu:ou_500" });
    expect(JSON.parse(job?.request_json ?? "{}")).toMatchObject({ prompt: "大海", size: "1024x1024" });
    expect(fake.to("/tenant_access_token/internal")[0]?.json()).toEqual({
      app_id: B.FEISHU_APP_ID,
      app_secret: B.FEISHU_APP_SECRET,
    });
    const [upload] = fake.to("/im/v1/images");
    expect(upload?.headers.get("authorization")).toBe("Bearer t-canary-tenant-token");
    const form = await (upload as NonNullable<typeof upload>).form();
    expect(form.get("image_type")).toBe("message");
    const key = JSON.parse(job?.image_keys ?? "[]")[0].key as string;
    expect(new Uint8Array(await (form.get("image") as File).arrayBuffer())).toEqual(
      new Uint8Array(await ((await env.IMAGES.get(key)) as R2ObjectBody).arrayBuffer()),
    );
    const replies = fake
      .to(`/im/v1/messages/${ev.event.message.message_id}/reply`)
      .map((c) => c.json() as { msg_type: string; content: string; uuid?: string });
    expect(replies.map((r) => r.msg_type)).toEqual(["text", "image", "text"]);
    expect(JSON.parse(replies[1]?.content ?? "{}")).toEqual({ image_key: "img_v3_canary" });
    expect(replies[1]?.uuid).toBe(`${job?.id}-image-0`.slice(-50));
    for (const c of fake.calls.filter((c) => !c.url.endsWith("/tenant_access_token/internal")))
      assertNoSecrets(new TextDecoder().decode(c.body));
  });

  it("makes one job when Feishu redelivers an event", async () => {
    fake = chatFake();
    const ev = message({ text: "best image: a kite" });
    expect((await deliver(await feishuRequest(ev))).jobIds).toHaveLength(1);
    expect((await deliver(await feishuRequest(ev))).jobIds).toHaveLength(0);
    expect(fake.providerCalls).toHaveLength(1);
  });

  it("edits the picture in a rich-text message", async () => {
    fake = chatFake();
    const post = {
      title: "",
      content: [[{ tag: "img", image_key: "img_in_1" }], [{ tag: "text", text: "编辑图片：把天空变成晚霞" }]],
    };
    const ev = message(post, "post");
    const { jobIds } = await deliver(await feishuRequest(ev));
    expect(await getJob(env.DB, jobIds[0] as string)).toMatchObject({ kind: "edit", status: "succeeded" });
    expect(fake.to(`/im/v1/messages/${ev.event.message.message_id}/resources/img_in_1?type=image`)).toHaveLength(1);
  });

  it("refuses a tenant that is not in CHAT_TEAMS", async () => {
    fake = chatFake();
    const before = await jobCount();
    const { refused } = await deliver(await feishuRequest(message({ text: "best image: a cat" }, "text", "tenant999")));
    expect(await jobCount()).toBe(before);
    expect(refused).toEqual(["webhooks: feishu:tenant999:oc_510 is not in CHAT_TEAMS; refused"]);
    const reply = fake.to("/reply")[0]?.json() as { content: string };
    expect(JSON.parse(reply.content).text).toContain("isn't set up");
  });

  it("retries a failed image reply without generating again; the uuid stays the same", async () => {
    let failed = 0;
    fake = chatFake({
      intercept: (req, call) =>
        req.url.endsWith("/reply") && (call.json() as { msg_type: string }).msg_type === "image" && failed++ === 0
          ? Response.json({ code: 1500, msg: "internal error" })
          : undefined,
    });
    const ev = message({ text: "best image: a retried reply" });
    await deliver(await feishuRequest(ev));
    expect(fake.providerCalls).toHaveLength(1);
    const images = fake
      .to("/reply")
      .map((c) => c.json() as { msg_type: string; uuid: string })
      .filter((r) => r.msg_type === "image");
    expect(images).toHaveLength(2);
    expect(images[0]?.uuid).toBe(images[1]?.uuid);
  });

  it("sends a signed link when Feishu refuses the upload, so a made image still reaches the user", async () => {
    fake = chatFake({
      intercept: (req) =>
        req.url.endsWith("/im/v1/images")
          ? Response.json(
              { code: 99991672, msg: "Access denied. One of the following scopes is required: [im:resource]" },
              { status: 400 },
            )
          : undefined,
    });
    const warned: string[] = [];
    const warn = vi.spyOn(console, "warn").mockImplementation((line: unknown) => void warned.push(String(line)));
    const { jobIds } = await deliverCaptured(
      await feishuRequest(message({ text: "best image: no scope" })),
      {},
    ).finally(() => warn.mockRestore());
    expect(warned).toEqual([expect.stringMatching(/^webhooks: feishu upload refused, sending links: .*im:resource/)]);
    const job = await getJob(env.DB, jobIds[0] as string);
    expect(job?.status).toBe("succeeded");
    expect(JSON.parse(job?.delivery_state ?? "{}").chat).toMatchObject({ ok: true });
    const last = fake.to("/reply").at(-1)?.json() as { msg_type: string; content: string };
    expect(last.msg_type).toBe("text");
    const text = JSON.parse(last.content).text as string;
    expect(text).toContain("no scope");
    expect(text).toMatch(/\/files\/\S+\?.*exp=/);
    assertNoSecrets(text);
  });

  it("reports a provider failure in a reply", async () => {
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
    const ev = message({ text: "best image: refused" });
    await deliver(await feishuRequest(ev));
    const texts = fake.to("/reply").map((c) => JSON.parse((c.json() as { content: string }).content).text as string);
    expect(texts.at(-1)).toContain("content policy");
    expect(fake.to("/im/v1/images")).toHaveLength(0);
  });

  it("answers every failed unsigned request with one identical 401, whatever failed", async () => {
    const challenge = { challenge: "c", token: B.FEISHU_VERIFICATION_TOKEN, type: "url_verification" };
    // a ciphertext whose last plaintext byte (the PKCS#7 padding) is turned into 0: bad padding
    const badPadding = async () => {
      const json = JSON.stringify(challenge);
      const data = Uint8Array.from(atob(await feishuEncrypt(challenge)), (ch) => ch.charCodeAt(0));
      const pad = 16 - (new TextEncoder().encode(json).length % 16);
      const at = data.length - 17; // last byte of the block before the last
      data[at] = (data[at] as number) ^ pad;
      return btoa(String.fromCharCode(...data));
    };
    const unsigned = (body: string) =>
      new Request(`${ORIGIN}/webhooks/feishu`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      });
    const enc = async (text: string) => JSON.stringify({ encrypt: await feishuEncryptText(text) });
    const cases: [string, Request, Record<string, unknown>?][] = [
      ["body not JSON", unsigned("{not json")],
      ["body JSON null", unsigned("null")],
      ["encrypt not a string", unsigned(JSON.stringify({ encrypt: 42 }))],
      ["encrypt not base64", unsigned(JSON.stringify({ encrypt: "%%%" }))],
      ["bad padding", unsigned(JSON.stringify({ encrypt: await badPadding() }))],
      ["under another key", await feishuRequest(challenge, { signed: false, key: "another-encrypt-key" })],
      ["plaintext not JSON", unsigned(await enc("{not json"))],
      ["plaintext JSON but not an object", unsigned(await enc("[1,2]"))],
      ["wrong token", await feishuRequest({ ...challenge, token: "not-the-verification-token" }, { signed: false })],
      ["no token", await feishuRequest({ challenge: "c", type: "url_verification" }, { signed: false })],
      ["an event, not a challenge", await feishuRequest(message({ text: "best image: a cat" }), { signed: false })],
      [
        "no verification token configured",
        await feishuRequest(challenge, { signed: false }),
        { FEISHU_VERIFICATION_TOKEN: undefined },
      ],
    ];
    const answers = new Set<string>();
    for (const [name, req, overrides] of cases) {
      const { res, text } = await deliver(req, overrides);
      expect(res.status, name).toBe(401);
      answers.add(`${res.headers.get("content-type")} ${text}`);
    }
    expect([...answers]).toHaveLength(1);
    // the same request with a good token is answered, so the cases above failed for their own reasons
    expect((await deliver(await feishuRequest(challenge, { signed: false }))).res.status).toBe(200);
  });

  it("downloads a message's pictures one at a time and stops reading at the 50 MB total", async () => {
    const big = bigBodies();
    fake = chatFake({
      intercept: (req) => (req.url.includes("/resources/") ? big.serve(18 * 1024 * 1024) : undefined),
    });
    const before = await jobCount();
    const post = {
      title: "",
      content: [
        [1, 2, 3].map((i) => ({ tag: "img", image_key: `img_big_${i}` })),
        [{ tag: "text", text: "edit image: make it night" }],
      ],
    };
    const ev = message(post, "post");
    const { jobIds } = await deliver(await feishuRequest(ev));
    expect(big.seen.maxInFlight).toBe(1);
    expect(big.seen.bytesRead).toBeLessThanOrEqual(51 * 1024 * 1024);
    expect(jobIds).toHaveLength(0);
    expect(await jobCount()).toBe(before);
    const texts = fake.to("/reply").map((c) => JSON.parse((c.json() as { content: string }).content).text as string);
    expect(texts).toEqual([expect.stringContaining("add up to more than 50 MB")]);
  });
});
