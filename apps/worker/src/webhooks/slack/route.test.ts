import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import {
  assertNoSecrets,
  B,
  bigBodies,
  chatFake,
  deliver,
  INPUT_PNG,
  jobCount,
  nowS,
  slackRequest,
} from "../../../test/webhooks-support.ts";
import { getJob } from "../../jobs/repo.ts";

let fake: ReturnType<typeof chatFake> | undefined;
afterEach(() => {
  fake?.restore();
  fake = undefined;
});

let seq = 0;
const slash = (text: string, team = "T100") =>
  new URLSearchParams({
    token: "legacy",
    team_id: team,
    channel_id: "C100",
    user_id: "U100",
    command: "/image",
    text,
    response_url: "http://hooks.slack.test/commands/T100/1/abc",
    trigger_id: `trigger.${++seq}.${crypto.randomUUID()}`,
  }).toString();

describe("POST /webhooks/slack: verification", () => {
  it.each([
    ["a forged signature", { secret: "not-the-signing-secret" }],
    ["a stale timestamp (6 minutes old)", { ts: nowS() - 360 }],
    ["a timestamp 6 minutes ahead", { ts: nowS() + 360 }],
  ])("rejects %s with 401 and starts nothing", async (_n, o) => {
    fake = chatFake();
    const before = await jobCount();
    const { res, rejected } = await deliver(await slackRequest(slash("a cat"), o));
    expect(res.status).toBe(401);
    expect(rejected).toEqual([expect.stringMatching(/^webhooks: slack request rejected: /)]);
    expect(await jobCount()).toBe(before);
    expect(fake.calls).toHaveLength(0);
  });

  it("rejects a replayed body under a new timestamp", async () => {
    fake = chatFake();
    const good = await slackRequest(slash("a cat"));
    const replay = new Request(good, {
      headers: { ...Object.fromEntries(good.headers), "x-slack-request-timestamp": String(nowS() + 1) },
    });
    const { res, rejected } = await deliver(replay);
    expect(res.status).toBe(401);
    expect(rejected).toEqual([expect.stringMatching(/^webhooks: slack request rejected: /)]);
  });

  it("fails closed when SLACK_SIGNING_SECRET is not set", async () => {
    fake = chatFake();
    const { res, rejected } = await deliver(await slackRequest(slash("a cat")), { SLACK_SIGNING_SECRET: undefined });
    expect(res.status).toBe(401);
    expect(rejected).toEqual([expect.stringMatching(/^webhooks: slack request rejected: /)]);
  });

  it("answers the Events API url_verification challenge", async () => {
    const { res, text } = await deliver(
      await slackRequest(
        JSON.stringify({ type: "url_verification", challenge: "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" }),
        { form: false },
      ),
    );
    expect(res.status).toBe(200);
    expect(JSON.parse(text)).toEqual({ challenge: "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" });
  });
});

describe("POST /webhooks/slack: slash command", () => {
  it("acks in-channel, makes one image and uploads it to the channel", async () => {
    fake = chatFake();
    const { res, text, jobIds } = await deliver(
      await slackRequest(slash("best image: a lighthouse at dusk size=16:9 quality=high")),
    );
    expect(res.status).toBe(200);
    expect(JSON.parse(text)).toMatchObject({
      response_type: "in_channel",
      text: expect.stringContaining("a lighthouse at dusk"),
    });
    expect(jobIds).toHaveLength(1);
    const job = await getJob(env.DB, jobIds[0] as string);
    expect(job).toMatchObject({ kind: "generate", team: "acme", member: "slack:U100", status: "succeeded" });
    expect(JSON.parse(job?.request_json ?? "{}")).toMatchObject({
      prompt: "a lighthouse at dusk",
      size: "1536x864",
      quality: "high",
    });
    expect(fake.providerCalls).toHaveLength(1);

    const [getUrl] = fake.to("/files.getUploadURLExternal");
    expect(getUrl?.headers.get("authorization")).toBe(`Bearer ${B.SLACK_BOT_TOKEN}`);
    const form = new URLSearchParams(new TextDecoder().decode(getUrl?.body));
    const key = JSON.parse(job?.image_keys ?? "[]")[0].key as string;
    const stored = new Uint8Array(await ((await env.IMAGES.get(key)) as R2ObjectBody).arrayBuffer());
    expect(form.get("length")).toBe(String(stored.length));
    const [upload] = fake.to("files.slack.test/upload/F123");
    expect(upload?.body).toEqual(stored);
    const [complete] = fake.to("/files.completeUploadExternal");
    expect(complete?.json()).toMatchObject({
      files: [{ id: "F123" }],
      channel_id: "C100",
      initial_comment: expect.stringContaining("a lighthouse at dusk"),
    });
    for (const c of fake.calls) assertNoSecrets(new TextDecoder().decode(c.body));
    assertNoSecrets(text);
    // the response_url (a 30-minute credential for this conversation) is not kept once delivered
    const after = await getJob(env.DB, jobIds[0] as string);
    expect(after?.delivery).not.toContain("hooks.slack.test");
    expect(JSON.parse(after?.delivery ?? "{}")).toMatchObject({ platform: "slack", target: { channel: "C100" } });
  });

  it("makes one job for a retried delivery of the same command", async () => {
    fake = chatFake();
    const body = slash("a red fox");
    const first = await deliver(await slackRequest(body));
    const again = await deliver(
      await slackRequest(body, { headers: { "x-slack-retry-num": "1", "x-slack-retry-reason": "http_timeout" } }),
    );
    expect(first.jobIds).toHaveLength(1);
    expect(again.res.status).toBe(200);
    expect(again.jobIds).toHaveLength(0);
    expect(fake.providerCalls).toHaveLength(1);
  });

  it.each([
    ["size=1920x1080", "size"],
    ["quality=ultra", "quality"],
    ["n=99", "n"],
  ])("answers a bad option (%s) with the rule and starts no job", async (opt, field) => {
    fake = chatFake();
    const before = await jobCount();
    const { res, text } = await deliver(await slackRequest(slash(`a cat ${opt}`)));
    expect(res.status).toBe(200);
    const msg = JSON.parse(text) as { response_type: string; text: string };
    expect(msg.response_type).toBe("ephemeral");
    expect(msg.text).toContain(`${field} ${opt.split("=")[1]}`);
    expect(await jobCount()).toBe(before);
    expect(fake.providerCalls).toHaveLength(0);
  });

  it("refuses a workspace that is not in CHAT_TEAMS", async () => {
    fake = chatFake();
    const before = await jobCount();
    const { text, refused } = await deliver(await slackRequest(slash("a cat", "T999")));
    expect(JSON.parse(text).text).toContain("isn't set up");
    expect(refused).toEqual(["webhooks: slack:T999:C100 is not in CHAT_TEAMS; refused"]);
    expect(await jobCount()).toBe(before);
  });

  it("retries a failed upload without generating again", async () => {
    let completes = 0;
    fake = chatFake({
      intercept: (req) =>
        req.url.endsWith("/files.completeUploadExternal") && ++completes === 1
          ? new Response("upstream down", { status: 503 })
          : undefined,
    });
    const { jobIds } = await deliver(await slackRequest(slash("a retried upload")));
    expect(fake.providerCalls).toHaveLength(1);
    expect(completes).toBe(2);
    const job = await getJob(env.DB, jobIds[0] as string);
    expect(JSON.parse(job?.delivery_state ?? "{}").chat).toMatchObject({ ok: true });
  });

  it("reports a provider refusal through the command's response_url, which reaches channels the bot is not in", async () => {
    // chat.postMessage would answer not_in_channel here: the slash command came from a DM
    fake = chatFake({
      provider: refusal,
      intercept: (req) =>
        req.url.endsWith("/chat.postMessage") ? Response.json({ ok: false, error: "not_in_channel" }) : undefined,
    });
    const { jobIds } = await deliver(await slackRequest(slash("something refused")));
    expect(fake.to("/chat.postMessage")).toHaveLength(0);
    const posts = fake.to("hooks.slack.test/commands/").map((c) => c.json() as { response_type: string; text: string });
    expect(posts).toEqual([{ response_type: "in_channel", text: expect.stringContaining("content policy") }]);
    expect(fake.to("/files.")).toHaveLength(0);
    const job = await getJob(env.DB, jobIds[0] as string);
    expect(JSON.parse(job?.delivery_state ?? "{}").chat).toMatchObject({ ok: true });
  });
});

const refusal = () =>
  Response.json(
    {
      error: {
        message: "Your request was rejected by the safety system.",
        type: "image_generation_user_error",
        code: "moderation_blocked",
      },
    },
    { status: 400 },
  );

describe("POST /webhooks/slack: app mention", () => {
  const mention = (text: string, files: unknown[] = []) =>
    JSON.stringify({
      type: "event_callback",
      team_id: "T100",
      event_id: `Ev${crypto.randomUUID()}`,
      event: { type: "app_mention", user: "U200", text, channel: "C200", ts: "1700000000.000100", files },
    });

  it("edits an attached picture and replies in the thread", async () => {
    fake = chatFake();
    const files = [{ mimetype: "image/png", url_private_download: "http://files.slack.test/private/F9/in.png" }];
    const { res, text, jobIds } = await deliver(
      await slackRequest(mention("<@UBOT> edit image: make it night", files), { form: false }),
    );
    expect(res.status).toBe(200);
    expect(text).toBe("");
    const job = await getJob(env.DB, jobIds[0] as string);
    expect(job).toMatchObject({ kind: "edit", member: "slack:U200", status: "succeeded" });
    const [download] = fake.to("files.slack.test/private/");
    expect(download?.headers.get("authorization")).toBe(`Bearer ${B.SLACK_BOT_TOKEN}`);
    const inputKey = JSON.parse(job?.input_keys ?? "[]")[0] as string;
    expect(new Uint8Array(await ((await env.IMAGES.get(inputKey)) as R2ObjectBody).arrayBuffer())).toEqual(INPUT_PNG);
    const [working] = fake.to("/chat.postMessage").map((c) => c.json() as Record<string, string>);
    expect(working).toMatchObject({
      channel: "C200",
      thread_ts: "1700000000.000100",
      text: expect.stringContaining("make it night"),
    });
    expect(fake.to("/files.completeUploadExternal")[0]?.json()).toMatchObject({
      channel_id: "C200",
      thread_ts: "1700000000.000100",
    });
  });

  it.each([
    [
      "a mention",
      () =>
        mention(
          "<@UBOT> best image: a sign that says &lt;SALE&gt; &amp; &amp;lt;more&amp;gt;, in <#C9|general> like <https://shop.example|the shop> size=16:9",
        ),
      false,
    ],
    [
      "a slash command",
      () =>
        slash(
          "a sign that says &lt;SALE&gt; &amp; &amp;lt;more&amp;gt;, in <#C9|general> like <https://shop.example|the shop> size=16:9",
        ),
      true,
    ],
  ])("sends the prompt of %s as the user typed it, not Slack's escaped markup", async (_n, body, form) => {
    fake = chatFake();
    const { jobIds } = await deliver(await slackRequest(body(), { form }));
    const job = await getJob(env.DB, jobIds[0] as string);
    expect(JSON.parse(job?.request_json ?? "{}")).toMatchObject({
      prompt: "a sign that says <SALE> & &lt;more&gt;, in #general like the shop",
      size: "1536x864",
    });
  });

  it("reports a provider refusal to a mention in its thread with chat.postMessage", async () => {
    fake = chatFake({ provider: refusal });
    await deliver(await slackRequest(mention("<@UBOT> something refused"), { form: false }));
    const posts = fake.to("/chat.postMessage").map((c) => c.json() as Record<string, string>);
    expect(posts.at(-1)).toMatchObject({
      channel: "C200",
      thread_ts: "1700000000.000100",
      text: expect.stringContaining("content policy"),
    });
  });

  it("refuses pictures whose declared sizes add up to more than 50 MB before downloading any", async () => {
    fake = chatFake();
    const before = await jobCount();
    const files = [1, 2, 3].map((i) => ({
      mimetype: "image/png",
      url_private_download: `http://files.slack.test/private/F${i}/in.png`,
      size: 20 * 1024 * 1024,
    }));
    const { res, jobIds } = await deliver(
      await slackRequest(mention("<@UBOT> edit image: make it night", files), { form: false }),
    );
    expect(res.status).toBe(200);
    expect(jobIds).toHaveLength(0);
    expect(await jobCount()).toBe(before);
    expect(fake.to("files.slack.test/private/")).toHaveLength(0);
    const [reply] = fake.to("/chat.postMessage").map((c) => c.json() as Record<string, string>);
    expect(reply).toMatchObject({ channel: "C200", text: expect.stringContaining("more than 50 MB") });
  });

  it("downloads undeclared pictures one at a time and stops reading at the 50 MB total", async () => {
    const big = bigBodies();
    fake = chatFake({
      intercept: (req) => (req.url.includes("files.slack.test/private/") ? big.serve(20 * 1024 * 1024) : undefined),
    });
    const before = await jobCount();
    const files = [1, 2, 3].map((i) => ({
      mimetype: "image/png",
      url_private_download: `http://files.slack.test/private/F${i}/in.png`,
    }));
    const { jobIds } = await deliver(
      await slackRequest(mention("<@UBOT> edit image: make it night", files), { form: false }),
    );
    expect(big.seen.maxInFlight).toBe(1);
    expect(big.seen.bytesRead).toBeLessThanOrEqual(51 * 1024 * 1024);
    expect(jobIds).toHaveLength(0);
    expect(await jobCount()).toBe(before);
    const [reply] = fake.to("/chat.postMessage").map((c) => c.json() as Record<string, string>);
    expect(reply?.text).toContain("add up to more than 50 MB");
  });

  it("never sends the bot token to a file URL outside Slack's hosts", async () => {
    fake = chatFake();
    const files = [{ mimetype: "image/png", url_private_download: "http://attacker.test/private/F9/in.png" }];
    await deliver(await slackRequest(mention("<@UBOT> edit image: make it night", files), { form: false }));
    // the request was handled (a reply went out with the token, to Slack's API) ...
    expect(fake.to("slack.test/api/").length).toBeGreaterThan(0);
    // ... but nothing, token or not, was fetched from the foreign host
    expect(fake.calls.filter((c) => c.url.includes("attacker.test"))).toEqual([]);
  });

  it("makes one job when Slack redelivers the same event id", async () => {
    fake = chatFake();
    const body = mention("<@UBOT> a teapot");
    const first = await deliver(await slackRequest(body, { form: false }));
    const retry = await deliver(await slackRequest(body, { form: false, headers: { "x-slack-retry-num": "2" } }));
    expect(first.jobIds).toHaveLength(1);
    expect(retry.jobIds).toHaveLength(0);
    expect(fake.providerCalls).toHaveLength(1);
  });
});
