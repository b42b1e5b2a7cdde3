import { mkdir } from "node:fs/promises";
import { resolve } from "node:path";
import { CliError, usageError } from "../cli/errors.ts";
import { EXIT } from "../cli/exit-codes.ts";
import { parseCommandArgs, str } from "../cli/parse.ts";
import { fsReason } from "../files/fs-reason.ts";
import type { CommandRun } from "./types.ts";

/**
 * `gptimg mcp`: an MCP server on stdin/stdout until the client closes it. stdout carries only
 * the protocol; notes go to stderr, which MCP clients keep as the server's log.
 */
export const run: CommandRun = async (args, io, spec) => {
  const { values } = parseCommandArgs(spec, args);
  const { MIN_RESULT_CAP, DEFAULT_RESULT_CAP } = await import("@gptimg/mcp-tools");
  const capText = str(values, "max-result-bytes");
  const cap = capText === undefined ? DEFAULT_RESULT_CAP : Number(capText);
  if (!Number.isSafeInteger(cap) || cap < MIN_RESULT_CAP) {
    throw usageError(`--max-result-bytes ${capText}: must be an integer of at least ${MIN_RESULT_CAP}`);
  }
  const outDir = resolve(io.cwd, str(values, "out") ?? ".");
  try {
    await mkdir(outDir, { recursive: true });
  } catch (e) {
    throw new CliError("io", `--out ${outDir}: ${fsReason(e)}`, { exitCode: EXIT.usage });
  }
  const { serveStdio } = await import("../mcp/serve.ts");
  await serveStdio({ values, io, outDir, resultCap: cap });
  return EXIT.ok;
};
