/**
 * The request path's own costs: D1 round trips before and after the provider call, a `b64_json`
 * body that streams while the provider's answer is still arriving, and what a failure part-way
 * through such a body leaves in the job row.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { encodeBase64 } from "@gptimg/core";
import { afterEach, describe, expect, it, vi } from "vitest";
import { noisePng, png } from "../../../../../packages/core/test-fixtures/images.ts";
import { countingD1, tripsAround } from "../../../test/d1-count.ts";
import { memberToken, ORIGIN, useOfflineProvider } from "../../../test/gateway-support.ts";
import { app } from "../../app.ts";
import type { Env } from "../../env.ts";
import { AUTH_FAILURE_LIMIT } from "../../lib/auth-limit.ts";
import { hashToken } from "../../lib/tokens.ts";

afterEach(() => {
  vi.restoreAllMocks();
});

/**
 * Calls the Worker with a D1 binding that logs its round trips into `log`; waits for work after
 * the response. With `cookie`, as the console does: the session cookie and the page's origin.
 */
async function counted(log: string[], path: string, init: RequestInit & { token?: string; cookie?: string }) {
  const ctx = createExecutionContext();
  const headers = new Headers(init.headers);
  if (init.token) headers.set("authorization", `Bearer ${init.token}`);
  if (init.cookie) {
    headers.set("cookie", init.cookie);
    headers.set("origin", ORIGIN);
  }
  const res = await app.fetch(
    new Request(`${ORIGIN}${path}`, { ...init, headers }),
    { ...(env as unknown as Env), DB: countingD1(env.DB, log) },
    ctx,
  );
  const text = await res.text();
  await waitOnExecutionContext(ctx);
  return { res, text };
}

/** Marks each call of the (offline) provider in `log`, between the D1 trips. */
function markProviderCalls(log: string[]) {
  const spy = vi.mocked(globalThis.fetch);
  const routed = spy.getMockImplementation();
  spy.mockImplementation(async (input, init) => {
    log.push("provider");
    return (routed as typeof fetch)(input, init);
  });
}

/** Signs in to the console with `token` (uncounted) and returns its session cookie, `name=value`. */
async function consoleCookie(token: string): Promise<string> {
  const res = await app.fetch(
    new Request(`${ORIGIN}/console/api/session`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: ORIGIN },
      body: JSON.stringify({ token }),
    }),
    env as unknown as Env,
    createExecutionContext(),
  );
  expect(res.status).toBe(201);
  return (res.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
}

const json = (token: string, body: unknown) => ({
  token,
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
});

describe("D1 round trips per image request", () => {
  it.each<[string, Record<string, unknown>]>([
    ["b64_json", {}],
    ["url", { response_format: "url" }],
    ["an SSE stream", { stream: true, partial_images: 1 }],
  ])("%s: one before the provider is called, one after", async (_name, extra) => {
    const log: string[] = [];
    const side = useOfflineProvider();
    markProviderCalls(log);
    // quota and rpm set: their checks are in the same trip
    const { token } = await memberToken({ team: "trips", dailyImageQuota: 100, rpm: 100 });
    const { res } = await counted(log, "/v1/images/generations", json(token, { prompt: "a cat", n: 2, ...extra }));
    expect(res.status).toBe(200);
    expect(side.calls).toHaveLength(1);
    expect(tripsAround(log, "provider")).toEqual({ before: 1, after: 1 });
    const row = await env.DB.prepare(
      "SELECT status FROM jobs WHERE team = 'trips' ORDER BY rowid DESC LIMIT 1",
    ).first();
    expect(row).toEqual({ status: "succeeded" });
    const holds = await env.DB.prepare(
      "SELECT COUNT(*) AS n FROM quota_holds WHERE token_id IN (SELECT id FROM tokens WHERE team = 'trips')",
    ).first<{ n: number }>();
    expect(holds?.n).toBe(0);
  });

  it.each(["b64_json", "url"])(
    "with an Idempotency-Key (%s): one before, one after; its replay makes one trip",
    async (format) => {
      const log: string[] = [];
      const side = useOfflineProvider();
      markProviderCalls(log);
      const { token } = await memberToken({ team: `trips-key-${format}`, dailyImageQuota: 100, rpm: 100 });
      const keyed = () => {
        const init = json(token, { prompt: "a cat", n: 2, response_format: format });
        return { ...init, headers: { ...init.headers, "idempotency-key": `trips-${format}` } };
      };
      const first = await counted(log, "/v1/images/generations", keyed());
      expect(first.res.status).toBe(200);
      expect(tripsAround(log, "provider")).toEqual({ before: 1, after: 1 });
      const again: string[] = [];
      const replay = await counted(again, "/v1/images/generations", keyed());
      expect(replay.res.status).toBe(200);
      expect(replay.res.headers.get("idempotent-replayed")).toBe("true");
      expect(again).toEqual(["d1"]);
      expect(side.calls).toHaveLength(1);
      const stored = await env.DB.prepare(
        "SELECT state FROM idempotent_responses WHERE key = ? AND token_id IN (SELECT id FROM tokens WHERE team = ?)",
      )
        .bind(`trips-${format}`, `trips-key-${format}`)
        .first();
      expect(stored).toEqual({ state: "done" });
    },
  );

  it("the console's session cookie: one before (session, token, quota and row in one batch), one after", async () => {
    const log: string[] = [];
    const side = useOfflineProvider();
    markProviderCalls(log);
    const { token } = await memberToken({ team: "trips-cookie", dailyImageQuota: 100, rpm: 100 });
    const cookie = await consoleCookie(token);
    const { token: _t, ...init } = json(token, { prompt: "a cat", response_format: "url" });
    const { res } = await counted(log, "/v1/images/generations", { ...init, cookie });
    expect(res.status).toBe(200);
    expect(side.calls).toHaveLength(1);
    expect(tripsAround(log, "provider")).toEqual({ before: 1, after: 1 });
    const row = await env.DB.prepare(
      "SELECT status, member FROM jobs WHERE team = 'trips-cookie' ORDER BY rowid DESC LIMIT 1",
    ).first();
    expect(row).toEqual({ status: "succeeded", member: "alice" });
  });

  it("an expired console session is refused in its one trip, and leaves nothing behind", async () => {
    const log: string[] = [];
    const side = useOfflineProvider();
    const { token } = await memberToken({ team: "trips-cookie-old" });
    const cookie = await consoleCookie(token);
    await env.DB.prepare("UPDATE console_sessions SET expires_at = ? WHERE id_hash = ?")
      .bind(Math.floor(Date.now() / 1000) - 1, await hashToken(cookie.split("=")[1] ?? ""))
      .run();
    const { token: _t, ...init } = json(token, { prompt: "a cat" });
    const { res } = await counted(log, "/v1/images/generations", { ...init, cookie });
    expect(res.status).toBe(401);
    expect(log).toEqual(["d1"]);
    expect(side.calls).toHaveLength(0);
    const rows = await env.DB.prepare("SELECT COUNT(*) AS n FROM jobs WHERE team = 'trips-cookie-old'").first<{
      n: number;
    }>();
    expect(rows?.n).toBe(0);
  });

  it("an edit: one before, one after", async () => {
    const log: string[] = [];
    useOfflineProvider();
    markProviderCalls(log);
    const { token } = await memberToken({ team: "trips-edit" });
    const form = new FormData();
    form.append("prompt", "add a hat");
    form.append("image[]", new File([png({ width: 64, height: 64 })], "a.png", { type: "image/png" }));
    const { res } = await counted(log, "/v1/images/edits", { token, method: "POST", body: form });
    expect(res.status).toBe(200);
    expect(tripsAround(log, "provider")).toEqual({ before: 1, after: 1 });
    const row = await env.DB.prepare(
      "SELECT input_keys FROM jobs WHERE team = 'trips-edit' ORDER BY rowid DESC LIMIT 1",
    ).first<{ input_keys: string }>();
    expect(JSON.parse(row?.input_keys ?? "[]")).toEqual([
      expect.stringMatching(/^t\/trips-edit\/\d{4}\/\d\d\/job_[0-9a-z]+\/input-0\.png$/),
    ]);
  });

  it("a wrong token makes one trip (its client's count in the same batch); a locked-out client's right token one, taking nothing", async () => {
    const side = useOfflineProvider();
    const { token } = await memberToken({ team: "trips-guessed" });
    const from = { "cf-connecting-ip": "192.0.2.44" };
    const body = { prompt: "a cat" };
    for (let i = 0; i < AUTH_FAILURE_LIMIT; i++) {
      const log: string[] = [];
      const { res } = await counted(log, "/v1/images/generations", {
        ...json(`gpi_guess${i}`, body),
        headers: { "content-type": "application/json", ...from },
      });
      expect(res.status).toBe(401);
      expect(log).toEqual(["d1"]);
    }
    const log: string[] = [];
    const { res } = await counted(log, "/v1/images/generations", {
      ...json(token, body),
      headers: { "content-type": "application/json", ...from },
    });
    expect(res.status).toBe(429);
    expect(log).toEqual(["d1"]);
    expect(side.calls).toHaveLength(0);
    const rows = await env.DB.prepare(
      "SELECT (SELECT COUNT(*) FROM jobs WHERE team = 'trips-guessed') + (SELECT COUNT(*) FROM quota_holds WHERE token_id IN (SELECT id FROM tokens WHERE team = 'trips-guessed')) AS n",
    ).first<{ n: number }>();
    expect(rows?.n).toBe(0);
  });

  it("any other /v1 call reads its token and its client's window in one trip", async () => {
    const log: string[] = [];
    const { token } = await memberToken({ team: "trips-models" });
    const { res } = await counted(log, "/v1/models", { token, headers: { "cf-connecting-ip": "192.0.2.45" } });
    expect(res.status).toBe(200);
    expect(log).toEqual(["d1"]);
  });

  it("a refused request makes one trip and never reaches the provider", async () => {
    const log: string[] = [];
    const side = useOfflineProvider();
    const { token } = await memberToken({ team: "trips-refused", revokedAt: 1 });
    const { res } = await counted(log, "/v1/images/generations", json(token, { prompt: "a cat" }));
    expect(res.status).toBe(401);
    expect(side.calls).toHaveLength(0);
    expect(log).toEqual(["d1"]);
  });
});

describe("an edit's token is read before more than 1 MiB of its body", () => {
  const CHUNK = 64 * 1024;
  /** A multipart edit as a client streams it, each chunk's read marked `body` in `log`. */
  async function streamedEdit(image: Uint8Array, log: string[]) {
    const form = new FormData();
    form.append("prompt", "add a hat");
    form.append("image[]", new File([image], "a.png", { type: "image/png" }));
    const encoded = new Response(form);
    const bytes = new Uint8Array(await encoded.arrayBuffer());
    let at = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (at >= bytes.length) return controller.close();
        log.push("body");
        controller.enqueue(bytes.slice(at, at + CHUNK));
        at += CHUNK;
      },
    });
    return { type: encoded.headers.get("content-type") ?? "", body, size: bytes.length, read: () => at };
  }

  it.each([true, false])(
    "a refused token (Content-Length declared: %s) reads at most 1 MiB of it",
    async (declared) => {
      const log: string[] = [];
      const side = useOfflineProvider();
      const edit = await streamedEdit(new Uint8Array(4 * 1024 * 1024), log);
      const headers: Record<string, string> = { "content-type": edit.type };
      if (declared) headers["content-length"] = String(edit.size);
      const { res, text } = await counted(log, "/v1/images/edits", {
        token: "gpi_not_a_real_token",
        method: "POST",
        headers,
        body: edit.body,
        duplex: "half",
      } as RequestInit & { token: string });
      expect(res.status).toBe(401);
      expect(JSON.parse(text).error.message).toBe("invalid token");
      expect(side.calls).toHaveLength(0);
      expect(edit.read()).toBeLessThanOrEqual(1024 * 1024 + CHUNK);
      expect(log.indexOf("d1")).toBeLessThanOrEqual((1024 * 1024) / CHUNK + 1);
    },
  );

  it("a member's edit of over 1 MiB: the token is read once it passes 1 MiB, then admitted as any", async () => {
    const log: string[] = [];
    useOfflineProvider();
    markProviderCalls(log);
    const { token } = await memberToken({ team: "trips-large-edit" });
    const edit = await streamedEdit(noisePng(2 * 1024 * 1024, 7), log);
    const { res } = await counted(log, "/v1/images/edits", {
      token,
      method: "POST",
      headers: { "content-type": edit.type },
      body: edit.body,
      duplex: "half",
    } as RequestInit & { token: string });
    expect(res.status).toBe(200);
    expect(edit.read()).toBeGreaterThanOrEqual(edit.size);
    expect(tripsAround(log, "provider")).toEqual({ before: 2, after: 1 });
    expect(log.indexOf("d1")).toBeLessThan(log.lastIndexOf("body"));
  });
});

describe("a b64_json answer streams while the provider's answer arrives", () => {
  /** An upstream whose JSON body the test releases piece by piece. */
  function heldUpstream() {
    let controller!: ReadableStreamDefaultController<Uint8Array>;
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        controller = c;
      },
    });
    vi.spyOn(globalThis, "fetch").mockImplementation(
      async () => new Response(body, { headers: { "content-type": "application/json" } }),
    );
    const enc = new TextEncoder();
    return { send: (s: string) => controller.enqueue(enc.encode(s)), end: () => controller.close() };
  }

  it("sends the image's base64 before the provider has finished sending it", async () => {
    const up = heldUpstream();
    const b64 = encodeBase64(png({ width: 64, height: 64, padBeforeData: 200_000 }));
    const half = Math.floor(b64.length / 2);
    up.send(`{"created":1,"data":[{"b64_json":"${b64.slice(0, half)}`);
    const { token } = await memberToken({ team: "stream-b64" });
    const ctx = createExecutionContext();
    const res = await app.fetch(
      new Request(`${ORIGIN}/v1/images/generations`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ prompt: "a cat" }),
      }),
      env as unknown as Env,
      ctx,
    );
    expect(res.status).toBe(200);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const dec = new TextDecoder();
    let seen = "";
    // the first half is all the provider has sent: it reaches the client before the rest exists
    while (seen.length < half) {
      const { value, done } = await reader.read();
      if (done) break;
      seen += dec.decode(value, { stream: true });
    }
    expect(seen.startsWith('{"created":')).toBe(true);
    expect(seen).toContain(b64.slice(0, half));
    up.send(`${b64.slice(half)}"}],"usage":{"input_tokens":5,"output_tokens":7,"total_tokens":12}}`);
    up.end();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      seen += dec.decode(value, { stream: true });
    }
    const body = JSON.parse(seen) as { data: { b64_json: string }[]; usage: { total_tokens: number } };
    expect(body.data[0]?.b64_json).toBe(b64);
    expect(body.usage.total_tokens).toBe(12);
    await waitOnExecutionContext(ctx);
    const row = await env.DB.prepare(
      "SELECT status, image_keys FROM jobs WHERE team = 'stream-b64' ORDER BY rowid DESC LIMIT 1",
    ).first<{ status: string; image_keys: string }>();
    expect(row?.status).toBe("succeeded");
    const key = (JSON.parse(row?.image_keys ?? "[]") as { key: string }[])[0]?.key as string;
    const obj = await env.IMAGES.get(key);
    expect(encodeBase64(new Uint8Array(await (obj as R2ObjectBody).arrayBuffer()))).toBe(b64);
  });

  it.each([
    [4000, "is a 502 with its error body: no byte had gone out", 502],
    [100_000, "is cut for the client: its first 64 KiB had gone out", 200],
  ])(
    "a body that breaks after %i characters of base64 %s; the row says failed, possibly billed",
    async (at, _n, status) => {
      const up = heldUpstream();
      const b64 = encodeBase64(png({ width: 64, height: 64, padBeforeData: 200_000 }));
      up.send(`{"created":1,"data":[{"b64_json":"${b64.slice(0, at)}`);
      up.send("*not base64*");
      up.end();
      const { token } = await memberToken({ team: "stream-broken" });
      const ctx = createExecutionContext();
      const res = await app.fetch(
        new Request(`${ORIGIN}/v1/images/generations`, {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: JSON.stringify({ prompt: "a cat" }),
        }),
        env as unknown as Env,
        ctx,
      );
      expect(res.status).toBe(status);
      if (status === 200) await expect(res.text()).rejects.toThrow();
      else
        expect(await res.json()).toMatchObject({
          error: { code: "bad_response", message: expect.stringContaining("invalid base64"), possibly_billed: true },
        });
      await waitOnExecutionContext(ctx);
      const row = await env.DB.prepare(
        "SELECT status, error FROM jobs WHERE team = 'stream-broken' ORDER BY rowid DESC LIMIT 1",
      ).first<{ status: string; error: string }>();
      expect(row?.status).toBe("failed");
      expect(JSON.parse(row?.error ?? "{}")).toMatchObject({ code: "bad_response", possibly_billed: true });
    },
  );
});
