import { env } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  call,
  fakeUpstream,
  imagesResponse,
  introspectJobs,
  memberToken,
  migrate,
  postJob,
} from "../../test/jobs-support.ts";
import { chatFake, deliver, telegramRequest } from "../../test/webhooks-support.ts";
import { getJob } from "./repo.ts";

/**
 * `requested_size` has one meaning on every path that writes a job row: the size asked for,
 * resolved for the job's model (WxH or auto), null when none was asked, failed rows included.
 */
beforeAll(migrate);

let restore: (() => void) | undefined;
afterEach(() => {
  restore?.();
  restore = undefined;
});

const refusal = () =>
  Response.json({ error: { message: "Invalid prompt", type: "invalid_request_error" } }, { status: 400 });

/** A provider that answers with `answer`, recording the size each request sent. */
function provider(answer: () => Response) {
  const sent: unknown[] = [];
  const up = fakeUpstream(async (req) => {
    sent.push(((await req.json()) as { size?: unknown }).size);
    return answer();
  });
  restore = up.restore;
  return sent;
}

let seq = 0;
/** A token of its own member, so the rows a test reads are its own. */
async function member() {
  const name = `size-${++seq}`;
  return { name, ...(await memberToken("sizes", name)) };
}

const readRows = async (name: string) =>
  (
    await env.DB.prepare(
      "SELECT status, model, requested_size, size_mismatch FROM jobs WHERE member = ? ORDER BY created_at",
    )
      .bind(name)
      .all<{ status: string; model: string; requested_size: string | null; size_mismatch: number }>()
  ).results;

/** The member's rows once every one is settled (bounded: 100 × 20 ms). */
async function rowsOf(name: string) {
  for (let i = 0; i < 100; i++) {
    const rows = await readRows(name);
    if (rows.every((r) => r.status !== "running" && r.status !== "queued")) return rows;
    await new Promise((r) => setTimeout(r, 20));
  }
  return readRows(name);
}

/** A synchronous generation, its answer read to the end; returns the status. */
const generate = async (token: string, body: Record<string, unknown>) =>
  call("/v1/images/generations", token, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  }).then(async (res) => {
    await res.text();
    return res;
  });

async function runJob(token: string, body: Record<string, unknown>): Promise<string> {
  await using wf = await introspectJobs();
  const res = await postJob(token, body);
  expect(res.status).toBe(202);
  const { id } = (await res.json()) as { id: string };
  for (const instance of wf.get()) await instance.waitForStatus("complete");
  return id;
}

describe("requested_size", () => {
  it.each([
    ["16:9", "1536x864"],
    ["landscape", "1536x1024"],
    ["1024X1024", "1024x1024"],
    ["auto", "auto"],
  ])("a synchronous request for %s records %s, the size it sent", async (size, resolved) => {
    const sent = provider(() => imagesResponse(1, 1536, 864));
    const m = await member();
    expect((await generate(m.token, { prompt: "a fox", size })).status).toBe(200);
    expect(sent).toEqual([resolved]);
    const [row] = await rowsOf(m.name);
    expect(row).toMatchObject({ status: "succeeded", requested_size: resolved });
    expect(row?.size_mismatch).toBe(resolved === "1536x864" || resolved === "auto" ? 0 : 1);
  });

  it("a synchronous request that fails at the provider keeps the resolved size, as a succeeded one", async () => {
    provider(refusal);
    const m = await member();
    expect((await generate(m.token, { prompt: "a fox", size: "16:9" })).status).toBe(400);
    expect(await rowsOf(m.name)).toEqual([
      { status: "failed", model: "gpt-image-2", requested_size: "1536x864", size_mismatch: 0 },
    ]);
  });

  it("a request without a size records null", async () => {
    provider(() => imagesResponse(1));
    const m = await member();
    expect((await generate(m.token, { prompt: "a fox" })).status).toBe(200);
    await runJob(m.token, { prompt: "a fox" });
    expect((await rowsOf(m.name)).map((r) => r.requested_size)).toEqual([null, null]);
  });

  it("a job records the resolved size from the start: queued, succeeded and failed alike", async () => {
    const sent = provider(() => imagesResponse(1, 1536, 864));
    const m = await member();
    const id = await runJob(m.token, { prompt: "a fox", size: "16:9" });
    expect(sent).toEqual(["1536x864"]);
    expect(await getJob(env.DB, id)).toMatchObject({
      status: "succeeded",
      requested_size: "1536x864",
      size_mismatch: 0,
    });
    restore?.();
    provider(refusal);
    const failed = await runJob(m.token, { prompt: "a fox", size: "16:9" });
    expect(await getJob(env.DB, failed)).toMatchObject({ status: "failed", requested_size: "1536x864" });
    const res = await call(`/v1/jobs/${failed}`, m.token);
    expect(((await res.json()) as { requested_size: unknown }).requested_size).toBe("1536x864");
  });

  it("a job's size is resolved for the model it names", async () => {
    const sent = provider(() => imagesResponse(1, 1536, 1024));
    const m = await member();
    const id = await runJob(m.token, { prompt: "a fox", size: "16:9", model: "gpt-image-1" });
    expect(sent).toEqual(["1536x1024"]);
    expect(await getJob(env.DB, id)).toMatchObject({ model: "gpt-image-1", requested_size: "1536x1024" });
  });

  it("a chat job records the same, for a size typed in the message", async () => {
    const sent: unknown[] = [];
    const fake = chatFake({
      provider: async (req) => {
        sent.push(((await req.json()) as { size?: unknown }).size);
        return imagesResponse(1, 1536, 864);
      },
    });
    restore = fake.restore;
    const update = {
      update_id: 77001,
      message: {
        message_id: 77001,
        date: 1700000000,
        chat: { id: 300, type: "group" },
        from: { id: 7701, is_bot: false },
        text: "/image a fox size=16:9",
      },
    };
    const { jobIds } = await deliver(telegramRequest(update));
    expect(jobIds).toHaveLength(1);
    expect(await getJob(env.DB, jobIds[0] as string)).toMatchObject({
      status: "succeeded",
      requested_size: "1536x864",
    });
    expect(sent).toEqual(["1536x864"]);
  });
});
