import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { call, captureConsole, expectNoCanary, memberToken } from "../../test/gateway-support.ts";
import { app } from "../app.ts";
import type { Env } from "../env.ts";
import { newestSigningKey, signUrl, stringToSign, verifySignedRequest } from "../lib/signing.ts";
import { base64url } from "../lib/tokens.ts";
import { deliverCallback } from "./callback.ts";
import type { JobView } from "./types.ts";

const HOOK = "https://hooks.test/gptimg";
const NOW = Date.UTC(2026, 4, 1, 12, 0, 0);
const signingKeys = () => JSON.parse(env.SIGNING_KEYS as string) as Record<string, string>;

interface SecretBody {
  object: string;
  team: string;
  kid: string;
  secret: string;
  keys: { kid: string; secret: string }[];
}

const job: JobView = {
  id: "job_secret_test",
  object: "image.job",
  status: "succeeded",
  kind: "generate",
  model: "gpt-image-2",
  member: "alice",
  created_at: 1,
  completed_at: 2,
  requested_size: "1024x1024",
  size_mismatch: false,
  provider: "primary",
  request_id: "req_1",
  images: [],
  usage: null,
  cost_usd: null,
  error: null,
};

/** An independent receiver: Web Crypto HMAC over "<t>.<body>", compared as hex. */
async function verifies(secret: string, header: string, body: string): Promise<boolean> {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
  if (!m) return false;
  const enc = new TextEncoder();
  const k = await crypto.subtle.importKey("raw", enc.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", k, enc.encode(`${m[1]}.${body}`)));
  return [...mac].map((b) => b.toString(16).padStart(2, "0")).join("") === m[2];
}

/** Delivers `job` for `team` through a fetch spy and returns what the receiver got. */
async function deliver(team: string, e: Env = env as Env) {
  const spy = vi.fn(async (_url: string | URL | Request, _init?: RequestInit) => new Response("ok"));
  const status = await deliverCallback(e, HOOK, team, job, { fetch: spy as unknown as typeof fetch, now: () => NOW });
  const init = spy.mock.calls[0]?.[1];
  const headers = new Headers(init?.headers);
  return {
    status,
    body: String(init?.body),
    header: headers.get("x-gptimg-signature") ?? "",
    kid: headers.get("x-gptimg-key-id"),
  };
}

async function secretOf(team: string): Promise<SecretBody> {
  const { token } = await memberToken({ team });
  const res = await call("/v1/callback-secret", { token });
  expect(res.status).toBe(200);
  expect(res.headers.get("cache-control")).toBe("no-store");
  return (await res.json()) as SecretBody;
}

describe("GET /v1/callback-secret", () => {
  it.each([
    ["no token", undefined],
    ["an unknown token", "gpi_not_a_real_token"],
  ])("refuses %s with 401", async (_name, token) => {
    const res = await call("/v1/callback-secret", token ? { token } : {});
    expect(res.status).toBe(401);
    const text = await res.text();
    expect(text).toContain('"code":"auth"');
    expect(text).not.toMatch(/[0-9a-f]{64}/);
  });

  it("answers the team's secret under every kid, newest last, never a signing key", async () => {
    const body = await secretOf("acme");
    expect(body).toMatchObject({ object: "callback_secret", team: "acme", kid: "k2" });
    expect(body.secret).toMatch(/^[0-9a-f]{64}$/);
    expect(body.keys.map((k) => k.kid)).toEqual(["k1", "k2"]);
    expect(body.keys.at(-1)?.secret).toBe(body.secret);
    expect(body.keys[0]?.secret).not.toBe(body.secret);
    expectNoCanary(JSON.stringify(body), "callback-secret response");
    // two members of one team see the same secret
    expect((await secretOf("acme")).secret).toBe(body.secret);
  });
});

describe("callback signatures", () => {
  it("verify with the team's secret from the route, and with nothing else", async () => {
    const acme = await secretOf("acme");
    const globex = await secretOf("globex");
    expect(globex.secret).not.toBe(acme.secret);
    const { status, body, header, kid } = await deliver("acme");
    expect(status).toBe(200);
    expect(kid).toBe(acme.kid);
    expect(header).toMatch(new RegExp(`^t=${NOW / 1000},v1=[0-9a-f]{64}$`));
    expect(await verifies(acme.secret, header, body)).toBe(true);
    expect(await verifies(acme.secret, header, `${body} `)).toBe(false);
    const cases: [string, string][] = [
      ["the URL-signing key k2 itself", signingKeys().k2 as string],
      ["the older kid's secret", acme.keys[0]?.secret as string],
      ["another team's secret", globex.secret],
    ];
    for (const [name, secret] of cases) expect(await verifies(secret, header, body), name).toBe(false);
  });

  it("the team secret cannot sign a /files URL", async () => {
    const { secret } = await secretOf("acme");
    const key = "t/acme/2026/05/job_abc/0.png";
    const exp = NOW / 1000 + 600;
    const k = await crypto.subtle.importKey(
      "raw",
      new TextEncoder().encode(secret),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign"],
    );
    const sig = base64url(
      new Uint8Array(await crypto.subtle.sign("HMAC", k, new TextEncoder().encode(stringToSign("k2", key, exp)))),
    );
    const forged = `https://gw.test/files/${key}?exp=${exp}&kid=k2&sig=${sig}`;
    expect(await verifySignedRequest(env, forged, NOW)).toBeNull();
  });

  it("after rotation the route answers the new kid and still lists the old one", async () => {
    const rotated = {
      ...env,
      SIGNING_KEYS: JSON.stringify({ ...signingKeys(), k3: "signing-canary-k3-do-not-leak-0123456789" }),
    } as Env;
    const { token } = await memberToken({ team: "acme" });
    const res = await app.request("/v1/callback-secret", { headers: { authorization: `Bearer ${token}` } }, rotated);
    const body = (await res.json()) as SecretBody;
    expect(body.kid).toBe("k3");
    expect(body.keys.map((k) => k.kid)).toEqual(["k1", "k2", "k3"]);
    expect(body.keys[1]?.secret).toBe((await secretOf("acme")).secret);
    const sent = await deliver("acme", rotated);
    expect(sent.kid).toBe("k3");
    expect(await verifies(body.secret, sent.header, sent.body)).toBe(true);
  });
});

describe("callback answers", () => {
  it.each([301, 302, 307, 308])(
    "a %i redirect is a permanent failure: it is never followed, so never retried",
    async (status) => {
      const e = env as Env;
      const spy = vi.fn(async () => new Response(null, { status, headers: { location: "https://elsewhere.test/" } }));
      await expect(
        deliverCallback(e, HOOK, "acme", job, { fetch: spy as unknown as typeof fetch }),
      ).rejects.toMatchObject({
        name: "PermanentDeliveryError",
        message: expect.stringContaining("a redirect"),
      });
      expect(spy).toHaveBeenCalledTimes(1);
    },
  );
});

describe("SIGNING_KEYS validation is one rule for URLs, callbacks and the secret route", () => {
  const SHORT = "short-canary-31-chars-012345678"; // one under the 32-character minimum
  it.each<[string, Record<string, string>, string | null]>([
    ["only a short key", { k1: SHORT }, null],
    ["a bad kid", { "bad kid!": "signing-canary-badkid-do-not-leak-0123" }, null],
    ["a short newest key after a good one", { k1: "signing-canary-k1-do-not-leak-0123456789", k9: SHORT }, "k1"],
    // an all-digit kid would be listed first by JSON.parse whatever its place: refused, so the
    // last kid written is the one that signs
    ["an all-digit kid written last", { k1: "signing-canary-k1-do-not-leak-0123456789", "2": SHORT.repeat(2) }, "k1"],
  ])("%s", async (_name, keys, expectedKid) => {
    const e = { ...env, SIGNING_KEYS: JSON.stringify(keys) } as Env;
    const { token } = await memberToken({ team: "acme" });
    const log = captureConsole();
    let res: Response;
    let text: string;
    try {
      res = await app.request("/v1/callback-secret", { headers: { authorization: `Bearer ${token}` } }, e);
      text = await res.text();
    } finally {
      log.restore();
    }
    expect(text).not.toContain(SHORT);
    // no usable key: the operator's log names the setting, as the answer does, and never its value
    expect(log.lines).toEqual(
      expectedKid === null
        ? [
            expect.stringMatching(
              /^internal error on GET \/v1\/callback-secret: HttpError \(SIGNING_KEYS: no usable key/,
            ),
          ]
        : [],
    );
    expect(log.lines.join("\n")).not.toContain(SHORT);
    const spy = vi.fn(async () => new Response("ok"));
    if (expectedKid === null) {
      expect(() => newestSigningKey(e)).toThrow(/SIGNING_KEYS: no usable key/);
      await expect(signUrl(e, "https://gw.test", "t/acme/x.png", 60, NOW)).rejects.toThrow(
        /SIGNING_KEYS: no usable key/,
      );
      await expect(deliverCallback(e, HOOK, "acme", job, { fetch: spy as unknown as typeof fetch })).rejects.toThrow(
        /SIGNING_KEYS: no usable key/,
      );
      expect(spy).not.toHaveBeenCalled();
      expect(res.status).toBe(500);
      expect(JSON.parse(text).error.message).toMatch(/SIGNING_KEYS: no usable key .*at least 32 characters/);
    } else {
      expect(newestSigningKey(e).kid).toBe(expectedKid);
      expect(new URL(await signUrl(e, "https://gw.test", "t/acme/x.png", 60, NOW)).searchParams.get("kid")).toBe(
        expectedKid,
      );
      expect((await deliver("acme", e)).kid).toBe(expectedKid);
      expect(res.status).toBe(200);
      expect((JSON.parse(text) as SecretBody).keys.map((k) => k.kid)).toEqual([expectedKid]);
    }
  });
});
