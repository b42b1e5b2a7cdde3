import { type OfflineProvider, startOfflineProvider } from "@gptimg/offline-provider";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type FakeWorker, startFakeWorker } from "../../test/fake-worker.ts";
import { createJobsClient } from "./jobs-client.ts";

let provider: OfflineProvider;
let worker: FakeWorker;
const TOKEN = "team_canary_token_jobs";

beforeAll(async () => {
  provider = await startOfflineProvider({ apiKey: "prov-key-1" });
  worker = await startFakeWorker({
    token: TOKEN,
    adminToken: "admin-1",
    providerUrl: provider.url,
    providerKey: "prov-key-1",
  });
});
afterAll(async () => {
  await worker.close();
  await provider.close();
});
beforeEach(() => {
  worker.events = "sse";
  worker.failNext = null;
  worker.createFailures = 0;
  worker.stuck = false;
  worker.keys.length = 0;
});

const jobRequest = (): Request =>
  new Request(`${worker.url}/v1/jobs`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "gpt-image-2", prompt: "a cat", n: 2 }),
  });
const signal = new AbortController().signal;

describe("jobs client against a local Worker", () => {
  it("creates with the Idempotency-Key, follows the event stream, downloads images", async () => {
    const jobs = createJobsClient({ endpoint: worker.url, token: TOKEN });
    const created = await jobs.create(jobRequest(), { signal, idempotencyKey: "key-1" });
    expect(created.status).toBe("queued");
    const statuses: string[] = [];
    const done = await jobs.wait(created.id, { signal, timeoutMs: 10_000, onStatus: (s) => statuses.push(s) });
    expect(done.status).toBe("succeeded");
    expect(statuses.at(-1)).toBe("succeeded");
    expect(done.images).toHaveLength(2);
    const bytes = await jobs.download(done.images![0]!.url, signal);
    expect(Buffer.from(bytes.subarray(1, 4)).toString()).toBe("PNG");
    expect(worker.keys).toEqual(["key-1"]);
  });

  it("resends a failed creation with the same key, and the same key returns the same job", async () => {
    worker.createFailures = 1;
    const jobs = createJobsClient({ endpoint: worker.url, token: TOKEN });
    const a = await jobs.create(jobRequest(), { signal, idempotencyKey: "key-2" });
    const b = await jobs.create(jobRequest(), { signal, idempotencyKey: "key-2" });
    expect(worker.keys).toEqual(["key-2", "key-2", "key-2"]);
    expect(b.id).toBe(a.id);
  });

  it.each(["404", "drop"] as const)("falls back to polling when the event stream is %s", async (mode) => {
    worker.events = mode;
    const jobs = createJobsClient({ endpoint: worker.url, token: TOKEN, pollMs: [20, 50] });
    const created = await jobs.create(jobRequest(), { signal, idempotencyKey: `key-${mode}` });
    const reasons: string[] = [];
    const done = await jobs.wait(created.id, { signal, timeoutMs: 10_000, onFallback: (r) => reasons.push(r) });
    expect(done.status).toBe("succeeded");
    expect(reasons).toHaveLength(1);
  });

  it("a job that never finishes is outcome_unknown after the wait limit", async () => {
    worker.stuck = true;
    worker.events = "404";
    const jobs = createJobsClient({ endpoint: worker.url, token: TOKEN, pollMs: [20, 40] });
    const created = await jobs.create(jobRequest(), { signal, idempotencyKey: "key-stuck" });
    await expect(jobs.wait(created.id, { signal, timeoutMs: 300 })).rejects.toMatchObject({
      code: "outcome_unknown",
      possiblyBilled: true,
    });
  });

  it("a wrong token is an auth error; an unknown job is not_found", async () => {
    const bad = createJobsClient({ endpoint: worker.url, token: "nope-token" });
    await expect(bad.create(jobRequest(), { signal, idempotencyKey: "k" })).rejects.toMatchObject({
      code: "auth",
      status: 401,
      exitCode: 3,
    });
    const jobs = createJobsClient({ endpoint: worker.url, token: TOKEN });
    await expect(jobs.get("job_missing", signal)).rejects.toMatchObject({ code: "not_found", status: 404 });
  });

  it("downloads only http(s) URLs", async () => {
    const jobs = createJobsClient({ endpoint: worker.url, token: TOKEN });
    await expect(jobs.download("file:///etc/passwd", signal)).rejects.toMatchObject({ code: "bad_response" });
  });
});

describe("resending a job's creation: core's retry rules", () => {
  const jobBody = JSON.stringify({ id: "job_1", object: "image.job", status: "queued", kind: "generate" });
  const error = (status: number, code: string, headers: Record<string, string> = {}) =>
    new Response(JSON.stringify({ error: { message: code, code } }), {
      status,
      headers: { "content-type": "application/json", ...headers },
    });

  /** A client over a fake `fetch` answering with `answers` in turn, recording keys and waits. */
  function scripted(answers: (() => Response)[]) {
    const keys: (string | null)[] = [];
    const waits: number[] = [];
    const jobs = createJobsClient({
      endpoint: "http://worker.test",
      token: TOKEN,
      fetch: async (input) => {
        keys.push(new Request(input as RequestInfo).headers.get("idempotency-key"));
        const next = answers.shift();
        return next ? next() : new Response(jobBody, { status: 202 });
      },
      sleep: async (ms) => {
        waits.push(ms);
      },
      random: () => 0,
    });
    return { jobs, keys, waits };
  }
  const req = () => new Request("http://worker.test/v1/jobs", { method: "POST", body: "{}" });

  it("waits as the Worker's Retry-After says, then resends with the same key", async () => {
    const { jobs, keys, waits } = scripted([() => error(429, "rate_limited", { "retry-after": "2" })]);
    expect((await jobs.create(req(), { signal, idempotencyKey: "key-ra" })).id).toBe("job_1");
    expect(waits).toEqual([2000]);
    expect(keys).toEqual(["key-ra", "key-ra"]);
  });

  it("backs off 0.5 s, 1 s (core's defaults) and gives up after two resends", async () => {
    const { jobs, keys, waits } = scripted([
      () => error(503, "provider_error"),
      () => error(503, "provider_error"),
      () => error(503, "provider_error"),
    ]);
    await expect(jobs.create(req(), { signal })).rejects.toMatchObject({ code: "provider_error", status: 503 });
    expect(waits).toEqual([500, 1000]);
    // no key given: one is made, and every resend carries it
    expect(new Set(keys).size).toBe(1);
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
  });

  it.each([
    [409, "idempotency_conflict"],
    [429, "quota_exceeded"],
    [429, "insufficient_quota"],
    [400, "validation"],
  ])("does not resend a %i %s: waiting changes nothing", async (status, code) => {
    const { jobs, keys, waits } = scripted([() => error(status, code)]);
    // a quota (the team's or the provider account's) is a refusal: exit 4, as a 400 is
    await expect(jobs.create(req(), { signal })).rejects.toMatchObject({ code, status, exitCode: 4 });
    expect([keys.length, waits]).toEqual([1, []]);
  });

  it("honours the Worker's x-should-retry", async () => {
    const { jobs, keys } = scripted([() => error(503, "provider_error", { "x-should-retry": "false" })]);
    await expect(jobs.create(req(), { signal })).rejects.toMatchObject({ status: 503 });
    expect(keys).toHaveLength(1);
  });
});
