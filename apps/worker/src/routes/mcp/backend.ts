import type { GetJobArgs, ImageArgs, ImageOutcome, ToolBackend, ToolContext, ToolFailure } from "@gptimg/mcp-tools";
import type { Context } from "hono";
import { createJob } from "../../jobs/create.ts";
import { jobRequest } from "../../jobs/parse.ts";
import { getJob } from "../../jobs/repo.ts";
import type { JobRow } from "../../jobs/types.ts";
import { jobView, storedImages } from "../../jobs/view.ts";
import type { AppEnv } from "../../lib/context.ts";
import { HttpError, toOpenAIError } from "../../lib/errors.ts";
import { type ExtraFields, parseEditJson, parseGenerateBody } from "../../lib/image-request.ts";
import { requestDefaults } from "../../lib/model-rules.ts";
import { enforceQuota, releaseHold } from "../../lib/quota.ts";
import { envSecrets } from "../../lib/secrets.ts";
import { fetchInputs } from "../images/fetch-inputs.ts";

/** Default wait before answering with a job id (a client's request timeout is often 60 s). */
const WAIT_S = 45;
/** Progress while waiting, so clients that reset their timeout on progress keep waiting. */
const PROGRESS_EVERY_MS = 5000;

/** Tool arguments the gateway does not forward as image options. */
const NOT_OPTIONS = new Set(["images", "mask", "wait_seconds", "stream", "partial_images", "skip_model_rules"]);
/** A job never streams: stream and partial images are accepted and dropped, as `/v1/jobs` does. */
const JOB_FIELDS: ExtraFields = { stream: "ignore", partial_images: "ignore" };

/** A failed job, as a tool failure keeps it (its error was recorded without secrets). */
class JobFailed extends Error {
  constructor(readonly failure: ToolFailure) {
    super(failure.message);
  }
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((done) => {
    const t = setTimeout(done, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(t);
      done();
    });
  });

/**
 * The tools on the team gateway: a call runs the `/v1/jobs` path (member token, allowed models,
 * quota and rpm, a job row with usage, the Workflow), waits for the job within `wait_seconds`,
 * and answers with signed URLs; a job still running is answered by id for get_job.
 */
export function workerBackend(c: Context<AppEnv>): ToolBackend {
  const env = c.env;
  const origin = new URL(c.req.url).origin;
  const member = c.get("member");

  async function ownJob(id: string): Promise<JobRow> {
    const row = await getJob(env.DB, id);
    if (!row || row.team !== member.team) throw new HttpError(404, "not_found", `job ${id} not found`, { param: "id" });
    return row;
  }

  /** Waits for a job to finish, or for the wait to end; then describes it. */
  async function follow(row: JobRow, waitS: number, ctx: ToolContext): Promise<ImageOutcome> {
    const deadline = Date.now() + waitS * 1000;
    let delay = 250;
    let lastStatus = "";
    let lastProgress = 0;
    let current = row;
    while ((current.status === "queued" || current.status === "running") && Date.now() < deadline) {
      if (ctx.signal.aborted) break;
      const now = Date.now();
      if (current.status !== lastStatus || now - lastProgress >= PROGRESS_EVERY_MS) {
        ctx.progress(`job ${current.id} ${current.status} (${Math.round((now - current.created_at * 1000) / 1000)} s)`);
        lastStatus = current.status;
        lastProgress = now;
      }
      await sleep(Math.min(delay, Math.max(0, deadline - Date.now())), ctx.signal);
      delay = Math.min(1000, delay * 2);
      current = (await getJob(env.DB, current.id)) ?? current;
    }
    return outcome(current);
  }

  async function outcome(row: JobRow): Promise<ImageOutcome> {
    if (row.status === "queued" || row.status === "running") return { status: row.status, jobId: row.id, images: [] };
    const view = await jobView(env, row, origin);
    if (row.status === "failed") {
      const e = view.error;
      throw new JobFailed({
        code: e?.code ?? "provider_error",
        message: e?.message ?? `job ${row.id} failed`,
        possiblyBilled: e?.possibly_billed === true,
        status: e?.status ?? null,
        requestId: e?.request_id ?? null,
        jobId: row.id,
      });
    }
    const stored = storedImages(row);
    return {
      status: "succeeded",
      jobId: row.id,
      provider: view.provider,
      model: view.model,
      requestId: view.request_id,
      usage: view.usage
        ? {
            inputTokens: view.usage.input_tokens,
            outputTokens: view.usage.output_tokens,
            totalTokens: view.usage.total_tokens,
          }
        : null,
      costUsd: view.cost_usd,
      sizeMismatch: view.size_mismatch,
      images: view.images.map((img) => ({
        ...(img.url ? { url: img.url } : {}),
        width: img.width,
        height: img.height,
        format: img.format,
        bytes: img.bytes,
      })),
      async readImage(i) {
        const key = stored[i]?.key;
        const obj = key ? await env.IMAGES.get(key) : null;
        return obj ? new Uint8Array(await obj.arrayBuffer()) : undefined;
      },
    };
  }

  /** The tool's options as the `/v1` parsers take them (wire names), so the same rules apply. */
  function wireBody(args: ImageArgs): Record<string, unknown> {
    const body: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(args)) if (!NOT_OPTIONS.has(k) && v !== undefined) body[k] = v;
    return body;
  }

  async function image(kind: "generate" | "edit", args: ImageArgs, ctx: ToolContext): Promise<ImageOutcome> {
    let parsed: { request: ReturnType<typeof jobRequest>; inputs: Blob[]; mask: Blob | undefined };
    // the argument when given, else the request's Gptimg-Skip-Model-Rules header, else the var
    const defaults = {
      ...requestDefaults(c),
      ...(args.skip_model_rules !== undefined ? { skipModelRules: args.skip_model_rules } : {}),
    };
    if (kind === "generate") {
      const { options } = parseGenerateBody(wireBody(args), defaults, JOB_FIELDS);
      parsed = { request: jobRequest(options), inputs: [], mask: undefined };
    } else {
      const inputs = await fetchInputs(args.images ?? [], args.mask, ctx.signal);
      const { options } = await parseEditJson(wireBody(args), inputs, defaults, JOB_FIELDS);
      parsed = {
        request: jobRequest(options),
        inputs: options.images.map((i) => i.data as Blob),
        mask: options.mask?.data as Blob | undefined,
      };
    }
    const { request } = parsed;
    const { job } = await createJob(env, {
      admit: () => enforceQuota(c, request.model ?? env.PROVIDER_MODEL, request.n ?? 1),
      member,
      kind,
      request,
      inputs: parsed.inputs,
      ...(parsed.mask ? { mask: parsed.mask } : {}),
      origin,
    });
    // the job row now counts toward the quota: the hold has done its work (this response is a
    // stream that outlives the auth middleware, which would release it otherwise)
    const hold = c.get("quotaHold");
    if (hold !== undefined) {
      c.set("quotaHold", undefined);
      await releaseHold(env.DB, hold).catch(() => undefined);
    }
    ctx.progress(`job ${job.id} ${job.status}`);
    return follow(job, args.wait_seconds ?? WAIT_S, ctx);
  }

  return {
    surface: "remote",
    generate: (args, ctx) => image("generate", args, ctx),
    edit: (args, ctx) => image("edit", args, ctx),
    getJob: async (args: GetJobArgs, ctx) => follow(await ownJob(args.id), args.wait_seconds ?? WAIT_S, ctx),
    describe(e): ToolFailure {
      if (e instanceof JobFailed) return e.failure;
      const { status, body } = toOpenAIError(e, envSecrets(env), "mcp");
      return {
        code: body.error.code ?? "internal",
        message: body.error.message,
        possiblyBilled: body.error.possibly_billed === true,
        status,
        requestId: body.error.request_id ?? null,
      };
    },
  };
}
