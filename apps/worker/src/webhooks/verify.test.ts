import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { toHex } from "../lib/tokens.ts";
import { concatBytes, utf8 } from "./crypto.ts";
import { verifyDiscord } from "./discord/verify.ts";
import { decryptFeishu, verifyFeishu } from "./feishu/verify.ts";
import { verifySlack } from "./slack/verify.ts";
import { verifyTelegram } from "./telegram/verify.ts";

// Slack's published worked example (api.slack.com/authentication/verifying-requests-from-slack).
const SLACK_EXAMPLE = {
  secret: "8f742231b10e8888abcd99yyyzzz85a5",
  timestamp: "1531420618",
  body: "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c",
  signature: "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
};

// Independent references built straight on Web Crypto, not on the module under test.
const hmacHex = async (key: string, msg: string) => {
  const k = await crypto.subtle.importKey("raw", utf8(key), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return toHex(new Uint8Array(await crypto.subtle.sign("HMAC", k, utf8(msg))));
};
const sha256Hex = async (data: Uint8Array) =>
  toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", data as Uint8Array<ArrayBuffer>)));
const aesCbcEncrypt = async (key: string, iv: Uint8Array, plain: string) => {
  const raw = new Uint8Array(await crypto.subtle.digest("SHA-256", utf8(key)));
  const k = await crypto.subtle.importKey("raw", raw, { name: "AES-CBC" }, false, ["encrypt"]);
  const ct = new Uint8Array(
    await crypto.subtle.encrypt({ name: "AES-CBC", iv: iv as Uint8Array<ArrayBuffer> }, k, utf8(plain)),
  );
  return btoa(String.fromCharCode(...concatBytes(iv, ct)));
};

describe("verifySlack", () => {
  const base = { ...SLACK_EXAMPLE, body: utf8(SLACK_EXAMPLE.body), nowS: 1531420618 };

  it("accepts Slack's published example", async () => {
    expect(await verifySlack(base)).toEqual({ ok: true });
  });

  it.each([
    ["missing secret", { secret: undefined }, "SLACK_SIGNING_SECRET is not set"],
    ["empty secret", { secret: "" }, "SLACK_SIGNING_SECRET is not set"],
    ["wrong secret", { secret: "8f742231b10e8888abcd99yyyzzz85a6" }, "bad Slack signature"],
    ["tampered body", { body: utf8(`${SLACK_EXAMPLE.body}&x=1`) }, "bad Slack signature"],
    ["stale by 301 s", { nowS: 1531420618 + 301 }, "stale X-Slack-Request-Timestamp"],
    ["from the future by 301 s", { nowS: 1531420618 - 301 }, "stale X-Slack-Request-Timestamp"],
    ["no timestamp", { timestamp: null }, "missing or malformed X-Slack-Request-Timestamp"],
    ["timestamp not a number", { timestamp: "1531420618.5" }, "missing or malformed X-Slack-Request-Timestamp"],
    ["no signature", { signature: null }, "missing or malformed X-Slack-Signature"],
    [
      "v1 signature",
      { signature: SLACK_EXAMPLE.signature.replace("v0=", "v1=") },
      "missing or malformed X-Slack-Signature",
    ],
    ["truncated signature", { signature: SLACK_EXAMPLE.signature.slice(0, -2) }, "bad Slack signature"],
    ["non-hex signature", { signature: "v0=zz" }, "malformed X-Slack-Signature"],
    ["replayed with a new timestamp", { timestamp: "1531420619", nowS: 1531420619 }, "bad Slack signature"],
  ])("rejects %s", async (_name, patch, reason) => {
    expect(await verifySlack({ ...base, ...patch })).toEqual({ ok: false, reason });
  });

  it("accepts the edge of the 5-minute window either way", async () => {
    expect((await verifySlack({ ...base, nowS: 1531420618 + 300 })).ok).toBe(true);
    expect((await verifySlack({ ...base, nowS: 1531420618 - 300 })).ok).toBe(true);
  });

  it("agrees with an independent HMAC for any body (property)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.string(), fc.string({ minLength: 1 }), async (body, secret) => {
        const sig = `v0=${await hmacHex(secret, `v0:100:${body}`)}`;
        const r = await verifySlack({ secret, timestamp: "100", signature: sig, body: utf8(body), nowS: 100 });
        expect(r.ok).toBe(true);
      }),
      { numRuns: 50 },
    );
  });
});

describe("verifyDiscord", () => {
  const newKeys = async () => {
    const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"])) as CryptoKeyPair;
    const pub = toHex(new Uint8Array((await crypto.subtle.exportKey("raw", pair.publicKey)) as ArrayBuffer));
    const sign = async (msg: string) =>
      toHex(new Uint8Array(await crypto.subtle.sign("Ed25519", pair.privateKey, utf8(msg))));
    return { pub, sign };
  };

  it("accepts RFC 8032 test vector 2 (message 0x72 split as timestamp 'r' + empty body)", async () => {
    const r = await verifyDiscord({
      publicKey: "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
      timestamp: "r",
      signature:
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
      body: new Uint8Array(0),
    });
    expect(r).toEqual({ ok: true });
  });

  it("accepts a signature over timestamp + body and rejects every forgery", async () => {
    const { pub, sign } = await newKeys();
    const body = '{"type":1}';
    const ts = "1700000000";
    const signature = await sign(ts + body);
    const ok = { publicKey: pub, timestamp: ts, signature, body: utf8(body), nowS: 1700000000 };
    expect(await verifyDiscord(ok)).toEqual({ ok: true });
    const other = await newKeys();
    const cases: [string, Partial<typeof ok> & { publicKey?: string | undefined }, string][] = [
      ["missing key", { publicKey: undefined }, "DISCORD_PUBLIC_KEY is not set"],
      ["short key", { publicKey: pub.slice(2) }, "DISCORD_PUBLIC_KEY is not 32 bytes of hex"],
      ["other key", { publicKey: other.pub }, "bad Discord signature"],
      ["tampered body", { body: utf8('{"type":2}') }, "bad Discord signature"],
      ["other timestamp", { timestamp: "1700000001", nowS: 1700000001 }, "bad Discord signature"],
      ["flipped bit", { signature: (signature[0] === "0" ? "1" : "0") + signature.slice(1) }, "bad Discord signature"],
      [
        "no signature",
        { signature: null as unknown as string },
        "missing X-Signature-Ed25519 or X-Signature-Timestamp",
      ],
      ["short signature", { signature: signature.slice(2) }, "malformed X-Signature-Ed25519"],
      ["stale", { nowS: 1700000000 + 301 }, "stale X-Signature-Timestamp"],
      ["in the future", { nowS: 1700000000 - 301 }, "stale X-Signature-Timestamp"],
    ];
    for (const [name, patch, reason] of cases) {
      expect(await verifyDiscord({ ...ok, ...patch }), name).toEqual({ ok: false, reason });
    }
  });
});

describe("verifyDiscord timestamps", () => {
  it.each(["not-a-number", "1700000000.5", "+1700000000", "1.7e9", " 1700000000", "0x6553f100", "1700000000000000"])(
    "refuses %j even when the signature over it is good",
    async (ts) => {
      const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"])) as CryptoKeyPair;
      const pub = toHex(new Uint8Array((await crypto.subtle.exportKey("raw", pair.publicKey)) as ArrayBuffer));
      const body = '{"type":1}';
      const signature = toHex(new Uint8Array(await crypto.subtle.sign("Ed25519", pair.privateKey, utf8(ts + body))));
      const p = { publicKey: pub, timestamp: ts, signature, body: utf8(body) };
      expect(await verifyDiscord(p)).toEqual({ ok: true }); // the signature itself is sound
      expect(await verifyDiscord({ ...p, nowS: 1700000000 })).toEqual({
        ok: false,
        reason: "malformed X-Signature-Timestamp",
      });
    },
  );
});

describe("verifyTelegram", () => {
  it.each([
    [{ secret: "canary_tg_secret_1", header: "canary_tg_secret_1" }, { ok: true }],
    [
      { secret: "canary_tg_secret_1", header: "canary_tg_secret_2" },
      { ok: false, reason: "bad Telegram secret token" },
    ],
    [
      { secret: "canary_tg_secret_1", header: "canary_tg_secret_" },
      { ok: false, reason: "bad Telegram secret token" },
    ],
    [
      { secret: "canary_tg_secret_1", header: null },
      { ok: false, reason: "missing X-Telegram-Bot-Api-Secret-Token" },
    ],
    [
      { secret: undefined, header: "anything" },
      { ok: false, reason: "TELEGRAM_SECRET_TOKEN is not set" },
    ],
    [
      { secret: "", header: "" },
      { ok: false, reason: "TELEGRAM_SECRET_TOKEN is not set" },
    ],
  ])("%j → %j", async (input, expected) => {
    expect(await verifyTelegram(input)).toEqual(expected);
  });

  it("hashes both sides before comparing, so the timing tells nothing of the secret's length", async () => {
    const digest = vi.spyOn(crypto.subtle, "digest");
    try {
      for (const header of ["x", "canary_tg_secret_", "canary_tg_secret_1", "canary_tg_secret_1-and-more"]) {
        digest.mockClear();
        await verifyTelegram({ secret: "canary_tg_secret_1", header });
        const hashed = digest.mock.calls.map(([, data]) => new TextDecoder().decode(data as Uint8Array));
        expect(hashed.sort()).toEqual([header, "canary_tg_secret_1"].sort());
      }
    } finally {
      digest.mockRestore();
    }
  });
});

describe("one implementation of each helper", () => {
  it("the webhooks compare secrets only with lib/tokens' hash-then-compare", async () => {
    const webhookCrypto = await import("./crypto.ts");
    expect(Object.keys(webhookCrypto)).not.toContain("timingSafeEqual");
    expect(Object.keys(webhookCrypto)).not.toContain("timingSafeEqualString");
  });

  it("error messages are redacted by lib/secrets' safeMessage alone; no unused signature helper is left", async () => {
    const secrets = await import("../lib/secrets.ts");
    const env = { FEISHU_APP_SECRET: "feishu-canary-app-secret-do-not-leak" } as unknown as Parameters<
      typeof secrets.safeMessage
    >[0];
    expect(secrets.safeMessage(env, new Error("echo feishu-canary-app-secret-do-not-leak"))).not.toContain(
      "feishu-canary-app-secret-do-not-leak",
    );
    expect(Object.keys(await import("./log.ts"))).not.toContain("safeMessage");
    expect(Object.keys(await import("./feishu/verify.ts"))).not.toContain("feishuSignature");
  });
});

describe("Feishu", () => {
  // Feishu's published decryption example: key "test key", plaintext "hello world".
  it("decrypts Feishu's published example", async () => {
    expect(await decryptFeishu("test key", "P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk=")).toBe("hello world");
  });

  it.each([
    ["wrong key", "other key", "P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk="],
    ["not base64", "test key", "%%%"],
    ["too short", "test key", "P37w+VZImNgPEO1RBhJ6Rg=="],
    ["not a block multiple", "test key", "P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghkAAA=="],
  ])("returns null for %s", async (_n, key, enc) => {
    expect(await decryptFeishu(key, enc)).toBeNull();
  });

  it("decrypts what AES-256-CBC with SHA-256(key) encrypts (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string(),
        fc.string({ minLength: 1 }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        async (plain, key, iv) => {
          const enc = await aesCbcEncrypt(key, iv, plain);
          expect(await decryptFeishu(key, enc)).toBe(plain);
        },
      ),
      { numRuns: 40 },
    );
  });

  const body = utf8('{"encrypt":"P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk="}');
  const good = (key: string, ts: string, nonce: string) => sha256Hex(concatBytes(utf8(ts + nonce + key), body));

  it("accepts a signature built as sha256(timestamp + nonce + key + body)", async () => {
    const sig = await good("test key", "1700000000", "nonce-1");
    expect(
      await verifyFeishu({
        encryptKey: "test key",
        timestamp: "1700000000",
        nonce: "nonce-1",
        signature: sig,
        body,
        nowS: 1700000000,
      }),
    ).toEqual({ ok: true });
  });

  it.each([
    ["missing key", { encryptKey: undefined }, "FEISHU_ENCRYPT_KEY is not set"],
    ["wrong key", { encryptKey: "other" }, "bad Feishu signature"],
    ["other nonce", { nonce: "nonce-2" }, "bad Feishu signature"],
    ["tampered body", { body: utf8("{}") }, "bad Feishu signature"],
    ["no nonce", { nonce: null }, "missing X-Lark-Request-Timestamp, -Nonce or -Signature"],
    ["no signature", { signature: null }, "missing X-Lark-Request-Timestamp, -Nonce or -Signature"],
    ["stale", { nowS: 1700000000 + 301 }, "stale X-Lark-Request-Timestamp"],
    ["non-hex", { signature: "xyz" }, "malformed X-Lark-Signature"],
  ])("rejects %s", async (_n, patch, reason) => {
    const sig = await good("test key", "1700000000", "nonce-1");
    const p = {
      encryptKey: "test key" as string | undefined,
      timestamp: "1700000000",
      nonce: "nonce-1" as string | null,
      signature: sig as string | null,
      body,
      nowS: 1700000000,
      ...patch,
    };
    expect(await verifyFeishu(p)).toEqual({ ok: false, reason });
  });
});
