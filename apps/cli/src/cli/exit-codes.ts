/**
 * Exit codes (listed in the README, "Install the CLI"). Scripts and chat agents branch on these, so they never change.
 * | code | meaning |
 * |---|---|
 * | 0 | ok |
 * | 2 | bad usage or input (nothing was sent) |
 * | 3 | missing or rejected credentials |
 * | 4 | the provider refused (content policy, bad request, quota) |
 * | 5 | provider or network failure (nothing billed as far as we know) |
 * | 6 | outcome unknown: the request was sent and may have been billed |
 * | 130 | interrupted (Ctrl-C) |
 */
export const EXIT = {
  ok: 0,
  usage: 2,
  auth: 3,
  refused: 4,
  failure: 5,
  unknown: 6,
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Error code → exit code, for codes whose meaning does not depend on the status. */
const BY_CODE: Record<string, ExitCode> = {
  auth: EXIT.auth,
  permission: EXIT.auth,
  content_policy: EXIT.refused,
  not_found: EXIT.refused,
  quota_exceeded: EXIT.refused,
  // the provider account's credit: waiting does not help, so a refusal (4), not a rate limit (5)
  insufficient_quota: EXIT.refused,
  idempotency_conflict: EXIT.refused,
  rate_limited: EXIT.failure,
  provider_error: EXIT.failure,
  bad_response: EXIT.failure,
  timeout: EXIT.failure,
  network: EXIT.failure,
  outcome_unknown: EXIT.unknown,
  aborted: EXIT.interrupted,
  usage: EXIT.usage,
  io: EXIT.usage,
};

/**
 * The exit code for a failure. `possiblyBilled` wins over the code (a body cut after a 200 is
 * `bad_response` but may have been billed), and a `validation` error with an HTTP status came
 * from the provider (a 400), so it is a refusal rather than our own input check.
 */
export function exitCodeFor(code: string, status?: number, possiblyBilled?: boolean): ExitCode {
  if (code === "aborted") return EXIT.interrupted;
  if (possiblyBilled) return EXIT.unknown;
  if (code === "validation") return status === undefined ? EXIT.usage : EXIT.refused;
  const byCode = BY_CODE[code];
  if (byCode !== undefined) return byCode;
  if (status === 401 || status === 403) return EXIT.auth;
  if (status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429) return EXIT.refused;
  return EXIT.failure;
}

/**
 * Exit codes from the most serious down, for a command that ends with several results (`batch`):
 * what may have cost money first, then what needs the user (credentials, a refusal not to retry
 * unchanged), then what a retry may fix; "nothing was sent" only when it is true of every failure.
 */
const SEVERITY: readonly ExitCode[] = [
  EXIT.interrupted,
  EXIT.unknown,
  EXIT.auth,
  EXIT.refused,
  EXIT.failure,
  EXIT.usage,
  EXIT.ok,
];

/**
 * The most serious of several exit codes (0 for none); a code outside the table counts as a failure (5).
 * @example
 * mostSerious([2, 6, 5]) // 6: one request may have been billed
 */
export function mostSerious(codes: Iterable<number>): ExitCode {
  let worst: ExitCode = EXIT.ok;
  for (const c of codes) {
    const code = SEVERITY.includes(c as ExitCode) ? (c as ExitCode) : EXIT.failure;
    if (SEVERITY.indexOf(code) < SEVERITY.indexOf(worst)) worst = code;
  }
  return worst;
}
