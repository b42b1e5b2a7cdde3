import type { Io } from "../cli/io.ts";
import { parseCommandArgs, str } from "../cli/parse.ts";
import { reportFailure } from "../cli/report.ts";
import type { CommandSpec } from "../cli/specs.ts";
import { loadSources } from "../config/settings.ts";
import { executeImage, finishImage } from "./execute.ts";
import { readPrompt } from "./prompt.ts";

/** `gptimg generate` and `gptimg edit`. */
export async function runImageCommand(
  kind: "generate" | "edit",
  args: string[],
  io: Io,
  spec: CommandSpec,
): Promise<number> {
  const { values, positionals } = parseCommandArgs(spec, args);
  try {
    const sources = loadSources(values, io);
    const prompt = await readPrompt(positionals, str(values, "prompt-file"), io.cwd);
    finishImage(io, values, await executeImage(kind, values, prompt, io, sources));
    return 0;
  } catch (e) {
    return reportFailure(io, kind, e, values.json === true);
  }
}
