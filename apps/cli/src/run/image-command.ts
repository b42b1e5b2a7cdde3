import { usageError } from "../cli/errors.ts";
import type { FlagValues } from "../cli/flags.ts";
import { type Io, notingErr } from "../cli/io.ts";
import { list, type Parsed, parseCommandArgs, str } from "../cli/parse.ts";
import { reportFailure } from "../cli/report.ts";
import type { CommandSpec } from "../cli/specs.ts";
import { loadSources } from "../config/settings.ts";
import { executeImage, finishImage } from "./execute.ts";
import { readPrompt } from "./prompt.ts";

/**
 * A flag typed with an empty value (`--model ''`, `--api-key "$UNSET"`) is refused: read as
 * absent it would silently fall through to a variable, the config or a default.
 */
export function refuseEmpty(values: FlagValues): void {
  for (const [name, v] of Object.entries(values)) {
    if (name === "prompt") continue; // said below, with the other prompt sources
    const empty = v === "" ? true : Array.isArray(v) && v.includes("");
    if (empty)
      throw usageError(
        `--${name} "": must not be empty (leave the flag out to fall back to the variables, ./.env, the config or the default)`,
      );
  }
}

/** `gptimg generate` and `gptimg edit`. */
export async function runImageCommand(
  kind: "generate" | "edit",
  args: string[],
  io: Io,
  spec: CommandSpec,
): Promise<number> {
  const { values, positionals, typedAs } = parseCommandArgs(spec, args);
  try {
    refuseEmpty(values);
    const sources = await loadSources(values, io);
    const given = str(values, "prompt");
    if (given !== undefined && (positionals.length > 0 || str(values, "prompt-file") !== undefined))
      throw usageError("--prompt: give the prompt once (--prompt TEXT, --prompt-file FILE or PROMPT words)");
    const prompt =
      given !== undefined ? given.trim() : await readPrompt(positionals, str(values, "prompt-file"), io.cwd);
    if (prompt === "") throw usageError("--prompt: must not be empty");
    // input images make a generation an edit, as the scripts gptimg replaces do
    const inputs = list(values, "image").length > 0 || list(values, "image-url").length > 0;
    // the run's note: and warning: lines go to stderr as they come, and into the envelope
    const notes: string[] = [];
    const envelope = await executeImage(inputs ? "edit" : kind, values, prompt, noting(io, notes), sources, {
      inputFields: inputFields(values, typedAs),
    });
    finishImage(io, values, envelope && notes.length > 0 ? { ...envelope, notes } : envelope);
    return 0;
  } catch (e) {
    return reportFailure(io, kind, e, values.json === true);
  }
}

/**
 * `io` whose `note:` and `warning:` lines are also kept in `notes`, for the `--json` envelope:
 * an agent reading stdout learns what a human reads on stderr. The rest of `io` (its lazy
 * terminal checks included) is read through, not copied.
 */
export function noting(io: Io, notes: string[]): Io {
  return Object.create(io, { err: { value: notingErr(io, notes) } }) as Io;
}

/**
 * The flag each input image was typed with (`-i`, `--image`, `--image-url`), the `-i` values
 * first, then the `--image-url` ones, as the edit reads them: messages name an input as typed.
 */
function inputFields(values: FlagValues, typedAs: Parsed["typedAs"]): string[] {
  const images = list(values, "image").map((_, i) => typedAs.image?.[i] ?? "-i");
  const urls = list(values, "image-url").map((_, i) => typedAs["image-url"]?.[i] ?? "--image-url");
  return [...images, ...urls];
}
