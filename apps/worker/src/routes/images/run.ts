import {
  AbortedError,
  type EditFileOptions,
  type EditOptions,
  extensionFor,
  type GeneratedImage,
  type GenerateOptions,
  type ImageStreamEvent,
  type ImageUsage,
  isGptImageError,
  rulesFor,
  sizeFor,
} from "@gptimg/core";
import type { Env } from "../../env.ts";
import { jobRequest } from "../../jobs/parse.ts";
import { completeJob, failJob } from "../../jobs/repo.ts";
import { type AdmittedJob, releaseHoldStatement } from "../../lib/admit.ts";
import { nowSeconds } from "../../lib/clock.ts";
import type { Member } from "../../lib/context.ts";
import { HttpError, PossiblyBilledError, toOpenAIError } from "../../lib/errors.ts";
import { createProviderClient } from "../../lib/provider.ts";
import { envSecrets } from "../../lib/secrets.ts";
import {
  imageKey,
  type PlannedInput,
  planInputs,
  promptHash,
  putImage,
  putInputs,
  type StoredImage,
} from "../../lib/storage.ts";
import { makeThumbnails } from "../../lib/thumbnails.ts";
import { randomId } from "../../lib/tokens.ts";
import { WholeOutputs } from "../../lib/whole-output.ts";

type DoneResult = Extract<ImageStreamEvent, { type: "done" }>["result"];

/** What a synchronous image request yields to its responder, in order. */
export type RunEvent =
  | Extract<ImageStreamEvent, { type: "partial" }>
  /**
   * a final image, decoded, its R2 key chosen and its put started: `stored` settles when it is in
   * R2 (a responder that must not name an unstored image awaits it); `image.bytes` is still in
   * hand. `usage`, `quality`, `background`: what a streaming provider reported with this image alone
   */
  | {
      type: "image";
      image: GeneratedImage;
      key: string;
      stored: Promise<StoredImage>;
      usage?: ImageUsage;
      quality?: string;
      background?: string;
    }
  /** the provider's answer is complete (images may still be on their way to R2) */
  | { type: "answered"; result: DoneResult }
  /** every image is in R2 and the row is settled; `costUsd` null: the model's cost is unknown */
  | { type: "done"; result: DoneResult; costUsd: number | null; jobId: string };

/** A request's job before it is admitted: its id, time and model, and its edit inputs' key suffixes. */
export interface RunPlan {
  jobId: string;
  date: Date;
  model: string;
  /** edit inputs, keyed after `t/<team>/` (the team is known once the token is read) */
  inputs: (Omit<PlannedInput, "key"> & { suffix: string })[];
  /** the row admission inserts */
  job: AdmittedJob;
}

/**
 * Names a request's job and plans its edit inputs (their heads read, nothing stored), so that
 * admission can insert its row in the same D1 batch that reads the token and takes the quota.
 */
export async function planRun(
  env: Env,
  kind: "generate" | "edit",
  options: GenerateOptions | EditOptions,
): Promise<RunPlan> {
  const jobId = randomId("job");
  const date = new Date();
  const model = options.model ?? env.PROVIDER_MODEL;
  // the routes parse edits to bytes (files, or references fetched): nothing here is a reference
  const edit = kind === "edit" ? (options as EditFileOptions) : undefined;
  const placeholder = "_";
  const inputs = edit
    ? (
        await planInputs(
          placeholder,
          jobId,
          edit.images.map((i) => i.data),
          edit.mask?.data,
          date,
        )
      ).map(({ key, ...p }) => ({ ...p, suffix: key.slice(`t/${placeholder}/`.length) }))
    : [];
  return {
    jobId,
    date,
    model,
    inputs,
    job: {
      id: jobId,
      kind,
      model,
      n: options.n ?? 1,
      requestJson: JSON.stringify(jobRequest(options)),
      inputKeySuffixes: edit ? inputs.map((p) => p.suffix) : null,
      requestedSize: sizeFor(options.size, rulesFor(model, options)) ?? null,
      createdAt: Math.floor(date.getTime() / 1000),
    },
  };
}

export interface RunInput {
  env: Env;
  member: Member;
  kind: "generate" | "edit";
  options: GenerateOptions | EditOptions;
  /** from `planRun`, admitted */
  plan: RunPlan;
  /** the admission's quota hold, released in the settlement's batch */
  holdId: string;
  signal?: AbortSignal;
  /**
   * receives each image's base64 text of a JSON answer as it arrives, before it is decoded (see
   * core's `onImageBase64`): a `b64_json` answer forwards it to its client as it comes
   */
  onBase64?: (index: number, text: Uint8Array) => Promise<void>;
  /**
   * keeps the Worker alive for work that runs after the answer (`waitUntil`): the console's
   * thumbnails, handed over once the row is settled; without it none are made (until first view)
   */
  background?: (work: Promise<void>) => void;
  /**
   * more writes for the settlement's one batch, by outcome: an `Idempotency-Key`'s stored answer
   * (made from the stored images, index order, and the provider's result) or the key's release
   */
  settlement?: {
    succeeded: (images: SettledImage[], result: DoneResult) => D1PreparedStatement[];
    failed: D1PreparedStatement[];
  };
}

/** A stored final image as the settlement sees it, with the revised prompt the provider gave it. */
export type SettledImage = StoredImage & { revisedPrompt?: string };

/**
 * Runs one admitted synchronous image request (its row was written by admission, so it appears in
 * the team's history): stores edit inputs, streams the provider's answer through core, puts each final image into R2
 * as soon as it is decoded, then records usage and cost and completes the row. Yields each image
 * after it is stored, so responders never send an image that is not in R2.
 */
export async function* runImageRequest(input: RunInput): AsyncGenerator<RunEvent> {
  const { env, member, kind, options, plan } = input;
  const { jobId, date, model } = plan;
  const planned = plan.inputs.map((p) => ({ ...p, key: `t/${member.team}/${p.suffix}` }));
  const release = [releaseHoldStatement(env.DB, input.holdId)];
  const failedAlso = [...release, ...(input.settlement?.failed ?? [])];
  const stored: StoredImage[] = [];
  const revised = new Map<number, string>();
  // false until the row is completed or failed: a consumer that stops early (an SSE client gone)
  // leaves through `finally` with the row still running
  let settled = false;
  // the provider's usage once it came: kept for the failure row should completing the job fail
  let usage: ImageUsage | undefined;
  // the provider's answer was read to its end: a failure from here on comes after billing
  let answered = false;
  let upstream = false;
  /** the provider's request id, once it has answered */
  let requestId: string | undefined;
  // One put at a time, each started the moment its image is decoded: the body reads on while it
  // runs, and the next image waits for it, so at most two decoded images are held at once.
  // A streamed b64_json answer (`onBase64`) has already sent the image's text when it is
  // decoded: its put waits for the next image or the answer's end, so the upload does not
  // compete with the body's last bytes (its client is not kept waiting by storage).
  const puts: Promise<StoredImage>[] = [];
  const gates: (() => void)[] = [];
  const openGates = () => {
    for (const open of gates.splice(0)) open();
  };
  try {
    const hash = await promptHash(options.prompt);
    if (planned.length) {
      await putInputs(env, planned, {
        job: jobId,
        team: member.team,
        member: member.member,
        model,
        promptSha256: hash,
      });
    }
    const client = createProviderClient(env, undefined, input.onBase64 ? { onImageBase64: input.onBase64 } : {});
    const opts = { ...options, ...(input.signal ? { signal: input.signal } : {}) };
    const events = kind === "edit" ? client.editStream(opts as EditOptions) : client.generateStream(opts);
    const meta = {
      job: jobId,
      team: member.team,
      member: member.member,
      model,
      size: plan.job.requestedSize ?? "auto",
      promptSha256: hash,
    };
    const whole = new WholeOutputs();
    // from here the request may reach the provider: a failure that core does not vouch for as
    // unbilled (storage, bookkeeping) is booked possibly billed
    upstream = true;
    for await (const ev of events) {
      if (ev.type === "partial") yield ev;
      else if (ev.type === "image") {
        const img = ev.image;
        if (img.revisedPrompt !== undefined) revised.set(img.index, img.revisedPrompt);
        const previous = puts.at(-1);
        openGates();
        if (previous) await previous.catch(() => undefined);
        const key = imageKey(member.team, jobId, img.index, extensionFor(img.format), date);
        whole.check(img.bytes, img.index, key);
        const gate = input.onBase64 ? new Promise<void>((open) => gates.push(open)) : undefined;
        const put = (gate ? gate.then(() => putImage(env, key, img, meta)) : putImage(env, key, img, meta)).then(
          (s) => {
            stored.push(s);
            return s;
          },
        );
        // awaited below; a responder that stops early must not leave it unhandled
        put.catch(() => undefined);
        puts.push(put);
        const { type: _t, image: _i, ...reported } = ev;
        yield { type: "image", image: img, key, stored: put, ...reported };
      } else if (ev.type === "done") {
        const r = ev.result;
        usage = r.usage;
        requestId = r.requestId;
        answered = true;
        yield { type: "answered", result: r };
        openGates();
        for (const put of puts) {
          try {
            await put;
          } catch (e) {
            throw new StoreError(e);
          }
        }
        whole.assert();
        stored.sort((a, b) => a.index - b.index);
        const settledImages = stored.map((s) => {
          const revisedPrompt = revised.get(s.index);
          return revisedPrompt === undefined ? s : { ...s, revisedPrompt };
        });
        const also = [...release, ...(input.settlement?.succeeded(settledImages, r) ?? [])];
        const cost = await completeJob(
          env,
          member,
          jobId,
          {
            model: r.model,
            images: stored,
            usage: r.usage ?? null,
            provider: r.provider,
            requestId: r.requestId ?? null,
            requestedSize: r.requestedSize ?? plan.job.requestedSize,
            sizeMismatch: r.sizeMismatch ?? false,
            completedAt: nowSeconds(),
          },
          also,
        );
        settled = true;
        // the console's thumbnails, from R2 once the row is settled: never on the answer's path
        if (input.background) {
          const keys = stored.map((s) => s.key);
          input.background(makeThumbnails(env, keys));
        }
        yield { type: "done", result: r, costUsd: cost, jobId };
      }
    }
  } catch (thrown) {
    settled = true;
    const err = possiblyBilled(thrown, upstream || answered, requestId);
    await storeWhatWasMade(puts, openGates);
    await failRun(
      env,
      member,
      jobId,
      { model, stored, usage, answered, upstream, requested: options.n ?? 1, release: failedAlso },
      err,
    );
    throw err;
  } finally {
    if (!settled) {
      await storeWhatWasMade(puts, openGates);
      const gone = new AbortedError("the client went away before the response ended", { possiblyBilled: true });
      await failRun(
        env,
        member,
        jobId,
        { model, stored, usage, answered, upstream, requested: options.n ?? 1, release: failedAlso },
        gone,
      );
    }
  }
}

/**
 * Before a failed run is recorded: every image already decoded is put (a put still waiting
 * starts now) and its outcome awaited, so the failure row names each image that was made and
 * stored, and nothing made is lost.
 */
async function storeWhatWasMade(puts: Promise<StoredImage>[], openGates: () => void): Promise<void> {
  openGates();
  await Promise.allSettled(puts);
}

/**
 * What a run's failure is to the caller and the row: core's errors say themselves whether the
 * provider may have billed; any other failure once the request may have reached the provider
 * (`reached`) is told as possibly billed, naming what failed.
 */
function possiblyBilled(err: unknown, reached: boolean, requestId: string | undefined): unknown {
  if (!reached || isGptImageError(err) || err instanceof HttpError || err instanceof PossiblyBilledError) return err;
  const what =
    err instanceof StoreError
      ? "an image the provider made could not be stored"
      : "the request failed in the gateway after it reached the provider";
  return new PossiblyBilledError(what, requestId, err);
}

/** An image the provider made could not be put into R2; the provider has billed it. */
export class StoreError extends Error {
  override name = "StoreError";
  constructor(cause: unknown) {
    super("an image could not be stored", { cause });
  }
}

/**
 * Marks the row failed with `err` as OpenAI's error body says it. Possibly billed when core says
 * so, or when anything else failed once the request could have reached the provider (`upstream`);
 * `failJob` then counts the images asked for.
 */
async function failRun(
  env: Env,
  member: Member,
  jobId: string,
  made: {
    model: string;
    stored: StoredImage[];
    usage: ImageUsage | undefined;
    answered: boolean;
    upstream: boolean;
    requested: number;
    release: D1PreparedStatement[];
  },
  err: unknown,
) {
  const { status, body } = toOpenAIError(err, envSecrets(env));
  const error = {
    code: body.error.code,
    message: body.error.message,
    status,
    request_id: body.error.request_id ?? null,
    // core vouches for its own errors; anything else once the request may have reached the
    // provider (storage, bookkeeping) is possibly billed, as is everything after a full answer
    possibly_billed: (isGptImageError(err) ? err.possiblyBilled : made.upstream) || made.answered,
  };
  try {
    await failJob(
      env,
      member,
      jobId,
      {
        error,
        completedAt: nowSeconds(),
        model: made.model,
        requested: made.requested,
        images: made.stored,
        ...(made.usage ? { usage: made.usage } : {}),
      },
      made.release,
    );
  } catch {
    // the original error matters more to the caller than a failed bookkeeping write
  }
}
