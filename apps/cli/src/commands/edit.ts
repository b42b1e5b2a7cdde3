import { runImageCommand } from "../run/image-command.ts";
import type { CommandRun } from "./types.ts";

/** `gptimg edit [PROMPT...] -i IMAGE [-i IMAGE ...] [--mask MASK.png]` */
export const run: CommandRun = (args, io, spec) => runImageCommand("edit", args, io, spec);
