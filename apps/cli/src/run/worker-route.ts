import {
  buildEditRequest,
  buildGenerateRequest,
  type EditOptions,
  type GenerateOptions,
  type ProviderConfig,
} from "@gptimg/core";
import { CliError } from "../cli/errors.ts";
import type { Io } from "../cli/io.ts";
import type { Progress } from "../cli/progress.ts";
import type { DirectSettings } from "../config/provider-settings.ts";
import type { Rate } from "../config/schema.ts";
import { estimateCost } from "../cost.ts";
import { serverCode } from "../worker/http.ts";
import { createJobsClient, type JobsClient } from "../worker/jobs-client.ts";
import type { Job } from "../worker/types.ts";
import { type EnvelopeUsage, type OutputMode, printSaved, type RunResult } from "./envelope.ts";
import type { ImageSaver } from "./saver.ts";

/** Jobs run for minutes upstream; wait this long by default before reporting outcome unknown. */
export const DEFAULT_JOB_WAIT_MS = 30 * 60_000;

/**
 * The Worker's request header for `--skip-model-rules`: the Worker checks requests against
 * gptimg's model table too, and skips it for a request that sends this (docs/worker.md).
 */
const SKIP_MODEL_RULES_HEADER = "gptimg-skip-model-rules";

/**
 * The Worker as a core provider whose generations and edits paths are `/jobs`: core builds the
 * exact `POST {endpoint}/v1/jobs` body (JSON or multipart) it would send to a provider. With
 * `skipModelRules` every request asks the Worker to skip gptimg's model table as well.
 */
export function workerProvider(endpoint: string, token: string | undefined, skipModelRules = false): ProviderConfig {
  return {
    name: "worker",
    profile: "openai",
    baseUrl: `${endpoint}/v1`,
    ...(token ? { apiKey: token } : {}),
    ...(skipModelRules ? { headers: { [SKIP_MODEL_RULES_HEADER]: "true" } } : {}),
    paths: { generations: "/jobs", edits: "/jobs" },
  };
}

/**
 * The Worker's OpenAI-compatible `/v1/images/*` routes as the one provider of a direct run,
 * for `--stream`: they answer in SSE with partial images, which a job does not deliver.
 */
export function workerImagesSettings(
  endpoint: string,
  token: string | undefined,
  model: string | undefined,
  skipModelRules = false,
): DirectSettings {
  const { paths: _jobs, ...images } = workerProvider(endpoint, token, skipModelRules);
  return {
    providers: [images],
    keySource: "team token",
    baseSource: "the Worker endpoint",
    model,
    notes: [],
    withheld: [],
    defaults: undefined,
  };
}

/** Builds the job request for a dry-run or a run (sends nothing). */
export async function buildJobRequest(
  kind: "generate" | "edit",
  endpoint: string,
  token: string | undefined,
  opts: GenerateOptions | EditOptions,
  idempotencyKey: string,
): Promise<Request> {
  const provider = workerProvider(endpoint, token, opts.skipModelRules === true);
  const req =
    kind === "edit" ? await buildEditRequest(provider, opts as EditOptions) : buildGenerateRequest(provider, opts);
  const headers = new Headers(req.headers);
  headers.set("idempotency-key", idempotencyKey);
  return new Request(req, { headers });
}

/** `usage` of a job in the envelope's camelCase. */
export function jobUsage(job: Job): EnvelopeUsage | null {
  const u = job.usage;
  if (!u) return null;
  const d = u.input_tokens_details;
  return {
    inputTokens: u.input_tokens ?? 0,
    outputTokens: u.output_tokens ?? 0,
    totalTokens: u.total_tokens ?? (u.input_tokens ?? 0) + (u.output_tokens ?? 0),
    ...(d ? { inputTokensDetails: { textTokens: d.text_tokens ?? 0, imageTokens: d.image_tokens ?? 0 } } : {}),
  };
}

/** A failed job's error, with the same code (and so the same exit code) as direct mode. */
export function jobFailure(job: Job): CliError {
  const e = job.error;
  return new CliError(serverCode(e?.code) ?? "provider_error", e?.message ?? `job ${job.id} failed`, {
    ...(typeof e?.status === "number" ? { status: e.status } : {}),
    ...(e?.request_id ? { requestId: e.request_id } : {}),
    possiblyBilled: e?.possibly_billed === true,
  });
}

/** Downloads and saves a finished job's images; throws the job's error when it failed. */
export async function saveJob(
  job: Job,
  c: { jobs: JobsClient; saver: ImageSaver; io: Io; mode: OutputMode; rates: Record<string, Rate>; progress: Progress },
): Promise<RunResult> {
  if (job.status === "failed") throw jobFailure(job);
  if (job.status !== "succeeded")
    throw new CliError("outcome_unknown", `job ${job.id} is ${job.status}`, { possiblyBilled: true });
  const images = [...(job.images ?? [])].sort((a, b) => a.index - b.index);
  for (const [i, img] of images.entries()) {
    c.progress.update(`downloading ${i + 1}/${images.length}`);
    const bytes = await c.jobs.download(img.url, c.io.signal, img.bytes);
    // the position names the file, never the server's index
    const saved = await c.saver.save(bytes, i, img.url);
    c.progress.clear();
    if (saved) printSaved(c.io, c.mode, saved);
  }
  const usage = jobUsage(job);
  const model = job.model ?? "unknown";
  return {
    ok: true,
    provider: job.provider ?? "worker",
    model,
    images: c.saver.saved,
    usage,
    cost:
      typeof job.cost_usd === "number"
        ? job.cost_usd
        : estimateCost(model, usage ?? undefined, job.kind ?? "generate", c.rates, images.length),
    requestId: job.request_id ?? null,
    jobId: job.id,
    sizeMismatch: job.size_mismatch === true,
    requestedSize: job.requested_size ?? null,
  };
}

export interface WorkerRun {
  io: Io;
  kind: "generate" | "edit";
  opts: GenerateOptions | EditOptions;
  endpoint: string;
  token: string;
  waitMs: number;
  saver: ImageSaver;
  mode: OutputMode;
  progress: Progress;
  rates: Record<string, Rate>;
}

/**
 * The Worker route: create a job (one random Idempotency-Key per invocation, so resends never
 * double-bill), follow it, download the images, and report as direct mode does.
 */
export async function runViaWorker(r: WorkerRun): Promise<RunResult> {
  const jobs = createJobsClient({ endpoint: r.endpoint, token: r.token });
  const req = await buildJobRequest(r.kind, r.endpoint, r.token, r.opts, crypto.randomUUID());
  const key = req.headers.get("idempotency-key");
  const created = await jobs.create(req, { signal: r.io.signal, ...(key ? { idempotencyKey: key } : {}) });
  r.progress.note(`job ${created.id} ${created.status}`);
  r.progress.update(`job ${created.status}`);
  let job: Job | undefined;
  try {
    job = await jobs.wait(created.id, {
      signal: r.io.signal,
      timeoutMs: r.waitMs,
      onStatus: (s) => r.progress.update(`job ${s}`),
      onFallback: (why) => r.progress.note(`${why}; polling`),
    });
    return await saveJob(job, { jobs, saver: r.saver, io: r.io, mode: r.mode, rates: r.rates, progress: r.progress });
  } catch (e) {
    // The job exists: past this point the generation runs (and bills) whatever happens here.
    if (r.io.signal.aborted || job?.status === "failed" || (e instanceof CliError && e.possiblyBilled)) throw e;
    const why = e instanceof Error ? e.message : String(e);
    throw new CliError(
      "outcome_unknown",
      `${why}; job ${created.id} may still finish: gptimg jobs wait ${created.id}`,
      {
        possiblyBilled: true,
        cause: e,
      },
    );
  }
}
