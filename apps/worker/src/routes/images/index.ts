import type { EditOptions, GenerateOptions } from "@gptimg/core";
import { type Context, Hono } from "hono";
import { enforceQuota } from "../../lib/auth.ts";
import type { AppEnv } from "../../lib/context.ts";
import { HttpError } from "../../lib/errors.ts";
import { type ParsedImageRequest, parseEditForm, parseGenerateBody } from "../../lib/image-request.ts";
import { readFormBody, readJsonBody } from "../../lib/json-body.ts";
import { rememberImages } from "../../middleware/idempotency.ts";
import { b64JsonResponse, collect, urlResponseBody } from "./respond-json.ts";
import { streamSse } from "./respond-sse.ts";
import { runImageRequest } from "./run.ts";

/**
 * OpenAI-compatible image routes, mounted at `/v1/images` behind `memberAuth()`:
 * `POST /generations` (JSON) and `POST /edits` (multipart).
 */
export const imagesRouter = new Hono<AppEnv>();

imagesRouter.post("/generations", async (c) => {
  const body = await readJsonBody(c.req);
  const parsed = parseGenerateBody(body, c.env.PROVIDER_MODEL);
  return respond(c, "generate", parsed);
});

imagesRouter.post("/edits", async (c) => {
  const type = c.req.header("Content-Type") ?? "";
  if (!/^multipart\/form-data\s*;/i.test(type)) {
    throw new HttpError(400, "validation", `Content-Type ${type || "(missing)"}: must be multipart/form-data`, {
      param: "body",
    });
  }
  const form = await readFormBody(c.req);
  return respond(c, "edit", await parseEditForm(form, c.env.PROVIDER_MODEL));
});

function defaultFormat(c: Context<AppEnv>): "b64_json" | "url" {
  return c.env.DEFAULT_RESPONSE_FORMAT === "url" ? "url" : "b64_json";
}

async function respond(
  c: Context<AppEnv>,
  kind: "generate" | "edit",
  parsed: ParsedImageRequest<GenerateOptions | EditOptions>,
) {
  const { options } = parsed;
  await enforceQuota(c, options.model ?? c.env.PROVIDER_MODEL, options.n ?? 1);
  const responseFormat = parsed.responseFormat ?? defaultFormat(c);
  const origin = new URL(c.req.url).origin;
  const created = Math.floor(Date.now() / 1000);
  const echo = {
    ...(options.quality ? { quality: options.quality } : {}),
    ...(options.background ? { background: options.background } : {}),
  };
  const stop = new AbortController();
  const signal = AbortSignal.any([c.req.raw.signal, stop.signal]);
  const events = runImageRequest({ env: c.env, member: c.get("member"), kind, options, signal });
  if (parsed.stream) {
    // wait for the first event so a failure before any image still gets its own HTTP status
    const first = await events.next();
    if (first.done) throw new HttpError(502, "bad_response", "the provider answered with no image");
    const prefix = kind === "edit" ? "image_edit" : "image_generation";
    return streamSse(first.value, events, { env: c.env, origin, prefix, created, echo, responseFormat, stop });
  }
  // Every image is stored before the status line goes out: a failure at any point is a proper
  // error status, and an Idempotency-Key replay can rebuild this answer from R2.
  const result = await collect(events, echo);
  rememberImages(c, {
    responseFormat,
    meta: { created, ...result.tail },
    images: result.images.map(({ key, revised_prompt }) => ({
      key,
      ...(revised_prompt !== undefined ? { revised_prompt } : {}),
    })),
  });
  if (responseFormat === "url") return c.json(await urlResponseBody(c.env, origin, created, result));
  return b64JsonResponse(c.env.IMAGES, created, result.images, result.tail);
}
