import { env } from "cloudflare:workers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MAX_URL_TTL_SECONDS, signUrl, stringToSign, verifySignedRequest } from "./signing.ts";
import { base64url } from "./tokens.ts";

const ORIGIN = "https://gw.test";
const KEY = "t/acme/2026/05/job_abc123/0.png";
const NOW = Date.UTC(2026, 4, 1, 12, 0, 0);

/** An independent signer on Web Crypto, to forge URLs the way an attacker with a key would. */
async function forge(kid: string, secret: string, key: string, exp: number): Promise<string> {
  const k = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const sig = base64url(
    new Uint8Array(await crypto.subtle.sign("HMAC", k, new TextEncoder().encode(stringToSign(kid, key, exp)))),
  );
  return `${ORIGIN}/files/${key}?exp=${exp}&kid=${kid}&sig=${sig}`;
}
const keys = () => JSON.parse(env.SIGNING_KEYS as string) as Record<string, string>;

describe("signUrl / verifySignedRequest", () => {
  it("signs with the newest kid and verifies its own URL", async () => {
    const url = await signUrl(env, ORIGIN, KEY, undefined, NOW);
    const u = new URL(url);
    expect(u.pathname).toBe(`/files/${KEY}`);
    expect(u.searchParams.get("kid")).toBe("k2");
    expect(Number(u.searchParams.get("exp"))).toBe(NOW / 1000 + 3600); // SIGNED_URL_TTL_SECONDS=3600
    expect(await verifySignedRequest(env, url, NOW)).toEqual({ key: KEY, exp: NOW / 1000 + 3600 });
  });

  it("matches an independent HMAC over the documented string", async () => {
    const url = await signUrl(env, ORIGIN, KEY, 600, NOW);
    expect(url).toBe(await forge("k2", keys().k2 as string, KEY, NOW / 1000 + 600));
  });

  it("still accepts URLs signed with an older kid (rotation)", async () => {
    const url = await forge("k1", keys().k1 as string, KEY, NOW / 1000 + 60);
    expect(await verifySignedRequest(env, url, NOW)).toEqual({ key: KEY, exp: NOW / 1000 + 60 });
  });

  it("refuses a TTL outside 1 s .. 7 days when signing", async () => {
    await expect(signUrl(env, ORIGIN, KEY, MAX_URL_TTL_SECONDS + 1, NOW)).rejects.toThrow(
      /ttlSeconds 604801: must be an integer from 1 to 604800/,
    );
    await expect(signUrl(env, ORIGIN, KEY, 0, NOW)).rejects.toThrow(RangeError);
    expect(await signUrl(env, ORIGIN, KEY, MAX_URL_TTL_SECONDS, NOW)).toContain(
      `exp=${NOW / 1000 + MAX_URL_TTL_SECONDS}`,
    );
  });

  it("fails closed without usable signing keys", async () => {
    await expect(signUrl({ SIGNING_KEYS: undefined }, ORIGIN, KEY, 60, NOW)).rejects.toThrow(
      /SIGNING_KEYS: no usable key/,
    );
    await expect(signUrl({ SIGNING_KEYS: '{"k":"short"}' }, ORIGIN, KEY, 60, NOW)).rejects.toThrow(/SIGNING_KEYS/);
    const url = await signUrl(env, ORIGIN, KEY, 60, NOW);
    expect(await verifySignedRequest({ SIGNING_KEYS: undefined }, url, NOW)).toBeNull();
    expect(await verifySignedRequest({ SIGNING_KEYS: "not json" }, url, NOW)).toBeNull();
  });

  const k2 = () => keys().k2 as string;
  it.each<[string, () => Promise<string>]>([
    ["expired", () => forge("k2", k2(), KEY, NOW / 1000 - 1)],
    ["expiring now", () => forge("k2", k2(), KEY, NOW / 1000)],
    ["exp beyond 7 days + skew", () => forge("k2", k2(), KEY, NOW / 1000 + MAX_URL_TTL_SECONDS + 301)],
    ["unknown kid", () => forge("k9", k2(), KEY, NOW / 1000 + 60)],
    ["kid of another key", () => forge("k1", k2(), KEY, NOW / 1000 + 60)],
    ["wrong secret", () => forge("k2", "another-secret-that-is-long-enough-000000", KEY, NOW / 1000 + 60)],
    [
      "tampered key",
      async () => (await signUrl(env, ORIGIN, KEY, 60, NOW)).replace("job_abc123/0.png", "job_abc123/1.png"),
    ],
    ["other team", async () => (await signUrl(env, ORIGIN, KEY, 60, NOW)).replace("/acme/", "/evil/")],
    [
      "tampered exp",
      async () => (await signUrl(env, ORIGIN, KEY, 60, NOW)).replace(/exp=(\d+)/, (_, e) => `exp=${Number(e) + 1}`),
    ],
    ["missing sig", async () => (await signUrl(env, ORIGIN, KEY, 60, NOW)).replace(/&sig=[^&]+/, "")],
    ["duplicated exp", async () => `${await signUrl(env, ORIGIN, KEY, 60, NOW)}&exp=1`],
    ["padded sig", async () => `${await signUrl(env, ORIGIN, KEY, 60, NOW)}=`],
    ["truncated sig", async () => (await signUrl(env, ORIGIN, KEY, 60, NOW)).slice(0, -2)],
    ["not a /files path", async () => (await signUrl(env, ORIGIN, KEY, 60, NOW)).replace("/files/", "/filez/")],
    ["exp with a leading zero", async () => (await signUrl(env, ORIGIN, KEY, 60, NOW)).replace("exp=", "exp=0")],
  ])("rejects a URL: %s", async (_name, make) => {
    expect(await verifySignedRequest(env, await make(), NOW)).toBeNull();
  });

  it("rejects any single changed byte in path or query (property)", async () => {
    const url = await signUrl(env, ORIGIN, "t/acme/2026/05/job_0123456789abcdef/3.webp", 3600, NOW);
    const start = ORIGIN.length; // the origin is not signed: a URL works on any host of the Worker
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: start, max: url.length - 1 }),
        fc.integer({ min: 0x20, max: 0x7e }),
        async (i, code) => {
          fc.pre(url.charCodeAt(i) !== code);
          const mutated = url.slice(0, i) + String.fromCharCode(code) + url.slice(i + 1);
          expect(await verifySignedRequest(env, mutated, NOW)).toBeNull();
        },
      ),
      { numRuns: 400 },
    );
  });

  it("rejects every single-character change of path or query (exhaustive over printable ASCII)", async () => {
    const url = await signUrl(env, ORIGIN, "t/acme/2026/05/job_0123456789abcdef/3.webp", 3600, NOW);
    const accepted: string[] = [];
    for (let i = ORIGIN.length; i < url.length; i++) {
      for (let code = 0x20; code <= 0x7e; code++) {
        if (url.charCodeAt(i) === code) continue;
        const mutated = url.slice(0, i) + String.fromCharCode(code) + url.slice(i + 1);
        if (await verifySignedRequest(env, mutated, NOW)) accepted.push(mutated);
      }
    }
    expect(accepted).toEqual([]);
  });
});
