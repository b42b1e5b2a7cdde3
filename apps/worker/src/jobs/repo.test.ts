import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  call,
  captureConsole,
  memberToken,
  type ProviderSide,
  useOfflineProvider,
} from "../../test/gateway-support.ts";
import worker from "../index.ts";
import { STALE_RUNNING_SECONDS, sweepStaleJobs } from "./repo.ts";

let provider: ProviderSide | undefined;
afterEach(() => {
  provider?.restore();
  provider = undefined;
  vi.restoreAllMocks();
});

const now = () => Math.floor(Date.now() / 1000);
const generate = (token: string, body: Record<string, unknown>) =>
  call("/v1/images/generations", {
    token,
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ prompt: "a boat", size: "1024x1024", quality: "low", ...body }),
  });

interface UsageSums {
  images: number;
  possibly_billed_images: number;
}
const usageOf = async (token: string): Promise<UsageSums> => {
  const res = await call("/v1/usage", { token });
  const rows = ((await res.json()) as { rows: UsageSums[] }).rows;
  return {
    images: rows.reduce((a, r) => a + r.images, 0),
    possibly_billed_images: rows.reduce((a, r) => a + r.possibly_billed_images, 0),
  };
};
const rowsOf = (tokenId: string) =>
  env.DB.prepare("SELECT id, status, error FROM jobs WHERE token_id = ? ORDER BY rowid")
    .bind(tokenId)
    .all<{ id: string; status: string; error: string | null }>();

/** Reads an answer to its end: a streamed b64_json body may fail after its status line. */
const drainAnswer = async (res: Response) => {
  await res.text().catch(() => "");
};
/** The token's only row once it is settled (bounded: 100 × 20 ms). */
async function settledRow(tokenId: string) {
  for (let i = 0; i < 100; i++) {
    const [row] = (await rowsOf(tokenId)).results;
    if (row && row.status !== "running") return row;
    await new Promise((r) => setTimeout(r, 20));
  }
  return (await rowsOf(tokenId)).results[0];
}

describe("a failure after the request reached the provider is counted", () => {
  it.each(["cut", "reset", "invalid-json", "invalid-base64"])(
    "%s: the images asked for count against the quota and show apart in usage",
    async (fault) => {
      provider = useOfflineProvider(fault);
      const { token, id } = await memberToken({ team: `fault-${fault}`, dailyImageQuota: 5 });
      await drainAnswer(await generate(token, { n: 2 }));
      const row = await settledRow(id);
      expect(row?.status).toBe("failed");
      expect(JSON.parse(row?.error ?? "{}")).toMatchObject({ possibly_billed: true });
      expect(await usageOf(token)).toEqual({ images: 0, possibly_billed_images: 2 });
      // 5 - 2 = 3 left
      provider.restore();
      provider = useOfflineProvider();
      expect((await generate(token, { n: 4 })).status).toBe(429);
      expect((await generate(token, { n: 3 })).status).toBe(200);
    },
  );

  it("a storage failure after the provider answered is possibly billed and counted, never free", async () => {
    provider = useOfflineProvider();
    const { token, id } = await memberToken({ team: "r2-down", dailyImageQuota: 5 });
    vi.spyOn(env.IMAGES, "put").mockRejectedValue(new Error("R2 is down"));
    await drainAnswer(await generate(token, { n: 2 }));
    const row = await settledRow(id);
    expect(row?.status).toBe("failed");
    expect(JSON.parse(row?.error ?? "{}")).toMatchObject({ possibly_billed: true });
    expect(await usageOf(token)).toEqual({ images: 0, possibly_billed_images: 2 });
  });

  it("a failure before the request is sent (the provider refuses it) counts nothing", async () => {
    provider = useOfflineProvider("status=400");
    const { token } = await memberToken({ team: "refused", dailyImageQuota: 5 });
    const res = await generate(token, { n: 2 });
    expect(res.status).toBe(400);
    await res.body?.cancel();
    expect(await usageOf(token)).toEqual({ images: 0, possibly_billed_images: 0 });
  });
});

describe("strings bound for storage metadata", () => {
  it("a model name of 3000 characters is a 400 naming the field and the rule; nothing is sent, stored or counted", async () => {
    provider = useOfflineProvider();
    const { token, id } = await memberToken({ team: "long-model", dailyImageQuota: 5 });
    const res = await generate(token, { model: "m".repeat(3000) });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { param: string; message: string } };
    expect(body.error.param).toBe("model");
    expect(body.error.message).toContain("at most 128 characters");
    expect(body.error.message.length).toBeLessThan(400);
    expect(provider.calls).toHaveLength(0);
    expect((await rowsOf(id)).results).toHaveLength(0);
    expect((await env.IMAGES.list({ prefix: "t/long-model/" })).objects).toHaveLength(0);
  });
});

describe("synchronous rows whose Worker died mid-request", () => {
  /** A `running` synchronous row created `age` seconds ago, as a request leaves it when its Worker dies. */
  async function deadRow(team: string, tokenId: string, age: number, n = 2): Promise<string> {
    const jobId = `job_dead${crypto.randomUUID().slice(0, 8)}`;
    await env.DB.prepare(
      `INSERT INTO jobs (id, team, member, token_id, kind, status, model, request_json, created_at)
       VALUES (?, ?, 'alice', ?, 'generate', 'running', 'gpt-image-2', ?, ?)`,
    )
      .bind(jobId, team, tokenId, JSON.stringify({ prompt: "x", n }), now() - age)
      .run();
    return jobId;
  }

  it("count against the quota once their hold has lapsed, and the scheduled sweep settles them possibly billed", async () => {
    const { token, id } = await memberToken({ team: "dead-cron", dailyImageQuota: 5 });
    const fresh = await deadRow("dead-cron", id, 30);
    const stale = await deadRow("dead-cron", id, STALE_RUNNING_SECONDS + 60);
    provider = useOfflineProvider();
    // the stale row's 2 images count (its hold lapsed); the fresh one's hold is not in this test
    expect((await generate(token, { n: 4 })).status).toBe(429);
    const log = captureConsole();
    try {
      await worker.scheduled(createScheduledController(), env);
    } finally {
      log.restore();
    }
    expect(log.lines).toEqual(["jobs: 1 stale running request(s) settled as failed, possibly billed"]);
    const rows = new Map((await rowsOf(id)).results.map((r) => [r.id, r]));
    expect(rows.get(fresh)?.status).toBe("running");
    expect(rows.get(stale)?.status).toBe("failed");
    expect(JSON.parse(rows.get(stale)?.error ?? "{}")).toMatchObject({
      code: "outcome_unknown",
      possibly_billed: true,
    });
    expect(await usageOf(token)).toEqual({ images: 0, possibly_billed_images: 2 });
    // a second sweep books nothing more
    expect(await sweepStaleJobs(env)).toBe(0);
    expect((await generate(token, { n: 3 })).status).toBe(200);
  });

  it("are settled when read, and a request that finishes after all replaces the booking", async () => {
    const { token, id } = await memberToken({ team: "dead-read" });
    const stale = await deadRow("dead-read", id, STALE_RUNNING_SECONDS + 1);
    const res = await call(`/v1/jobs/${stale}`, { token });
    expect(await res.json()).toMatchObject({ status: "failed", error: { possibly_billed: true } });
    const list = await call("/v1/jobs", { token });
    expect(((await list.json()) as { data: { status: string }[] }).data.map((j) => j.status)).toEqual(["failed"]);
    expect(await usageOf(token)).toEqual({ images: 0, possibly_billed_images: 2 });
  });
});
