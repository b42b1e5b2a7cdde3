import { createHmac } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DEV_SECRETS, type Stack, startStack } from "../../scripts/lib/stack.ts";
import { pngSize, until } from "./support.ts";

interface Job {
  id: string;
  status: string;
  images: { url: string; width: number; height: number }[];
  error: { code: string; message: string; possibly_billed: boolean } | null;
}

let stack: Stack;
let token: string;
let hooks: Server;
let hookUrl: string;
const received: { headers: Record<string, string | string[] | undefined>; body: string }[] = [];

beforeAll(async () => {
  stack = await startStack();
  token = await stack.createToken("e2e", "jobs");
  hooks = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => {
      body += c.toString();
    });
    req.on("end", () => {
      received.push({ headers: req.headers, body });
      res.end("ok");
    });
  });
  await new Promise<void>((r) => hooks.listen(0, "127.0.0.1", r));
  hookUrl = `http://127.0.0.1:${(hooks.address() as AddressInfo).port}/hook`;
});
afterAll(async () => {
  await new Promise((r) => hooks?.close(r));
  await stack?.stop();
});
beforeEach(() => stack.provider.setFaults([]));

async function api(path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${stack.origin}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...init.headers },
  });
}

async function runJob(body: Record<string, unknown>): Promise<Job> {
  const res = await api("/v1/jobs", { method: "POST", body: JSON.stringify(body) });
  expect(res.status).toBe(202);
  const { id } = (await res.json()) as { id: string };
  return until(async () => {
    const job = (await (await api(`/v1/jobs/${id}`)).json()) as Job;
    return job.status === "succeeded" || job.status === "failed" ? job : undefined;
  });
}

describe("jobs through wrangler dev", () => {
  it("runs a job to success and serves its image from a signed URL", async () => {
    const before = stack.provider.count("/images/generations");
    const job = await runJob({ prompt: "a lighthouse", size: "1536x1024" });
    expect(job.status).toBe("succeeded");
    expect(job.images[0]).toMatchObject({ width: 1536, height: 1024 });
    const file = await fetch(job.images[0]?.url ?? "");
    expect(pngSize(new Uint8Array(await file.arrayBuffer()))).toEqual({ width: 1536, height: 1024 });
    expect(stack.provider.count("/images/generations") - before).toBe(1);
  });

  it("streams status and done events over SSE", async () => {
    const res = await api("/v1/jobs", { method: "POST", body: JSON.stringify({ prompt: "watch me" }) });
    const { id } = (await res.json()) as { id: string };
    const text = await (await api(`/v1/jobs/${id}/events`)).text();
    const events = [...text.matchAll(/^event: (\w+)$/gm)].map((m) => m[1]);
    expect(events.at(-1)).toBe("done");
    expect(events.filter((e) => e === "status").length).toBeGreaterThanOrEqual(1);
    expect(text).toContain('"status":"succeeded"');
  });

  it("fails the job with the provider's own message", async () => {
    const message = "Billing hard limit has been reached.";
    stack.provider.setFaults([{ kind: "status", status: 400, message }]);
    const before = stack.provider.count("/images/generations");
    const job = await runJob({ prompt: "refused" });
    expect(job.status).toBe("failed");
    expect(job.error?.message).toContain(message);
    expect(job.error?.possibly_billed).toBe(false);
    expect(stack.provider.count("/images/generations") - before).toBe(1);
  });

  it("succeeds after an allowed retry of a 503", async () => {
    stack.provider.setFaults([{ kind: "status", status: 503, retryAfterMs: 10, times: 2 }]);
    const before = stack.provider.count("/images/generations");
    const job = await runJob({ prompt: "flaky upstream" });
    expect(job.status).toBe("succeeded");
    expect(stack.provider.count("/images/generations") - before).toBe(3);
  });

  it.each([
    ["a body cut after 200", { kind: "cut" as const, bytes: 200 }, "bad_response"],
    ["a reset after the request was sent", { kind: "reset" as const }, "outcome_unknown"],
  ])("never replays %s (possibly billed)", async (_name, fault, code) => {
    stack.provider.setFaults([fault]);
    const before = stack.provider.count("/images/generations");
    const job = await runJob({ prompt: "billed once" });
    expect(job.status).toBe("failed");
    expect(job.error).toMatchObject({ code, possibly_billed: true });
    expect(stack.provider.count("/images/generations") - before).toBe(1);
  });

  it("POSTs a signed callback to callback_url", async () => {
    received.length = 0;
    const job = await runJob({ prompt: "call me back", callback_url: hookUrl });
    const hook = await until(async () => received[0]);
    const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(hook.headers["x-gptimg-signature"])) ?? [];
    const { kid, secret } = (await (await api("/v1/callback-secret")).json()) as { kid: string; secret: string };
    expect(hook.headers["x-gptimg-key-id"]).toBe(kid);
    expect(v1).toBe(createHmac("sha256", secret).update(`${t}.${hook.body}`).digest("hex"));
    // the URL-signing key itself does not verify a callback
    const key = (JSON.parse(DEV_SECRETS.SIGNING_KEYS) as Record<string, string>)[kid] ?? "";
    expect(v1).not.toBe(createHmac("sha256", key).update(`${t}.${hook.body}`).digest("hex"));
    expect(JSON.parse(hook.body)).toMatchObject({
      type: "image.job.succeeded",
      data: { id: job.id, status: "succeeded" },
    });
  });

  it("returns the same job for a repeated Idempotency-Key and 409 for a different body", async () => {
    const key = `e2e-${Date.now()}`;
    const post = (prompt: string) =>
      api("/v1/jobs", { method: "POST", headers: { "idempotency-key": key }, body: JSON.stringify({ prompt }) });
    const [a, b] = await Promise.all([post("once"), post("once")]);
    const ids = await Promise.all([a, b].map(async (r) => ((await r.json()) as { id: string }).id));
    expect(ids[0]).toBe(ids[1]);
    expect((await post("twice")).status).toBe(409);
  });
});
