import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, captureConsole, memberToken } from "../../test/gateway-support.ts";
import { app } from "../app.ts";
import { toOpenAIError } from "../lib/errors.ts";
import { MIGRATIONS, schemaGap } from "../lib/schema.ts";
import { NoSigningKeyError, signingKeyProblems } from "../lib/signing.ts";

interface Health {
  status: string;
  db: string;
  schema: { expected: number; missing: string[] };
  problems: string[];
}

const SHORT_KEY = "canary-short-signing-key";
const GOOD_KEY = "canary-good-signing-key-0123456789abcdef";

describe("/healthz", () => {
  it("lists every migration in apps/worker/migrations, in order", () => {
    expect([...MIGRATIONS]).toEqual(env.TEST_MIGRATIONS.map((m) => `${m.name}`));
  });

  it("is ok with the schema current and usable secrets", async () => {
    const res = await call("/healthz");
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      status: "ok",
      db: "ok",
      schema: { expected: MIGRATIONS.length, missing: [] },
      problems: [],
    });
  });

  it("names a missing ADMIN_TOKEN, a short or malformed SIGNING_KEYS entry and no usable key, never a value", async () => {
    const cfg = {
      ...env,
      ADMIN_TOKEN: "",
      SIGNING_KEYS: JSON.stringify({ dev1: SHORT_KEY, "9bad": GOOD_KEY }),
    };
    const res = await app.request("/healthz", {}, cfg);
    expect(res.status).toBe(503);
    const text = await res.text();
    expect(JSON.parse(text) as Health).toMatchObject({
      status: "degraded",
      db: "ok",
      problems: [
        "ADMIN_TOKEN: not set; every /admin call is refused",
        'SIGNING_KEYS: "dev1": secret under 32 characters (ignored)',
        "SIGNING_KEYS: entry 2: kid must match ^[A-Za-z][A-Za-z0-9._-]{0,31}$ (ignored)",
        expect.stringMatching(/^SIGNING_KEYS: no usable key/),
      ],
    });
    for (const v of [SHORT_KEY, GOOD_KEY, env.PROVIDER_API_KEY ?? "", env.ADMIN_TOKEN ?? ""])
      expect(text).not.toContain(v);
  });

  it("names an ADMIN_TOKEN under 20 characters, never its value", async () => {
    const res = await app.request("/healthz", {}, { ...env, ADMIN_TOKEN: "short-admin-token" });
    expect(res.status).toBe(503);
    const text = await res.text();
    expect((JSON.parse(text) as Health).problems).toEqual([
      "ADMIN_TOKEN: under 20 characters, so guessable; every /admin call is refused (set one of 20+ random characters, e.g. openssl rand -base64 32)",
    ]);
    expect(text).not.toContain("short-admin-token");
  });

  it("names a malformed PROVIDER_FALLBACKS and its rule", async () => {
    const res = await app.request("/healthz", {}, { ...env, PROVIDER_FALLBACKS: '{"name":"backup"}' });
    expect(res.status).toBe(503);
    expect(((await res.json()) as Health).problems).toEqual([
      "PROVIDER_FALLBACKS: must be a JSON array of provider configs",
    ]);
  });

  it("names a schema behind this build by its missing migrations", async () => {
    // a D1 that has applied all but the newest migration
    const newest = MIGRATIONS.at(-1) ?? "";
    const behind = new Proxy(env.DB, {
      get(db, prop) {
        if (prop !== "prepare") return Reflect.get(db, prop);
        return (sql: string) =>
          db.prepare(sql === "SELECT name FROM d1_migrations" ? `${sql} WHERE name <> '${newest}'` : sql);
      },
    });
    const res = await app.request("/healthz", {}, { ...env, DB: behind });
    expect(res.status).toBe(503);
    const body = (await res.json()) as Health;
    expect(body.schema.missing).toEqual([newest]);
    expect(body.problems).toEqual([
      `DB: schema behind by 1 migration(s) (${newest}): run wrangler d1 migrations apply DB --local`,
    ]);
  });

  it("signingKeyProblems: unset, not JSON, and fine", () => {
    expect(signingKeyProblems({})).toEqual(["SIGNING_KEYS: not set; signed URLs, url answers and job callbacks fail"]);
    expect(signingKeyProblems({ SIGNING_KEYS: `${GOOD_KEY}` })).toEqual([
      'SIGNING_KEYS: not a JSON object {"<kid>": "<secret>"}',
    ]);
    expect(signingKeyProblems({ SIGNING_KEYS: JSON.stringify({ k1: GOOD_KEY }) })).toEqual([]);
  });
});

describe("errors that name a broken setup", () => {
  it("a D1 table missing is a 500 that says the schema is behind and how to apply it", () => {
    const err = new Error("D1_ERROR: no such table: tokens: SQLITE_ERROR");
    expect(schemaGap(err)).toBe("table tokens");
    const { status, body } = toOpenAIError(err);
    expect(status).toBe(500);
    expect(body.error.message).toBe(
      "internal error: the database schema is behind this Worker (table tokens missing): apply the D1 migrations (wrangler d1 migrations apply DB --local, or --remote)",
    );
    expect(toOpenAIError(new Error("something else")).body.error.message).toBe("internal error");
  });

  it("no usable signing key is a 500 naming SIGNING_KEYS and its rule", () => {
    const { status, body } = toOpenAIError(new NoSigningKeyError());
    expect(status).toBe(500);
    expect(body.error.message).toMatch(/^internal error: SIGNING_KEYS: no usable key \(JSON/);
  });

  it("a url answer with only a short signing key is a 500 naming SIGNING_KEYS, logged without the key", async () => {
    const { token } = await memberToken();
    const log = captureConsole();
    try {
      const res = await app.request(
        "/v1/callback-secret",
        { headers: { authorization: `Bearer ${token}` } },
        { ...env, SIGNING_KEYS: JSON.stringify({ dev1: SHORT_KEY }) },
      );
      expect(res.status).toBe(500);
      const text = await res.text();
      expect(text).toContain("SIGNING_KEYS: no usable key");
      expect(text).not.toContain(SHORT_KEY);
    } finally {
      log.restore();
    }
    expect(log.lines.join("\n")).not.toContain(SHORT_KEY);
  });
});
