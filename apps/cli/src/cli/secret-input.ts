import { CliError } from "./errors.ts";
import { EXIT } from "./exit-codes.ts";
import { readStdin } from "./io.ts";

/**
 * Reads one secret: from a terminal without echo (raw mode; backspace works, Ctrl-C aborts),
 * or the first line of piped stdin. The value is never written anywhere.
 */
export async function readSecret(prompt: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) {
    const text = await readStdin();
    return (text.split(/\r?\n/).find((l) => l.trim() !== "") ?? "").trim();
  }
  // Echo goes off before the prompt appears, so nothing typed after it is ever shown.
  stdin.setRawMode(true);
  process.stderr.write(prompt);
  stdin.resume();
  try {
    return await new Promise<string>((resolve, reject) => {
      let value = "";
      const onData = (chunk: Buffer | string): void => {
        for (const ch of typeof chunk === "string" ? chunk : chunk.toString("utf8")) {
          if (ch === "\r" || ch === "\n" || ch === "\u0004") {
            stdin.off("data", onData);
            resolve(value.trim());
            return;
          }
          if (ch === "\u0003") {
            stdin.off("data", onData);
            reject(new CliError("aborted", "interrupted", { exitCode: EXIT.interrupted }));
            return;
          }
          if (ch === "\u007f" || ch === "\b") value = value.slice(0, -1);
          else if (ch >= " ") value += ch;
        }
      };
      stdin.on("data", onData);
    });
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
    process.stderr.write("\n");
  }
}

/** A key or token must be one word of printable ASCII. */
export function checkSecret(value: string, what: string): string {
  if (value === "") throw new CliError("usage", `${what}: nothing entered`, { exitCode: EXIT.usage });
  if (!/^[\x21-\x7e]+$/.test(value) || value.length > 4096) {
    throw new CliError("usage", `${what}: must be printable characters without spaces (at most 4096)`, {
      exitCode: EXIT.usage,
    });
  }
  return value;
}

/**
 * Asks a yes/no question on the terminal (the answer is shown as typed); anything but y/yes is
 * no. Only for an interactive terminal: callers check `process.stdin.isTTY` first.
 */
export async function askYesNo(question: string): Promise<boolean> {
  const stdin = process.stdin;
  stdin.setRawMode(true);
  process.stderr.write(question);
  stdin.resume();
  try {
    const answer = await new Promise<string>((resolve, reject) => {
      let value = "";
      const onData = (chunk: Buffer | string): void => {
        for (const ch of typeof chunk === "string" ? chunk : chunk.toString("utf8")) {
          if (ch === "\r" || ch === "\n" || ch === "\u0004") {
            stdin.off("data", onData);
            resolve(value.trim());
            return;
          }
          if (ch === "\u0003") {
            stdin.off("data", onData);
            reject(new CliError("aborted", "interrupted", { exitCode: EXIT.interrupted }));
            return;
          }
          if (ch === "\u007f" || ch === "\b") {
            if (value) process.stderr.write("\b \b");
            value = value.slice(0, -1);
          } else if (ch >= " " && value.length < 16) {
            value += ch;
            process.stderr.write(ch);
          }
        }
      };
      stdin.on("data", onData);
    });
    return /^y(es)?$/i.test(answer);
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
    process.stderr.write("\n");
  }
}
