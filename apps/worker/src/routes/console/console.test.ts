import { env, exports } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  ADMIN,
  call,
  memberToken,
  ORIGIN,
  type ProviderSide,
  recordUsage,
  useOfflineProvider,
} from "../../../test/gateway-support.ts";
import { thumbnailKey } from "../../lib/thumbnails.ts";
import { hashToken } from "../../lib/tokens.ts";

/** A browser-like request to the Worker: same-origin headers unless told otherwise. */
function browser(path: string, init: RequestInit & { cookie?: string; origin?: string | null; base?: string } = {}) {
  const base = init.base ?? ORIGIN;
  const headers = new Headers(init.headers);
  if (init.cookie) headers.set("cookie", init.cookie);
  const origin = init.origin === undefined ? base : init.origin;
  if (origin !== null) headers.set("origin", origin);
  return exports.default.fetch(new Request(`${base}${path}`, { ...init, headers }));
}

async function signIn(token: string, base = ORIGIN): Promise<{ res: Response; cookie: string }> {
  const res = await browser("/console/api/session", {
    base,
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ token }),
  });
  const set = res.headers.get("set-cookie") ?? "";
  return { res, cookie: set.split(";")[0] ?? "" };
}

describe("console sign-in", () => {
  it("exchanges a member token for an HttpOnly, Secure, SameSite=Strict, expiring cookie stored hashed", async () => {
    const { token } = await memberToken({ team: "acme", member: "carol" });
    const { res, cookie } = await signIn(token);
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ role: "member", team: "acme", member: "carol" });
    const set = res.headers.get("set-cookie") ?? "";
    expect(set).toMatch(/^gptimg_session=gps_[A-Za-z0-9_-]{43};/);
    expect(set).toMatch(/HttpOnly/);
    expect(set).toMatch(/Secure/);
    expect(set).toMatch(/SameSite=Strict/);
    expect(set).toMatch(/Max-Age=43200/);
    expect(set).toMatch(/Path=\//);
    expect(set).not.toContain(token);
    const secret = cookie.split("=")[1] ?? "";
    const rows = await env.DB.prepare("SELECT id_hash FROM console_sessions").all<{ id_hash: string }>();
    const hashes = rows.results.map((r) => r.id_hash);
    expect(hashes).toContain(await hashToken(secret));
    expect(JSON.stringify(rows.results)).not.toContain(secret);
    // the session works for the public API without the token
    const usage = await browser("/v1/usage", { cookie });
    expect(usage.status).toBe(200);
    const who = await browser("/console/api/session", { cookie });
    expect(await who.json()).toMatchObject({ role: "member", member: "carol" });
  });

  it("leaves Secure off on localhost only, where the console runs over plain http", async () => {
    const { token } = await memberToken();
    const { res } = await signIn(token, "http://localhost:8787");
    expect(res.status).toBe(201);
    const set = res.headers.get("set-cookie") ?? "";
    expect(set).toMatch(/HttpOnly/);
    expect(set).not.toMatch(/Secure/);
  });

  it("caps a session at its token's expiry", async () => {
    const expiresAt = Math.floor(Date.now() / 1000) + 600;
    const { token } = await memberToken({ expiresAt });
    const { res } = await signIn(token);
    expect((await res.json()) as { expires_at: number }).toMatchObject({ expires_at: expiresAt });
    expect(res.headers.get("set-cookie")).toMatch(/Max-Age=(600|599)/);
  });

  it.each([
    ["an unknown token", "gpi_not-a-real-token", /invalid token/],
    ["an empty token", "", /token: must be/],
  ])("refuses %s in words", async (_n, token, message) => {
    const { res } = await signIn(token);
    expect([400, 401]).toContain(res.status);
    expect(res.headers.get("set-cookie")).toBeNull();
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(message);
  });

  it("refuses a revoked or expired token, and ends its sessions when it is revoked later", async () => {
    const revoked = await memberToken({ revokedAt: 1 });
    expect((await signIn(revoked.token)).res.status).toBe(401);
    const expired = await memberToken({ expiresAt: 1 });
    expect((await signIn(expired.token)).res.status).toBe(401);
    const live = await memberToken();
    const { cookie } = await signIn(live.token);
    expect((await browser("/v1/usage", { cookie })).status).toBe(200);
    await call(`/admin/tokens/${live.id}`, { method: "DELETE", token: ADMIN });
    const after = await browser("/v1/usage", { cookie });
    expect(after.status).toBe(401);
    expect(((await after.json()) as { error: { message: string } }).error.message).toMatch(/revoked/);
  });

  it("refuses a forged, malformed or expired session cookie", async () => {
    const forged = `gptimg_session=gps_${"A".repeat(43)}`;
    for (const cookie of [forged, "gptimg_session=nonsense", "gptimg_session="]) {
      expect((await browser("/v1/usage", { cookie })).status).toBe(401);
      expect((await browser("/console/api/session", { cookie })).status).toBe(401);
    }
    const { token } = await memberToken();
    const { cookie } = await signIn(token);
    const secret = cookie.split("=")[1] ?? "";
    await env.DB.prepare("UPDATE console_sessions SET expires_at = ? WHERE id_hash = ?")
      .bind(Math.floor(Date.now() / 1000) - 1, await hashToken(secret))
      .run();
    expect((await browser("/v1/usage", { cookie })).status).toBe(401);
  });

  it("signs out server-side: the old cookie no longer works", async () => {
    const { token } = await memberToken();
    const { cookie } = await signIn(token);
    const out = await browser("/console/api/session", { method: "DELETE", cookie });
    expect(out.status).toBe(204);
    expect(out.headers.get("set-cookie")).toMatch(/gptimg_session=;.*Max-Age=0/);
    expect((await browser("/v1/usage", { cookie })).status).toBe(401);
  });

  it("an Authorization header wins over the cookie; a bad one is not rescued by it", async () => {
    const { token } = await memberToken();
    const { cookie } = await signIn(token);
    const res = await browser("/v1/usage", { cookie, headers: { authorization: "Bearer gpi_wrong" } });
    expect(res.status).toBe(401);
  });
});

describe("console CSRF", () => {
  it("refuses a cross-site or origin-less state change made with the session cookie", async () => {
    const { token } = await memberToken({ team: "csrf", member: "dan" });
    const { cookie } = await signIn(token);
    const body = JSON.stringify({ prompt: "x" });
    const headers = { "content-type": "application/json" };
    for (const origin of ["https://evil.example", "null", null]) {
      const res = await browser("/v1/images/generations", { method: "POST", cookie, origin, body, headers });
      expect(res.status).toBe(403);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(
        /cross-site request refused/,
      );
    }
    // Sec-Fetch-Site alone (no Origin) must say same-origin
    const site = await browser("/console/api/session", {
      method: "DELETE",
      cookie,
      origin: null,
      headers: { "sec-fetch-site": "cross-site" },
    });
    expect(site.status).toBe(403);
    // signing in is a state change too (no login CSRF)
    const login = await browser("/console/api/session", {
      method: "POST",
      origin: "https://evil.example",
      headers,
      body: JSON.stringify({ token }),
    });
    expect(login.status).toBe(403);
    // the session still works from its own origin
    expect((await browser("/v1/usage", { cookie })).status).toBe(200);
  });
});

describe("console admin session", () => {
  it("stands for the admin token on /admin only, and ends when the admin token changes", async () => {
    const { res, cookie } = await signIn(ADMIN);
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ role: "admin" });
    expect((await browser("/admin/tokens", { cookie })).status).toBe(200);
    const v1 = await browser("/v1/usage", { cookie });
    expect(v1.status).toBe(403);
    const created = await browser("/admin/tokens", {
      method: "POST",
      cookie,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ team: "acme", member: "eve" }),
    });
    expect(created.status).toBe(201);
    const evil = await browser("/admin/tokens", {
      method: "POST",
      cookie,
      origin: "https://evil.example",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ team: "acme", member: "mallory" }),
    });
    expect(evil.status).toBe(403);
    const { app } = await import("../../app.ts");
    const rotated = await app.request(
      "/admin/tokens",
      { headers: { cookie, origin: ORIGIN } },
      { ...env, ADMIN_TOKEN: "a-new-admin-canary-token" },
    );
    expect(rotated.status).toBe(401);
  });

  it("a member session is no admin", async () => {
    const { token } = await memberToken();
    const { cookie } = await signIn(token);
    expect((await browser("/admin/tokens", { cookie })).status).toBe(401);
  });
});

describe("usage per day", () => {
  it("groups /v1/usage and /admin/usage by day with group_by=day, with the same totals", async () => {
    const day = new Date().toISOString().slice(0, 10);
    await recordUsage({
      team: "daily",
      member: "fay",
      tokenId: null,
      model: "gpt-image-2",
      images: 2,
      usage: undefined,
    });
    await recordUsage({
      team: "daily",
      member: "fay",
      tokenId: null,
      model: "gpt-image-2",
      images: 3,
      usage: undefined,
    });
    const grouped = await call("/admin/usage?team=daily&group_by=day", { token: ADMIN });
    const rows = ((await grouped.json()) as { rows: { day: string; images: number }[] }).rows;
    expect(rows).toEqual([expect.objectContaining({ day, member: "fay", images: 5 })]);
    const bad = await call("/admin/usage?group_by=week", { token: ADMIN });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/group_by/);
  });
});

describe("console pages", () => {
  it("serves the console at / with a strict Content-Security-Policy", async () => {
    const res = await call("/");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/text\/html/);
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
    expect(csp).toContain("frame-ancestors 'none'");
    const html = await res.text();
    const script = /src="(\/assets\/app-[0-9a-f]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const js = await call(script ?? "");
    expect(js.status).toBe(200);
    expect(js.headers.get("cache-control")).toContain("immutable");
    expect(js.headers.get("content-security-policy")).toBe(csp);
  });

  it("API routes outside the console keep their JSON 404", async () => {
    const res = await call("/nope");
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: "not_found" } });
  });
});

describe("console history", () => {
  let provider: ProviderSide;
  beforeEach(() => {
    provider = useOfflineProvider();
  });
  afterEach(() => provider.restore());

  it("lists the member's images newest first, pages, filters by text and model, and serves thumbnails", async () => {
    const { token } = await memberToken({ team: "hist", member: "gus" });
    const other = await memberToken({ team: "hist", member: "hal" });
    const make = (t: string, prompt: string) =>
      call("/v1/images/generations", {
        method: "POST",
        token: t,
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ prompt, size: "1024x1024" }),
      });
    // each answer is read whole: the images stream through it, and the row settles after it
    for (const p of ["a red fox", "a blue whale", "100% green_cat"]) {
      const res = await make(token, p);
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    }
    const panda = await make(other.token, "a red panda");
    expect(panda.status).toBe(200);
    await panda.arrayBuffer();
    // a synchronous request settles its row just after its answer: wait for the four (bounded)
    for (let i = 0; i < 100; i++) {
      const done = await env.DB.prepare(
        "SELECT COUNT(*) AS n FROM jobs WHERE team = 'hist' AND status = 'succeeded'",
      ).first<{ n: number }>();
      if (done?.n === 4) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const { cookie } = await signIn(token);
    const page1 = await browser("/console/api/history?limit=2", { cookie });
    expect(page1.status).toBe(200);
    const b1 = (await page1.json()) as {
      data: { prompt: string; images: { thumbnail_url: string; url: string }[] }[];
      next_cursor: string;
    };
    expect(b1.data.map((e) => e.prompt)).toEqual(["100% green_cat", "a blue whale"]);
    const page2 = await browser(`/console/api/history?limit=2&cursor=${b1.next_cursor}`, { cookie });
    const b2 = (await page2.json()) as { data: { prompt: string }[]; next_cursor: string | null };
    expect(b2.data.map((e) => e.prompt)).toEqual(["a red fox"]);
    expect(b2.next_cursor).toBeNull();
    const red = (await (await browser("/console/api/history?scope=team&q=red", { cookie })).json()) as {
      data: { prompt: string; member: string }[];
    };
    expect(red.data.map((e) => `${e.member}:${e.prompt}`)).toEqual(["hal:a red panda", "gus:a red fox"]);
    // LIKE wildcards in the text are literal
    const pct = (await (await browser("/console/api/history?q=0%25%20g", { cookie })).json()) as { data: unknown[] };
    expect(pct.data).toHaveLength(1);
    const under = (await (await browser("/console/api/history?q=n_c", { cookie })).json()) as { data: unknown[] };
    expect(under.data).toHaveLength(1);
    const model = (await (await browser("/console/api/history?model=dall-e-2", { cookie })).json()) as {
      data: unknown[];
    };
    expect(model.data).toHaveLength(0);
    const bad = await browser("/console/api/history?limit=1000&from=yesterday", { cookie });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/limit/);

    // every stored output gets its thumbnail once its row is settled, before anyone asks for it
    const rows = await env.DB.prepare("SELECT image_keys FROM jobs WHERE team = 'hist'").all<{ image_keys: string }>();
    const keys = rows.results.flatMap((r) => (JSON.parse(r.image_keys) as { key: string }[]).map((i) => i.key));
    expect(keys).toHaveLength(4);
    for (const key of keys)
      await vi.waitFor(async () => expect(await env.IMAGES.head(thumbnailKey(key))).not.toBeNull(), {
        timeout: 20_000,
        interval: 50,
      });
    const thumbPath = b1.data[0]?.images[0]?.thumbnail_url ?? "";
    const thumb = await browser(thumbPath, { cookie });
    expect(thumb.status).toBe(200);
    expect(thumb.headers.get("content-type")).toBe("image/webp");
    const bytes = new Uint8Array(await thumb.arrayBuffer());
    expect(new TextDecoder().decode(bytes.slice(8, 12))).toBe("WEBP");
    // another team's image is a 404
    const stranger = await memberToken({ team: "elsewhere" });
    const s = await signIn(stranger.token);
    expect((await browser(thumbPath, { cookie: s.cookie })).status).toBe(404);
  }, 60_000);

  it("lists the images a failed request had already stored, so nothing made (and billed) is out of sight", async () => {
    provider.restore();
    // the provider's answer breaks off after its first image (1024x1024 is ~130 KB of base64)
    provider = useOfflineProvider("cut=200000");
    const { token } = await memberToken({ team: "hist-failed", member: "ida" });
    const res = await call("/v1/images/generations", {
      method: "POST",
      token,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ prompt: "two kites, the second cut off", size: "1024x1024", n: 2 }),
    });
    // the answer had begun (200) when the provider broke off: it ends early, with no closing brackets
    await res.text().catch(() => undefined);
    const row = await vi.waitFor(
      async () => {
        const r = await env.DB.prepare("SELECT status, image_keys FROM jobs WHERE team = 'hist-failed'").first<{
          status: string;
          image_keys: string | null;
        }>();
        if (r?.status !== "failed") throw new Error("not settled yet");
        return r;
      },
      { timeout: 20_000, interval: 50 },
    );
    expect(JSON.parse(row.image_keys ?? "[]")).toHaveLength(1);
    const { cookie } = await signIn(token);
    const body = (await (await browser("/console/api/history", { cookie })).json()) as {
      data: { prompt: string; images: { index: number; url: string }[] }[];
    };
    expect(body.data).toHaveLength(1);
    expect(body.data[0]?.prompt).toBe("two kites, the second cut off");
    expect(body.data[0]?.images.map((i) => i.index)).toEqual([0]);
    const file = await exports.default.fetch(new Request(body.data[0]?.images[0]?.url ?? ""));
    expect(file.status).toBe(200);
    expect(file.headers.get("content-type")).toBe("image/png");
    await file.arrayBuffer();
  }, 60_000);

  it.each<[string, string, string]>([
    ["from=2026-02-31", "from", "from 2026-02-31: must be a date YYYY-MM-DD"],
    ["to=2026-04-31", "to", "to 2026-04-31: must be a date YYYY-MM-DD"],
    ["from=2026-5-01", "from", "from 2026-5-01: must be a date YYYY-MM-DD"],
    ["from=2026-05-02&to=2026-05-01", "from", "from 2026-05-02: must not be after to (2026-05-01)"],
  ])("answers 400 for ?%s naming %s, its value and the rule", async (query, field, message) => {
    const { token } = await memberToken({ team: "hist-dates" });
    const { cookie } = await signIn(token);
    const res = await browser(`/console/api/history?${query}`, { cookie });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: "validation", param: field, message } });
  });

  it("takes a one-day range and empty bounds", async () => {
    const { token } = await memberToken({ team: "hist-dates" });
    const { cookie } = await signIn(token);
    for (const query of ["from=2024-02-29&to=2024-02-29", "from=&to="]) {
      const res = await browser(`/console/api/history?${query}`, { cookie });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ object: "list", data: [], next_cursor: null });
    }
  });
});
