import { describeFailure, type FailureInfo } from "./errors.ts";
import type { Io } from "./io.ts";
import { scrub, secrets } from "./secrets.ts";

/**
 * Who answered and how, for a provider's own message ("Bad request.") that names neither:
 * ` (HTTP 400 from default, request req_…)`. Empty when no HTTP answer came.
 */
export function providerDetail(e: unknown, info: FailureInfo): string {
  if (info.status === null) return "";
  const provider = (e as { provider?: unknown } | null)?.provider;
  const from = typeof provider === "string" && provider !== "" ? ` from ${provider}` : "";
  const request = info.requestId ? `, request ${info.requestId}` : "";
  return ` (HTTP ${info.status}${from}${request})`;
}

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
  const { redact } = await import("@gptimg/core/redact");
  info.message = scrub(redact(info.message, secrets()));
  // Core's "aborted by the caller" is library talk; at the terminal the caller is a Ctrl-C.
  if (info.code === "aborted") info.message = "interrupted";
  const [first, ...more] = info.message.split("\n");
  io.err(`error: ${first}${providerDetail(e, info)}`);
  for (const line of more) io.err(/^\s/.test(line) ? line : `error: ${line}`);
  if (info.possiblyBilled) io.err("note: the request reached the provider and may have been billed");
  if (json) io.out(JSON.stringify({ ok: false, command, ...extra, error: info }));
  return exitCode;
}
