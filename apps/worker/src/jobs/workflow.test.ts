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
import { thumbnailKey } from "../lib/thumbnails.ts";
import { signCallback } from "./callback.ts";
import { runGeneration } from "./generate.ts";
import { getJob } from "./repo.ts";

beforeAll(migrate);

let restore: (() => void) | undefined;
afterEach(() => {
  restore?.();
  restore = undefined;
});

const CALLBACK = "https://hooks.test/gptimg";

/** Starts one job and waits until its Workflow instance reaches `status`. */
/**
 * A copy of what the Workflow engine answered (a step's result, the instance's output), the RPC
 * result itself disposed: workerd reports a result left to the garbage collector.
 */
function copied(result: unknown): unknown {
  const copy = structuredClone(result);
  (result as Partial<Disposable> | undefined)?.[Symbol.dispose]?.();
  return copy;
}

async function startAndWait(body: Record<string, unknown>, until: "complete" | "errored" = "complete") {
  const { token } = await memberToken();
  await using wf = await introspectJobs();
  await wf.modifyAll(async (m) => {
    await m.disableRetryDelays();
    await m.disableSleeps();
  });
  const res = await postJob(token, body);
  expect(res.status).toBe(202);
  const { id } = (await res.json()) as { id: string };
  const [instance] = wf.get();
  if (!instance) throw new Error("no workflow instance was created");
  await instance.waitForStatus(until);
  const generate = copied(await instance.waitForStepResult({ name: "generate" })) as {
    status: string;
    images: { key: string }[];
  };
  const output = until === "complete" ? copied(await instance.getOutput()) : undefined;
  const row = await getJob(env.DB, id);
  if (!row) throw new Error("job row missing");
  return { id, generate, output, row };
}

describe("ImageJobWorkflow", () => {
  it("generates, stores every image in R2 and returns keys only", async () => {
    const up = fakeUpstream(() => imagesResponse(3));
    restore = up.restore;
    const { generate, row } = await startAndWait({ prompt: "three", n: 3 });
    expect(generate.status).toBe("succeeded");
    expect(generate.images.map((i) => i.key.split("/").at(-1))).toEqual(["0.png", "1.png", "2.png"]);
    expect(JSON.stringify(generate).length).toBeLessThan(4096);
    for (const img of generate.images) expect(await env.IMAGES.head(img.key)).not.toBeNull();
    // the console's thumbnails: a step of their own once the job is settled and delivered
    for (const img of generate.images) expect(await env.IMAGES.head(thumbnailKey(img.key))).not.toBeNull();
    expect(row.status).toBe("succeeded");
    const usage = await env.DB.prepare("SELECT images, cost_usd FROM usage WHERE job_id = ?")
      .bind(row.id)
      .first<{ images: number; cost_usd: number }>();
    expect(usage?.images).toBe(3);
  });

  it("retries a failing callback without running the generation again", async () => {
    let callbackAttempts = 0;
    const up = fakeUpstream(
      () => imagesResponse(1),
      () => new Response("down", { status: ++callbackAttempts < 3 ? 503 : 200 }),
    );
    restore = up.restore;
    const { row, output } = await startAndWait({ prompt: "deliver me", callback_url: CALLBACK });
    expect(up.providerCalls).toHaveLength(1);
    expect(callbackAttempts).toBe(3);
    expect(row.status).toBe("succeeded");
    expect(JSON.parse(row.delivery_state ?? "{}").callback).toMatchObject({ ok: true, status: 200 });
    expect(output).toMatchObject({ status: "succeeded", callback: { ok: true, status: 200 } });
  });

  it("records a callback that never succeeds, keeping the images", async () => {
    const up = fakeUpstream(
      () => imagesResponse(1),
      () => new Response("gone", { status: 410 }),
    );
    restore = up.restore;
    const { row, output } = await startAndWait({ prompt: "nobody home", callback_url: CALLBACK });
    expect(up.providerCalls).toHaveLength(1);
    expect(up.otherCalls).toHaveLength(1); // 410 is final: not retried
    expect(row.status).toBe("succeeded");
    expect(JSON.parse(row.delivery_state ?? "{}").callback).toMatchObject({ ok: false });
    expect(output).toMatchObject({ callback: { ok: false } });
  });

  it("records a delivery that keeps failing without any secret its error quoted", async () => {
    const secret = (JSON.parse(env.SIGNING_KEYS as string) as Record<string, string>).k2 as string;
    const up = fakeUpstream(
      () => imagesResponse(1),
      () => {
        // a network error whose message quotes a secret, as a URL with a token in it would
        throw new TypeError(`connection to hooks.test reset (key ${secret}, Bearer ${env.ADMIN_TOKEN})`);
      },
    );
    restore = up.restore;
    const { row, output } = await startAndWait({ prompt: "leaky", callback_url: CALLBACK });
    expect(up.otherCalls.length).toBeGreaterThan(1);
    const recorded = JSON.parse(row.delivery_state ?? "{}").callback as { ok: boolean; error: string };
    expect(recorded).toMatchObject({ ok: false });
    expect(recorded.error).toContain("connection to hooks.test reset");
    for (const text of [row.delivery_state ?? "", JSON.stringify(output)]) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain(env.ADMIN_TOKEN as string);
    }
  });

  it("signs the callback over t.body with the team's secret from GET /v1/callback-secret", async () => {
    const up = fakeUpstream(() => imagesResponse(1));
    restore = up.restore;
    const { id } = await startAndWait({ prompt: "signed", callback_url: CALLBACK });
    const hook = up.otherCalls.find((c) => c.request.url === CALLBACK);
    if (!hook) throw new Error("callback not sent");
    const header = hook.request.headers.get("x-gptimg-signature") ?? "";
    const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
    expect(m).not.toBeNull();
    const { token } = await memberToken();
    const { kid, secret } = (await (await call("/v1/callback-secret", token)).json()) as {
      kid: string;
      secret: string;
    };
    expect(hook.request.headers.get("x-gptimg-key-id")).toBe(kid);
    expect(header).toBe(await signCallback(secret, hook.body, Number(m?.[1])));
    expect(await signCallback(secret, `${hook.body} `, Number(m?.[1]))).not.toBe(header);
    const key = (JSON.parse(env.SIGNING_KEYS as string) as Record<string, string>)[kid] as string;
    expect(await signCallback(key, hook.body, Number(m?.[1]))).not.toBe(header);
    const payload = JSON.parse(hook.body) as { type: string; data: { id: string; images: { url: string }[] } };
    expect(payload.type).toBe("image.job.succeeded");
    expect(payload.data.id).toBe(id);
    expect(payload.data.images[0]?.url).toContain("/files/");
    expect(hook.body).not.toContain(key);
  });

  it("fails the job with the provider's own message and status", async () => {
    const message = "Your request was rejected as a result of our safety system.";
    const up = fakeUpstream(() =>
      Response.json(
        { error: { message, type: "image_generation_user_error", code: "moderation_blocked" } },
        { status: 400, headers: { "x-request-id": "req_refused" } },
      ),
    );
    restore = up.restore;
    const { row, generate } = await startAndWait({ prompt: "refused" });
    expect(generate.status).toBe("failed");
    expect(row.status).toBe("failed");
    expect(JSON.parse(row.error ?? "{}")).toMatchObject({
      code: "content_policy",
      message,
      status: 400,
      request_id: "req_refused",
      possibly_billed: false,
    });
    expect(up.providerCalls).toHaveLength(1);
  });

  it("does not replay a possibly billed failure (2xx body cut short)", async () => {
    const up = fakeUpstream(
      () =>
        new Response('{"created":1,"data":[{"b64_json":"iVBORw0KGgo', {
          status: 200,
          headers: { "content-type": "application/json" },
        }),
    );
    restore = up.restore;
    const { row } = await startAndWait({ prompt: "cut" });
    expect(row.status).toBe("failed");
    expect(JSON.parse(row.error ?? "{}")).toMatchObject({ code: "bad_response", possibly_billed: true });
    expect(up.providerCalls).toHaveLength(1);
    expect(row.attempts).toBe(1);
  });

  it("counts the images asked for as possibly billed usage when it fails after storing some, with the failed row that lists them", async () => {
    // two images asked for; the body breaks inside the second, after the first was stored
    const whole = await imagesResponse(2).text();
    const second = whole.indexOf('"b64_json"', whole.indexOf('"b64_json"') + 1);
    const up = fakeUpstream(
      () => new Response(whole.slice(0, second + 40), { status: 200, headers: { "content-type": "application/json" } }),
    );
    restore = up.restore;
    const { id, row } = await startAndWait({ prompt: "half", n: 2 });
    expect(row.status).toBe("failed");
    expect(JSON.parse(row.error ?? "{}")).toMatchObject({ code: "bad_response", possibly_billed: true });
    expect(JSON.parse(row.image_keys ?? "[]")).toHaveLength(1);
    const usage = await env.DB.prepare("SELECT images, possibly_billed FROM usage WHERE job_id = ?")
      .bind(id)
      .all<{ images: number }>();
    // the provider answered for both: both may be billed, whatever was stored of them
    expect(usage.results).toEqual([{ images: 2, possibly_billed: 1 }]);
  });

  it("keeps a provider image cut to 100 bytes in R2 and fails the job as possibly billed with its usage", async () => {
    const body = (await imagesResponse(1).json()) as { data: { b64_json: string }[] };
    const cut = atob(body.data[0]?.b64_json ?? "").slice(0, 100);
    body.data[0] = { b64_json: btoa(cut) };
    const up = fakeUpstream(() => Response.json(body));
    restore = up.restore;
    const { id, row } = await startAndWait({ prompt: "cut image" });
    expect(row.status).toBe("failed");
    expect(JSON.parse(row.error ?? "{}")).toMatchObject({
      code: "bad_response",
      possibly_billed: true,
      message: expect.stringContaining("PNG ends after 100 bytes"),
    });
    const [stored] = JSON.parse(row.image_keys ?? "[]") as { key: string }[];
    expect((await (await env.IMAGES.get(stored?.key ?? ""))?.arrayBuffer())?.byteLength).toBe(100);
    const usage = await env.DB.prepare("SELECT images, possibly_billed, output_tokens FROM usage WHERE job_id = ?")
      .bind(id)
      .all();
    expect(usage.results).toEqual([{ images: 1, possibly_billed: 1, output_tokens: 4160 }]);
    expect(up.providerCalls).toHaveLength(1);
  });

  it("retries a known-unbilled outage in a later step attempt and succeeds", async () => {
    // core makes 3 HTTP attempts (2 retries) per step attempt: fail all 3, then answer
    let calls = 0;
    const up = fakeUpstream(() =>
      ++calls <= 3
        ? Response.json({ error: { message: "overloaded" } }, { status: 503, headers: { "retry-after-ms": "1" } })
        : imagesResponse(1),
    );
    restore = up.restore;
    const { row } = await startAndWait({ prompt: "outage" });
    expect(row.status).toBe("succeeded");
    expect(row.attempts).toBe(2);
    expect(up.providerCalls).toHaveLength(4);
  });

  it("fails at once when the provider is out of quota: no later step attempt", async () => {
    const message = "You exceeded your current quota, please check your plan and billing details.";
    const up = fakeUpstream(() =>
      Response.json({ error: { message, type: "insufficient_quota", code: "insufficient_quota" } }, { status: 429 }),
    );
    restore = up.restore;
    const { row } = await startAndWait({ prompt: "no credit" });
    expect(row.status).toBe("failed");
    expect(JSON.parse(row.error ?? "{}")).toMatchObject({
      code: "insufficient_quota",
      message,
      possibly_billed: false,
    });
    expect(row.attempts).toBe(1);
    expect(up.providerCalls).toHaveLength(1);
  });

  it("fails an attempt found interrupted instead of replaying it", async () => {
    const { id: tokenId } = await memberToken();
    const id = `job_interrupted_${crypto.randomUUID().slice(0, 8)}`;
    await env.DB.prepare(
      "INSERT INTO jobs (id, team, member, token_id, kind, status, model, request_json, created_at, attempts) VALUES (?, 'acme', 'alice', ?, 'generate', 'running', 'gpt-image-2', ?, ?, 1)",
    )
      .bind(id, tokenId, JSON.stringify({ prompt: "x" }), Math.floor(Date.now() / 1000))
      .run();
    const up = fakeUpstream(() => imagesResponse(1));
    restore = up.restore;
    const outcome = await runGeneration(env, id);
    expect(outcome.status).toBe("failed");
    expect(outcome.error).toMatchObject({ code: "outcome_unknown", possibly_billed: true });
    expect(up.providerCalls).toHaveLength(0);
  });
});
