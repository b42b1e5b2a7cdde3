import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { call, fakeUpstream, imagesResponse, memberToken, migrate, testPng } from "./jobs-support.ts";

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

function editForm(prompt: string): FormData {
  const form = new FormData();
  form.append("prompt", prompt);
  form.append("image", new Blob([testPng(512, 512)], { type: "image/png" }), "a.png");
  return form;
}

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

  it("runs concurrent requests with one key once", async () => {
    const { token } = await memberToken();
    const up = fakeUpstream(async () => {
      await new Promise((r) => setTimeout(r, 50));
      return imagesResponse(1);
    });
    restore = up.restore;
    const key = `sync-${crypto.randomUUID()}`;
    const responses = await Promise.all([1, 2, 3].map(() => generate(token, { prompt: "race" }, key)));
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
