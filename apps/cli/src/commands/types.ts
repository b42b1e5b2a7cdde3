import type { Io } from "../cli/io.ts";
import type { CommandSpec } from "../cli/specs.ts";

/** A command's entry point: parses its own arguments and returns an exit code. */
export type CommandRun = (args: string[], io: Io, spec: CommandSpec) => Promise<number>;

export interface CommandModule {
  run: CommandRun;
}
