import { describeFailure } from "./errors.ts";
import type { Io } from "./io.ts";
import { scrub, secrets } from "./secrets.ts";

/**
 * Prints a failure: one `error: …` line on stderr (every line of a multi-problem message
 * prefixed), and with `--json` the failure envelope on stdout. Returns the exit code.
 */
export async function reportFailure(
  io: Io,
  command: string,
  e: unknown,
  json: boolean,
  extra: Record<string, unknown> = {},
): Promise<number> {
  const { info, exitCode } = describeFailure(e);
  // Core's redact also catches `Bearer …` and `sk-…` shaped tokens nobody registered.
  const { redact } = await import("@gptimg/core");
  info.message = scrub(redact(info.message, secrets()));
  const [first, ...more] = info.message.split("\n");
  io.err(`error: ${first}`);
  for (const line of more) io.err(/^\s/.test(line) ? line : `error: ${line}`);
  if (info.possiblyBilled) io.err("note: the request reached the provider and may have been billed");
  if (json) io.out(JSON.stringify({ ok: false, command, ...extra, error: info }));
  return exitCode;
}
