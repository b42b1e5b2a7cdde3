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
    const created = await jobs.create(jobRequest(), "key-1", signal);
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
    const a = await jobs.create(jobRequest(), "key-2", signal);
    const b = await jobs.create(jobRequest(), "key-2", signal);
    expect(worker.keys).toEqual(["key-2", "key-2", "key-2"]);
    expect(b.id).toBe(a.id);
  });

  it.each(["404", "drop"] as const)("falls back to polling when the event stream is %s", async (mode) => {
    worker.events = mode;
    const jobs = createJobsClient({ endpoint: worker.url, token: TOKEN, pollMs: [20, 50] });
    const created = await jobs.create(jobRequest(), `key-${mode}`, signal);
    const reasons: string[] = [];
    const done = await jobs.wait(created.id, { signal, timeoutMs: 10_000, onFallback: (r) => reasons.push(r) });
    expect(done.status).toBe("succeeded");
    expect(reasons).toHaveLength(1);
  });

  it("a job that never finishes is outcome_unknown after the wait limit", async () => {
    worker.stuck = true;
    worker.events = "404";
    const jobs = createJobsClient({ endpoint: worker.url, token: TOKEN, pollMs: [20, 40] });
    const created = await jobs.create(jobRequest(), "key-stuck", signal);
    await expect(jobs.wait(created.id, { signal, timeoutMs: 300 })).rejects.toMatchObject({
      code: "outcome_unknown",
      possiblyBilled: true,
    });
  });

  it("a wrong token is an auth error; an unknown job is not_found", async () => {
    const bad = createJobsClient({ endpoint: worker.url, token: "nope-token" });
    await expect(bad.create(jobRequest(), "k", signal)).rejects.toMatchObject({
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
