/** Shared pieces of the webhook tests: signed platform requests, a fake of every platform API, a runner. */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { vi } from "vitest";
import worker from "../src/index.ts";
import { toHex } from "../src/lib/tokens.ts";
import { concatBytes, fromHex, utf8 } from "../src/webhooks/crypto.ts";
import { ORIGIN } from "./gateway-support.ts";
import { imagesResponse, introspectJobs, testPng } from "./jobs-support.ts";
import { WEBHOOK_TEST_BINDINGS as B, DISCORD_TEST_KEY } from "./webhook-bindings.ts";

export { B };
export const nowS = () => Math.floor(Date.now() / 1000);

const b64url = (bytes: Uint8Array) =>
  btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
const hex = (h: string) => fromHex(h) as Uint8Array;

/** A Slack request signed like Slack does: v0=HMAC-SHA256(secret, "v0:{ts}:{body}"). */
export async function slackRequest(
  body: string,
  o: { form?: boolean; ts?: number; secret?: string; headers?: Record<string, string> } = {},
): Promise<Request> {
  const ts = String(o.ts ?? nowS());
  const k = await crypto.subtle.importKey(
    "raw",
    utf8(o.secret ?? B.SLACK_SIGNING_SECRET),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const sig = toHex(new Uint8Array(await crypto.subtle.sign("HMAC", k, utf8(`v0:${ts}:${body}`))));
  return new Request(`${ORIGIN}/webhooks/slack`, {
    method: "POST",
    headers: {
      "content-type": o.form === false ? "application/json" : "application/x-www-form-urlencoded",
      "x-slack-request-timestamp": ts,
      "x-slack-signature": `v0=${sig}`,
      ...o.headers,
    },
    body,
  });
}

/** A Discord interaction signed with the RFC 8032 test key: Ed25519(timestamp + body). */
export async function discordRequest(
  interaction: unknown,
  o: { ts?: number | string; body?: string } = {},
): Promise<Request> {
  const body = o.body ?? JSON.stringify(interaction);
  const ts = String(o.ts ?? nowS());
  const key = await crypto.subtle.importKey(
    "jwk",
    { kty: "OKP", crv: "Ed25519", d: b64url(hex(DISCORD_TEST_KEY.secret)), x: b64url(hex(DISCORD_TEST_KEY.public)) },
    { name: "Ed25519" },
    false,
    ["sign"],
  );
  const sig = toHex(new Uint8Array(await crypto.subtle.sign("Ed25519", key, utf8(ts + body))));
  return new Request(`${ORIGIN}/webhooks/discord`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-signature-ed25519": sig, "x-signature-timestamp": ts },
    body,
  });
}

/** A Telegram update with the secret-token header. */
export const telegramRequest = (update: unknown, secret: string | null = B.TELEGRAM_SECRET_TOKEN): Request =>
  new Request(`${ORIGIN}/webhooks/telegram`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(secret === null ? {} : { "x-telegram-bot-api-secret-token": secret }),
    },
    body: JSON.stringify(update),
  });

/** Encrypts like Feishu: base64(iv + AES-256-CBC(SHA-256(key), iv, json)). */
export const feishuEncrypt = (event: unknown, key = B.FEISHU_ENCRYPT_KEY): Promise<string> =>
  feishuEncryptText(JSON.stringify(event), key);

/** Encrypts any text like Feishu encrypts an event's JSON. */
export async function feishuEncryptText(text: string, key = B.FEISHU_ENCRYPT_KEY): Promise<string> {
  const raw = new Uint8Array(await crypto.subtle.digest("SHA-256", utf8(key)));
  const k = await crypto.subtle.importKey("raw", raw, { name: "AES-CBC" }, false, ["encrypt"]);
  const iv = crypto.getRandomValues(new Uint8Array(16));
  const ct = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-CBC", iv }, k, utf8(text)));
  return btoa(String.fromCharCode(...concatBytes(iv, ct)));
}

/** A Feishu event: encrypted, and signed as sha256(timestamp + nonce + key + body) unless `signed: false`. */
export async function feishuRequest(
  event: unknown,
  o: { key?: string; signed?: boolean; ts?: number } = {},
): Promise<Request> {
  const body = JSON.stringify({ encrypt: await feishuEncrypt(event, o.key) });
  const ts = String(o.ts ?? nowS());
  const nonce = crypto.randomUUID();
  const sig = toHex(
    new Uint8Array(
      await crypto.subtle.digest(
        "SHA-256",
        concatBytes(utf8(ts + nonce + (o.key ?? B.FEISHU_ENCRYPT_KEY)), utf8(body)),
      ),
    ),
  );
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (o.signed !== false)
    Object.assign(headers, { "x-lark-request-timestamp": ts, "x-lark-request-nonce": nonce, "x-lark-signature": sig });
  return new Request(`${ORIGIN}/webhooks/feishu`, { method: "POST", headers, body });
}

/** A recorded outbound call. */
export interface Call {
  url: string;
  method: string;
  headers: Headers;
  body: Uint8Array;
  /** the body parsed as multipart or urlencoded form */
  form: () => Promise<FormData>;
  json: () => unknown;
}

export type Intercept = (req: Request, call: Call) => Response | undefined | Promise<Response | undefined>;

/** Bytes every platform fake serves as a user's uploaded picture. */
export const INPUT_PNG = testPng(1024, 1024);

/** Answers like each platform's API would, for calls no `intercept` answered. */
function platformAnswer(req: Request): Response {
  const u = new URL(req.url);
  const ok = (body: unknown) => Response.json(body);
  switch (u.host) {
    case "slack.test":
      if (u.pathname.endsWith("/files.getUploadURLExternal"))
        return ok({ ok: true, upload_url: "http://files.slack.test/upload/F123", file_id: "F123" });
      return ok({ ok: true, ts: "1700000000.000200" });
    case "files.slack.test":
      return u.pathname.startsWith("/upload/") ? new Response("OK - 123") : new Response(INPUT_PNG);
    case "hooks.slack.test":
      return new Response("ok");
    case "discord.test":
      return ok({ id: "900" });
    case "cdn.discord.test":
      return new Response(INPUT_PNG);
    case "telegram.test":
      if (u.pathname.endsWith("/getMe"))
        return ok({ ok: true, result: { id: 123456, is_bot: true, first_name: "gptimg", username: "GptImgBot" } });
      if (u.pathname.endsWith("/getFile"))
        return ok({ ok: true, result: { file_id: "AgAD", file_path: "photos/file_1.png" } });
      if (u.pathname.startsWith("/file/")) return new Response(INPUT_PNG);
      return ok({ ok: true, result: { message_id: 77 } });
    case "feishu.test":
      if (u.pathname.endsWith("/tenant_access_token/internal"))
        return ok({ code: 0, msg: "ok", tenant_access_token: "t-canary-tenant-token", expire: 7200 });
      if (u.pathname.endsWith("/im/v1/images"))
        return ok({ code: 0, msg: "success", data: { image_key: "img_v3_canary" } });
      if (u.pathname.includes("/resources/")) return new Response(INPUT_PNG);
      return ok({ code: 0, msg: "success", data: { message_id: "om_reply" } });
    default:
      return new Response(`no fake for ${req.url}`, { status: 599 });
  }
}

/**
 * Replaces global fetch: the provider answers with `provider` (default: one PNG), every chat
 * platform with its fake, after `intercept` had a chance to answer first (to inject failures).
 */
export function chatFake(o: { provider?: (req: Request) => Response | Promise<Response>; intercept?: Intercept } = {}) {
  const providerCalls: Request[] = [];
  const calls: Call[] = [];
  const spy = vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const req = new Request(input as RequestInfo, init);
    if (req.url.startsWith(env.PROVIDER_BASE_URL)) {
      providerCalls.push(req.clone());
      return (o.provider ?? (() => imagesResponse(1)))(req);
    }
    const body = new Uint8Array(await req.clone().arrayBuffer());
    const call: Call = {
      url: req.url,
      method: req.method,
      headers: req.headers,
      body,
      form: () => new Response(body, { headers: { "content-type": req.headers.get("content-type") ?? "" } }).formData(),
      json: () => JSON.parse(new TextDecoder().decode(body)),
    };
    calls.push(call);
    return (await o.intercept?.(req, call)) ?? platformAnswer(req);
  });
  return {
    providerCalls,
    calls,
    restore: () => spy.mockRestore(),
    to: (part: string) => calls.filter((c) => c.url.includes(part)),
  };
}

/**
 * The job id a finished Workflow instance returned. Its output is an RPC result (the engine's
 * answer), disposed once read: workerd reports a result left to the garbage collector.
 */
async function outputJobId(instance: { getOutput(): Promise<unknown> }): Promise<string> {
  const output = (await instance.getOutput()) as { jobId: string } & Partial<Disposable>;
  const { jobId } = output;
  output[Symbol.dispose]?.();
  return jobId;
}

/** The line a platform route logs when it refuses a request's verification. */
const REJECTED = /^webhooks: \w+ request rejected: /;
const NOT_IN_TEAMS = /^webhooks: \S+ is not in CHAT_TEAMS; refused$/;

/**
 * Sends a webhook request through the Worker, waits for its `waitUntil` work, then for every
 * Workflow it started to finish. Returns the response, the job ids, the verification refusals
 * the route logged (`rejected`) and its refusals of a workspace or chat missing from CHAT_TEAMS
 * (`refused`), for the test to assert; any other console line is written through as usual.
 */
export async function deliver(
  req: Request,
  overrides: Record<string, unknown> = {},
): Promise<{ res: Response; text: string; jobIds: string[]; rejected: string[]; refused: string[] }> {
  const rejected: string[] = [];
  const refused: string[] = [];
  // not for a test that captures the console itself (captureConsole): use deliverCaptured there
  const taps = (["warn", "log"] as const).map((method) => {
    const original = console[method].bind(console);
    return vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      const line = typeof args[0] === "string" ? args[0] : "";
      if (REJECTED.test(line)) rejected.push(line);
      else if (NOT_IN_TEAMS.test(line)) refused.push(line);
      else original(...args);
    });
  });
  try {
    return { ...(await deliverCaptured(req, overrides)), rejected, refused };
  } finally {
    for (const spy of taps) spy.mockRestore();
  }
}

/** As {@link deliver}, without looking at the console: for a test that captures it whole. */
export async function deliverCaptured(
  req: Request,
  overrides: Record<string, unknown>,
): Promise<{ res: Response; text: string; jobIds: string[] }> {
  await using wf = await introspectJobs();
  await wf.modifyAll(async (m) => {
    await m.disableRetryDelays();
    await m.disableSleeps();
  });
  const ctx = createExecutionContext();
  const res = await worker.fetch(
    req as Parameters<typeof worker.fetch>[0],
    { ...env, ...overrides } as typeof env,
    ctx,
  );
  const text = await res.text();
  await waitOnExecutionContext(ctx);
  const jobIds: string[] = [];
  for (const instance of wf.get()) {
    await instance.waitForStatus("complete");
    jobIds.push(await outputJobId(instance));
  }
  return { res, text, jobIds };
}

/**
 * Downloads of large bodies, watched: `serve(bytes)` answers with a body of `bytes` zero bytes
 * (no Content-Length, sent in 1 MiB chunks made as they are read), and the watcher records how
 * many such bodies were being read at the same time and how many bytes were read in all.
 */
export function bigBodies() {
  const seen = { maxInFlight: 0, inFlight: 0, bytesRead: 0, started: 0 };
  const serve = (bytes: number): Response => {
    let sent = 0;
    let open = false;
    const close = () => {
      if (open) seen.inFlight--;
      open = false;
    };
    const body = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          if (!open && sent === 0) {
            open = true;
            seen.started++;
            seen.inFlight++;
            seen.maxInFlight = Math.max(seen.maxInFlight, seen.inFlight);
          }
          if (sent >= bytes) {
            close();
            controller.close();
            return;
          }
          const n = Math.min(1024 * 1024, bytes - sent);
          sent += n;
          seen.bytesRead += n;
          controller.enqueue(new Uint8Array(n));
        },
        cancel: close,
      },
      { highWaterMark: 0 },
    );
    return new Response(body);
  };
  return { seen, serve };
}

/**
 * Sends webhook requests through the Worker at the same moment (their `waitUntil` work runs
 * interleaved, as in one isolate under load), then waits for every Workflow they started.
 */
export async function deliverTogether(reqs: Request[]): Promise<{ texts: string[]; jobIds: string[] }> {
  await using wf = await introspectJobs();
  await wf.modifyAll(async (m) => {
    await m.disableRetryDelays();
    await m.disableSleeps();
  });
  const texts = await Promise.all(
    reqs.map(async (req) => {
      const ctx = createExecutionContext();
      const res = await worker.fetch(req as Parameters<typeof worker.fetch>[0], env, ctx);
      const text = await res.text();
      await waitOnExecutionContext(ctx);
      return text;
    }),
  );
  const jobIds: string[] = [];
  for (const instance of wf.get()) {
    await instance.waitForStatus("complete");
    jobIds.push(await outputJobId(instance));
  }
  return { texts, jobIds };
}

/** Number of jobs in D1. */
export const jobCount = async (): Promise<number> =>
  (await env.DB.prepare("SELECT COUNT(*) AS n FROM jobs").first<{ n: number }>())?.n ?? 0;

/** Every canary secret of the webhook bindings. */
export const CANARIES = [
  B.SLACK_SIGNING_SECRET,
  B.SLACK_BOT_TOKEN,
  B.DISCORD_BOT_TOKEN,
  B.TELEGRAM_BOT_TOKEN,
  B.TELEGRAM_SECRET_TOKEN,
  B.FEISHU_APP_SECRET,
  B.FEISHU_ENCRYPT_KEY,
  B.FEISHU_VERIFICATION_TOKEN,
];

/** Fails when any canary appears in `text`. */
export const assertNoSecrets = (text: string): void => {
  for (const s of CANARIES) if (text.includes(s)) throw new Error(`secret leaked: ${s.slice(0, 12)}…`);
};
