import { runImageCommand } from "../run/image-command.ts";
import type { CommandRun } from "./types.ts";

/** `gptimg generate [PROMPT...]` */
export const run: CommandRun = (args, io, spec) => runImageCommand("generate", args, io, spec);
