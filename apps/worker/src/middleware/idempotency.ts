import type { Context, MiddlewareHandler } from "hono";
import { canonicalJson, formHash } from "../jobs/hash.ts";
import { keyReused, MAX_IDEMPOTENCY_KEY_LENGTH } from "../jobs/idempotency-key.ts";
import type { AppEnv } from "../lib/context.ts";
import { HttpError } from "../lib/errors.ts";
import { isMultipart } from "../lib/json-body.ts";
import { signUrl } from "../lib/signing.ts";
import { sha256Hex } from "../lib/tokens.ts";
import { b64JsonResponse } from "../routes/images/respond-json.ts";
import { authenticate } from "./auth.ts";

/** Images a handler answered with, so a replay can rebuild the answer from R2 instead of D1. */
export interface ImageReplay {
  responseFormat: "b64_json" | "url";
  /** every top-level field of the response except `data` (created, usage, size, quality, …) */
  meta: Record<string, unknown>;
  images: { key: string; revised_prompt?: string }[];
}

/** What D1 keeps per key: a small JSON answer verbatim, or image keys to rebuild from. */
type StoredResponse = { kind: "json"; body: string } | ({ kind: "images" } & ImageReplay);

/** Bigger JSON answers are not stored verbatim (D1 rows stay small); handlers use `rememberImages`. */
const MAX_STORED_JSON = 256 * 1024;
/** A key still `pending` after this long belongs to a request that died; the next one takes over. */
const STALE_PENDING_S = 15 * 60;

const replays = new WeakMap<Context, ImageReplay>();

/**
 * Tells `idempotency()` which stored images a response carries, so a replay returns the same
 * images (base64 streamed from R2, or freshly signed URLs) without storing the base64 in D1.
 * Call it in an image handler before returning. A no-op when the request had no Idempotency-Key.
 * @example
 * rememberImages(c, { responseFormat: "b64_json", meta: { created, usage }, images: stored.map((s) => ({ key: s.key })) });
 */
export function rememberImages(c: Context, replay: ImageReplay): void {
  replays.set(c, replay);
}

/**
 * Reads the body once and hashes it. It is read through Hono's body cache, so the handler's
 * `c.req.formData()` or `c.req.json()` gets what was parsed here: a multipart edit (up to 56 MiB)
 * is held once, as the parsed form, never also as raw bytes, and JSON is parsed once. Null when
 * the body does not parse: the handler refuses it, and a refusal of an unreadable body is not
 * kept under a key.
 */
async function readAndHash(c: Context<AppEnv>): Promise<string | null> {
  if (isMultipart(c.req.header("content-type"))) {
    // boundaries differ between retries of one request: hash the entries, not the bytes
    const form = await c.req.formData().catch(() => null);
    return form && formHash(form);
  }
  const unreadable = Symbol("unreadable");
  const body = await c.req.json<unknown>().catch(() => unreadable);
  return body === unreadable ? null : sha256Hex(canonicalJson(body));
}

/**
 * `Idempotency-Key` for the synchronous POST routes (`/v1/images/*`); mount after `memberAuth()`.
 * Keys are per member token: another token's key never replays, collides or conflicts, so each
 * request meets its own token's models, quota and rpm. The first request inserts a `pending` row (a D1 primary key decides races),
 * runs, and stores its answer; a repeat with the same body gets that answer again (header
 * `Idempotent-Replayed: true`); with a different body, or while the first still runs, 409
 * `idempotency_conflict`. Answers of 429 and 5xx are not kept, so a retry runs afresh; neither are
 * streamed (SSE) answers. `/v1/jobs` handles its key itself (one job per key) and is skipped.
 * The body is read here once; the handler reads it again through `c.req` (Hono's body cache).
 * @example
 * app.use("/v1/images/*", memberAuth(), idempotency());
 */
export function idempotency(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const key = c.req.header("Idempotency-Key");
    if (c.req.method !== "POST" || key === undefined) return next();
    const member = await authenticate(c);
    if (key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
      throw new HttpError(400, "validation", `Idempotency-Key: must be 1-${MAX_IDEMPOTENCY_KEY_LENGTH} characters`, {
        param: "Idempotency-Key",
      });
    }
    const hash = await readAndHash(c);
    if (hash === null) return next();
    const db = c.env.DB;
    const now = Math.floor(Date.now() / 1000);
    const claimed = await db
      .prepare(
        "INSERT INTO idempotent_responses (token_id, key, team, body_hash, state, created_at) VALUES (?, ?, ?, ?, 'pending', ?) ON CONFLICT DO NOTHING",
      )
      .bind(member.tokenId, key, member.team, hash, now)
      .run();
    if (claimed.meta.changes !== 1) {
      const row = await db
        .prepare(
          "SELECT body_hash, state, response_status, response_json, created_at FROM idempotent_responses WHERE token_id = ? AND key = ?",
        )
        .bind(member.tokenId, key)
        .first<{
          body_hash: string;
          state: string;
          response_status: number | null;
          response_json: string | null;
          created_at: number;
        }>();
      if (!row)
        throw new HttpError(
          409,
          "idempotency_conflict",
          "Idempotency-Key is being released by another request; retry",
          { param: "Idempotency-Key" },
        );
      if (row.body_hash !== hash) {
        throw keyReused(key);
      }
      if (row.state === "done" && row.response_json) {
        return replay(c, row.response_status ?? 200, JSON.parse(row.response_json) as StoredResponse);
      }
      const takeover = await db
        .prepare(
          "UPDATE idempotent_responses SET created_at = ? WHERE token_id = ? AND key = ? AND state = 'pending' AND created_at < ?",
        )
        .bind(now, member.tokenId, key, now - STALE_PENDING_S)
        .run();
      if (takeover.meta.changes !== 1) {
        throw new HttpError(
          409,
          "idempotency_conflict",
          `a request with Idempotency-Key ${JSON.stringify(key)} is still in progress`,
          {
            param: "Idempotency-Key",
          },
        );
      }
    }
    try {
      await next();
    } finally {
      await settle(c, member.tokenId, key);
    }
  };
}

async function settle(c: Context<AppEnv>, tokenId: string, key: string): Promise<void> {
  const db = c.env.DB;
  const res = c.res;
  const release = () =>
    db
      .prepare("DELETE FROM idempotent_responses WHERE token_id = ? AND key = ? AND state = 'pending'")
      .bind(tokenId, key)
      .run();
  if (c.error || res.status >= 500 || res.status === 429) return void (await release());
  let stored: StoredResponse | undefined;
  const images = replays.get(c);
  if (images) stored = { kind: "images", ...images };
  else if ((res.headers.get("content-type") ?? "").includes("application/json")) {
    const text = await res.clone().text();
    if (text.length <= MAX_STORED_JSON) stored = { kind: "json", body: text };
  }
  if (!stored) return void (await release());
  await db
    .prepare(
      "UPDATE idempotent_responses SET state = 'done', response_status = ?, response_json = ? WHERE token_id = ? AND key = ?",
    )
    .bind(res.status, JSON.stringify(stored), tokenId, key)
    .run();
}

async function replay(c: Context<AppEnv>, status: number, stored: StoredResponse): Promise<Response> {
  const headers = { "content-type": "application/json", "idempotent-replayed": "true" };
  if (stored.kind === "json") return new Response(stored.body, { status, headers });
  if (stored.responseFormat === "url") {
    const origin = new URL(c.req.url).origin;
    const data = await Promise.all(
      stored.images.map(async (img) => ({
        url: await signUrl(c.env, origin, img.key),
        ...(img.revised_prompt ? { revised_prompt: img.revised_prompt } : {}),
      })),
    );
    return new Response(JSON.stringify({ ...stored.meta, data }), { status, headers });
  }
  // base64 answers can be ~150 MB: stream them from R2 one image and one slice at a time, each
  // read only when the client has taken the previous one (the same path as a first answer)
  const { created, ...tail } = stored.meta;
  const images = stored.images.map((img, index) => ({ index, ...img }));
  const res = b64JsonResponse(c.env.IMAGES, typeof created === "number" ? created : 0, images, tail);
  return new Response(res.body, { status, headers });
}
