import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { captureConsole } from "../../../test/gateway-support.ts";
import {
  assertNoSecrets,
  B,
  chatFake,
  deliver,
  deliverCaptured,
  discordRequest,
  INPUT_PNG,
  jobCount,
  nowS,
} from "../../../test/webhooks-support.ts";
import { getJob } from "../../jobs/repo.ts";

let fake: ReturnType<typeof chatFake> | undefined;
afterEach(() => {
  fake?.restore();
  fake = undefined;
});

const command = (options: unknown[], o: { guild?: string; attachments?: Record<string, unknown> } = {}) => ({
  id: `${Date.now()}${Math.floor(Math.random() * 1e6)}`,
  type: 2,
  application_id: B.DISCORD_APPLICATION_ID,
  token: "interaction-token-abc",
  guild_id: o.guild ?? "200",
  channel_id: "210",
  member: { user: { id: "220" } },
  data: { name: "image", type: 1, options, ...(o.attachments ? { resolved: { attachments: o.attachments } } : {}) },
});

describe("POST /webhooks/discord", () => {
  it("answers PING with PONG", async () => {
    const { res, text } = await deliver(
      await discordRequest({ id: "1", type: 1, application_id: B.DISCORD_APPLICATION_ID }),
    );
    expect(res.status).toBe(200);
    expect(JSON.parse(text)).toEqual({ type: 1 });
  });

  it("answers every forged probe with 401", async () => {
    const good = await discordRequest({ id: "1", type: 1 });
    const sig = good.headers.get("x-signature-ed25519") as string;
    const flipped = (sig[0] === "a" ? "b" : "a") + sig.slice(1);
    const probes = [
      new Request(good, { headers: { ...Object.fromEntries(good.headers), "x-signature-ed25519": flipped } }),
      new Request(good.url, {
        method: "POST",
        headers: {
          "x-signature-ed25519": sig,
          "x-signature-timestamp": good.headers.get("x-signature-timestamp") as string,
        },
        body: '{"id":"1","type":1} ',
      }),
      new Request(good.url, { method: "POST", body: '{"id":"1","type":1}' }),
      await discordRequest({ id: "1", type: 1 }, { ts: nowS() - 3600 }),
    ];
    for (const p of probes) {
      const { res, rejected } = await deliver(p);
      expect(res.status).toBe(401);
      expect(rejected).toEqual([expect.stringMatching(/^webhooks: discord request rejected: /)]);
    }
    const unset = await deliver(await discordRequest({ id: "1", type: 1 }), { DISCORD_PUBLIC_KEY: undefined });
    expect(unset.res.status).toBe(401);
    expect(unset.rejected).toEqual([expect.stringMatching(/^webhooks: discord request rejected: /)]);
  });

  // timestamps are made when each case runs: one made at collection time would drift into the window
  it.each<[string, () => string | number]>([
    ["a non-numeric timestamp", () => "yesterday"],
    ["a fractional timestamp", () => `${nowS()}.5`],
    ["a timestamp in milliseconds", () => Date.now()],
    ["a stale timestamp", () => nowS() - 600],
    ["a timestamp from the future", () => nowS() + 600],
  ])("answers 401 to a correctly signed request with %s", async (_name, ts) => {
    const { res, text, rejected } = await deliver(await discordRequest({ id: "1", type: 1 }, { ts: ts() }));
    expect(res.status).toBe(401);
    expect(text).toBe("invalid request signature");
    expect(rejected).toEqual([expect.stringMatching(/^webhooks: discord request rejected: .*X-Signature-Timestamp/)]);
  });

  it("defers, then edits the original response with the image as files[0]", async () => {
    fake = chatFake();
    const { res, text, jobIds } = await deliver(
      await discordRequest(
        command([
          { name: "prompt", type: 3, value: "a castle in the clouds" },
          { name: "size", type: 3, value: "landscape" },
          { name: "quality", type: 3, value: "low" },
        ]),
      ),
    );
    expect(res.status).toBe(200);
    expect(JSON.parse(text)).toEqual({ type: 5 });
    const job = await getJob(env.DB, jobIds[0] as string);
    expect(job).toMatchObject({ status: "succeeded", member: "discord-bot", team: "acme" });
    expect(JSON.parse(job?.request_json ?? "{}")).toMatchObject({
      prompt: "a castle in the clouds",
      size: "1536x1024",
      quality: "low",
    });
    const edits = fake.to(`/webhooks/${B.DISCORD_APPLICATION_ID}/interaction-token-abc/messages/@original`);
    expect(edits.map((e) => e.method)).toEqual(["PATCH", "PATCH"]); // "working on it", then the image
    const form = await (edits[1] as NonNullable<(typeof edits)[1]>).form();
    const payload = JSON.parse(String(form.get("payload_json")));
    expect(payload).toMatchObject({
      content: expect.stringContaining("a castle in the clouds"),
      attachments: [{ id: 0, filename: `${job?.id}-0.png` }],
    });
    const file = form.get("files[0]") as File;
    const key = JSON.parse(job?.image_keys ?? "[]")[0].key as string;
    expect(new Uint8Array(await file.arrayBuffer())).toEqual(
      new Uint8Array(await ((await env.IMAGES.get(key)) as R2ObjectBody).arrayBuffer()),
    );
    for (const c of fake.calls) assertNoSecrets(new TextDecoder().decode(c.body));
    // the interaction token (a 15-minute credential for this conversation) is not kept once delivered
    const after = await getJob(env.DB, jobIds[0] as string);
    expect(after?.delivery).not.toContain("interaction-token-abc");
    expect(JSON.parse(after?.delivery ?? "{}")).toMatchObject({
      platform: "discord",
      target: { applicationId: B.DISCORD_APPLICATION_ID },
    });
  });

  it("edits the attached image", async () => {
    fake = chatFake();
    const attachments = {
      "555": {
        id: "555",
        url: "http://cdn.discord.test/attachments/1/555/dog.png",
        content_type: "image/png",
        size: INPUT_PNG.length,
      },
    };
    const { jobIds } = await deliver(
      await discordRequest(
        command(
          [
            { name: "prompt", type: 3, value: "add a red scarf" },
            { name: "image", type: 11, value: "555" },
          ],
          { attachments },
        ),
      ),
    );
    expect(await getJob(env.DB, jobIds[0] as string)).toMatchObject({ kind: "edit", status: "succeeded" });
    expect(fake.to("cdn.discord.test")).toHaveLength(1);
  });

  it("names a signed attachment URL without its signature when its download fails, in the logs and no reply", async () => {
    const sig = "canary-discord-attachment-hmac";
    fake = chatFake({
      intercept: (req) => {
        if (req.url.includes("cdn.discord.test")) throw new TypeError(`Fetch API cannot load: ${req.url}`);
        return undefined;
      },
    });
    const url = `https://cdn.discord.test/attachments/1/556/dog.png?ex=1&is=2&hm=${sig}`;
    const attachments = { "556": { id: "556", url, content_type: "image/png", size: INPUT_PNG.length } };
    const logs = captureConsole();
    try {
      const before = await jobCount();
      const { text } = await deliver(
        await discordRequest(
          command(
            [
              { name: "prompt", type: 3, value: "add a red scarf" },
              { name: "image", type: 11, value: "556" },
            ],
            { attachments },
          ),
        ),
      );
      expect(await jobCount()).toBe(before);
      const said = [
        text,
        ...fake.calls.filter((c) => !c.url.includes("cdn.discord.test")).map((c) => new TextDecoder().decode(c.body)),
      ];
      // a network failure may pass: the user is asked to try again, the log names the file
      expect(logs.lines.join("\n")).toContain("https://cdn.discord.test/attachments/1/556/dog.png?…");
      expect([...said, ...logs.lines].join("\n")).not.toContain(sig);
    } finally {
      logs.restore();
    }
  });

  it("answers a bad option ephemerally and starts no job", async () => {
    fake = chatFake();
    const before = await jobCount();
    const { text } = await deliver(
      await discordRequest(
        command([
          { name: "prompt", type: 3, value: "a cat" },
          { name: "size", type: 3, value: "5000x5000" },
        ]),
      ),
    );
    const body = JSON.parse(text) as { type: number; data: { content: string; flags: number } };
    expect(body).toMatchObject({ type: 4, data: { flags: 64 } });
    expect(body.data.content).toContain("size 5000x5000");
    expect(await jobCount()).toBe(before);
  });

  it("refuses a guild that is not in CHAT_TEAMS", async () => {
    const before = await jobCount();
    const { text, refused } = await deliver(
      await discordRequest(command([{ name: "prompt", type: 3, value: "a cat" }], { guild: "999" })),
    );
    expect(refused).toEqual(["webhooks: discord:999:210 is not in CHAT_TEAMS; refused"]);
    expect(JSON.parse(text)).toMatchObject({ type: 4, data: { content: expect.stringContaining("isn't set up") } });
    expect(await jobCount()).toBe(before);
  });

  it("reports a provider outage by editing the response", async () => {
    fake = chatFake({ provider: () => new Response("<html>502 Bad Gateway</html>", { status: 502 }) });
    await deliver(await discordRequest(command([{ name: "prompt", type: 3, value: "an outage" }])));
    const last = fake.to("/messages/@original").at(-1)?.json() as { content: string };
    expect(last.content).toContain("having trouble");
  });

  it("makes one job for a repeated interaction id", async () => {
    fake = chatFake();
    const it1 = command([{ name: "prompt", type: 3, value: "only once" }]);
    const first = await deliver(await discordRequest(it1));
    const again = await deliver(await discordRequest(it1));
    expect(first.jobIds).toHaveLength(1);
    expect(JSON.parse(again.text)).toEqual({ type: 5 });
    expect(again.jobIds).toHaveLength(0);
    expect(fake.providerCalls).toHaveLength(1);
  });

  it("sends signed links when Discord refuses the files (413), so a made image still reaches the user", async () => {
    fake = chatFake({
      intercept: (req, call) =>
        req.method === "PATCH" && call.headers.get("content-type")?.startsWith("multipart/")
          ? Response.json({ message: "Request entity too large", code: 40005 }, { status: 413 })
          : undefined,
    });
    const warned: string[] = [];
    const warn = vi.spyOn(console, "warn").mockImplementation((line: unknown) => void warned.push(String(line)));
    const { jobIds } = await deliverCaptured(
      await discordRequest(command([{ name: "prompt", type: 3, value: "too big" }])),
      {},
    ).finally(() => warn.mockRestore());
    expect(warned).toEqual([expect.stringMatching(/^webhooks: discord upload refused, sending links: .*HTTP 413/)]);
    const job = await getJob(env.DB, jobIds[0] as string);
    expect(job?.status).toBe("succeeded");
    expect(fake.providerCalls).toHaveLength(1);
    const last = fake.to("/messages/@original").at(-1);
    expect(last?.headers.get("content-type")).toBe("application/json");
    const sent = last?.json() as { content: string; attachments: unknown[] };
    expect(sent.content).toContain("too big");
    expect(sent.content).toMatch(/\/files\/\S+\?.*exp=/);
    expect(sent.attachments).toEqual([]);
    expect(JSON.parse(job?.delivery_state ?? "{}").chat).toMatchObject({ ok: true });
  });

  it("retries a failed edit without generating again", async () => {
    let failed = 0;
    fake = chatFake({
      intercept: (req, call) =>
        req.method === "PATCH" && call.headers.get("content-type")?.startsWith("multipart/") && failed++ === 0
          ? Response.json({ message: "500: Internal Server Error", code: 0 }, { status: 500 })
          : undefined,
    });
    await deliver(await discordRequest(command([{ name: "prompt", type: 3, value: "retry the edit" }])));
    expect(fake.providerCalls).toHaveLength(1);
    const withFiles = fake
      .to("/messages/@original")
      .filter((c) => c.headers.get("content-type")?.startsWith("multipart/"));
    expect(withFiles).toHaveLength(2);
  });
});
