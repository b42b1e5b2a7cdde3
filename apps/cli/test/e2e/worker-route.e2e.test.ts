import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { type OfflineProvider, startOfflineProvider } from "@gptimg/offline-provider";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type FakeWorker, startFakeWorker } from "../fake-worker.ts";
import { envelope, filesContaining, run, tmp } from "../helpers.ts";

const TOKEN = "team_canary_token_route";
const ADMIN = "admin_canary_token_route";
let provider: OfflineProvider;
let worker: FakeWorker;
let env: Record<string, string>;

beforeAll(async () => {
  provider = await startOfflineProvider({ apiKey: "prov-key-2" });
  worker = await startFakeWorker({
    token: TOKEN,
    adminToken: ADMIN,
    providerUrl: provider.url,
    providerKey: "prov-key-2",
  });
});
afterAll(async () => {
  await worker.close();
  await provider.close();
});
beforeEach(() => {
  worker.events = "sse";
  worker.readsDown = false;
  worker.padFiles = 0;
  worker.failNext = null;
  worker.keys.length = 0;
  env = { GPTIMG_ENDPOINT: worker.url, GPTIMG_TOKEN: TOKEN };
});

describe("the Worker route behaves as direct mode", () => {
  it("generate --endpoint: same files and envelope, one random Idempotency-Key per invocation", async () => {
    const dir = tmp();
    const r = await run(["generate", "a lighthouse at dusk", "-n", "2", "--json"], { env, cwd: dir });
    expect(r.code).toBe(0);
    const e = envelope(r);
    expect(e).toMatchObject({
      ok: true,
      command: "generate",
      provider: "primary",
      model: "gpt-image-2",
      cost: 0.0123,
      requestId: "req_fake_1",
      sizeMismatch: false,
    });
    expect(e.images).toHaveLength(2);
    expect(e.images[0].path).toMatch(/gptimg-\d{8}-\d{6}-a-lighthouse-at-dusk-1\.png$/);
    expect(e.images[0].bytes).toBe(readFileSync(e.images[0].path).length);
    await run(["generate", "again", "--json"], { env, cwd: dir });
    expect(worker.keys).toHaveLength(2);
    expect(new Set(worker.keys).size).toBe(2);
    for (const k of worker.keys)
      expect(k).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(filesContaining(dir, TOKEN)).toEqual([]);
    expect(r.stdout + r.stderr).not.toContain(TOKEN);
  });

  it("--skip-model-rules asks the Worker to skip gptimg's model table too (its header), jobs and streams alike", async () => {
    const args = ["generate", "x", "--model", "gpt-image-1", "-s", "2048x2048", "--skip-model-rules", "--dry-run"];
    for (const extra of [[], ["--stream"]]) {
      const r = await run([...args, ...extra], { env, cwd: tmp() });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^gptimg-skip-model-rules: true$/m);
      expect(r.stdout).toContain(extra.length ? "/v1/images/generations" : "/v1/jobs");
    }
    const plain = await run(["generate", "x", "--dry-run"], { env, cwd: tmp() });
    expect(plain.stdout).not.toContain("gptimg-skip-model-rules");
  });

  it("polls when the event stream is missing", async () => {
    worker.events = "404";
    const r = await run(["generate", "a cat"], { env, cwd: tmp() });
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split("\n")).toHaveLength(1);
  });

  it.each([
    [{ code: "content_policy", message: "refused", status: 400, request_id: "req_x", possibly_billed: false }, 4],
    [
      { code: "outcome_unknown", message: "reset after send", status: null, request_id: null, possibly_billed: true },
      6,
    ],
    [{ code: "provider_error", message: "upstream 503", status: 503, request_id: "req_y", possibly_billed: false }, 5],
    [{ code: "auth", message: "provider key rejected", status: 401, request_id: null, possibly_billed: false }, 3],
  ])("a failed job (%o) exits %i with the same envelope", async (error, exit) => {
    worker.failNext = error;
    const r = await run(["generate", "a cat", "--json"], { env, cwd: tmp() });
    expect(r.code).toBe(exit);
    expect(envelope(r)).toEqual({
      ok: false,
      command: "generate",
      error: {
        code: error.code,
        message: error.message,
        status: error.status,
        requestId: error.request_id,
        possiblyBilled: error.possibly_billed,
      },
    });
  });

  it("a failure after the job exists is an unknown outcome (exit 6) that names the job to wait for", async () => {
    worker.readsDown = true;
    const r = await run(["generate", "a cat", "--json", "--timeout", "20s"], { env, cwd: tmp() });
    expect(r.code).toBe(6);
    const id = [...worker.jobs.keys()].at(-1);
    expect(envelope(r).error).toMatchObject({
      code: "outcome_unknown",
      possiblyBilled: true,
      message: expect.stringContaining(`job ${id} may still finish: gptimg jobs wait ${id}`),
    });
  });

  it("an image download larger than the job reported is refused unread (exit 6), nothing saved", async () => {
    worker.padFiles = 1024;
    const dir = tmp();
    const r = await run(["generate", "a cat", "--json"], { env, cwd: dir });
    expect(r.code).toBe(6);
    expect(envelope(r).error).toMatchObject({ possiblyBilled: true, message: expect.stringContaining("larger than") });
    expect((await import("node:fs")).readdirSync(dir)).toEqual([]);
  });

  it("jobs wait -o DIR saves into an existing directory given without a trailing slash", async () => {
    const dir = tmp();
    await run(["generate", "a cat"], { env, cwd: dir });
    const id = [...worker.jobs.keys()].at(-1) as string;
    (await import("node:fs")).mkdirSync(`${dir}/saved`);
    const wait = await run(["jobs", "wait", id, "-o", "saved", "--json"], { env, cwd: dir });
    expect(wait.code).toBe(0);
    const saved = envelope(wait).images[0].path as string;
    expect(saved.startsWith(`${dir}/saved/`) && saved.endsWith(".png")).toBe(true);
  });

  it("edit goes through the Worker as multipart", async () => {
    const dir = tmp();
    const png = await (await import("sharp"))
      .default({ create: { width: 1024, height: 1024, channels: 3, background: "#08f" } })
      .png()
      .toBuffer();
    (await import("node:fs")).writeFileSync(`${dir}/in.png`, png);
    const r = await run(["edit", "make it night", "-i", "in.png", "--json"], { env, cwd: dir });
    expect(r.code).toBe(0);
    expect(envelope(r).command).toBe("edit");
    expect([...worker.jobs.values()].at(-1)?.kind).toBe("edit");
  });

  it("no token exits 3; a wrong token exits 3", async () => {
    expect((await run(["generate", "x"], { env: { GPTIMG_ENDPOINT: worker.url }, cwd: tmp() })).code).toBe(3);
    const r = await run(["generate", "x", "--json"], { env: { ...env, GPTIMG_TOKEN: "wrong-token-1" }, cwd: tmp() });
    expect(r.code).toBe(3);
    expect(envelope(r).error).toMatchObject({ code: "auth", status: 401 });
    expect(envelope(r).error.message).toContain(`run gptimg login --endpoint ${worker.url}`);
  });

  it("jobs list, show and wait", async () => {
    const dir = tmp();
    await run(["generate", "a cat"], { env, cwd: dir });
    const list = await run(["jobs", "list", "--json"], { env });
    const ids = JSON.parse(list.stdout).data.map((j: { id: string }) => j.id);
    expect(ids.length).toBeGreaterThan(0);
    const show = await run(["jobs", "show", ids[0], "--json"], { env });
    expect(JSON.parse(show.stdout)).toMatchObject({ id: ids[0], status: "succeeded" });
    const wait = await run(["jobs", "wait", ids[0], "-o", "w/", "--media"], { env, cwd: dir });
    expect(wait.code).toBe(0);
    expect(wait.stdout).toMatch(/^MEDIA:.*\/w\/.+\.png$/m);
    const missing = await run(["jobs", "show", "job_nope"], { env });
    // an id no job has is bad input (exit 2), named once
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^error: job job_nope not found: no job of this team has that id/m);
    expect(missing.stderr.split("job_nope").length - 1).toBe(1);
  });

  it("admin token create/list/revoke and usage need the admin token", async () => {
    const aenv = { GPTIMG_ENDPOINT: worker.url, GPTIMG_ADMIN_TOKEN: ADMIN };
    const created = await run(["admin", "token", "create", "--team", "t", "--member", "alice", "--rpm", "5"], {
      env: aenv,
    });
    expect(created.code).toBe(0);
    expect(created.stdout.trim()).toBe("gpi_new_member_token");
    const list = await run(["admin", "token", "list", "--team", "t"], { env: aenv });
    expect(list.stdout).toMatch(/^tok_1\tt\talice/m);
    expect((await run(["admin", "token", "revoke", "tok_1"], { env: aenv })).code).toBe(0);
    const usage = await run(["admin", "usage", "--from", "2026-01-01", "--to", "2026-12-31", "--json"], { env: aenv });
    expect(JSON.parse(usage.stdout).rows[0]).toMatchObject({ member: "alice", images: 3 });
    expect((await run(["admin", "usage", "--from", "yesterday"], { env: aenv })).code).toBe(2);
    expect((await run(["admin", "usage"], { env: { GPTIMG_ENDPOINT: worker.url } })).code).toBe(3);
    const wrong = await run(["admin", "usage"], { env: { ...aenv, GPTIMG_ADMIN_TOKEN: "nope-admin" } });
    expect(wrong.code).toBe(3);
    expect(wrong.stderr + usage.stdout + usage.stderr).not.toContain(ADMIN);
  });

  it("doctor checks the Worker route", async () => {
    const r = await run(["doctor"], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ok\s+token\s+GPTIMG_TOKEN \(environment\): \*\*\*redacted\*\*\*/m);
    expect(r.stdout).not.toContain(TOKEN);
  });

  it("doctor names an unreachable Worker by its error code, without runtime advice", async () => {
    const srv = createServer();
    await new Promise<void>((ok) => srv.listen(0, "127.0.0.1", ok));
    const { port } = srv.address() as AddressInfo;
    await new Promise((ok) => srv.close(ok));
    const r = await run(["doctor"], { env: { ...env, GPTIMG_ENDPOINT: `http://127.0.0.1:${port}` } });
    expect(r.code).not.toBe(0);
    expect(r.stdout).toMatch(/^fail\s+endpoint\s+http:\/\/127\.0\.0\.1:\d+: could not reach it \(ECONNREFUSED\)$/m);
    expect(r.stdout + r.stderr).not.toContain("verbose");
  });
});
