import { type EditOptions, extensionFor, type GenerateOptions } from "@gptimg/core";
import { CliError } from "../cli/errors.ts";
import type { FlagValues } from "../cli/flags.ts";
import type { Io } from "../cli/io.ts";
import { flag } from "../cli/parse.ts";
import { startProgress } from "../cli/progress.ts";
import type { DirectSettings } from "../config/provider-settings.ts";
import { missingKeyError } from "../config/provider-settings.ts";
import type { Sources } from "../config/settings.ts";
import { rateTable } from "../cost.ts";
import { claimOutput } from "../files/claim.ts";
import { planOutput } from "../files/naming.ts";
import { ensureWritableDir } from "../files/write.ts";
import { extensionNotes, mismatchWarnings } from "./asked.ts";
import { runDirect } from "./direct.ts";
import type { Envelope, OutputMode } from "./envelope.ts";
import { type Route, workerToken } from "./route.ts";
import { ImageSaver, type UnsavedImage } from "./saver.ts";
import { DEFAULT_JOB_WAIT_MS, runViaWorker } from "./worker-route.ts";

/** A validated generate or edit, ready to send (run/execute.ts resolved all of it). */
export interface Send {
  io: Io;
  kind: "generate" | "edit";
  values: FlagValues;
  opts: GenerateOptions | EditOptions;
  prompt: string;
  route: Route;
  sources: Sources;
  out: string | undefined;
  outIsDir: boolean;
  /** --stream through a Worker: its images routes as the provider of a direct run */
  streamed: DirectSettings | undefined;
  /** the provider settings a direct run uses (the provider's, or `streamed`) */
  directRun: DirectSettings | undefined;
  timeoutMs: number | undefined;
  mode: OutputMode;
  savePartials: boolean;
  /** the directory `out` must stay inside as files are written (an MCP call's or a batch line's) */
  within: string | undefined;
  /** takes an image that could be saved nowhere (an MCP call returns it inline); else it fails the run */
  keep: ((image: UnsavedImage) => void) | undefined;
  /** performance.now() when the command started, for the envelope's elapsedMs */
  started: number;
}

/**
 * Sends a generate or edit and saves what comes back: the credentials check, the output files
 * claimed, the request by either route, the files written. Loaded only when a request is sent,
 * so a dry-run evaluates none of the HTTP, decoding or file-writing code.
 */
export async function sendImage({
  io,
  kind,
  values,
  opts,
  prompt,
  route,
  sources,
  out,
  outIsDir,
  streamed,
  directRun,
  timeoutMs,
  mode,
  savePartials,
  within,
  keep,
  started,
}: Send): Promise<Envelope> {
  if (route.kind === "direct" && !route.primary.apiKey)
    throw missingKeyError(route.primary.name, sources.file.path, route.settings.withheld);
  if (route.kind === "worker") workerToken(route.settings); // no token: fail before any file is claimed

  const plan = planOutput({
    out,
    outIsDir,
    cwd: io.cwd,
    prompt,
    now: io.now(),
    n: opts.n ?? 1,
    within,
  });
  await ensureWritableDir(plan.dir);
  const force = flag(values, "force");
  const claimed = await claimOutput(plan, extensionFor(opts.outputFormat ?? "png") ?? "png", force);
  const saver = new ImageSaver(claimed, force, { partials: savePartials, ...(keep ? { keep } : {}) });
  const rates = rateTable(sources.file.config.rates);
  const progress = startProgress(
    io,
    route.kind === "worker" ? `sending to ${route.settings.endpoint}` : `generating with ${route.primary.name}`,
  );
  try {
    const result =
      route.kind === "worker" && !streamed
        ? await runViaWorker({
            io,
            kind,
            opts,
            endpoint: route.settings.endpoint,
            token: workerToken(route.settings),
            waitMs: timeoutMs ?? DEFAULT_JOB_WAIT_MS,
            saver,
            mode,
            progress,
            rates,
          })
        : directRun
          ? await runDirect({ io, kind, opts, settings: directRun, timeoutMs, saver, mode, progress, rates })
          : undefined;
    if (!result) throw new CliError("internal", "no route to run");
    saver.assertWhole();
    const envelope: Envelope = { ...result, command: kind, elapsedMs: Math.round(performance.now() - started) };
    const asked = { size: result.requestedSize, format: opts.outputFormat };
    for (const warning of mismatchWarnings(asked, envelope.images)) io.err(warning);
    for (const note of saver.notes) io.err(note);
    for (const note of extensionNotes(plan.typedExt, asked, envelope.images)) io.err(note);
    // Stable key order for readers that diff envelopes.
    return {
      ok: true,
      command: envelope.command,
      provider: envelope.provider,
      model: envelope.model,
      images: envelope.images,
      usage: envelope.usage,
      cost: envelope.cost,
      requestId: envelope.requestId,
      jobId: envelope.jobId,
      sizeMismatch: envelope.sizeMismatch,
      elapsedMs: envelope.elapsedMs,
    };
  } finally {
    progress.stop();
  }
}
