import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { admin, call, memberToken, recordUsage } from "../../test/gateway-support.ts";

const post = (body: unknown) =>
  admin("/admin/tokens", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });

describe("admin auth", () => {
  it.each<[string, Record<string, string>]>([
    ["no token", {}],
    ["wrong token", { authorization: "Bearer not-the-admin-token" }],
    ["a member token", { authorization: "Bearer gpi_whatever" }],
    ["basic auth", { authorization: `Basic ${btoa("admin:x")}` }],
  ])("refuses %s with 401", async (_n, headers) => {
    const res = await call("/admin/tokens", { headers });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { code: "auth", type: "authentication_error", param: null } });
  });

  it("fails closed when ADMIN_TOKEN is unset, empty or shorter than 20 characters", async () => {
    const { app } = await import("../app.ts");
    for (const value of [undefined, "", "admin-123456789", "nineteen-characters"]) {
      const res = await app.request(
        "/admin/tokens",
        { headers: { authorization: "Bearer " } },
        { ...env, ADMIN_TOKEN: value },
      );
      expect(res.status).toBe(401);
      const res2 = await app.request(
        "/admin/tokens",
        { headers: { authorization: "Bearer undefined" } },
        { ...env, ADMIN_TOKEN: value },
      );
      expect(res2.status).toBe(401);
      if (value) {
        // the short token itself is refused too, over a header and for a console sign-in
        const res3 = await app.request(
          "/admin/tokens",
          { headers: { authorization: `Bearer ${value}` } },
          { ...env, ADMIN_TOKEN: value },
        );
        expect(res3.status).toBe(401);
        const signIn = await app.request(
          "/console/api/session",
          {
            method: "POST",
            headers: { "content-type": "application/json", origin: "http://localhost" },
            body: JSON.stringify({ token: value }),
          },
          { ...env, ADMIN_TOKEN: value },
        );
        expect(signIn.status).toBe(401);
        expect(signIn.headers.get("set-cookie")).toBeNull();
      }
    }
    // 20 characters are taken
    const twenty = "twenty-characters-ok";
    const ok = await app.request(
      "/admin/tokens",
      { headers: { authorization: `Bearer ${twenty}` } },
      {
        ...env,
        ADMIN_TOKEN: twenty,
      },
    );
    expect(ok.status).toBe(200);
  });
});

describe("POST /admin/tokens", () => {
  it("creates a token, shows it once, stores only its SHA-256", async () => {
    const res = await post({
      team: "acme",
      member: "bob",
      expires_in_days: 30,
      models: ["gpt-image-2"],
      daily_image_quota: 50,
      rpm: 10,
    });
    expect(res.status).toBe(201);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      team: "acme",
      member: "bob",
      models: ["gpt-image-2"],
      daily_image_quota: 50,
      rpm: 10,
    });
    expect(String(body.id)).toMatch(/^tok_[0-9a-z]{20}$/);
    expect(String(body.token)).toMatch(/^gpi_[A-Za-z0-9_-]{43}$/);
    const now = Date.now() / 1000;
    expect(Number(body.expires_at)).toBeGreaterThan(now + 30 * 86400 - 60);
    const row = await env.DB.prepare("SELECT * FROM tokens WHERE id = ?")
      .bind(body.id)
      .first<Record<string, unknown>>();
    expect(JSON.stringify(row)).not.toContain(String(body.token));
    expect(row?.token_hash).toMatch(/^[0-9a-f]{64}$/);
    // the new token works
    const models = await call("/v1/models", { token: String(body.token) });
    expect(models.status).toBe(200);
    // and is never listed again
    const list = await admin("/admin/tokens?team=acme");
    expect(await list.text()).not.toContain(String(body.token));
  });

  it.each<[unknown, string]>([
    [{ member: "bob" }, "team"],
    [{ team: "acme" }, "member"],
    [{ team: "../etc", member: "bob" }, "team"],
    [{ team: "acme", member: "bob/x" }, "member"],
    [{ team: "acme", member: "bob", expires_in_days: 0 }, "expires_in_days"],
    [{ team: "acme", member: "bob", expires_in_days: 1.5 }, "expires_in_days"],
    [{ team: "acme", member: "bob", models: [] }, "models"],
    [{ team: "acme", member: "bob", models: "gpt-image-2" }, "models"],
    [{ team: "acme", member: "bob", daily_image_quota: -1 }, "daily_image_quota"],
    [{ team: "acme", member: "bob", rpm: "10" }, "rpm"],
    [{ team: "acme", member: "bob", admin: true }, "admin"],
    [[1, 2], "body"],
  ])("400 for %j naming %s", async (body, field) => {
    const res = await post(body);
    expect(res.status).toBe(400);
    const err = (await res.json()) as { error: { param: string; message: string; code: string } };
    expect(err.error.code).toBe("validation");
    expect(err.error.param).toBe(field);
    expect(err.error.message).toContain(field);
  });

  it("400 for a body that is not JSON", async () => {
    const res = await admin("/admin/tokens", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{",
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: "validation", param: "body" } });
  });
});

describe("GET /admin/tokens and DELETE /admin/tokens/:id", () => {
  it("lists a team's tokens without secrets, revokes one, 404 for an unknown id", async () => {
    const a = (await (await post({ team: "listco", member: "a" })).json()) as { id: string; token: string };
    const b = (await (await post({ team: "listco", member: "b" })).json()) as { id: string; token: string };
    await post({ team: "otherco", member: "c" });
    const list = (await (await admin("/admin/tokens?team=listco")).json()) as {
      object: string;
      data: Record<string, unknown>[];
    };
    expect(list.object).toBe("list");
    expect(list.data.map((t) => t.member)).toEqual(["a", "b"]);
    for (const t of list.data) {
      expect(t).not.toHaveProperty("token");
      expect(t).not.toHaveProperty("token_hash");
    }
    const del = await admin(`/admin/tokens/${a.id}`, { method: "DELETE" });
    expect(del.status).toBe(200);
    expect(await del.json()).toMatchObject({ id: a.id, revoked: true });
    expect((await call("/v1/models", { token: a.token })).status).toBe(401);
    expect((await call("/v1/models", { token: b.token })).status).toBe(200);
    const after = (await (await admin("/admin/tokens?team=listco")).json()) as {
      data: { id: string; revoked_at: number | null }[];
    };
    expect(after.data.find((t) => t.id === a.id)?.revoked_at).toBeTypeOf("number");
    expect((await admin("/admin/tokens/tok_nope", { method: "DELETE" })).status).toBe(404);
  });
});

describe("usage reports", () => {
  it("GET /admin/usage sums per team, member and model; GET /v1/usage shows own or team rows", async () => {
    const usage = {
      inputTokens: 100,
      outputTokens: 1000,
      totalTokens: 1100,
      inputTokensDetails: { textTokens: 100, imageTokens: 0 },
    };
    await recordUsage({ team: "useco", member: "ann", model: "gpt-image-2", images: 2, usage });
    await recordUsage({ team: "useco", member: "ann", model: "gpt-image-2", images: 1, usage });
    await recordUsage({ team: "useco", member: "ben", model: "gpt-image-2", images: 4, usage });
    await recordUsage({ team: "elsewhere", member: "zed", model: "gpt-image-2", images: 9, usage });
    const today = new Date().toISOString().slice(0, 10);

    const all = (await (await admin(`/admin/usage?from=${today}&to=${today}&team=useco`)).json()) as {
      rows: Record<string, unknown>[];
      from: string;
      to: string;
    };
    expect(all).toMatchObject({ object: "usage", from: today, to: today });
    // MODEL_RATES in wrangler.jsonc: 5 $/M input text, 30 $/M output image tokens
    const per = 100 * 5e-6 + 1000 * 30e-6;
    expect(all.rows).toEqual([
      {
        team: "useco",
        member: "ann",
        model: "gpt-image-2",
        images: 3,
        possibly_billed_images: 0,
        input_tokens: 200,
        output_tokens: 2000,
        cost_usd: +(2 * per).toFixed(6),
        unpriced_images: 0,
      },
      {
        team: "useco",
        member: "ben",
        model: "gpt-image-2",
        images: 4,
        possibly_billed_images: 0,
        input_tokens: 100,
        output_tokens: 1000,
        cost_usd: +per.toFixed(6),
        unpriced_images: 0,
      },
    ]);

    const { token } = await memberToken({ team: "useco", member: "ann" });
    const own = (await (await call("/v1/usage", { token })).json()) as { rows: { member: string }[] };
    expect(own.rows.map((r) => r.member)).toEqual(["ann"]);
    const team = (await (await call("/v1/usage?scope=team", { token })).json()) as {
      rows: { team: string; member: string }[];
    };
    expect(team.rows.map((r) => r.member)).toEqual(["ann", "ben"]);
    expect(team.rows.every((r) => r.team === "useco")).toBe(true);
  });

  it.each<[string, string]>([
    ["from=2026-13-01", "from"],
    ["to=yesterday", "to"],
    ["from=2026-05-02&to=2026-05-01", "from"],
    ["from=2024-01-01&to=2026-01-01", "from"],
  ])("400 for ?%s naming %s", async (query, field) => {
    const res = await admin(`/admin/usage?${query}`);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: "validation", param: field } });
  });

  it("400 for an unknown scope on /v1/usage", async () => {
    const { token } = await memberToken();
    const res = await call("/v1/usage?scope=all", { token });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { param: "scope" } });
  });
});
