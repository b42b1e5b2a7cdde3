import { env } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { parseSse, memberToken as restrictedToken } from "../../../test/gateway-support.ts";
import {
  call,
  fakeUpstream,
  imagesResponse,
  introspectJobs,
  memberToken,
  migrate,
  postJob,
  testPng,
} from "../../../test/jobs-support.ts";
import { app } from "../../app.ts";
import { insertJob } from "../../jobs/repo.ts";

beforeAll(migrate);

let restore: (() => void) | undefined;
afterEach(() => {
  restore?.();
  restore = undefined;
});

/** Starts a job through the API and waits for its Workflow to finish. */
async function runJob(token: string, body: unknown, headers: Record<string, string> = {}) {
  await using wf = await introspectJobs();
  const res = await postJob(token, body, headers);
  const created = (await res.json()) as { id: string };
  for (const instance of wf.get()) await instance.waitForStatus("complete");
  return { res, id: created.id };
}

describe("POST /v1/jobs", () => {
  it("answers 202 at once with a queued job", async () => {
    const { token } = await memberToken();
    const up = fakeUpstream(() => imagesResponse(1));
    restore = up.restore;
    await using wf = await introspectJobs();
    const res = await postJob(token, { prompt: "a lighthouse", size: "1024x1024" });
    expect(res.status).toBe(202);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ object: "image.job", status: "queued", kind: "generate" });
    expect(String(body.id)).toMatch(/^job_[0-9a-z]{20}$/);
    expect(typeof body.created_at).toBe("number");
    for (const instance of wf.get()) await instance.waitForStatus("complete");
  });

  it.each([
    [{ prompt: "x", n: 11 }, "n"],
    [{ prompt: "x", size: "1920x1080" }, "size"],
    [{ n: 1 }, "prompt"],
    [{ prompt: "x", bogus: 1 }, "bogus"],
    [{ prompt: "x", callback_url: "http://example.com/hook" }, "callback_url"],
    [{ prompt: "x", callback_url: "not a url" }, "callback_url"],
    [{ prompt: "x", callback_url: "https://169.254.169.254/latest/meta-data/" }, "callback_url"],
    [{ prompt: "x", callback_url: "https://10.0.0.5/hook" }, "callback_url"],
    [{ prompt: "x", callback_url: "https://[::1]/hook" }, "callback_url"],
    [{ prompt: "x", callback_url: 5 }, "callback_url"],
    [{ prompt: "x", output_format: "gif" }, "output_format"],
  ])("rejects %j with a 400 naming %s", async (body, field) => {
    const { token } = await memberToken();
    const res = await postJob(token, body);
    expect(res.status).toBe(400);
    const err = (await res.json()) as { error: { code: string; param: string | null; message: string } };
    expect(err.error.code).toBe("validation");
    expect(err.error.message).toContain(field);
  });

  it.each([
    [{ prompt: "x", images: [{ image_url: "https://images.example.com/dog.png" }] }, "images", "images 1 references"],
    [
      { prompt: "x", mask: { image_url: "data:image/png;base64,iVBO" } },
      "mask",
      'mask {"image_url":"data:image/png;base64,iVBO"}',
    ],
  ])("a JSON edit form (%j) is a 400 saying jobs take edit images as multipart files", async (body, field, shown) => {
    const { token } = await memberToken();
    const res = await postJob(token, body);
    expect(res.status).toBe(400);
    const err = (await res.json()) as { error: { code: string; param: string | null; message: string } };
    expect(err.error).toMatchObject({ code: "validation", param: field });
    expect(err.error.message).toBe(
      `${shown}: POST /v1/jobs takes an edit's images as multipart/form-data files (image[] and mask), not ` +
        "the JSON edit form; send the files as multipart, or the references to POST /v1/images/edits",
    );
  });

  it("takes an edit as multipart with the images routes' fields; stream, partial_images and response_format are dropped", async () => {
    const { token } = await memberToken();
    const up = fakeUpstream(() => imagesResponse(1, 512, 512));
    restore = up.restore;
    await using wf = await introspectJobs();
    const form = new FormData();
    form.append("prompt", "a hat");
    form.append("image[]", new Blob([testPng(512, 512)], { type: "image/png" }), "a.png");
    form.append("n", "1");
    form.append("stream", "true");
    form.append("partial_images", "2");
    form.append("response_format", "b64_json");
    const res = await call("/v1/jobs", token, { method: "POST", body: form });
    expect(res.status).toBe(202);
    const { id, kind } = (await res.json()) as { id: string; kind: string };
    expect(kind).toBe("edit");
    for (const instance of wf.get()) await instance.waitForStatus("complete");
    const row = await env.DB.prepare("SELECT request_json, input_keys FROM jobs WHERE id = ?")
      .bind(id)
      .first<{ request_json: string; input_keys: string }>();
    expect(JSON.parse(row?.request_json ?? "{}")).toEqual({ prompt: "a hat", n: 1, model: env.PROVIDER_MODEL });
    expect(JSON.parse(row?.input_keys ?? "[]")).toHaveLength(1);
  });

  it("accepts stream, partial_images and response_format in JSON and stores none of them", async () => {
    const { token } = await memberToken();
    const up = fakeUpstream(() => imagesResponse(1));
    restore = up.restore;
    const { res, id } = await runJob(token, {
      prompt: "quiet",
      stream: true,
      partial_images: 2,
      response_format: "url",
    });
    expect(res.status).toBe(202);
    const row = await env.DB.prepare("SELECT request_json FROM jobs WHERE id = ?")
      .bind(id)
      .first<{ request_json: string }>();
    expect(JSON.parse(row?.request_json ?? "{}")).toEqual({ prompt: "quiet", model: env.PROVIDER_MODEL });
  });

  it.each<[string, [string, string | Blob][], string, string]>([
    ["n that is not a number", [["n", "two"]], "n", "must be an integer"],
    ["an image sent as text", [["image", "not a file"]], "image", "must be a file part"],
    ["an unknown field, shown with its value", [["seed", "42"]], "seed", "seed 42: is not a known parameter"],
    ["callback_url sent as a file", [["callback_url", new Blob(["x"])]], "callback_url", "must be a text field"],
    ["an output_format the model lacks", [["output_format", "gif"]], "output_format", "output_format"],
    [
      "a second image of only 100 bytes of a PNG header",
      [["image[]", new Blob([testPng(64, 64).subarray(0, 100)], { type: "image/png" })]],
      "image[1]",
      "must be a whole image (PNG ends after 100 bytes, inside its IDAT chunk",
    ],
  ])("a multipart job with %s is a 400 naming the wire field", async (_n, fields, field, rule) => {
    const { token } = await memberToken();
    const form = new FormData();
    form.append("prompt", "x");
    form.append("image", new Blob([testPng(64, 64)], { type: "image/png" }), "a.png");
    for (const [name, value] of fields) form.append(name, value);
    const res = await call("/v1/jobs", token, { method: "POST", body: form });
    expect(res.status).toBe(400);
    const err = (await res.json()) as { error: { code: string; param: string | null; message: string } };
    expect(err.error).toMatchObject({ code: "validation", param: field });
    expect(err.error.message).toContain(rule);
  });

  it("refuses a request without a token", async () => {
    const res = await postJob("", { prompt: "x" });
    expect(res.status).toBe(401);
  });
});

describe("GET /v1/jobs/:id", () => {
  it("shows a succeeded job with signed URLs, usage and cost", async () => {
    const { token } = await memberToken("acme", "alice");
    const up = fakeUpstream(() => imagesResponse(2));
    restore = up.restore;
    const { id } = await runJob(token, { prompt: "two cats", n: 2, size: "1024x1024" });
    const res = await call(`/v1/jobs/${id}`, token);
    expect(res.status).toBe(200);
    const job = (await res.json()) as {
      status: string;
      member: string;
      images: { url: string; width: number; format: string }[];
      usage: unknown;
      cost_usd: number;
      request_id: string;
    };
    expect(job.status).toBe("succeeded");
    expect(job.member).toBe("alice");
    expect(job.images).toHaveLength(2);
    expect(job.images[0]?.url).toMatch(
      /^https:\/\/gw\.test\/files\/t\/acme\/\d{4}\/\d{2}\/job_[0-9a-z]+\/0\.png\?exp=\d+&kid=[^&]+&sig=/,
    );
    expect(job.images[0]).toMatchObject({ width: 1024, format: "png" });
    expect(job.usage).toEqual({ input_tokens: 50, output_tokens: 4160, total_tokens: 4210 });
    expect(job.cost_usd).toBeGreaterThan(0);
    expect(job.request_id).toBe("req_fake_1");
    // the signed URL really serves the stored bytes
    const file = await call(new URL(job.images[0]?.url ?? "").pathname + new URL(job.images[0]?.url ?? "").search, "");
    expect(file.status).toBe(200);
    expect(new Uint8Array(await file.arrayBuffer())).toEqual(testPng());
  });

  it("lets a teammate read the job but hides it from another team", async () => {
    const alice = await memberToken("acme", "alice");
    const bob = await memberToken("acme", "bob");
    const eve = await memberToken("rival", "eve");
    const up = fakeUpstream(() => imagesResponse(1));
    restore = up.restore;
    const { id } = await runJob(alice.token, { prompt: "shared" });
    expect((await call(`/v1/jobs/${id}`, bob.token)).status).toBe(200);
    const hidden = await call(`/v1/jobs/${id}`, eve.token);
    expect(hidden.status).toBe(404);
    expect(((await hidden.json()) as { error: { code: string } }).error.code).toBe("not_found");
  });
});

describe("GET /v1/jobs/:id/events", () => {
  it("streams status changes, then done with the job", async () => {
    const { token } = await memberToken();
    const up = fakeUpstream(() => imagesResponse(1));
    restore = up.restore;
    const { id } = await runJob(token, { prompt: "events" });
    const res = await call(`/v1/jobs/${id}/events`, token);
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const events = parseSse(await res.text());
    expect(events.map((e) => e.event)).toEqual(["status", "done"]);
    expect(events[0]?.data).toEqual({ status: "succeeded" });
    expect(events[1]?.data).toMatchObject({ id, status: "succeeded", object: "image.job" });
  });

  it("a job that cannot be read to the end ends the stream with an error event, logging its kind only", async () => {
    const { token } = await memberToken();
    const up = fakeUpstream(() => imagesResponse(1));
    restore = up.restore;
    const { id } = await runJob(token, { prompt: "unsignable" });
    const logged: string[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => void logged.push(args.map(String).join(" "));
    try {
      // no usable signing key: the finished job's image URLs cannot be signed
      const res = await app.request(
        `/v1/jobs/${id}/events`,
        { headers: { authorization: `Bearer ${token}` } },
        { ...env, SIGNING_KEYS: "{}" },
      );
      const events = parseSse(await res.text());
      expect(events.map((e) => e.event)).toEqual(["status", "error"]);
      expect(events[1]?.data).toMatchObject({ code: "internal" });
    } finally {
      console.error = original;
    }
    expect(logged).toEqual(["internal error on GET /v1/jobs/:id/events: NoSigningKeyError"]);
  });
});

describe("GET /v1/jobs/:id/events after the token is revoked", () => {
  it("ends the stream with an auth error at its next poll: the finished job and its URLs are not sent", async () => {
    const team = `revoked${crypto.randomUUID().slice(0, 6)}`;
    const { token, id: tokenId } = await memberToken(team, "mallory");
    const id = `job_revoked_${crypto.randomUUID().slice(0, 8)}`;
    const now = Math.floor(Date.now() / 1000);
    // a job the Workflow is running (attempts > 0), so no read of it settles it as stale
    await insertJob(env.DB, {
      id,
      team,
      member: "mallory",
      tokenId,
      kind: "generate",
      model: "gpt-image-2",
      requestJson: JSON.stringify({ prompt: "watched" }),
      inputKeys: null,
      idempotencyKey: null,
      bodyHash: "",
      callbackUrl: null,
      delivery: null,
      origin: null,
      requestedSize: null,
      createdAt: now,
    });
    await env.DB.prepare("UPDATE jobs SET status = 'running', attempts = 1 WHERE id = ?").bind(id).run();
    const res = await call(`/v1/jobs/${id}/events`, token);
    const reader = (res.body as ReadableStream<Uint8Array>).pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    while (!text.includes("\n\n")) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
    }
    expect(parseSse(text)).toEqual([{ event: "status", data: { status: "running" } }]);
    await env.DB.batch([
      env.DB.prepare("UPDATE tokens SET revoked_at = ? WHERE id = ?").bind(now, tokenId),
      env.DB.prepare(
        `UPDATE jobs SET status = 'succeeded', completed_at = ?, image_keys = '[{"index":0,"key":"t/${team}/2026/05/${id}/0.png","format":"png","width":8,"height":8,"bytes":1}]' WHERE id = ?`,
      ).bind(now, id),
    ]);
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
    }
    const events = parseSse(text);
    expect(events.map((e) => e.event)).toEqual(["status", "error"]);
    expect(events[1]?.data).toEqual({ code: "auth", message: "token revoked" });
    expect(text).not.toContain("/files/");
  });
});

describe("GET /v1/jobs", () => {
  it("pages through the team's jobs with a cursor, or the member's own with scope=member", async () => {
    const team = `pager${crypto.randomUUID().slice(0, 6)}`;
    const alice = await memberToken(team, "alice");
    const bob = await memberToken(team, "bob");
    const up = fakeUpstream(() => imagesResponse(1));
    restore = up.restore;
    const ids = [
      (await runJob(alice.token, { prompt: "1" })).id,
      (await runJob(bob.token, { prompt: "2" })).id,
      (await runJob(alice.token, { prompt: "3" })).id,
    ];
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 5; page++) {
      const res = await call(`/v1/jobs?limit=2${cursor ? `&cursor=${cursor}` : ""}`, alice.token);
      const body = (await res.json()) as { object: string; data: { id: string }[]; next_cursor: string | null };
      expect(body.object).toBe("list");
      seen.push(...body.data.map((j) => j.id));
      cursor = body.next_cursor;
      if (!cursor) break;
    }
    expect(seen.sort()).toEqual([...ids].sort());
    const own = (await (await call("/v1/jobs?scope=member", alice.token)).json()) as { data: { member: string }[] };
    expect(own.data).toHaveLength(2);
    expect(own.data.every((j) => j.member === "alice")).toBe(true);
  });

  it.each([
    ["limit=0", "limit"],
    ["limit=abc", "limit"],
    ["scope=world", "scope"],
    ["cursor=%%%", "cursor"],
  ])("rejects ?%s naming %s", async (query, field) => {
    const { token } = await memberToken();
    const res = await call(`/v1/jobs?${query}`, token);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain(field);
  });
});

describe("Idempotency-Key on POST /v1/jobs", () => {
  it("returns the same job for the same key and body, and 409 for a different body", async () => {
    const { token } = await memberToken();
    const up = fakeUpstream(() => imagesResponse(1));
    restore = up.restore;
    const key = `k-${crypto.randomUUID()}`;
    const first = await runJob(token, { prompt: "same" }, { "idempotency-key": key });
    expect(first.res.status).toBe(202);
    const again = await postJob(token, { prompt: "same" }, { "idempotency-key": key });
    expect(again.status).toBe(200);
    expect(((await again.json()) as { id: string }).id).toBe(first.id);
    const other = await postJob(token, { prompt: "different" }, { "idempotency-key": key });
    expect(other.status).toBe(409);
    expect(((await other.json()) as { error: { code: string } }).error.code).toBe("idempotency_conflict");
    expect(up.providerCalls).toHaveLength(1);
  });

  it("keys per token: a teammate's key neither returns the job nor conflicts; each meets its own token's rules", async () => {
    const team = `team-${crypto.randomUUID().slice(0, 8)}`;
    const alice = await memberToken(team, "alice");
    const bob = await restrictedToken({ team, member: "bob", models: ["gpt-image-1"] });
    const carol = await memberToken(team, "carol");
    const up = fakeUpstream(() => imagesResponse(1));
    restore = up.restore;
    const key = `k-${crypto.randomUUID()}`;
    const body = { prompt: "alice's job", model: "gpt-image-2" };
    const first = await runJob(alice.token, body, { "idempotency-key": key });
    expect(first.res.status).toBe(202);
    const bobs = await postJob(bob.token, body, { "idempotency-key": key });
    expect(bobs.status).toBe(403);
    expect(((await bobs.json()) as { error: { code: string } }).error.code).toBe("permission");
    const carols = await runJob(carol.token, { prompt: "carol's job" }, { "idempotency-key": key });
    expect(carols.res.status).toBe(202);
    expect(carols.id).not.toBe(first.id);
    const view = (await (await call(`/v1/jobs/${first.id}`, carol.token)).json()) as { id: string };
    expect(view.id).toBe(first.id); // jobs are still visible team-wide; only keys are per token
    expect(up.providerCalls).toHaveLength(2);
  });

  it("makes one job from two concurrent POSTs with one key", async () => {
    const { token } = await memberToken();
    const up = fakeUpstream(() => imagesResponse(1));
    restore = up.restore;
    const key = `k-${crypto.randomUUID()}`;
    await using wf = await introspectJobs();
    const responses = await Promise.all(
      [1, 2, 3].map(() => postJob(token, { prompt: "race" }, { "idempotency-key": key })),
    );
    const ids = await Promise.all(responses.map(async (r) => ((await r.json()) as { id: string }).id));
    expect(new Set(ids).size).toBe(1);
    expect(responses.map((r) => r.status).sort()).toEqual([200, 200, 202]);
    const rows = await env.DB.prepare("SELECT COUNT(*) AS n FROM jobs WHERE idempotency_key = ?")
      .bind(key)
      .first<{ n: number }>();
    expect(rows?.n).toBe(1);
    for (const instance of wf.get()) await instance.waitForStatus("complete");
    expect(wf.get()).toHaveLength(1);
  });
});
