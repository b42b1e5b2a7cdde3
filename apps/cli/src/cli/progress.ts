import type { Io } from "./io.ts";

const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/** A one-line spinner with elapsed seconds on stderr; silent when stderr is not a terminal. */
export interface Progress {
  /** replaces the status text */
  update(text: string): void;
  /** prints a line that stays (retries, partial images), above the spinner */
  note(text: string): void;
  /** blanks the spinner line before stdout writes to the same terminal (it redraws on its own) */
  clear(): void;
  /** removes the spinner line */
  stop(): void;
}

const silent: Progress = { update() {}, note() {}, clear() {}, stop() {} };

/** Starts a spinner when `io.interactive`, forwards to `io.progress` when set, otherwise a no-op. */
export function startProgress(io: Io, text: string): Progress {
  const forward = io.progress;
  if (forward) {
    forward(text);
    return { update: forward, note: forward, clear() {}, stop() {} };
  }
  if (!io.interactive) return silent;
  const started = Date.now();
  let status = text;
  let frame = 0;
  const dim = (s: string): string => (io.color ? `\x1b[2m${s}\x1b[22m` : s);
  const draw = (): void => {
    const secs = Math.floor((Date.now() - started) / 1000);
    process.stderr.write(`\r\x1b[2K${FRAMES[frame++ % FRAMES.length]} ${status} ${dim(`${secs}s`)}`);
  };
  const timer = setInterval(draw, 100);
  timer.unref?.();
  draw();
  return {
    update(t) {
      status = t;
    },
    note(t) {
      process.stderr.write(`\r\x1b[2K${t}\n`);
      draw();
    },
    clear() {
      process.stderr.write("\r\x1b[2K");
    },
    stop() {
      clearInterval(timer);
      process.stderr.write("\r\x1b[2K");
    },
  };
}
