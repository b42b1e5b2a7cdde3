import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import {
  call,
  memberToken,
  ORIGIN,
  type ProviderSide,
  recordUsage,
  useOfflineProvider,
} from "../../test/gateway-support.ts";
import { app } from "../app.ts";
import { HOLD_TTL_SECONDS } from "./quota.ts";
import { costUsd, usageInsert } from "./usage.ts";

let provider: ProviderSide | undefined;
afterEach(() => {
  provider?.restore();
  provider = undefined;
});

const now = () => Math.floor(Date.now() / 1000);
const post = (path: string, token: string, body: unknown) =>
  call(path, {
    token,
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
const generate = (token: string, n = 1) => post("/v1/images/generations", token, { prompt: "x", n });

/** Sends `count` requests at once; returns each status and error code, in order. */
async function burst(count: number, send: () => Promise<Response>): Promise<{ status: number; code?: string }[]> {
  const answers = await Promise.all(Array.from({ length: count }, send));
  return Promise.all(
    answers.map(async (res) => {
      const body = (await res.json()) as { error?: { code: string } };
      return { status: res.status, ...(body.error ? { code: body.error.code } : {}) };
    }),
  );
}

const holdsOf = async (tokenId: string) =>
  (
    await env.DB.prepare("SELECT COUNT(*) AS n FROM quota_holds WHERE token_id = ?")
      .bind(tokenId)
      .first<{ n: number }>()
  )?.n ?? 0;

/** Waits (bounded: 100 × 20 ms) until the request's hold is released after its response. */
async function holdsReleased(tokenId: string): Promise<number> {
  for (let i = 0; i < 100 && (await holdsOf(tokenId)) > 0; i++) await new Promise((r) => setTimeout(r, 20));
  return holdsOf(tokenId);
}

describe("daily image quota under concurrent requests", () => {
  it.each([
    ["synchronous generations", "/v1/images/generations", 2],
    ["jobs", "/v1/jobs", 3],
  ])("%s: exactly the quota's images are granted, the rest refused", async (_name, path, left) => {
    provider = useOfflineProvider();
    const { token, id } = await memberToken({ team: "burst", dailyImageQuota: 5 });
    await recordUsage({ team: "burst", member: "alice", tokenId: id, model: "gpt-image-2", images: 5 - left });
    const answers = await burst(8, () => post(path, token, { prompt: "x", n: 1 }));
    const granted = answers.filter((a) => a.status === 200 || a.status === 202);
    expect(granted).toHaveLength(left);
    expect(answers.filter((a) => a.code === "quota_exceeded")).toHaveLength(8 - left);
    expect(granted.length + answers.filter((a) => a.code === "quota_exceeded").length).toBe(8);
  });

  it("counts n: a burst of n=2 requests never goes past the quota", async () => {
    provider = useOfflineProvider();
    const { token, id } = await memberToken({ team: "burst-n", dailyImageQuota: 5 });
    const answers = await burst(6, () => generate(token, 2));
    expect(answers.filter((a) => a.status === 200)).toHaveLength(2);
    expect(answers.filter((a) => a.code === "quota_exceeded")).toHaveLength(4);
    // the one image left still fits once the granted requests' holds are released
    expect(await holdsReleased(id)).toBe(0);
    expect((await generate(token, 1)).status).toBe(200);
    expect((await generate(token, 1)).status).toBe(429);
  });

  it("a queued job counts against the quota until its usage is recorded", async () => {
    provider = useOfflineProvider();
    const { token, id } = await memberToken({ team: "queued", member: "bob", dailyImageQuota: 3 });
    await env.DB.prepare(
      `INSERT INTO jobs (id, team, member, token_id, kind, status, model, request_json, created_at)
       VALUES ('job_quota_queued', 'queued', 'bob', ?, 'generate', 'queued', 'gpt-image-2', '{"prompt":"x","n":2}', ?)`,
    )
      .bind(id, now())
      .run();
    const res = await generate(token, 2);
    expect(res.status).toBe(429);
    expect(await res.json()).toMatchObject({
      error: { code: "quota_exceeded", message: expect.stringContaining("1 left today") },
    });
    expect((await generate(token, 1)).status).toBe(200);
  });

  it.each([
    ["a live hold counts", 60, 429],
    ["an expired hold does not", -1, 200],
  ])("%s", async (_name, expiresIn, status) => {
    provider = useOfflineProvider();
    const { token, id } = await memberToken({ team: "holds", dailyImageQuota: 2 });
    await env.DB.prepare("INSERT INTO quota_holds (id, token_id, images, expires_at) VALUES (?, ?, 2, ?)")
      .bind(`hold_${id}`, id, now() + expiresIn)
      .run();
    expect((await generate(token)).status).toBe(status);
  });

  it("a granted request's hold is released after its response, and expires on its own", async () => {
    provider = useOfflineProvider();
    const { token, id } = await memberToken({ team: "release", dailyImageQuota: 10 });
    const res = await generate(token);
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    expect(await holdsReleased(id)).toBe(0);
    expect(HOLD_TTL_SECONDS).toBeGreaterThan(0);
    // the image now counts through usage: 9 left
    const over = await generate(token, 10);
    expect(await over.json()).toMatchObject({ error: { message: expect.stringContaining("9 left today") } });
  });
});

describe("daily image quota while an SSE stream runs", () => {
  it("the streaming request's images count from its first event until its usage is recorded", async () => {
    provider = useOfflineProvider();
    const { token, id } = await memberToken({ team: "sse", dailyImageQuota: 3 });
    const stream = await post("/v1/images/generations", token, {
      prompt: "x",
      stream: true,
      partial_images: 2,
      size: "1024x1024",
    });
    expect(stream.status).toBe(200);
    const reader = stream.body?.getReader();
    expect((await reader?.read())?.done).toBe(false);
    const meanwhile = await generate(token, 3);
    expect(meanwhile.status).toBe(429);
    // 2 left, or 1 for the moment its usage is recorded and its hold not yet released
    expect(await meanwhile.json()).toMatchObject({
      error: { code: "quota_exceeded", message: expect.stringMatching(/[12] left today/) },
    });
    for (let i = 0; i < 10_000; i++) if ((await reader?.read())?.done) break;
    expect(await holdsReleased(id)).toBe(0);
    expect((await generate(token, 2)).status).toBe(200);
    expect((await generate(token, 1)).status).toBe(429);
  });
});

describe("an SSE client that goes away mid-stream", () => {
  it("does not stop the work: the image is stored, the row settles with its usage, and the hold lasts until then", async () => {
    // the provider spreads 1.5 s over its events, so the stream is still running when the client leaves
    provider = useOfflineProvider("latency=1500");
    const { token, id } = await memberToken({ team: "sse-gone", dailyImageQuota: 3 });
    // in-process, so the client's cancel reaches the Worker's stream as a disconnect does
    const after: Promise<unknown>[] = [];
    const ctx = { waitUntil: (p: Promise<unknown>) => after.push(p), passThroughOnException() {}, props: {} };
    const stream = await app.request(
      `${ORIGIN}/v1/images/generations`,
      {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ prompt: "x", stream: true, partial_images: 2, size: "1024x1024" }),
      },
      env,
      ctx,
    );
    expect(stream.status).toBe(200);
    const reader = stream.body?.getReader();
    expect((await reader?.read())?.done).toBe(false);
    await reader?.cancel();
    // the stream's work was handed to waitUntil, and the hold is kept while it runs
    expect(after.length).toBeGreaterThan(0);
    expect(await holdsOf(id)).toBe(1);
    const row = async () =>
      env.DB.prepare("SELECT status, error, image_keys FROM jobs WHERE token_id = ?")
        .bind(id)
        .first<{ status: string; error: string | null; image_keys: string | null }>();
    expect((await row())?.status).toBe("running");
    await Promise.all(after);
    const ended = await row();
    expect(ended?.status).toBe("succeeded");
    const keys = JSON.parse(ended?.image_keys ?? "[]") as { key: string }[];
    expect(keys).toHaveLength(1);
    expect(await env.IMAGES.head(keys[0]?.key ?? "")).not.toBeNull();
    const usage = await env.DB.prepare("SELECT SUM(images) AS images FROM usage WHERE token_id = ?")
      .bind(id)
      .first<{ images: number }>();
    expect(usage?.images).toBe(1);
    expect(await holdsOf(id)).toBe(0);
    // the image counts: 2 of 3 left
    expect((await generate(token, 3)).status).toBe(429);
    expect((await generate(token, 2)).status).toBe(200);
  });
});

describe("rate limit", () => {
  it("exactly rpm requests pass in a burst; the rest get 429 rate_limited", async () => {
    provider = useOfflineProvider();
    const { token } = await memberToken({ rpm: 3 });
    const answers = await burst(7, () => generate(token));
    // a minute boundary inside the burst would open a new window; allow for it
    const limited = answers.filter((a) => a.code === "rate_limited").length;
    if (limited !== 4) return expect(limited).toBeLessThan(4);
    expect(answers.filter((a) => a.status === 200)).toHaveLength(3);
  });

  it("a request refused for quota does not use up the rpm limit", async () => {
    provider = useOfflineProvider();
    const { token, id } = await memberToken({ team: "both", dailyImageQuota: 1, rpm: 2 });
    for (let i = 0; i < 3; i++) expect((await generate(token, 2)).status).toBe(429);
    const row = await env.DB.prepare("SELECT COALESCE(SUM(count), 0) AS n FROM rate_windows WHERE token_id = ?")
      .bind(id)
      .first<{ n: number }>();
    expect(row?.n).toBe(0);
    expect((await generate(token, 1)).status).toBe(200);
  });

  it("a job refused for a bad Idempotency-Key or callback_url takes neither rpm nor quota", async () => {
    provider = useOfflineProvider();
    const { token, id } = await memberToken({ team: "bad-jobs", dailyImageQuota: 1, rpm: 1 });
    const refused = [
      await call("/v1/jobs", {
        token,
        method: "POST",
        headers: { "content-type": "application/json", "idempotency-key": "k".repeat(256) },
        body: JSON.stringify({ prompt: "x" }),
      }),
      await post("/v1/jobs", token, { prompt: "x", callback_url: "http://10.0.0.1/hook" }),
    ];
    for (const res of refused) expect(res.status).toBe(400);
    const windows = await env.DB.prepare("SELECT COALESCE(SUM(count), 0) AS n FROM rate_windows WHERE token_id = ?")
      .bind(id)
      .first<{ n: number }>();
    expect(windows?.n).toBe(0);
    expect(await holdsReleased(id)).toBe(0);
    expect((await post("/v1/jobs", token, { prompt: "x" })).status).toBe(202);
  });

  it("a request refused for rpm takes no images from the quota", async () => {
    provider = useOfflineProvider();
    const { token, id } = await memberToken({ team: "rpm-hold", dailyImageQuota: 5, rpm: 1 });
    const first = await generate(token);
    expect(first.status).toBe(200);
    await first.arrayBuffer();
    const second = await generate(token, 4);
    // a minute boundary between the calls would open a new window
    if (second.status === 200) return;
    expect(await second.json()).toMatchObject({ error: { code: "rate_limited" } });
    expect(await holdsReleased(id)).toBe(0);
    const used = await env.DB.prepare("SELECT COALESCE(SUM(images), 0) AS n FROM usage WHERE token_id = ?")
      .bind(id)
      .first<{ n: number }>();
    expect(used?.n).toBe(1);
  });
});

describe("usageInsert", () => {
  it("batches the usage row with the job's completion in one transaction, and the quota counts it", async () => {
    provider = useOfflineProvider();
    const { token, id } = await memberToken({ team: "batched", dailyImageQuota: 3 });
    await env.DB.prepare(
      `INSERT INTO jobs (id, team, member, token_id, kind, status, model, request_json, created_at)
       VALUES ('job_usage_batched', 'batched', 'alice', ?, 'generate', 'running', 'gpt-image-2', '{"prompt":"x","n":2}', ?)`,
    )
      .bind(id, now())
      .run();
    const usage = { inputTokens: 50, outputTokens: 4160, totalTokens: 4210 };
    const rec = { team: "batched", member: "alice", tokenId: id, model: "gpt-image-2", images: 2, usage };
    const { statement, cost } = usageInsert(env, rec);
    expect(cost).toBe(costUsd("gpt-image-2", usage, env, 2));
    await env.DB.batch([
      statement,
      env.DB.prepare("UPDATE jobs SET status = 'succeeded', cost = ? WHERE id = 'job_usage_batched'").bind(cost),
    ]);
    const job = await env.DB.prepare("SELECT status, cost FROM jobs WHERE id = 'job_usage_batched'").first();
    expect(job).toEqual({ status: "succeeded", cost });
    const over = await generate(token, 2);
    expect(await over.json()).toMatchObject({ error: { message: expect.stringContaining("1 left today") } });
  });
});
