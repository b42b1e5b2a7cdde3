import { scrub } from "./secrets.ts";

/** Everything a command touches in its process, passed in so tests and batch can vary it. */
export interface Io {
  /** one line of data on stdout */
  out(line: string): void;
  /** one line for humans on stderr */
  err(line: string): void;
  /** stderr is a terminal: progress may be drawn */
  interactive: boolean;
  /** ANSI colours allowed (TTY and no NO_COLOR) */
  color: boolean;
  env: Record<string, string | undefined>;
  cwd: string;
  signal: AbortSignal;
  now(): Date;
  /** receives progress text instead of a spinner (an MCP client's progress notifications) */
  progress?: (text: string) => void;
}

/**
 * The real process's io. Lines go out through `console.log` / `console.error`, which write to
 * the file descriptor synchronously; `process.stdout` / `process.stderr` are not touched unless a
 * command asks whether stderr is a terminal, because building those streams costs Bun more at
 * start-up than everything `--version` and `--help` do (measured in bench/cli.bench.ts).
 */
export function processIo(signal: AbortSignal): Io {
  let tty: boolean | undefined;
  const interactive = (): boolean => (tty ??= process.stderr.isTTY === true);
  return {
    out: (line) => console.log(scrub(line)),
    err: (line) => console.error(scrub(line)),
    get interactive() {
      return interactive();
    },
    get color() {
      return interactive() && !("NO_COLOR" in process.env && process.env.NO_COLOR !== "");
    },
    env: process.env,
    cwd: process.cwd(),
    signal,
    now: () => new Date(),
  };
}

/**
 * `io.err` that also keeps the `note:` and `warning:` lines in `notes`, for a result that carries
 * them (the `--json` envelope, an MCP tool's result): an agent learns what a human reads on stderr.
 */
export function notingErr(io: Io, notes: string[]): (line: string) => void {
  return (line) => {
    if (/^(note|warning): /.test(line)) notes.push(line);
    io.err(line);
  };
}

/** Reads all of stdin as text (for `-` prompts and piped keys). */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString("utf8");
}
