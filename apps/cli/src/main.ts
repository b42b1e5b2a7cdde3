#!/usr/bin/env bun
/**
 * gptimg entry point. Kept small: the command's module is imported only once we know which
 * command runs, so `--help` and `--version` start without loading any HTTP code or the flag
 * table.
 */
import { EXIT } from "./cli/exit-codes.ts";
import { processIo } from "./cli/io.ts";
import type { CommandModule } from "./commands/types.ts";
import { removePendingSync } from "./files/pending.ts";
import { VERSION, versionLine } from "./version.ts";

const LOADERS: Record<string, () => Promise<CommandModule>> = {
  generate: () => import("./commands/generate.ts"),
  edit: () => import("./commands/edit.ts"),
  batch: () => import("./commands/batch.ts"),
  login: () => import("./commands/login.ts"),
  logout: () => import("./commands/logout.ts"),
  config: () => import("./commands/config.ts"),
  sizes: () => import("./commands/sizes.ts"),
  doctor: () => import("./commands/doctor.ts"),
  jobs: () => import("./commands/jobs.ts"),
  admin: () => import("./commands/admin.ts"),
  completion: () => import("./commands/completion.ts"),
  // the MCP SDK loads only here: every other command starts without it
  mcp: () => import("./commands/mcp.ts"),
  skill: () => import("./commands/skill.ts"),
};

async function main(args: string[], controller: AbortController): Promise<number> {
  // `gptimg [flags] --prompt TEXT …`, as the image scripts gptimg replaces are called, is a generation
  const seedStyle = args[0]?.startsWith("--") && args.some((a) => a === "--prompt" || a.startsWith("--prompt="));
  const argv = seedStyle ? ["generate", ...args] : args;
  const [first, ...rest] = argv;
  const io = processIo(controller.signal);
  if (first === "--version" || first === "-V" || first === "version") {
    io.out(versionLine());
    return EXIT.ok;
  }
  // The main help lists the commands by their summaries alone; the flag table and command specs
  // are loaded only past it, a command's help text only when it is printed: a start evaluates
  // no more than it uses.
  const mainHelp = async () => (await import("./cli/main-help.ts")).mainHelp(VERSION);
  if (first === undefined) {
    // a usage error: the help goes to stderr, stdout stays for data
    io.err(await mainHelp());
    return EXIT.usage;
  }
  if (first === "-h" || first === "--help") {
    io.out(await mainHelp());
    return EXIT.ok;
  }
  const { findCommand } = await import("./cli/specs.ts");
  const help = () => import("./cli/help.ts");
  if (first === "help") {
    let target: string | undefined;
    try {
      // help takes one word, checked as every command's words are
      target = (await import("./cli/parse.ts")).parseCommandArgs(findCommand("help")!, rest).positionals[0];
    } catch (e) {
      return (await import("./cli/report.ts")).reportFailure(io, "help", e, false);
    }
    if (target === undefined) {
      io.out(await mainHelp());
      return EXIT.ok;
    }
    const spec = findCommand(target);
    if (!spec) return unknownCommand(io.err, target);
    io.out((await help()).commandHelp(spec));
    return EXIT.ok;
  }
  const spec = findCommand(first);
  const load = LOADERS[first];
  if (!spec || !load) {
    if (first.startsWith("-")) {
      io.err(`error: unknown flag ${first} before the command; usage: gptimg <command> [flags]`);
      return EXIT.usage;
    }
    return unknownCommand(io.err, first);
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    const end = rest.indexOf("--");
    const at = Math.max(rest.indexOf("--help"), rest.indexOf("-h"));
    if (end === -1 || at < end) {
      io.out((await help()).commandHelp(spec));
      return EXIT.ok;
    }
  }
  try {
    const mod = await load();
    return await mod.run(rest, io, spec);
  } catch (e) {
    if (controller.signal.aborted) {
      io.err("error: interrupted");
      return EXIT.interrupted;
    }
    const end = rest.indexOf("--");
    const json = rest.slice(0, end === -1 ? undefined : end).includes("--json");
    const { reportFailure } = await import("./cli/report.ts");
    return reportFailure(io, first, e, json);
  }
}

function unknownCommand(err: (line: string) => void, name: string): number {
  err(`error: unknown command ${JSON.stringify(name)}; run gptimg help for the list`);
  return EXIT.usage;
}

const controller = new AbortController();
let interrupts = 0;
/** Ends the process at once after Ctrl-C, leaving no half-written file behind. */
function exitInterrupted(): never {
  removePendingSync();
  process.exit(EXIT.interrupted);
}
process.on("SIGINT", () => {
  interrupts += 1;
  controller.abort();
  // A second Ctrl-C, or a command that does not unwind, must still end the process.
  if (interrupts > 1) exitInterrupted();
  setTimeout(exitInterrupted, 3000).unref();
});

void main(process.argv.slice(2), controller).then((code) => {
  // Io writes synchronously (cli/io.ts), so nothing is left to drain: exit without waiting for
  // idle keep-alive sockets.
  process.exit(controller.signal.aborted ? EXIT.interrupted : code);
});
