import { resolve } from "node:path";
import {
  assertValid,
  buildEditRequest,
  buildGenerateRequest,
  type EditOptions,
  editRequestForm,
  type GenerateOptions,
  type NotFetchedInputs,
  resolveProvider,
  rulesFor,
  shrunkAlias,
  unsentOptions,
  validateEditOptions,
  validateGenerateOptions,
} from "@gptimg/core";
import { usageError } from "../cli/errors.ts";
import { flagForField } from "../cli/flag-names.ts";
import type { FlagValues } from "../cli/flags.ts";
import { FLAGS } from "../cli/flags.ts";
import type { Io } from "../cli/io.ts";
import { flag, list, parseDuration, str } from "../cli/parse.ts";
import { applyDefaults, mediaByDefault } from "../config/defaults.ts";
import type { Sources } from "../config/settings.ts";
import { formatFromOut } from "./asked.ts";
import { printDryRun } from "./dry-run.ts";
import { type Envelope, type OutputMode, printEnvelope } from "./envelope.ts";
import { editOptions, generateOptions } from "./options.ts";
import { resolveRoute } from "./route.ts";
import type { UnsavedImage } from "./saver.ts";

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
 * fails), dry-run, then the run itself (run/send.ts: the output directory check, the request by
 * either route, the saved files). Prints paths / MEDIA lines as files land and returns the
 * envelope (printed by the caller). `hooks.within` confines the files to a directory as they are
 * written (run/send.ts), and `hooks.keep` takes an image that could be saved nowhere there
 * (run/saver.ts) instead of failing the run; `hooks.inputFields` name the input images by the fields the surface took
 * them by (`-i`, `--image`, `images[0]`; run/inputs.ts). A dry-run loads none of the modules that send, decode or
 * save: they are imported once a request is to be sent.
 */
export async function executeImage(
  kind: "generate" | "edit",
  given: FlagValues,
  prompt: string,
  io: Io,
  sources: Sources,
  hooks: {
    savePartials?: boolean;
    within?: string;
    keep?: (image: UnsavedImage) => void;
    inputFields?: string[];
  } = {},
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

  let opts: GenerateOptions | EditOptions = generateOptions(values, prompt, requestedModel, kind, defaulted.origins);
  const out = str(values, "out");
  // reading input images (and describing the edit form) is the edit's alone
  const inputs = kind === "edit" ? await import("./inputs.ts") : undefined;
  let notFetched: NotFetchedInputs | undefined;
  if (inputs) {
    const { readEditInputs, takesReferences } = inputs;
    const urls = list(values, "image-url");
    // https URLs go by reference when the provider takes the spec's JSON edit form; else downloaded
    const byReference = route.kind === "direct" && takesReferences(route.primary);
    const read = await readEditInputs(
      list(values, "image"),
      str(values, "mask"),
      io.cwd,
      urls,
      io.signal,
      byReference,
      dryRun,
      hooks.inputFields,
    );
    opts = editOptions(opts, read.images, read.mask);
    // a dry-run sends nothing, so it downloads nothing either: say what a real run would fetch
    for (const u of read.notFetched) {
      io.err(`note: ${u.field} ${u.shown} is not downloaded by a dry-run; a real run downloads it and sends it`);
    }
    const first = read.notFetched[0];
    if (first?.index === 0 && str(values, "mask")?.toLowerCase() === "auto") {
      io.err(
        `note: --mask auto takes the size of the first image, ${first.field} ${first.shown}, unknown until it is downloaded; the dry-run's mask is 1x1`,
      );
    }
    notFetched = { urls: read.notFetched.map((u) => u.shown), placeholder: inputs.NOT_FETCHED_PNG };
  } else if (str(values, "mask") !== undefined) {
    throw usageError("--mask: needs input images (-i IMAGE or --image-url URL)");
  }
  const outIsDir =
    out !== undefined &&
    (await (await import("../files/write.ts")).outputIsDirectory(resolve(io.cwd, out), out, opts.n ?? 1));
  // --stream through a Worker: its OpenAI-compatible /v1/images routes stream (partial images
  // included), where a job delivers final images only
  const streamed =
    route.kind === "worker" && opts.stream
      ? (await import("./worker-route.ts")).workerImagesSettings(
          route.settings.endpoint,
          route.settings.token,
          requestedModel,
          opts.skipModelRules === true,
        )
      : undefined;
  /** the provider settings a direct run uses: the provider's, or the Worker's images routes when streaming */
  const directRun = route.kind === "direct" ? route.settings : streamed;
  // Validate before anything else touches the world, with the model the provider will use.
  const model = route.model;
  const typedFormat = formatFromOut(out, outIsDir, opts.outputFormat, model);
  if (typedFormat !== undefined) opts.outputFormat = typedFormat;
  // A direct generation's dry-run builds its request here, before the notes: core's
  // buildGenerateRequest validates the options with this same model (a fixed model wins, else
  // the one asked for), so a request that builds is valid and is validated once. One that does
  // not is validated here as before (the issues' flag origins are named) and built again below,
  // where it throws what it threw.
  const prebuilt =
    dryRun && kind === "generate" && route.kind === "direct"
      ? tryBuild(() => buildGenerateRequest(route.primary, opts))
      : undefined;
  const issues = prebuilt?.req
    ? []
    : kind === "edit"
      ? await validateEditOptions(opts as EditOptions, model)
      : validateGenerateOptions(opts, model);
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
    // an alias the model cannot make as it says (4k on gpt-image-1) is sent as its closest size
    const taken = shrunkAlias(opts.size, rulesFor(model, opts));
    if (taken)
      io.err(
        `note: size ${opts.size} (${taken.aliasSize}) is not a size ${model} makes; its closest, ${taken.size}, is sent`,
      );
    if (inputs && dryRun) io.err(`note: ${inputs.editFormNote(route.primary, opts as EditOptions, form)}`);
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
          : (prebuilt?.req ?? buildGenerateRequest(route.primary, opts))
        : streamedPrimary
          ? kind === "edit"
            ? await buildEditRequest(resolveProvider(streamedPrimary), opts as EditOptions)
            : buildGenerateRequest(resolveProvider(streamedPrimary), opts)
          : await (await import("./worker-route.ts")).buildJobRequest(
              kind,
              route.settings.endpoint,
              route.settings.token,
              opts,
              crypto.randomUUID(),
            );
    await printDryRun(io, req, mode !== "paths" && mode !== "media", notFetched);
    return undefined;
  }
  const { sendImage } = await import("./send.ts");
  return sendImage({
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
    savePartials: hooks.savePartials !== false,
    within: hooks.within,
    keep: hooks.keep,
    started,
  });
}

/** The request, or nothing when building it threw (the caller builds again where it reports errors). */
function tryBuild(build: () => Request): { req?: Request } {
  try {
    return { req: build() };
  } catch {
    return {};
  }
}

/** Prints the envelope in json mode (mismatch warnings went to stderr as the run ended). */
export function finishImage(io: Io, values: FlagValues, envelope: Envelope | undefined): void {
  if (!envelope) return;
  printEnvelope(io, outputMode(values), envelope);
}
