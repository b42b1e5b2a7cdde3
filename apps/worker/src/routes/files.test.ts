import { env } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { admin, call, memberToken, ORIGIN, useOfflineProvider } from "../../test/gateway-support.ts";
import { sdkClient } from "../../test/sdk-client.ts";
import { app } from "../app.ts";
import { signUrl, stringToSign } from "../lib/signing.ts";
import { base64url } from "../lib/tokens.ts";

const KEY = "t/acme/2026/05/job_files/0.png";
const BYTES = Uint8Array.from({ length: 1000 }, (_, i) => i % 251);

beforeAll(async () => {
  await env.IMAGES.put(KEY, BYTES, {
    httpMetadata: { contentType: "image/png", contentDisposition: 'inline; filename="job_files-0.png"' },
    customMetadata: { job: "job_files" },
  });
});

const get = (url: string, headers: Record<string, string> = {}) => call(url.slice(ORIGIN.length), { headers });

describe("GET /files/<key>", () => {
  it("serves the object with stored type, disposition, nosniff, ETag and a bounded private cache", async () => {
    const url = await signUrl(env, ORIGIN, KEY, 600);
    const res = await get(url);
    expect(res.status).toBe(200);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(BYTES);
    expect(res.headers.get("content-type")).toBe("image/png");
    expect(res.headers.get("content-disposition")).toBe('inline; filename="job_files-0.png"');
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("accept-ranges")).toBe("bytes");
    expect(res.headers.get("etag")).toMatch(/^"[0-9a-f]+"$/);
    const maxAge = Number(/private, max-age=(\d+)/.exec(res.headers.get("cache-control") ?? "")?.[1]);
    expect(maxAge).toBeGreaterThan(590);
    expect(maxAge).toBeLessThanOrEqual(600);
  });

  it.each<[string, string, number, string | null, number | null]>([
    ["first bytes", "bytes=0-99", 206, "bytes 0-99/1000", 100],
    ["open end", "bytes=900-", 206, "bytes 900-999/1000", 100],
    ["suffix", "bytes=-10", 206, "bytes 990-999/1000", 10],
    ["end past the size", "bytes=990-5000", 206, "bytes 990-999/1000", 10],
    ["start past the size", "bytes=1000-", 416, "bytes */1000", null],
    ["multiple ranges: whole object", "bytes=0-1,5-6", 200, null, 1000],
    ["malformed: whole object", "items=0-1", 200, null, 1000],
  ])("Range %s", async (_n, range, status, contentRange, length) => {
    const res = await get(await signUrl(env, ORIGIN, KEY, 600), { Range: range });
    expect(res.status).toBe(status);
    expect(res.headers.get("content-range")).toBe(contentRange);
    const body = new Uint8Array(await res.arrayBuffer());
    if (length !== null) {
      expect(body.length).toBe(length);
      const from = contentRange ? Number(/bytes (\d+)-/.exec(contentRange)?.[1]) : 0;
      expect(body).toEqual(BYTES.slice(from, from + length));
    }
  });

  it("answers 304 to If-None-Match with the current ETag, 200 to another", async () => {
    const url = await signUrl(env, ORIGIN, KEY, 600);
    const etag = (await get(url)).headers.get("etag") as string;
    const same = await get(url, { "If-None-Match": etag });
    expect(same.status).toBe(304);
    expect(await same.text()).toBe("");
    expect((await get(url, { "If-None-Match": `W/${etag}` })).status).toBe(304);
    expect((await get(url, { "If-None-Match": '"other"' })).status).toBe(200);
  });

  it("answers 404 when the signature is valid but the object is gone", async () => {
    const res = await get(await signUrl(env, ORIGIN, "t/acme/2026/05/job_gone/0.png", 600));
    expect(res.status).toBe(404);
  });

  it("gives every signature failure the same opaque 403", async () => {
    const good = await signUrl(env, ORIGIN, KEY, 600);
    const now = Math.floor(Date.now() / 1000);
    const k1 = (JSON.parse(env.SIGNING_KEYS as string) as Record<string, string>).k1 as string;
    const forge = async (exp: number, kid = "k1", secret = k1) => {
      const k = await crypto.subtle.importKey(
        "raw",
        new TextEncoder().encode(secret),
        { name: "HMAC", hash: "SHA-256" },
        false,
        ["sign"],
      );
      const sig = base64url(
        new Uint8Array(await crypto.subtle.sign("HMAC", k, new TextEncoder().encode(stringToSign(kid, KEY, exp)))),
      );
      return `${ORIGIN}/files/${KEY}?exp=${exp}&kid=${kid}&sig=${sig}`;
    };
    const bad = [
      good.replace("/0.png", "/1.png"), // tampered key
      good.replace(/exp=(\d+)/, (_, e) => `exp=${Number(e) - 1}`), // tampered exp
      good.replace("kid=k2", "kid=k1"), // other kid
      good.replace("kid=k2", "kid=nope"), // unknown kid
      good.replace(/sig=(.)/, (_, c) => `sig=${c === "A" ? "B" : "A"}`), // tampered sig (first character changed)
      good.replace(/&sig=.*/, ""), // no sig
      `${ORIGIN}/files/${KEY}`, // no query at all
      await forge(now - 5), // expired
      await forge(now + 8 * 24 * 3600), // TTL over the 7-day cap
    ];
    const bodies = new Set<string>();
    for (const url of bad) {
      const res = await get(url);
      expect(res.status, url).toBe(403);
      bodies.add(await res.text());
    }
    expect(bodies.size).toBe(1);
    expect(JSON.parse([...bodies][0] as string)).toEqual({
      error: { message: "forbidden", type: "permission_error", code: "permission", param: null },
    });
    // the forged URL with a valid expiry passes, so the 403s above are each for its own reason
    expect((await get(await forge(now + 60))).status).toBe(200);
  });
});

describe("a link issued before its token is revoked", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("lives until it expires; the revoked token cannot sign it again; removing the signing kid ends it", async () => {
    useOfflineProvider();
    const { token, id } = await memberToken({ team: "links-revoked" });
    const res = await sdkClient(token)
      .images.generate({ model: "gpt-image-2", prompt: "a cat", response_format: "url" })
      .withResponse();
    const url = res.data.data?.[0]?.url as string;
    const jobId = res.response.headers.get("x-request-id") as string;
    expect((await get(url)).status).toBe(200);
    expect((await admin(`/admin/tokens/${id}`, { method: "DELETE" })).status).toBe(200);
    // a capability: the link works for whoever holds it until exp
    const after = await get(url);
    expect(after.status).toBe(200);
    expect(after.headers.get("content-type")).toBe("image/png");
    // no new link through the revoked token
    const again = await call(`/v1/jobs/${jobId}`, { token });
    expect(again.status).toBe(401);
    expect(await again.json()).toMatchObject({ error: { code: "auth", message: "token revoked" } });
    // the admin's way to end links early: drop the kid that signed them (k2 here) from SIGNING_KEYS
    const keys = JSON.parse(env.SIGNING_KEYS as string) as Record<string, string>;
    expect(new URL(url).searchParams.get("kid")).toBe("k2");
    const rotated = { ...env, SIGNING_KEYS: JSON.stringify({ k1: keys.k1, k3: "k3".repeat(20) }) };
    expect((await app.request(url, {}, rotated)).status).toBe(403);
  });
});
