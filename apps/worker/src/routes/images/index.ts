import { type EditOptions, type GenerateOptions, modelRules, rulesFor, shrunkAlias, unsentOptions } from "@gptimg/core";
import { type Context, Hono } from "hono";
import { admitImageRequest } from "../../lib/admit.ts";
import { nowSeconds } from "../../lib/clock.ts";
import type { AppEnv } from "../../lib/context.ts";
import { HttpError } from "../../lib/errors.ts";
import { releaseClaimStatement, storeAnswerStatement } from "../../lib/idempotent-responses.ts";
import { type ParsedImageRequest, parseEditForm, parseGenerateBody } from "../../lib/image-request.ts";
import { readFormBody, readJsonBody } from "../../lib/json-body.ts";
import { requestDefaults } from "../../lib/model-rules.ts";
import { authenticate } from "../../middleware/auth.ts";
import { replayStored } from "../../middleware/idempotency.ts";
import { jsonEdit, jsonEditRefs } from "./json-edit.ts";
import { answerUrl, B64JsonStream, b64JsonResponse, collect, drain } from "./respond-json.ts";
import { streamSse } from "./respond-sse.ts";
import { planRun, type RunInput, runImageRequest } from "./run.ts";
import { type Echo, responseTail } from "./wire.ts";

/**
 * OpenAI-compatible image routes, mounted at `/v1/images` behind `memberAuth()`:
 * `POST /generations` (JSON) and `POST /edits` (multipart, or the spec's JSON edit form).
 */
export const imagesRouter = new Hono<AppEnv>();

// An admitted request's answer, a success or an error, names its job as OpenAI names a request:
// the SDKs read `x-request-id` as `request_id` / `requestID`, and `GET /v1/jobs/<id>` shows the row.
imagesRouter.use("*", async (c, next) => {
  await next();
  const jobId = c.get("jobId");
  if (jobId) c.res.headers.set("x-request-id", jobId);
});

imagesRouter.post("/generations", async (c) => {
  const parsed = await authFirst(c, async () => parseGenerateBody(await readJsonBody(c.req), requestDefaults(c)));
  return withUnsent(await respond(c, "generate", parsed), c, "generate", parsed.options);
});

imagesRouter.post("/edits", async (c) => {
  const parsed = await authFirst(c, async () => {
    const defaults = requestDefaults(c);
    const type = c.req.header("Content-Type") ?? "";
    if (/^application\/json\s*(;|$)/i.test(type)) {
      // the spec's JSON edit form: references checked, then (for a member only) fetched
      const refs = jsonEditRefs(await readJsonBody(c.req));
      await authenticate(c);
      return jsonEdit(refs, defaults, c.req.raw.signal);
    }
    if (!/^multipart\/form-data\s*;/i.test(type)) {
      throw new HttpError(
        400,
        "validation",
        `Content-Type ${type || "(missing)"}: must be multipart/form-data (files) or application/json (images: [{ image_url }])`,
        { param: "body" },
      );
    }
    return parseEditForm(await readFormBody(c.req), defaults);
  });
  return withUnsent(await respond(c, "edit", parsed), c, "edit", parsed.options);
});

/**
 * Options the request set that the provider call leaves out (the model does not take them, or
 * the multipart edit form, which the gateway sends, has no such field) are named in the
 * `Gptimg-Unsent-Options` header with the reason, never dropped silently; the body stays
 * exactly OpenAI's.
 */
function withUnsent(
  res: Response,
  c: Context<AppEnv>,
  kind: "generate" | "edit",
  options: GenerateOptions | EditOptions,
): Response {
  const model = options.model ?? c.env.PROVIDER_MODEL;
  const unsent = unsentOptions(model, options, kind === "edit" ? "multipart" : "json").map(
    (u) => `${u.field}=${String(u.value)} (${u.reason})`,
  );
  // a size alias the model cannot make as it says (4k on gpt-image-1) went out as its closest size
  const rules = rulesFor(model, options);
  const shrunk = shrunkAlias(options.size, rules);
  if (shrunk)
    unsent.push(
      `size=${options.size} (${model ?? rules.family} makes no ${shrunk.aliasSize}; its closest, ${shrunk.size}, is sent)`,
    );
  if (unsent.length === 0) return res;
  const value = unsent.join("; ");
  // header values are one line of visible ASCII
  res.headers.set("Gptimg-Unsent-Options", value.replace(/[^\x20-\x7e]/g, "?").slice(0, 1000));
  return res;
}

/**
 * Parses a request whose token is read later, with its quota (see `admitImageRequest`); a request
 * that does not parse is refused as unauthenticated first when its token does not pass, so only
 * members learn what the body got wrong.
 */
async function authFirst<T>(c: Context<AppEnv>, parse: () => Promise<T>): Promise<T> {
  try {
    return await parse();
  } catch (e) {
    await authenticate(c);
    throw e;
  }
}

/** The deployment's `DEFAULT_RESPONSE_FORMAT`, else OpenAI's default for the model (url for dall-e). */
function defaultFormat(c: Context<AppEnv>, model: string | undefined): "b64_json" | "url" {
  const set = c.env.DEFAULT_RESPONSE_FORMAT;
  if (set === "url" || set === "b64_json") return set;
  return modelRules(model).defaultResponseFormat;
}

async function respond(
  c: Context<AppEnv>,
  kind: "generate" | "edit",
  parsed: ParsedImageRequest<GenerateOptions | EditOptions>,
) {
  const { options } = parsed;
  const plan = await planRun(c.env, kind, options);
  const keyed = c.get("idempotency");
  const admitted = await admitImageRequest(c.env.DB, c.get("credential"), plan.job, keyed);
  c.set("member", admitted.member);
  if ("replay" in admitted) return replayStored(c, admitted.replay.status, admitted.replay.stored);
  c.set("jobId", plan.jobId);
  const { member, holdId } = admitted;
  const responseFormat = parsed.responseFormat ?? defaultFormat(c, options.model);
  const origin = new URL(c.req.url).origin;
  const created = nowSeconds();
  const echo = {
    ...(options.quality ? { quality: options.quality } : {}),
    ...(options.background ? { background: options.background } : {}),
  };
  const stop = new AbortController();
  const signal = AbortSignal.any([c.req.raw.signal, stop.signal]);
  // the console's thumbnails are made after the answer, kept alive as its settlement is
  const background = (work: Promise<void>) => afterBody(c, work);
  // a streamed answer is not kept: its key is given back when it ends
  const answer = parsed.stream ? null : { responseFormat, created, echo };
  const settlement = keyed && keySettlement(c.env.DB, member.tokenId, keyed.key, plan.jobId, answer);
  const run: RunInput = {
    env: c.env,
    member,
    kind,
    options,
    plan,
    holdId,
    signal,
    background,
    ...(settlement ? { settlement } : {}),
  };
  if (parsed.stream) {
    // a stream's work goes on when its client leaves (see streamSse): it takes no client signal
    const { signal: _client, ...streamRun } = run;
    const events = runImageRequest(streamRun);
    // wait for the first event so a failure before any image still gets its own HTTP status
    const first = await events.next();
    if (first.done) throw new HttpError(502, "bad_response", "the provider answered with no image");
    const prefix = kind === "edit" ? "image_edit" : "image_generation";
    const keepAlive = (work: Promise<void>) => {
      c.set("settled", work);
      try {
        c.executionCtx.waitUntil(work);
      } catch {
        // no execution context (app.request in tests): the promise still runs to its end
      }
    };
    return streamSse(first.value, events, { env: c.env, origin, prefix, created, echo, responseFormat, keepAlive });
  }
  if (responseFormat === "b64_json" && !keyed) {
    const out = new B64JsonStream(created, echo, stop);
    const events = runImageRequest({ ...run, onBase64: out.onBase64 });
    const pumped = out.pump(events);
    // the status line goes out with the body's first write; a failure before it has its own status
    await Promise.race([out.ready, pumped]);
    afterBody(
      c,
      pumped.then(() => drain(events)),
    );
    return new Response(out.body, { headers: { "Content-Type": "application/json" } });
  }
  if (responseFormat === "url") {
    const { answer, rest } = await answerUrl(c.env, origin, created, runImageRequest(run), echo);
    afterBody(c, rest);
    return c.json(answer.body);
  }
  // An Idempotency-Key replay rebuilds this answer from R2: every image is stored and the row
  // settled (the answer stored with it) before the status line goes out, so a replay never names
  // an image that is not there.
  const result = await collect(runImageRequest(run), echo);
  return b64JsonResponse(c.env.IMAGES, created, result.images, result.tail);
}

/**
 * A keyed request's part of its settlement batch: on success its answer is stored for replays
 * (what the response says: its top-level fields and each image's key), or, for an answer not
 * kept (`answer` null: a stream), the key is given back; on failure it is given back.
 */
function keySettlement(
  db: D1Database,
  tokenId: string,
  key: string,
  jobId: string,
  answer: { responseFormat: "b64_json" | "url"; created: number; echo: Echo } | null,
): NonNullable<RunInput["settlement"]> {
  const release = releaseClaimStatement(db, tokenId, key, jobId);
  return {
    succeeded: (images, result) => {
      if (!answer) return [release];
      return [
        storeAnswerStatement(db, tokenId, key, jobId, {
          responseFormat: answer.responseFormat,
          meta: { created: answer.created, ...responseTail(images[0], result, answer.echo) },
          images: images.map((img) => ({
            key: img.key,
            ...(img.revisedPrompt !== undefined ? { revised_prompt: img.revisedPrompt } : {}),
          })),
        }),
      ];
    },
    failed: [release],
  };
}

/**
 * What is left of a run once its answer is out: the last R2 put finishing and the one D1 batch
 * that settles the row, seconds at most. The provider's 60-180 s happen while the response is
 * open (its body streams from them), never here.
 */
function afterBody(c: Context<AppEnv>, rest: Promise<void>): void {
  const done = rest.catch(() => undefined);
  try {
    c.executionCtx.waitUntil(done);
  } catch {
    // no execution context (app.request in tests): the promise still runs to its end
  }
}
