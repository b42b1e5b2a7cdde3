import {
  AbortedError,
  type EditOptions,
  extensionFor,
  type GeneratedImage,
  type GenerateOptions,
  type ImageStreamEvent,
  type ImageUsage,
} from "@gptimg/core";
import type { Env } from "../../env.ts";
import { jobRequest } from "../../jobs/parse.ts";
import { completeJob, failJob } from "../../jobs/repo.ts";
import type { Member } from "../../lib/context.ts";
import { toOpenAIError } from "../../lib/errors.ts";
import { createProviderClient } from "../../lib/provider.ts";
import { envSecrets } from "../../lib/secrets.ts";
import { imageKey, planInputs, promptHash, putImage, putInputs, type StoredImage } from "../../lib/storage.ts";
import { randomId } from "../../lib/tokens.ts";

type DoneResult = Extract<ImageStreamEvent, { type: "done" }>["result"];

/** What a synchronous image request yields to its responder, in order. */
export type RunEvent =
  | Extract<ImageStreamEvent, { type: "partial" }>
  /**
   * a final image, already in R2; `image.bytes` is still in hand for a base64 response. `usage`,
   * `quality`, `background`: what a streaming provider reported with this image alone
   */
  | {
      type: "stored";
      image: GeneratedImage;
      stored: StoredImage;
      usage?: ImageUsage;
      quality?: string;
      background?: string;
    }
  | { type: "done"; result: DoneResult; costUsd: number; jobId: string };

export interface RunInput {
  env: Env;
  member: Member;
  kind: "generate" | "edit";
  options: GenerateOptions | EditOptions;
  signal?: AbortSignal;
}

/**
 * Runs one synchronous image request: records a job row (so it appears in the team's history),
 * stores edit inputs, streams the provider's answer through core, puts each final image into R2
 * as soon as it is decoded, then records usage and cost and completes the row. Yields each image
 * after it is stored, so responders never send an image that is not in R2.
 */
export async function* runImageRequest(input: RunInput): AsyncGenerator<RunEvent> {
  const { env, member, kind, options } = input;
  const jobId = randomId("job");
  const date = new Date();
  const created = Math.floor(date.getTime() / 1000);
  const model = options.model ?? env.PROVIDER_MODEL;
  const hash = await promptHash(options.prompt);
  // an edit's inputs get their keys now, so the row records them from its first write
  const edit = kind === "edit" ? (options as EditOptions) : undefined;
  const planned = edit
    ? await planInputs(
        member.team,
        jobId,
        edit.images.map((i) => i.data),
        edit.mask?.data,
        date,
      )
    : [];
  await env.DB.prepare(
    `INSERT INTO jobs (id, team, member, token_id, kind, status, model, request_json, input_keys, requested_size, created_at)
     VALUES (?, ?, ?, ?, ?, 'running', ?, ?, ?, ?, ?)`,
  )
    .bind(
      jobId,
      member.team,
      member.member,
      member.tokenId,
      kind,
      model,
      JSON.stringify(jobRequest(options)),
      edit ? JSON.stringify(planned.map((p) => p.key)) : null,
      options.size ?? null,
      created,
    )
    .run();
  const stored: StoredImage[] = [];
  // false until the row is completed or failed: a consumer that stops early (an SSE client gone)
  // leaves through `finally` with the row still running
  let settled = false;
  // the provider's usage once it came: kept for the failure row should completing the job fail
  let usage: ImageUsage | undefined;
  try {
    if (planned.length) {
      await putInputs(env, planned, {
        job: jobId,
        team: member.team,
        member: member.member,
        model,
        promptSha256: hash,
      });
    }
    const client = createProviderClient(env);
    const opts = { ...options, ...(input.signal ? { signal: input.signal } : {}) };
    const events = kind === "edit" ? client.editStream(opts as EditOptions) : client.generateStream(opts);
    for await (const ev of events) {
      if (ev.type === "partial") yield ev;
      else if (ev.type === "image") {
        const img = ev.image;
        const key = imageKey(member.team, jobId, img.index, extensionFor(img.format), date);
        const s = await putImage(env, key, img, {
          job: jobId,
          team: member.team,
          member: member.member,
          model,
          size: options.size ?? "auto",
          promptSha256: hash,
        });
        stored.push(s);
        const { type: _t, image: _i, ...reported } = ev;
        yield { type: "stored", image: img, stored: s, ...reported };
      } else if (ev.type === "done") {
        const r = ev.result;
        usage = r.usage;
        const cost = await completeJob(env, member, jobId, {
          model: r.model,
          images: stored,
          usage: r.usage ?? null,
          provider: r.provider,
          requestId: r.requestId ?? null,
          requestedSize: r.requestedSize ?? options.size ?? null,
          sizeMismatch: r.sizeMismatch ?? false,
          completedAt: Math.floor(Date.now() / 1000),
        });
        settled = true;
        yield { type: "done", result: r, costUsd: cost, jobId };
      }
    }
  } catch (err) {
    settled = true;
    await failRun(env, member, jobId, { model, stored, usage }, err);
    throw err;
  } finally {
    if (!settled) {
      const gone = new AbortedError("the client went away before the response ended", { possiblyBilled: true });
      await failRun(env, member, jobId, { model, stored, usage }, gone);
    }
  }
}

/** Marks the row failed with `err` as OpenAI's error body says it; images already stored count as usage. */
async function failRun(
  env: Env,
  member: Member,
  jobId: string,
  made: { model: string; stored: StoredImage[]; usage: ImageUsage | undefined },
  err: unknown,
) {
  const { status, body } = toOpenAIError(err, envSecrets(env));
  const error = {
    code: body.error.code,
    message: body.error.message,
    status,
    request_id: body.error.request_id ?? null,
    possibly_billed: body.error.possibly_billed ?? false,
  };
  try {
    await failJob(env, member, jobId, {
      error,
      completedAt: Math.floor(Date.now() / 1000),
      model: made.model,
      images: made.stored,
      ...(made.usage ? { usage: made.usage } : {}),
    });
  } catch {
    // the original error matters more to the caller than a failed bookkeeping write
  }
}
