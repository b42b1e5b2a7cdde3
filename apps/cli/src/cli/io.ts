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
}

/** The real process's io. */
export function processIo(signal: AbortSignal): Io {
  const interactive = process.stderr.isTTY === true;
  return {
    out: (line) => process.stdout.write(`${scrub(line)}\n`),
    err: (line) => process.stderr.write(`${scrub(line)}\n`),
    interactive,
    color: interactive && !("NO_COLOR" in process.env && process.env.NO_COLOR !== ""),
    env: process.env,
    cwd: process.cwd(),
    signal,
    now: () => new Date(),
  };
}

/** Reads all of stdin as text (for `-` prompts and piped keys). */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString("utf8");
}
