import { env } from "cloudflare:workers";
import fc from "fast-check";
import OpenAI from "openai";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ADMIN, call, memberToken, ORIGIN, useOfflineProvider } from "../../test/gateway-support.ts";
import { sdkClient } from "../../test/sdk-client.ts";
import { AUTH_FAILURE_LIMIT, AUTH_FAILURE_WINDOW_SECONDS, clientKey } from "./auth-limit.ts";

afterEach(() => {
  vi.restoreAllMocks();
});

/** A client address of its own for each test (TEST-NET-2 and the IPv6 documentation range). */
let next = 0;
const newAddress = () => `198.51.100.${++next}`;

/** `n` requests in turn (each failure is counted before the next is sent). */
async function times<T>(n: number, f: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(await f(i));
  return out;
}

/** Sends the console's sign-in from `address`. */
const signIn = (address: string, token: string) =>
  call("/console/api/session", {
    method: "POST",
    headers: { "content-type": "application/json", origin: ORIGIN, "cf-connecting-ip": address },
    body: JSON.stringify({ token }),
  });

/** Moves `address`'s window of failures one window into the past, as time passing would. */
const windowPasses = (address: string) =>
  env.DB.prepare("UPDATE rate_windows SET window_start = window_start - ? WHERE token_id = ?")
    .bind(AUTH_FAILURE_WINDOW_SECONDS, clientKey(address))
    .run();

const expectLockout = async (res: Response) => {
  expect(res.status).toBe(429);
  const retryAfter = Number(res.headers.get("retry-after"));
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(AUTH_FAILURE_WINDOW_SECONDS);
  expect(res.headers.get("x-should-retry")).toBe("false");
  const body = (await res.json()) as { error: { message: string } };
  expect(body).toEqual({
    error: { code: "rate_limited", type: "rate_limit_error", param: null, message: expect.any(String) },
  });
  expect(body.error.message).toBe(
    `too many attempts with a wrong token from this address (20 within 10 minutes): every token sent from it is refused for ${retryAfter} more seconds`,
  );
  expect(res.headers.get("set-cookie")).toBeNull();
};

describe("clientKey", () => {
  it.each([
    ["203.0.113.7", "client:203.0.113.7"],
    ["2001:db8:1:2:3:4:5:6", "client:2001:db8:1:2::/64"],
    ["2001:0DB8:0001:0002::9", "client:2001:db8:1:2::/64"],
    ["2001:db8::1", "client:2001:db8:0:0::/64"],
    ["::1", "client:0:0:0:0::/64"],
    [undefined, "client:local"],
    ["", "client:local"],
  ])("%s is %s", (address, key) => {
    expect(clientKey(address)).toBe(key);
  });

  it("gives every host of one IPv6 /64 the same key, and hosts of another /64 another", () => {
    const group = fc.integer({ min: 0, max: 0xffff }).map((n) => n.toString(16));
    fc.assert(
      fc.property(
        fc.array(group, { minLength: 8, maxLength: 8 }),
        fc.array(group, { minLength: 4, maxLength: 4 }),
        (a, host) => {
          const other = [...a.slice(0, 4), ...host].join(":");
          expect(clientKey(other)).toBe(clientKey(a.join(":")));
          expect(clientKey(a.join(":").toUpperCase())).toBe(clientKey(a.join(":")));
          const otherNet = [(Number.parseInt(a[0] as string, 16) ^ 1).toString(16), ...a.slice(1)].join(":");
          expect(clientKey(otherNet)).not.toBe(clientKey(a.join(":")));
        },
      ),
    );
  });
});

describe("wrong tokens from one client", () => {
  it("the openai SDK: 20 unknown tokens are 401s, then every token is a RateLimitError it does not retry, until the window passes", async () => {
    const side = useOfflineProvider();
    const address = newAddress();
    const { token } = await memberToken({ team: "guessed" });
    let sent = 0;
    const client = (t: string, headers: Record<string, string> = { "cf-connecting-ip": address }) =>
      sdkClient(t, { headers, maxRetries: 2, onRequest: () => sent++ });
    const wrong = await times(AUTH_FAILURE_LIMIT, (i) =>
      client(`gpi_guess${i}`)
        .models.list()
        .catch((e) => e),
    );
    expect(wrong.every((e) => e instanceof OpenAI.AuthenticationError)).toBe(true);
    sent = 0;
    const refused = await client("gpi_guess_more")
      .models.list()
      .catch((e) => e);
    expect(refused).toBeInstanceOf(OpenAI.RateLimitError);
    expect(refused).toMatchObject({ status: 429, code: "rate_limited", type: "rate_limit_error" });
    expect(sent).toBe(1);
    // the right token too, and it takes nothing: no job row, no provider call
    sent = 0;
    const right = await client(token)
      .images.generate({ model: "gpt-image-2", prompt: "a cat" })
      .catch((e) => e);
    expect(right).toBeInstanceOf(OpenAI.RateLimitError);
    expect(sent).toBe(1);
    expect(await (await call("/v1/models", { token, headers: { "cf-connecting-ip": address } })).status).toBe(429);
    const jobs = await env.DB.prepare("SELECT COUNT(*) AS n FROM jobs WHERE team = 'guessed'").first<{ n: number }>();
    expect(jobs?.n).toBe(0);
    expect(side.calls).toHaveLength(0);
    // another client, even the next address over, is not affected
    const other = await client(token, { "cf-connecting-ip": newAddress() }).images.generate({
      model: "gpt-image-2",
      prompt: "a cat",
    });
    expect(other.data).toHaveLength(1);
    // once the window has passed, the client is let in again
    await windowPasses(address);
    const back = await client(token).images.generate({ model: "gpt-image-2", prompt: "a cat" });
    expect(back.data).toHaveLength(1);
  });

  it.each([
    [
      "member tokens on /v1",
      (i: number, from: string) => call("/v1/models", { token: `gpi_p${i}`, headers: { "cf-connecting-ip": from } }),
    ],
    [
      "the admin token",
      (i: number, from: string) =>
        call("/admin/tokens", { token: `wrong-admin-${i}`, headers: { "cf-connecting-ip": from } }),
    ],
    ["console sign-ins", (i: number, from: string) => signIn(from, `gpi_p${i}`)],
  ])("%s sent all at once: exactly 20 are looked at, the rest refused", async (_n, send) => {
    const from = newAddress();
    const res = await Promise.all(Array.from({ length: 2 * AUTH_FAILURE_LIMIT }, (_, i) => send(i, from)));
    const statuses = res.map((r) => r.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(AUTH_FAILURE_LIMIT);
    expect(statuses.filter((s) => s === 429)).toHaveLength(AUTH_FAILURE_LIMIT);
  });

  it("an Idempotency-Key's stored answer is not replayed to a locked-out client", async () => {
    useOfflineProvider();
    const address = newAddress();
    const { token } = await memberToken({ team: "guessed-keyed" });
    const keyed = () =>
      call("/v1/images/generations", {
        token,
        method: "POST",
        headers: { "content-type": "application/json", "idempotency-key": "k1", "cf-connecting-ip": address },
        body: JSON.stringify({ prompt: "a cat" }),
      });
    expect((await keyed()).status).toBe(200);
    await times(AUTH_FAILURE_LIMIT, (i) =>
      call("/v1/models", { token: `gpi_x${i}`, headers: { "cf-connecting-ip": address } }),
    );
    await expectLockout(await keyed());
  });

  it("the admin token: a wrong one counts, then the right one is refused too; the console's sign-in answers the same", async () => {
    const address = newAddress();
    const asAdmin = (token: string) => call("/admin/tokens", { token, headers: { "cf-connecting-ip": address } });
    const wrong = await times(AUTH_FAILURE_LIMIT, (i) => asAdmin(`not-the-admin-token-${i}`));
    expect(wrong.map((r) => r.status)).toEqual(Array(AUTH_FAILURE_LIMIT).fill(401));
    await expectLockout(await asAdmin(ADMIN));
    await expectLockout(await signIn(address, ADMIN));
    // a request with no token at all is no attempt: it stays a 401
    expect((await call("/admin/tokens", { headers: { "cf-connecting-ip": address } })).status).toBe(401);
    expect((await call("/admin/tokens", { token: ADMIN, headers: { "cf-connecting-ip": newAddress() } })).status).toBe(
      200,
    );
  });

  it("the console's sign-in: wrong tokens count, then a member's right token gets the 429 and no cookie", async () => {
    const address = newAddress();
    const { token } = await memberToken({ team: "guessed-console" });
    const wrong = await times(AUTH_FAILURE_LIMIT, (i) => signIn(address, `gpi_wrong${i}`));
    expect(wrong.map((r) => r.status)).toEqual(Array(AUTH_FAILURE_LIMIT).fill(401));
    expect(await wrong[0]?.json()).toMatchObject({ error: { code: "auth", param: "token" } });
    await expectLockout(await signIn(address, token));
    // the same client's bearer calls are locked out with it
    await expectLockout(await call("/v1/models", { token, headers: { "cf-connecting-ip": address } }));
    expect((await signIn(newAddress(), token)).status).toBe(201);
  });

  it("a revoked or expired token is no guess: it stays a 401 however often it is sent", async () => {
    const address = newAddress();
    const { token: revoked } = await memberToken({ team: "stale", revokedAt: 1 });
    const { token: expired } = await memberToken({ team: "stale", expiresAt: 1 });
    const res = await times(AUTH_FAILURE_LIMIT + 5, (i) =>
      call("/v1/models", { token: i % 2 ? revoked : expired, headers: { "cf-connecting-ip": address } }),
    );
    expect(res.map((r) => r.status)).toEqual(Array(AUTH_FAILURE_LIMIT + 5).fill(401));
    const signIns = await times(AUTH_FAILURE_LIMIT + 1, () => signIn(address, revoked));
    expect(signIns.map((r) => r.status)).toEqual(Array(AUTH_FAILURE_LIMIT + 1).fill(401));
  });

  it("a console session already open from a locked-out client goes on: its cookie is no token to guess", async () => {
    const address = newAddress();
    const { token } = await memberToken({ team: "guessed-session" });
    const opened = await signIn(address, token);
    expect(opened.status).toBe(201);
    const cookie = (opened.headers.get("set-cookie") ?? "").split(";")[0] as string;
    await times(AUTH_FAILURE_LIMIT, (i) => signIn(address, `gpi_wrong${i}`));
    const history = await call("/console/api/history", { headers: { cookie, "cf-connecting-ip": address } });
    expect(history.status).toBe(200);
  });

  it("past windows of every client are pruned by the next failure", async () => {
    const stale = newAddress();
    await times(3, (i) => signIn(stale, `gpi_wrong${i}`));
    await windowPasses(stale);
    await signIn(newAddress(), "gpi_wrong");
    const row = await env.DB.prepare("SELECT COUNT(*) AS n FROM rate_windows WHERE token_id = ?")
      .bind(clientKey(stale))
      .first<{ n: number }>();
    expect(row?.n).toBe(0);
  });
});
