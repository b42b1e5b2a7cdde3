import { env } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { png } from "../../../../packages/core/test-fixtures/images.ts";
import { memberToken as restrictedToken } from "../../test/gateway-support.ts";
import { call, fakeUpstream, imagesResponse, memberToken, migrate, testPng } from "../../test/jobs-support.ts";

beforeAll(migrate);

let restore: (() => void) | undefined;
afterEach(() => {
  restore?.();
  restore = undefined;
});

const generate = (token: string, body: unknown, key: string) =>
  call("/v1/images/generations", token, {
    method: "POST",
    headers: { "content-type": "application/json", "idempotency-key": key },
    body: JSON.stringify(body),
  });

function editForm(prompt: string, image = testPng(512, 512)): FormData {
  const form = new FormData();
  form.append("prompt", prompt);
  form.append("image", new Blob([image], { type: "image/png" }), "a.png");
  return form;
}

const edit = (token: string, key: string, form: FormData) =>
  call("/v1/images/edits", token, { method: "POST", headers: { "idempotency-key": key }, body: form });

describe("idempotency() on the synchronous image routes", () => {
  it.each(["b64_json", "url"] as const)(
    "replays a %s answer for the same key and body without calling the provider again",
    async (format) => {
      const { token } = await memberToken();
      const up = fakeUpstream(() => imagesResponse(2));
      restore = up.restore;
      const key = `sync-${crypto.randomUUID()}`;
      const body = { prompt: "replay me", n: 2, response_format: format };
      const first = await generate(token, body, key);
      expect(first.status).toBe(200);
      const a = (await first.json()) as { data: Record<string, string>[] };
      const second = await generate(token, body, key);
      expect(second.status).toBe(200);
      expect(second.headers.get("idempotent-replayed")).toBe("true");
      const b = (await second.json()) as { data: Record<string, string>[] };
      expect(b.data).toHaveLength(2);
      if (format === "b64_json") expect(b.data.map((d) => d.b64_json)).toEqual(a.data.map((d) => d.b64_json));
      else
        expect(b.data.map((d) => new URL(d.url ?? "").pathname)).toEqual(
          a.data.map((d) => new URL(d.url ?? "").pathname),
        );
      expect(up.providerCalls).toHaveLength(1);
    },
  );

  it("answers 409 idempotency_conflict when the key is reused with another body", async () => {
    const { token } = await memberToken();
    const up = fakeUpstream(() => imagesResponse(1));
    restore = up.restore;
    const key = `sync-${crypto.randomUUID()}`;
    expect((await generate(token, { prompt: "one" }, key)).status).toBe(200);
    const res = await generate(token, { prompt: "two" }, key);
    expect(res.status).toBe(409);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("idempotency_conflict");
    expect(up.providerCalls).toHaveLength(1);
  });

  it("keys per team: another team may use the same key", async () => {
    const a = await memberToken("team-a", "x");
    const b = await memberToken("team-b", "y");
    const up = fakeUpstream(() => imagesResponse(1));
    restore = up.restore;
    const key = `sync-${crypto.randomUUID()}`;
    expect((await generate(a.token, { prompt: "a" }, key)).status).toBe(200);
    expect((await generate(b.token, { prompt: "b" }, key)).status).toBe(200);
    expect(up.providerCalls).toHaveLength(2);
  });

  it("keys per token: a teammate's key never replays or collides; each request meets its own token's rules", async () => {
    const team = `team-${crypto.randomUUID().slice(0, 8)}`;
    const alice = await memberToken(team, "alice");
    const bob = await restrictedToken({ team, member: "bob", models: ["gpt-image-1"] });
    const carol = await memberToken(team, "carol");
    const up = fakeUpstream(() => imagesResponse(1));
    restore = up.restore;
    const key = `shared-${crypto.randomUUID()}`;
    const body = { prompt: "alice's lighthouse", model: "gpt-image-2" };
    const first = await generate(alice.token, body, key);
    expect(first.status).toBe(200);
    // bob may not use gpt-image-2: alice's key and body get him his own refusal, not her images
    const replayed = await generate(bob.token, body, key);
    expect(replayed.status).toBe(403);
    expect(replayed.headers.get("idempotent-replayed")).toBeNull();
    expect(((await replayed.json()) as { error: { code: string } }).error.code).toBe("permission");
    // carol's request under the same key is hers: no 409 for alice's body, no replay of it
    const own = await generate(carol.token, { prompt: "carol's kite" }, key);
    expect(own.status).toBe(200);
    expect(own.headers.get("idempotent-replayed")).toBeNull();
    expect(up.providerCalls).toHaveLength(2);
    // and each key still replays for its own token
    const again = await generate(alice.token, body, key);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(up.providerCalls).toHaveLength(2);
  });

  it.each([
    ["generations", (token: string, key: string) => generate(token, { prompt: "race" }, key)],
    ["edits", (token: string, key: string) => edit(token, key, editForm("race"))],
  ])("runs concurrent %s requests with one key once", async (_route, post) => {
    const { token } = await memberToken();
    const up = fakeUpstream(async () => {
      await new Promise((r) => setTimeout(r, 50));
      return imagesResponse(1, 512, 512);
    });
    restore = up.restore;
    const key = `race-${crypto.randomUUID()}`;
    const responses = await Promise.all([1, 2, 3].map(() => post(token, key)));
    expect(up.providerCalls).toHaveLength(1);
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(1);
    expect(statuses.every((s) => s === 200 || s === 409)).toBe(true);
  });

  it("treats the same multipart edit with a new boundary as the same request", async () => {
    const { token } = await memberToken();
    const up = fakeUpstream(() => imagesResponse(1, 512, 512));
    restore = up.restore;
    const key = `edit-${crypto.randomUUID()}`;
    const post = () =>
      call("/v1/images/edits", token, { method: "POST", headers: { "idempotency-key": key }, body: editForm("scarf") });
    expect((await post()).status).toBe(200);
    const again = await post();
    expect(again.status).toBe(200);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(up.providerCalls).toHaveLength(1);
  });

  it("answers 409 when an edit's key is reused with another image under the same prompt", async () => {
    const { token } = await memberToken();
    const up = fakeUpstream(() => imagesResponse(1, 512, 512));
    restore = up.restore;
    const key = `edit-${crypto.randomUUID()}`;
    expect((await edit(token, key, editForm("scarf"))).status).toBe(200);
    // same size and type, other bytes: only the file's hash tells the two apart
    const other = testPng(512, 512);
    const at = other.length - 13; // the last CRC byte of IDAT: still a whole PNG by its structure
    other[at] = (other[at] as number) ^ 1;
    const res = await edit(token, key, editForm("scarf", other));
    expect(res.status).toBe(409);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("idempotency_conflict");
    expect(up.providerCalls).toHaveLength(1);
  });

  it("parses an edit's body once and hashes its files without copying them", async () => {
    const { token } = await memberToken();
    const up = fakeUpstream(() => imagesResponse(1, 512, 512));
    const parses = [vi.spyOn(Request.prototype, "formData"), vi.spyOn(Response.prototype, "formData")];
    const reads = vi.spyOn(Request.prototype, "arrayBuffer");
    const blobReads: number[] = [];
    const original = Blob.prototype.arrayBuffer;
    const blobSpy = vi.spyOn(Blob.prototype, "arrayBuffer").mockImplementation(function (this: Blob) {
      blobReads.push(this.size);
      return original.call(this);
    });
    restore = () => {
      up.restore();
      for (const s of [...parses, reads, blobSpy]) s.mockRestore();
    };
    const image = png({ width: 512, height: 512, padBeforeData: 2 * 1024 * 1024 });
    const res = await edit(token, `edit-${crypto.randomUUID()}`, editForm("once", image));
    expect(res.status).toBe(200);
    // one parse of the incoming body, never a raw copy of it beside the form, and of the 2 MiB
    // file only heads are read (the hash streams it)
    expect(parses.reduce((n, s) => n + s.mock.calls.length, 0)).toBe(1);
    expect(reads).not.toHaveBeenCalled();
    expect(Math.max(0, ...blobReads)).toBeLessThanOrEqual(64 * 1024);
  });

  const keyRows = (tokenId: string) =>
    env.DB.prepare("SELECT key, state FROM idempotent_responses WHERE token_id = ?").bind(tokenId).all();

  it("a request refused at admission (quota) gives its key back: nothing is kept, a retry is judged afresh", async () => {
    const { token, id } = await restrictedToken({
      team: `idem-quota-${crypto.randomUUID().slice(0, 8)}`,
      dailyImageQuota: 1,
    });
    const up = fakeUpstream(() => imagesResponse(2));
    restore = up.restore;
    const key = `quota-${crypto.randomUUID()}`;
    const res = await generate(token, { prompt: "too many", n: 2 }, key);
    expect(res.status).toBe(429);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("quota_exceeded");
    expect((await keyRows(id)).results).toEqual([]);
    // the same key with another body is not a conflict: the refused request never held it
    expect((await generate(token, { prompt: "one", n: 1 }, key)).status).toBe(200);
    expect(up.providerCalls).toHaveLength(1);
  });

  it("a streamed answer is not kept: its key is given back when the stream ends", async () => {
    const { token, id } = await memberToken();
    const up = fakeUpstream(() => imagesResponse(1));
    restore = up.restore;
    const key = `sse-${crypto.randomUUID()}`;
    const res = await generate(token, { prompt: "stream", stream: true }, key);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("image_generation.completed");
    const left = await vi.waitFor(async () => {
      const rows = (await keyRows(id)).results;
      if (rows.length) throw new Error("the key is still held");
      return rows;
    });
    expect(left).toEqual([]);
  });

  it("takes over a key whose request died (pending for over 15 minutes) when the body is the same", async () => {
    const { token, id } = await memberToken();
    const up = fakeUpstream(() => imagesResponse(1));
    restore = up.restore;
    const key = `stale-${crypto.randomUUID()}`;
    const body = { prompt: "orphan" };
    // what a Worker that died after its claim leaves: a pending row, with the body's hash
    await generate(token, body, key);
    const old = Math.floor(Date.now() / 1000) - 16 * 60;
    await env.DB.prepare(
      "UPDATE idempotent_responses SET state = 'pending', response_json = NULL, created_at = ?, job_id = 'job_dead' WHERE token_id = ? AND key = ?",
    )
      .bind(old, id, key)
      .run();
    expect((await generate(token, { prompt: "other" }, key)).status).toBe(409);
    const res = await generate(token, body, key);
    expect(res.status).toBe(200);
    expect(res.headers.get("idempotent-replayed")).toBeNull();
    expect(up.providerCalls).toHaveLength(2);
    expect((await keyRows(id)).results).toEqual([{ key, state: "done" }]);
  });

  it.each([
    ["a member", true, 400, "validation"],
    ["a caller without a valid token", false, 401, "auth"],
  ])("a JSON body nested too deeply to compare is refused as any bad body, for %s", async (_n, valid, status, code) => {
    const token = valid ? (await memberToken()).token : "gpi_not_a_real_token";
    const up = fakeUpstream(() => imagesResponse(1));
    restore = up.restore;
    const style = `"style":${"[".repeat(200_000)}${"]".repeat(200_000)}`;
    const images = '"images":[{"image_url":"https://images.example.com/a.png"}]';
    for (const [path, deep] of [
      ["/v1/images/generations", `{"prompt":"x",${style}}`],
      ["/v1/images/edits", `{"prompt":"x",${images},${style}}`],
    ] as const) {
      const res = await call(path, token, {
        method: "POST",
        headers: { "content-type": "application/json", "idempotency-key": `deep-${crypto.randomUUID()}` },
        body: deep,
      });
      expect(res.status).toBe(status);
      const { error } = (await res.json()) as { error: { code: string; param: string | null } };
      expect(error.code).toBe(code);
      if (valid) expect(error.param).toBe("style");
    }
    expect(up.providerCalls).toHaveLength(0);
  });

  it("does not keep a failed (5xx) answer: a retry runs afresh", async () => {
    const { token } = await memberToken();
    let calls = 0;
    const up = fakeUpstream(() =>
      ++calls <= 3
        ? Response.json({ error: { message: "down" } }, { status: 500, headers: { "retry-after-ms": "1" } })
        : imagesResponse(1),
    );
    restore = up.restore;
    const key = `sync-${crypto.randomUUID()}`;
    expect((await generate(token, { prompt: "flaky" }, key)).status).toBeGreaterThanOrEqual(500);
    const retry = await generate(token, { prompt: "flaky" }, key);
    expect(retry.status).toBe(200);
    expect(retry.headers.get("idempotent-replayed")).toBeNull();
  });
});
