import { resolve } from "node:path";
import {
  assertValid,
  buildEditRequest,
  buildGenerateRequest,
  type EditOptions,
  editRequestForm,
  extensionFor,
  type GenerateOptions,
  resolveProvider,
  unsentOptions,
  validateEditOptions,
  validateGenerateOptions,
} from "@gptimg/core";
import { CliError, usageError } from "../cli/errors.ts";
import { flagForField } from "../cli/flag-names.ts";
import type { FlagValues } from "../cli/flags.ts";
import { FLAGS } from "../cli/flags.ts";
import type { Io } from "../cli/io.ts";
import { flag, list, parseDuration, str } from "../cli/parse.ts";
import { startProgress } from "../cli/progress.ts";
import { applyDefaults, mediaByDefault } from "../config/defaults.ts";
import { missingKeyError } from "../config/provider-settings.ts";
import type { Sources } from "../config/settings.ts";
import { rateTable } from "../cost.ts";
import { claimOutput } from "../files/claim.ts";
import { planOutput } from "../files/naming.ts";
import { ensureWritableDir, outputIsDirectory } from "../files/write.ts";
import { formatFromOut, mismatchWarnings } from "./asked.ts";
import { runDirect } from "./direct.ts";
import { printDryRun } from "./dry-run.ts";
import { type Envelope, type OutputMode, printEnvelope } from "./envelope.ts";
import { editFormNote, readEditInputs, takesReferences } from "./inputs.ts";
import { editOptions, generateOptions } from "./options.ts";
import { resolveRoute, workerToken } from "./route.ts";
import { ImageSaver } from "./saver.ts";
import { buildJobRequest, DEFAULT_JOB_WAIT_MS, runViaWorker, workerImagesSettings } from "./worker-route.ts";

/**
 * `--json`, `--media` or plain paths. MEDIA: lines are on with `--media`, `GPTIMG_MEDIA=1` or
 * the config's `media: true`; together with `--json` they go to stderr ("json+media"), so
 * stdout keeps its one JSON envelope.
 */
export function outputMode(values: FlagValues, mediaDefault = false): OutputMode {
  const media = flag(values, "media") || mediaDefault;
  if (flag(values, "json")) return media ? "json+media" : "json";
  return media ? "media" : "paths";
}

/**
 * One generate or edit, start to finish: settings, inputs, validation (nothing is sent when it
 * fails), dry-run, the output directory check, the request by either route, the saved files.
 * Prints paths / MEDIA lines as files land and returns the envelope (printed by the caller).
 */
export async function executeImage(
  kind: "generate" | "edit",
  given: FlagValues,
  prompt: string,
  io: Io,
  sources: Sources,
  hooks: { savePartials?: boolean } = {},
): Promise<Envelope | undefined> {
  const started = performance.now();
  const mode = outputMode(given, mediaByDefault(sources) !== undefined);
  const dryRun = flag(given, "dry-run");
  const route = resolveRoute(sources);
  if (route.kind === "direct") for (const note of route.settings.notes) io.err(`note: ${note}`);
  const defaulted = applyDefaults(
    given,
    sources,
    kind,
    Object.keys(FLAGS),
    route.kind === "direct" ? { name: route.primary.name, defaults: route.settings.defaults } : undefined,
  );
  const values = defaulted.values;
  const timeout = str(values, "timeout");
  const timeoutMs =
    timeout === undefined ? undefined : parseDuration(timeout, defaulted.origins.timeout ?? "--timeout");
  const requestedModel = route.kind === "direct" ? route.settings.model : route.model;

  let opts: GenerateOptions | EditOptions = generateOptions(values, prompt, requestedModel, kind);
  const out = str(values, "out");
  if (kind === "edit") {
    const urls = list(values, "image-url");
    // https URLs go by reference when the provider takes the spec's JSON edit form; else downloaded
    const byReference = route.kind === "direct" && takesReferences(route.primary);
    const { images, mask } = await readEditInputs(
      list(values, "image"),
      str(values, "mask"),
      io.cwd,
      urls,
      io.signal,
      byReference,
    );
    opts = editOptions(opts, images, mask);
  } else if (str(values, "mask") !== undefined) {
    throw usageError("--mask: needs input images (-i IMAGE or --image-url URL)");
  }
  const outIsDir = out !== undefined && (await outputIsDirectory(resolve(io.cwd, out), out, opts.n ?? 1));
  // --stream through a Worker: its OpenAI-compatible /v1/images routes stream (partial images
  // included), where a job delivers final images only
  const streamed =
    route.kind === "worker" && opts.stream
      ? workerImagesSettings(route.settings.endpoint, route.settings.token, requestedModel)
      : undefined;
  /** the provider settings a direct run uses: the provider's, or the Worker's images routes when streaming */
  const directRun = route.kind === "direct" ? route.settings : streamed;
  // Validate before anything else touches the world, with the model the provider will use.
  const model = route.model;
  const typedFormat = formatFromOut(out, outIsDir, opts.outputFormat, model);
  if (typedFormat !== undefined) opts.outputFormat = typedFormat;
  const issues =
    kind === "edit" ? await validateEditOptions(opts as EditOptions, model) : validateGenerateOptions(opts, model);
  for (const [flagName, origin] of Object.entries(defaulted.origins)) {
    if (issues.some((i) => flagForField(i.field) === `--${flagName}`))
      io.err(`note: --${flagName} came from ${origin}`);
  }
  assertValid(issues);
  // Options the request leaves out (the model or the form has no such field) are said, never dropped silently.
  if (route.kind === "direct") {
    const form = kind === "edit" ? editRequestForm(route.primary, opts as EditOptions) : "json";
    for (const u of unsentOptions(model, opts, form)) {
      io.err(`note: ${u.field} ${String(u.value)} is not sent: ${u.reason}`);
    }
    if (kind === "edit" && dryRun) io.err(`note: ${editFormNote(route.primary, opts as EditOptions, form)}`);
  }

  if (dryRun) {
    if (route.kind === "direct" && !route.primary.apiKey) {
      io.err("note: no API key found; a real run would exit 3");
      for (const w of route.settings.withheld) io.err(`note: not used: ${w}`);
    }
    const streamedPrimary = streamed?.providers[0];
    const req =
      route.kind === "direct"
        ? kind === "edit"
          ? await buildEditRequest(route.primary, opts as EditOptions)
          : buildGenerateRequest(route.primary, opts)
        : streamedPrimary
          ? kind === "edit"
            ? await buildEditRequest(resolveProvider(streamedPrimary), opts as EditOptions)
            : buildGenerateRequest(resolveProvider(streamedPrimary), opts)
          : await buildJobRequest(kind, route.settings.endpoint, route.settings.token, opts, crypto.randomUUID());
    await printDryRun(io, req, mode !== "paths" && mode !== "media");
    return undefined;
  }
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
  });
  await ensureWritableDir(plan.dir);
  const force = flag(values, "force");
  const claimed = await claimOutput(plan, extensionFor(opts.outputFormat ?? "png") ?? "png", force);
  const saver = new ImageSaver(claimed, force, { partials: hooks.savePartials !== false });
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

/** Prints the envelope in json mode (mismatch warnings went to stderr as the run ended). */
export function finishImage(io: Io, values: FlagValues, envelope: Envelope | undefined): void {
  if (!envelope) return;
  printEnvelope(io, outputMode(values), envelope);
}
