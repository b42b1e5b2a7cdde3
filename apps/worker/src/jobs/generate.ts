import {
  type EditOptions,
  extensionFor,
  type GenerateOptions,
  type ImageInput,
  type ImageStreamEvent,
  type ImageUsage,
  isApiError,
  isGptImageError,
} from "@gptimg/core";
import type { Env } from "../env.ts";
import { nowSeconds } from "../lib/clock.ts";
import { createProviderClient } from "../lib/provider.ts";
import { safeMessage } from "../lib/secrets.ts";
import type { StoredImage } from "../lib/storage.ts";
import { imageKey, promptHash, putImage } from "../lib/storage.ts";
import { WholeOutputs } from "../lib/whole-output.ts";
import { completeJob, failJob, getJob, markRequeued, markRunning } from "./repo.ts";
import type { GenerateOutcome, JobError, JobRequest, JobRow } from "./types.ts";
import { storedImages } from "./view.ts";

/**
 * Attempts of the "generate" step, the first included. Core already retries inside one attempt
 * (408/409/429/5xx and connection failures before sending, ≤ 8 s backoff); a further attempt a
 * minute later only helps with outages and long rate limits, and is made only when the failure is
 * known to be unbilled and no image was produced. Keep in step with the step's `retries.limit`.
 */
export const MAX_GENERATE_ATTEMPTS = 3;

/** Thrown to make Workflows retry the step: the failure was known-unbilled and may pass later. */
export class RetryableGenerationError extends Error {
  override name = "RetryableGenerationError";
}

/** Codes whose failures core deems transient; only these earn another step attempt. */
const TRANSIENT = new Set(["rate_limited", "provider_error", "network", "timeout"]);

function toJobError(err: unknown, env: Env, providerReached: boolean): JobError {
  if (isGptImageError(err)) {
    return {
      code: err.code,
      message: safeMessage(env, err),
      status: err.status ?? null,
      request_id: err.requestId ?? null,
      possibly_billed: err.possiblyBilled,
    };
  }
  // Storage or internal failure: if it struck after the provider answered, the images were billed.
  return {
    code: "internal",
    message: safeMessage(env, err),
    status: null,
    request_id: null,
    possibly_billed: providerReached,
  };
}

/** What a finished row says, for a step re-entered after its job was already settled. */
function settled(row: JobRow): GenerateOutcome {
  return {
    status: row.status === "succeeded" ? "succeeded" : "failed",
    images: storedImages(row),
    error: row.error ? (JSON.parse(row.error) as JobError) : null,
    usage: row.usage ? (JSON.parse(row.usage) as ImageUsage) : null,
  };
}

async function loadInputs(env: Env, keys: string[]): Promise<{ images: ImageInput[]; mask?: ImageInput }> {
  const files = await Promise.all(
    keys.map(async (key) => {
      const obj = await env.IMAGES.get(key);
      if (!obj) throw new Error(`edit input ${key} is missing from storage`);
      return { key, input: { data: await obj.blob(), name: key.split("/").at(-1) } satisfies ImageInput };
    }),
  );
  const isMask = (k: string) => /\/mask\.[a-z]+$/.test(k);
  const mask = files.find((f) => isMask(f.key))?.input;
  return { images: files.filter((f) => !isMask(f.key)).map((f) => f.input), ...(mask ? { mask } : {}) };
}

/**
 * Body of the "generate" step: runs the provider request of one job and stores each image in R2
 * the moment it is decoded, so at most one image is in memory. Settles the job row
 * (succeeded/failed with the provider's error) and returns keys and metadata only.
 *
 * Never replays a possibly billed request: a row found `running` on entry means an earlier
 * attempt was cut off after it may have reached the provider, and the job fails as
 * `outcome_unknown`. Throws `RetryableGenerationError` only for known-unbilled transient failures
 * the provider did not call final (`x-should-retry: false`, a spent quota) with attempts left,
 * after putting the row back to `queued`.
 */
export async function runGeneration(env: Env, jobId: string, fetchImpl?: typeof fetch): Promise<GenerateOutcome> {
  const row = await getJob(env.DB, jobId);
  if (!row) throw new Error(`job ${jobId} does not exist`);
  if (row.status === "succeeded" || row.status === "failed") return settled(row);

  const owner = { team: row.team, member: row.member, tokenId: row.token_id };
  const previous = await markRunning(env.DB, jobId);
  if (previous === "running") {
    const error: JobError = {
      code: "outcome_unknown",
      message:
        "the generation was interrupted after the request may have reached the provider; not replayed to avoid billing twice",
      status: null,
      request_id: null,
      possibly_billed: true,
    };
    const requested = (JSON.parse(row.request_json) as JobRequest).n ?? 1;
    await failJob(env, owner, jobId, { error, completedAt: nowSeconds(), model: row.model, requested });
    return { status: "failed", images: [], error, usage: null };
  }

  const request = JSON.parse(row.request_json) as JobRequest;
  const images: StoredImage[] = [];
  let providerReached = false;
  let done: Extract<ImageStreamEvent, { type: "done" }> | undefined;
  const whole = new WholeOutputs();
  try {
    const client = createProviderClient(env, fetchImpl);
    const opts: GenerateOptions = { ...request };
    const events =
      row.kind === "edit"
        ? client.editStream({
            ...opts,
            ...(await loadInputs(env, JSON.parse(row.input_keys ?? "[]") as string[])),
          } satisfies EditOptions)
        : client.generateStream(opts);
    const created = new Date(row.created_at * 1000);
    const meta = {
      job: row.id,
      team: row.team,
      member: row.member,
      model: row.model,
      promptSha256: await promptHash(request.prompt),
      ...(row.requested_size ? { size: row.requested_size } : {}),
    };
    for await (const ev of events) {
      if (ev.type === "image") {
        providerReached = true;
        const key = imageKey(row.team, row.id, ev.image.index, extensionFor(ev.image.format), created);
        whole.check(ev.image.bytes, ev.image.index, key);
        images.push(await putImage(env, key, ev.image, meta));
      } else if (ev.type === "done") {
        providerReached = true;
        done = ev;
      }
    }
    whole.assert();
    const result = done?.result;
    const usage = result?.usage ?? null;
    await completeJob(env, owner, jobId, {
      model: result?.model ?? row.model,
      images,
      usage,
      provider: result?.provider ?? null,
      requestId: result?.requestId ?? null,
      requestedSize: result?.requestedSize ?? row.requested_size,
      sizeMismatch: result?.sizeMismatch ?? false,
      completedAt: nowSeconds(),
    });
    return { status: "succeeded", images, error: null, usage };
  } catch (err) {
    const error = toJobError(err, env, providerReached);
    const attempts = (await getJob(env.DB, jobId))?.attempts ?? MAX_GENERATE_ATTEMPTS;
    // the provider's "do not retry" (a spent billing quota) holds a minute later too
    const refusedRetry = isApiError(err) && err.shouldRetry === false;
    if (
      TRANSIENT.has(error.code) &&
      !refusedRetry &&
      !error.possibly_billed &&
      images.length === 0 &&
      attempts < MAX_GENERATE_ATTEMPTS
    ) {
      await markRequeued(env.DB, jobId);
      throw new RetryableGenerationError(`${error.code}: ${error.message}`);
    }
    const result = done?.result;
    await failJob(env, owner, jobId, {
      error,
      completedAt: nowSeconds(),
      model: result?.model ?? row.model,
      requested: request.n ?? 1,
      images,
      ...(result?.usage ? { usage: result.usage } : {}),
    });
    return { status: "failed", images, error, usage: null };
  }
}
