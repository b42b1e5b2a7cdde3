import { resolve } from "node:path";
import { CliError, usageError } from "../cli/errors.ts";
import { EXIT } from "../cli/exit-codes.ts";
import { readStdin } from "../cli/io.ts";
import { fsReason } from "../files/fs-reason.ts";

/**
 * The prompt: the positional words, `-` for stdin, or `--prompt-file FILE` (`-` = stdin).
 * Exactly one source; an empty prompt is a usage error.
 */
export async function readPrompt(positionals: string[], promptFile: string | undefined, cwd: string): Promise<string> {
  if (promptFile !== undefined && positionals.length > 0) {
    throw usageError("prompt: give it as arguments or with --prompt-file, not both");
  }
  let prompt: string;
  if (promptFile !== undefined) {
    if (promptFile === "-") prompt = await readStdin();
    else {
      try {
        // node:fs/promises loads only for a prompt file: a start without one needs none of it
        const { readFile } = process.getBuiltinModule("node:fs/promises");
        prompt = await readFile(resolve(cwd, promptFile), "utf8");
      } catch (e) {
        throw new CliError("io", `--prompt-file ${promptFile}: cannot read it: ${fsReason(e)}`, {
          exitCode: EXIT.usage,
        });
      }
    }
  } else if (positionals.length === 1 && positionals[0] === "-") {
    prompt = await readStdin();
  } else {
    prompt = positionals.join(" ");
  }
  prompt = prompt.trim();
  if (prompt === "") {
    if (promptFile === "-" || (promptFile === undefined && positionals[0] === "-"))
      throw usageError("prompt: stdin was empty; pipe the prompt in, or pass it as arguments or --prompt-file FILE");
    if (promptFile !== undefined)
      throw usageError(`--prompt-file ${promptFile}: the file is empty (or only whitespace); it must hold the prompt`);
    throw usageError("prompt: missing; pass it as arguments, - (stdin) or --prompt-file FILE");
  }
  return prompt;
}
