import { assertValid, rulesFor, sizeFor, validateEditOptions, validateGenerateOptions } from "@gptimg/core";
import type { Env } from "../env.ts";
import { nowSeconds } from "../lib/clock.ts";
import { keyReused, MAX_IDEMPOTENCY_KEY_LENGTH } from "../lib/idempotency-key.ts";
import { dataSha256Hex, type InputData } from "../lib/image-input.ts";
import { released } from "../lib/rpc.ts";
import { safeMessage } from "../lib/secrets.ts";
import { planInputs, promptHash, putInputs } from "../lib/storage.ts";
import { randomId, sha256Hex } from "../lib/tokens.ts";
import { checkCallbackUrl } from "./callback.ts";
import { canonicalJson } from "./hash.ts";
import { failJob, getJob, getJobByIdempotencyKey, insertJob, type KeyOwner } from "./repo.ts";
import type { ChatDelivery, JobKind, JobOwner, JobRequest, JobRow } from "./types.ts";

/** What `createJob` takes. `request` is core options without bytes; edit files come in `inputs`. */
export interface CreateJobInput {
  member: JobOwner | { tokenId?: string | null; team: string; member: string };
  kind: JobKind;
  request: JobRequest;
  /**
   * edit inputs (1-16), stored to R2 before the Workflow starts. A Blob (a form's file) is read
   * only at its head and streamed to the hash and to R2, never copied whole.
   */
  inputs?: InputData[];
  /** edit mask (PNG with alpha) */
  mask?: InputData;
  idempotencyKey?: string;
  callbackUrl?: string;
  delivery?: ChatDelivery;
  /** origin the job came through (e.g. https://img.example.com), used to sign URLs later */
  origin?: string;
  /**
   * Runs once the request is valid and before anything is hashed, stored or inserted: the
   * caller's quota check, so a request refused there costs nothing, and a bad one takes no quota.
   */
  admit?: () => Promise<void>;
}

/** A queued or existing job; `created` is false when an Idempotency-Key matched an earlier job. */
export interface CreateJobResult {
  job: JobRow;
  created: boolean;
}

/** Parameters of an ImageJobWorkflow instance (its id is the job id too). */
export interface ImageJobParams {
  jobId: string;
}

/** An existing job older than this that is still queued had its creator die before starting it. */
const ORPHAN_AFTER_S = 60;

/**
 * Validates, stores edit inputs to R2, records a queued job and starts its Workflow; returns at
 * once (the 60-180 s of provider work happen in the Workflow, never here). With an
 * `idempotencyKey`, the job row is inserted first under a unique (team, token, key) index: of two
 * concurrent calls one inserts and starts the job, the other reads it back. Same key with a
 * different request throws 409 `idempotency_conflict`.
 * @example
 * const { job } = await createJob(env, { member, kind: "generate", request: { prompt: "a cat" } });
 */
export async function createJob(env: Env, input: CreateJobInput): Promise<CreateJobResult> {
  const model = input.request.model ?? env.PROVIDER_MODEL;
  const request: JobRequest = { ...input.request, model };
  const inputs = input.inputs ?? [];
  const mask = input.mask;

  const issues =
    input.kind === "edit"
      ? await validateEditOptions(
          { ...request, images: inputs.map((data) => ({ data })), ...(mask ? { mask: { data: mask } } : {}) },
          model,
        )
      : validateGenerateOptions(request, model);
  if (input.callbackUrl !== undefined) issues.push(...checkCallbackUrl(env, input.callbackUrl));
  if (input.kind === "generate" && inputs.length) {
    issues.push({ field: "image", value: `${inputs.length} files`, rule: "only edits take images" });
  }
  const key = input.idempotencyKey;
  if (key !== undefined && (key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY_LENGTH)) {
    issues.push({ field: "Idempotency-Key", value: key, rule: `must be 1-${MAX_IDEMPOTENCY_KEY_LENGTH} characters` });
  }
  assertValid(issues);
  await input.admit?.();

  // only a key is ever compared against it: without one, 50 MB of inputs need no hashing
  const bodyHash =
    key === undefined
      ? ""
      : await sha256Hex(
          canonicalJson({
            kind: input.kind,
            request,
            // same hex for a Blob and for bytes of the same content, so either form matches a key
            inputs: await Promise.all(inputs.map(dataSha256Hex)),
            mask: mask ? await dataSha256Hex(mask) : null,
            callbackUrl: input.callbackUrl ?? null,
            delivery: input.delivery ?? null,
          }),
        );
  const id = randomId("job");
  const createdAt = nowSeconds();
  const date = new Date(createdAt * 1000);
  // validation above refused anything that is not an image
  const planned = await planInputs(input.member.team, id, inputs, mask, date);
  const inputKeys = input.kind === "edit" ? planned.map((p) => p.key) : null;

  const inserted = await insertJob(env.DB, {
    id,
    team: input.member.team,
    member: input.member.member,
    tokenId: input.member.tokenId ?? null,
    kind: input.kind,
    model,
    requestJson: JSON.stringify(request),
    inputKeys,
    idempotencyKey: key ?? null,
    bodyHash,
    callbackUrl: input.callbackUrl ?? null,
    delivery: input.delivery ?? null,
    origin: input.origin ?? null,
    requestedSize: sizeFor(request.size, rulesFor(model, request)) ?? null,
    createdAt,
  });
  if (!inserted)
    return existing(env, { team: input.member.team, tokenId: input.member.tokenId ?? null }, key, bodyHash);

  try {
    const promptSha256 = await promptHash(request.prompt);
    await putInputs(env, planned, {
      job: id,
      team: input.member.team,
      member: input.member.member,
      model,
      promptSha256,
    });
    await released(env.IMAGE_JOBS.create({ id, params: { jobId: id } satisfies ImageJobParams }));
  } catch (err) {
    // Nothing reached the provider: fail the job so it does not sit queued forever.
    const message = safeMessage(env, err);
    const owner = { team: input.member.team, member: input.member.member, tokenId: input.member.tokenId ?? null };
    await failJob(env, owner, id, {
      error: {
        code: "internal",
        message: `job could not be started: ${message}`,
        status: null,
        request_id: null,
        possibly_billed: false,
      },
      completedAt: createdAt,
      model,
      requested: request.n ?? 1,
    });
    throw err;
  }
  const job = await getJob(env.DB, id);
  if (!job) throw new Error(`job ${id} vanished after insert`);
  return { job, created: true };
}

async function existing(
  env: Env,
  owner: KeyOwner,
  key: string | undefined,
  bodyHash: string,
): Promise<CreateJobResult> {
  const job = key === undefined ? null : await getJobByIdempotencyKey(env.DB, owner, key);
  if (!job) throw new Error("job insert was refused but no job holds its idempotency key");
  if (job.body_hash !== bodyHash) {
    throw keyReused(key);
  }
  if (job.status === "queued" && nowSeconds() - job.created_at > ORPHAN_AFTER_S) await ensureStarted(env, job.id);
  return { job, created: false };
}

/** Starts the Workflow of a job whose creator stopped between insert and start; a no-op if it runs. */
async function ensureStarted(env: Env, id: string): Promise<void> {
  try {
    await released(env.IMAGE_JOBS.get(id));
  } catch {
    await released(env.IMAGE_JOBS.create({ id, params: { jobId: id } satisfies ImageJobParams })).catch(
      () => undefined,
    );
  }
}
