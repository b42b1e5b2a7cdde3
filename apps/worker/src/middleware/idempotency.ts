import type { Context, MiddlewareHandler } from "hono";
import { canonicalJson, formHash } from "../jobs/hash.ts";
import type { AppEnv } from "../lib/context.ts";
import { HttpError } from "../lib/errors.ts";
import { MAX_IDEMPOTENCY_KEY_LENGTH } from "../lib/idempotency-key.ts";
import type { StoredResponse } from "../lib/idempotent-responses.ts";
import { isMultipart } from "../lib/json-body.ts";
import { signUrl } from "../lib/signing.ts";
import { sha256Hex } from "../lib/tokens.ts";
import { b64JsonResponse } from "../routes/images/respond-json.ts";
import { authenticate } from "./auth.ts";

/**
 * Reads the body once and hashes it. It is read through Hono's body cache, so the handler's
 * `c.req.formData()` or `c.req.json()` gets what was parsed here: a multipart edit (up to 56 MiB)
 * is held once, as the parsed form, never also as raw bytes, and JSON is parsed once. Null when
 * the body does not parse (or is nested too deeply to serialize): the handler refuses it, and a
 * refusal of an unreadable body is not kept under a key.
 */
async function readAndHash(c: Context<AppEnv>): Promise<string | null> {
  if (isMultipart(c.req.header("content-type"))) {
    // boundaries differ between retries of one request: hash the entries, not the bytes
    const form = await c.req.formData().catch(() => null);
    return form && formHash(form);
  }
  const unreadable = Symbol("unreadable");
  const body = await c.req.json<unknown>().catch(() => unreadable);
  if (body === unreadable) return null;
  let canonical: string;
  try {
    canonical = canonicalJson(body);
  } catch {
    // nested too deeply to serialize (a RangeError): every field of an image request is a
    // scalar or a flat { image_url } reference, so the handler refuses such a body as it is
    return null;
  }
  return sha256Hex(canonical);
}

/**
 * `Idempotency-Key` for the synchronous POST routes (`/v1/images/*`); mount after `memberAuth()`.
 * Checks the key and hashes the body, and nothing else: the key is claimed in admission's D1 batch
 * (`admitImageRequest`, see `lib/idempotent-responses.ts`) and its answer stored in the
 * settlement's, so a keyed request makes no D1 round trip more than any other.
 * Keys are per member token: another token's key never replays, collides or conflicts, so each
 * request meets its own token's models, quota and rpm. The same key and body get the first answer
 * again (header `Idempotent-Replayed: true`, via `replayStored`); a different body, or a repeat
 * while the first still runs, 409 `idempotency_conflict`. Only image answers are kept: refusals
 * (4xx, made again alike on a retry), 5xx and streamed (SSE) answers are not, so a retry runs
 * afresh. The body is read here once; the handler reads it again through `c.req` (Hono's body cache).
 * @example
 * app.use("/v1/images/*", memberAuth(), idempotency());
 */
export function idempotency(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const key = c.req.header("Idempotency-Key");
    if (c.req.method !== "POST" || key === undefined) return next();
    if (key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
      // only members learn what their request got wrong
      await authenticate(c);
      throw new HttpError(400, "validation", `Idempotency-Key: must be 1-${MAX_IDEMPOTENCY_KEY_LENGTH} characters`, {
        param: "Idempotency-Key",
      });
    }
    const bodyHash = await readAndHash(c);
    // a body that does not parse is refused by the handler, and the refusal is not kept
    if (bodyHash !== null) c.set("idempotency", { key, bodyHash });
    return next();
  };
}

/**
 * The answer stored under a key, again: a small JSON answer as it was, `url` images signed
 * afresh, `b64_json` images streamed from R2. Header `Idempotent-Replayed: true`.
 */
export async function replayStored(c: Context<AppEnv>, status: number, stored: StoredResponse): Promise<Response> {
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
