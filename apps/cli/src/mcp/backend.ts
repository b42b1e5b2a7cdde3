import { mkdir, readFile } from "node:fs/promises";
import { IMAGE_OPTION_LIST, redact, ValidationError } from "@gptimg/core";
import type {
  GetJobArgs,
  ImageArgs,
  ImageOutcome,
  OutcomeImage,
  ToolBackend,
  ToolContext,
  ToolFailure,
} from "@gptimg/mcp-tools";
import { CliError, describeFailure, usageError } from "../cli/errors.ts";
import { EXIT } from "../cli/exit-codes.ts";
import { FLAGS, type FlagName, type FlagValues } from "../cli/flags.ts";
import { type Io, notingErr } from "../cli/io.ts";
import { scrub, secrets } from "../cli/secrets.ts";
import { loadSources, workerSettings } from "../config/settings.ts";
import { resolveInside } from "../files/inside.ts";
import type { Envelope } from "../run/envelope.ts";
import { executeImage } from "../run/execute.ts";
import { saveFinishedJob } from "../run/job-wait.ts";
import type { SavedImage, UnsavedImage } from "../run/saver.ts";
import { createJobsClient } from "../worker/jobs-client.ts";
import { isTerminal } from "../worker/types.ts";
import { fetchInputs } from "./inputs.ts";
import type { ServeOptions } from "./serve.ts";

/** Arguments the server maps itself rather than through the option table. */
const OWN = new Set(["prompt", "image", "mask", "stream"]);

/**
 * Tool argument (wire name) → the CLI flag core's option table spells it with; an option
 * this CLI has no flag for travels in the request's extra fields under its wire name.
 */
function optionFlags(args: ImageArgs, values: FlagValues, extra: Record<string, unknown>): void {
  for (const o of IMAGE_OPTION_LIST) {
    const v = (args as unknown as Record<string, unknown>)[o.wire];
    if (v === undefined || OWN.has(o.wire)) continue;
    const flag = o.cli?.flag;
    if (flag && Object.hasOwn(FLAGS, flag)) values[flag as FlagName] = String(v);
    else extra[o.wire] = v;
  }
}

/** Default wait of get_job: long enough for most generations, short of common client timeouts. */
const GET_JOB_WAIT_S = 45;

/**
 * A call's `out` under the server's output directory (the directory itself when absent). One that
 * leads outside (an absolute path elsewhere, `..`, a symlink out) is refused before anything is sent.
 */
function outPath(outDir: string, out: string | undefined): string {
  if (out === undefined) return outDir;
  const target = resolveInside(outDir, out);
  if (target === undefined) {
    throw usageError(`out ${out}: must name a file or directory inside the output directory ${outDir}`);
  }
  return target;
}

/** The flags one tool call runs with: the server's route flags, then the call's options. */
function callFlags(server: FlagValues, args: ImageArgs, outDir: string): FlagValues {
  const values: FlagValues = { ...server, json: true };
  const extra: Record<string, unknown> = { ...(args.extra_body ?? {}) };
  optionFlags(args, values, extra);
  // partial images only come with a stream: asking for them asks for one
  if (args.stream === true || (args.partial_images ?? 0) > 0) values.stream = true;
  if (args.stream === true && args.partial_images === undefined) values["partial-images"] = "0";
  if (Object.keys(extra).length > 0) values["extra-json"] = JSON.stringify(extra);
  values.out = outPath(outDir, args.out);
  if (args.overwrite) values.force = true;
  // the call's choice wins over the server's --skip-model-rules
  if (args.skip_model_rules !== undefined) values["skip-model-rules"] = args.skip_model_rules;
  return values;
}

/**
 * The CLI's io for one call: no stdout (it carries the protocol), notes to stderr and into
 * `notes` (the result carries them to the client), progress to the client.
 */
function callIo(io: Io, ctx: ToolContext, notes: string[]): Io {
  return {
    ...io,
    out: () => undefined,
    err: notingErr(io, notes),
    interactive: false,
    color: false,
    signal: AbortSignal.any([io.signal, ctx.signal]),
    progress: (text) => ctx.progress(text),
  };
}

/**
 * An image saved nowhere (its directory refused at write time, the top of the output directory
 * too) is kept for the result, which returns it inline, with a note saying why.
 */
function keeper(io: Io): { kept: UnsavedImage[]; keep: (image: UnsavedImage) => void } {
  const kept: UnsavedImage[] = [];
  return {
    kept,
    keep(image) {
      kept.push(image);
      io.err(
        `note: image ${image.index + 1} was made but not saved on this machine (${image.reason}); it is inline in this result as image content, ${image.url ? "and at its signed URL until that expires" : "its only copy"}`,
      );
    },
  };
}

/** The images in the order they were made: the saved ones fill the places the kept ones leave. */
function made(saved: SavedImage[], kept: UnsavedImage[]): (OutcomeImage & { bytesOf?: Uint8Array })[] {
  const at = new Map(kept.map((k) => [k.index, k]));
  const rest = saved[Symbol.iterator]();
  return Array.from({ length: saved.length + kept.length }, (_, i) => {
    const k = at.get(i);
    if (!k) return rest.next().value as SavedImage;
    const { format, width, height, bytes } = k;
    return {
      unsaved: true,
      format,
      width,
      height,
      bytes: bytes.byteLength,
      ...(k.url ? { url: k.url } : {}),
      bytesOf: bytes,
    };
  });
}

function outcome(env: Envelope, notes: string[], kept: UnsavedImage[] = []): ImageOutcome {
  const all = made(env.images, kept);
  const images = all.map(({ bytesOf: _, ...img }) => img);
  return {
    ...(notes.length > 0 ? { notes } : {}),
    status: "succeeded",
    jobId: env.jobId,
    provider: env.provider,
    model: env.model,
    requestId: env.requestId,
    usage: env.usage,
    costUsd: env.cost,
    sizeMismatch: env.sizeMismatch,
    images,
    async readImage(i) {
      const img = all[i];
      if (img?.bytesOf) return img.bytesOf;
      if (!img?.path) return undefined;
      const buf = await readFile(img.path);
      return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    },
  };
}

/**
 * The tools over the CLI's own machinery: settings, keys and route resolved per call exactly
 * as `gptimg generate` resolves them, images saved by the same saver under the server's
 * output directory.
 */
export function localBackend(o: ServeOptions): ToolBackend {
  async function image(kind: "generate" | "edit", args: ImageArgs, ctx: ToolContext): Promise<ImageOutcome> {
    const notes: string[] = [];
    const io = callIo(o.io, ctx, notes);
    const { kept, keep } = keeper(io);
    const values = callFlags(o.values, args, o.outDir);
    // "dir/" names a directory, made if missing
    if (args.out !== undefined && /[\\/]$/.test(args.out)) await mkdir(values.out as string, { recursive: true });
    const fetched = kind === "edit" ? await fetchInputs(args.images ?? [], args.mask, io.signal) : undefined;
    try {
      if (fetched) {
        values.image = fetched.images;
        if (fetched.mask !== undefined) values.mask = fetched.mask;
      }
      const sources = await loadSources(values, io);
      const env = await executeImage(kind, values, args.prompt, io, sources, {
        savePartials: false,
        within: o.outDir,
        keep,
        // the tool's own field names the inputs
        inputFields: (args.images ?? []).map((_, i) => `images[${i}]`),
      });
      if (!env) throw new CliError("internal", "no result");
      return outcome(env, notes, kept);
    } finally {
      await fetched?.cleanup();
    }
  }

  async function getJob(args: GetJobArgs, ctx: ToolContext): Promise<ImageOutcome> {
    const notes: string[] = [];
    const io = callIo(o.io, ctx, notes);
    const { kept, keep } = keeper(io);
    const out = outPath(o.outDir, args.out);
    const values: FlagValues = { ...o.values };
    const sources = await loadSources(values, io);
    const w = workerSettings(sources);
    if (!w.token) {
      throw new CliError("auth", `no team token for ${w.endpoint}: run gptimg login --endpoint ${w.endpoint}`, {
        exitCode: EXIT.auth,
      });
    }
    const jobs = createJobsClient({ endpoint: w.endpoint, token: w.token });
    const waitMs = (args.wait_seconds ?? GET_JOB_WAIT_S) * 1000;
    const progress = io.progress ?? (() => undefined);
    let job = await jobs.get(args.id, io.signal);
    if (!isTerminal(job.status) && waitMs > 0) {
      try {
        job = await jobs.wait(args.id, { signal: io.signal, timeoutMs: waitMs, onStatus: (s) => progress(`job ${s}`) });
      } catch (e) {
        if (io.signal.aborted || !(e instanceof CliError) || e.code !== "outcome_unknown") throw e;
        job = await jobs.get(args.id, io.signal);
      }
    }
    if (job.status === "queued" || job.status === "running") return { status: job.status, jobId: job.id, images: [] };
    const silent = { update: progress, note: progress, clear() {}, stop() {} };
    const result = await saveFinishedJob({
      job,
      jobs,
      io,
      sources,
      mode: "json",
      out,
      force: args.overwrite === true,
      progress: silent,
      within: o.outDir,
      keep,
    });
    return outcome({ ...result, command: "get_job", elapsedMs: 0 }, notes, kept);
  }

  return {
    surface: "local",
    generate: (args, ctx) => image("generate", args, ctx),
    edit: (args, ctx) => image("edit", args, ctx),
    getJob,
    describe: (e) => describeLocal(e),
  };
}

/** A thrown error as a tool failure: the CLI's codes, core's wire-named messages, no secret. */
export function describeLocal(e: unknown): ToolFailure {
  const { info } = describeFailure(e);
  // core names fields as the tools do (size, output_format); the CLI's text names flags
  const message = e instanceof ValidationError && e.status === undefined ? e.message : info.message;
  const jobId = /\bjob (job_[A-Za-z0-9_-]+)/.exec(message)?.[1];
  return {
    code: info.code,
    message: scrub(redact(message, secrets())).replace(/gptimg jobs wait (job_\S+)/, "get_job $1"),
    possiblyBilled: info.possiblyBilled,
    status: info.status,
    requestId: info.requestId,
    ...(jobId ? { jobId } : {}),
  };
}
