import { env } from "cloudflare:workers";
import { INSPECT_HEAD_BYTES } from "@gptimg/core";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { png } from "../../../../packages/core/test-fixtures/images.ts";
import { call, fakeUpstream, imagesResponse, introspectJobs, memberToken, migrate } from "../../test/jobs-support.ts";
import { createJob } from "./create.ts";

beforeAll(migrate);

let restore: (() => void) | undefined;
afterEach(() => {
  restore?.();
  restore = undefined;
});

const MiB = 1024 * 1024;
/** A whole 512x512 RGBA PNG of about `mib` MiB: padding before compressed pixels (small to build, big to hold). */
const bigPng = (mib: number) => png({ width: 512, height: 512, padBeforeData: mib * MiB });

function editForm(image: Uint8Array<ArrayBuffer>, mask?: Uint8Array<ArrayBuffer>): FormData {
  const form = new FormData();
  form.append("prompt", "a hat");
  form.append("image", new Blob([image], { type: "image/png" }), "a.png");
  if (mask) form.append("mask", new Blob([mask], { type: "image/png" }), "mask.png");
  return form;
}

const postEdit = (token: string, form: FormData, headers: Record<string, string> = {}) =>
  call("/v1/jobs", token, { method: "POST", headers, body: form });

/** Sizes of every Blob whose `arrayBuffer()` runs until `stop()`. */
function spyBlobReads() {
  const sizes: number[] = [];
  const original = Blob.prototype.arrayBuffer;
  const spy = vi.spyOn(Blob.prototype, "arrayBuffer").mockImplementation(function (this: Blob) {
    sizes.push(this.size);
    return original.call(this);
  });
  return { sizes, stop: () => spy.mockRestore() };
}

const digest = async (b: ArrayBuffer | Uint8Array) =>
  new Uint8Array(await crypto.subtle.digest("SHA-256", b as BufferSource));

/** The R2 objects of a job's edit inputs (mask last), as stored. */
async function storedInputs(jobId: string): Promise<{ key: string; bytes: Uint8Array; role?: string }[]> {
  const row = await env.DB.prepare("SELECT input_keys FROM jobs WHERE id = ?")
    .bind(jobId)
    .first<{ input_keys: string }>();
  const keys = JSON.parse(row?.input_keys ?? "[]") as string[];
  return Promise.all(
    keys.map(async (key) => {
      const obj = await env.IMAGES.get(key);
      if (!obj) throw new Error(`${key} is not in R2`);
      return { key, bytes: new Uint8Array(await obj.arrayBuffer()), role: obj.customMetadata?.role };
    }),
  );
}

describe("POST /v1/jobs edit inputs", () => {
  it("stores a large image and mask in R2 byte for byte, reading only their heads", async () => {
    const { token } = await memberToken("jobs-big");
    const up = fakeUpstream(() => imagesResponse(1, 512, 512));
    await using wf = await introspectJobs();
    const image = bigPng(3);
    const mask = bigPng(2);
    const reads = spyBlobReads();
    restore = () => {
      reads.stop();
      up.restore();
    };
    const res = await postEdit(token, editForm(image, mask));
    reads.stop();
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    // heads are read to check format, size and alpha; the files themselves never are, so the
    // isolate holds one copy of them (the parsed form), not two
    expect(reads.sizes.length).toBeGreaterThan(0);
    expect(Math.max(...reads.sizes)).toBeLessThanOrEqual(INSPECT_HEAD_BYTES);
    const stored = await storedInputs(id);
    expect(stored.map((s) => [s.key.split("/").at(-1), s.role])).toEqual([
      ["input-0.png", "input"],
      ["mask.png", "mask"],
    ]);
    for (const [s, sent] of [
      [stored[0], image],
      [stored[1], mask],
    ] as const) {
      expect(s?.bytes.byteLength).toBe(sent.byteLength);
      expect(await digest(s?.bytes ?? new Uint8Array())).toEqual(await digest(sent));
    }
    for (const instance of wf.get()) await instance.waitForStatus("complete");
  });

  it("still refuses a bad mask read from its head: no alpha, another size", async () => {
    const { token } = await memberToken("jobs-big");
    const res = await postEdit(
      token,
      editForm(bigPng(2), png({ width: 256, height: 512, colorType: 2, padBeforeData: MiB })),
    );
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe("validation");
    expect(error.message).toContain("mask");
    expect(error.message).toContain("alpha");
    expect(error.message).toContain("512x512");
  });

  it("gives a large edit one job per Idempotency-Key and a 409 when only the image's bytes differ", async () => {
    const { token } = await memberToken("jobs-big");
    const up = fakeUpstream(() => imagesResponse(1, 512, 512));
    restore = up.restore;
    await using wf = await introspectJobs();
    const key = `edit-${crypto.randomUUID()}`;
    const image = bigPng(2);
    const first = await postEdit(token, editForm(image), { "idempotency-key": key });
    expect(first.status).toBe(202);
    const { id } = (await first.json()) as { id: string };
    const again = await postEdit(token, editForm(image), { "idempotency-key": key });
    expect(again.status).toBe(200);
    expect(((await again.json()) as { id: string }).id).toBe(id);
    // same size, type and head: only the hash of the whole file tells them apart
    const other = image.slice();
    other[other.length >> 1] = 1; // inside the padding chunk, far past the head
    const conflict = await postEdit(token, editForm(other), { "idempotency-key": key });
    expect(conflict.status).toBe(409);
    expect(((await conflict.json()) as { error: { code: string } }).error.code).toBe("idempotency_conflict");
    for (const instance of wf.get()) await instance.waitForStatus("complete");
    expect(wf.get()).toHaveLength(1);
  });
});

describe("createJob with bytes in hand (chat bots)", () => {
  it("stores bytes as they are and matches a Blob of the same bytes under one key", async () => {
    const up = fakeUpstream(() => imagesResponse(1, 512, 512));
    restore = up.restore;
    await using wf = await introspectJobs();
    const member = { tokenId: null, team: "jobs-chat", member: "bob" };
    const image = bigPng(1);
    const key = `chat:test:${crypto.randomUUID()}`;
    const request = { prompt: "a scarf" };
    const first = await createJob(env, { member, kind: "edit", request, inputs: [image], idempotencyKey: key });
    expect(first.created).toBe(true);
    const [stored] = await storedInputs(first.job.id);
    expect(await digest(stored?.bytes ?? new Uint8Array())).toEqual(await digest(image));
    const asBlob = new Blob([image], { type: "image/png" });
    const again = await createJob(env, { member, kind: "edit", request, inputs: [asBlob], idempotencyKey: key });
    expect(again).toMatchObject({ created: false, job: { id: first.job.id } });
    const other = image.slice();
    other[other.length >> 1] = 1; // inside the padding chunk, far past the head
    await expect(
      createJob(env, { member, kind: "edit", request, inputs: [other], idempotencyKey: key }),
    ).rejects.toMatchObject({ status: 409 });
    for (const instance of wf.get()) await instance.waitForStatus("complete");
  });
});

/**
 * The Workflow binding as deployed: `create()` and `get()` hand back a `WorkflowInstance` over RPC
 * with a dispose of its own (the local binding returns plain objects, so its dispose is not there
 * to see). Counts the calls and the disposes.
 */
function disposingWorkflow(opts: { missing?: boolean } = {}) {
  const calls = { create: 0, get: 0, disposed: 0 };
  const instance = (id: string) => ({
    id,
    [Symbol.dispose]: () => {
      calls.disposed += 1;
    },
  });
  const binding = {
    create: async (options?: WorkflowInstanceCreateOptions) => {
      calls.create += 1;
      return instance(options?.id ?? "generated");
    },
    get: async (id: string) => {
      calls.get += 1;
      if (opts.missing) throw new Error(`instance ${id} not found`);
      return instance(id);
    },
  } as unknown as Workflow;
  return { calls, env: { ...env, IMAGE_JOBS: binding } };
}

describe("createJob releases the Workflow instances it is handed", () => {
  const member = { tokenId: null, team: "jobs-rpc", member: "carol" };

  it("disposes the instance create() returns", async () => {
    const wf = disposingWorkflow();
    const { job, created } = await createJob(wf.env, { member, kind: "generate", request: { prompt: "a kite" } });
    expect(created).toBe(true);
    expect(job.status).toBe("queued");
    expect(wf.calls).toEqual({ create: 1, get: 0, disposed: 1 });
  });

  it("disposes what get() and create() return when it restarts an orphaned job", async () => {
    const key = `rpc-${crypto.randomUUID()}`;
    const first = disposingWorkflow();
    const { job } = await createJob(first.env, {
      member,
      kind: "generate",
      request: { prompt: "a kite" },
      idempotencyKey: key,
    });
    // its creator stopped before the Workflow ran: queued for longer than a start takes
    await env.DB.prepare("UPDATE jobs SET created_at = created_at - 600 WHERE id = ?").bind(job.id).run();
    const running = disposingWorkflow();
    const again = await createJob(running.env, {
      member,
      kind: "generate",
      request: { prompt: "a kite" },
      idempotencyKey: key,
    });
    expect(again).toMatchObject({ created: false, job: { id: job.id } });
    expect(running.calls).toEqual({ create: 0, get: 1, disposed: 1 });
    const gone = disposingWorkflow({ missing: true });
    await createJob(gone.env, { member, kind: "generate", request: { prompt: "a kite" }, idempotencyKey: key });
    expect(gone.calls).toEqual({ create: 1, get: 1, disposed: 1 });
  });
});

describe("a job that cannot be started", () => {
  it("stores the failure with every secret redacted, as GET /v1/jobs/:id shows it", async () => {
    const team = `start-fails-${crypto.randomUUID().slice(0, 8)}`;
    const { token } = await memberToken(team, "dave");
    const signingKeys = Object.values(JSON.parse(env.SIGNING_KEYS as string) as Record<string, string>);
    const secrets = [env.PROVIDER_API_KEY as string, env.ADMIN_TOKEN as string, ...signingKeys];
    const failing = {
      create: async () => {
        throw new Error(`workflow refused: key ${secrets.join(" ")} rejected`);
      },
    } as unknown as Workflow;
    await expect(
      createJob(
        { ...env, IMAGE_JOBS: failing },
        { member: { tokenId: null, team, member: "dave" }, kind: "generate", request: { prompt: "a kite" } },
      ),
    ).rejects.toThrow(/workflow refused/);
    const row = await env.DB.prepare("SELECT * FROM jobs WHERE team = ?").bind(team).first<{ id: string }>();
    for (const secret of secrets) expect(JSON.stringify(row)).not.toContain(secret);
    const res = await call(`/v1/jobs/${row?.id}`, token);
    expect(res.status).toBe(200);
    const text = await res.text();
    const job = JSON.parse(text) as { status: string; error: { code: string; message: string } };
    expect(job.status).toBe("failed");
    expect(job.error.code).toBe("internal");
    expect(job.error.message).toMatch(/^job could not be started: workflow refused: key \S+/);
    for (const secret of secrets) expect(text).not.toContain(secret);
  });
});
