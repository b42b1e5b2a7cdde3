import { formatIssue, type ValidationIssue, withoutPlatformHint } from "@gptimg/core";
import { EXIT, type ExitCode, exitCodeFor } from "./exit-codes.ts";
import { flagForField } from "./flag-names.ts";

/** The failure part of the `--json` envelope. */
export interface FailureInfo {
  code: string;
  message: string;
  status: number | null;
  requestId: string | null;
  possiblyBilled: boolean;
}

/**
 * An error raised by the CLI itself (bad usage, a file it cannot read or write, missing
 * credentials). `code` is one of core's stable codes or `usage` / `io`.
 */
export class CliError extends Error {
  override name = "CliError";
  readonly code: string;
  readonly exitCode: ExitCode;
  readonly status: number | undefined;
  readonly requestId: string | undefined;
  readonly possiblyBilled: boolean;
  constructor(
    code: string,
    message: string,
    init: { exitCode?: ExitCode; status?: number; requestId?: string; possiblyBilled?: boolean; cause?: unknown } = {},
  ) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.code = code;
    this.status = init.status;
    this.requestId = init.requestId;
    this.possiblyBilled = init.possiblyBilled ?? false;
    this.exitCode = init.exitCode ?? exitCodeFor(code, init.status, this.possiblyBilled);
  }
}

/** Bad usage: exit 2. */
export const usageError = (message: string): CliError => new CliError("usage", message, { exitCode: EXIT.usage });

interface ErrorLike {
  code?: unknown;
  message?: unknown;
  status?: unknown;
  requestId?: unknown;
  possiblyBilled?: unknown;
  issues?: unknown;
}

/** Our own validation (no HTTP status): every issue again, named by its flag. */
function validationMessage(x: ErrorLike): string | undefined {
  if (x.code !== "validation" || x.status !== undefined || !Array.isArray(x.issues)) return undefined;
  const issues = x.issues as ValidationIssue[];
  // "nearest legal: 1408x480" once, after the last problem of that value, not on every line.
  const lastWith = (i: number): boolean =>
    !issues.slice(i + 1).some((j) => j.field === issues[i]!.field && j.suggestion === issues[i]!.suggestion);
  return issues
    .map((issue, i) => {
      const { suggestion, ...rest } = issue;
      const shown = suggestion !== undefined && lastWith(i) ? { ...rest, suggestion } : rest;
      // core names its override by the option; at the terminal it is a flag
      const rule = shown.rule.replace("skipModelRules lets", "--skip-model-rules lets");
      return formatIssue({ ...shown, rule, field: flagForField(issue.field) });
    })
    .join("\n");
}

/**
 * Normalizes anything thrown into the envelope's error object and an exit code; the runtime's
 * debugging advice (Bun's "pass `verbose: true`") never reaches the user, whatever wrapped it.
 */
export function describeFailure(e: unknown): { info: FailureInfo; exitCode: ExitCode } {
  const d = describeRaw(e);
  return { ...d, info: { ...d.info, message: withoutPlatformHint(d.info.message) } };
}

function describeRaw(e: unknown): { info: FailureInfo; exitCode: ExitCode } {
  if (e instanceof CliError) {
    return {
      info: {
        code: e.code,
        message: e.message,
        status: e.status ?? null,
        requestId: e.requestId ?? null,
        possiblyBilled: e.possiblyBilled,
      },
      exitCode: e.exitCode,
    };
  }
  const x = (typeof e === "object" && e !== null ? e : {}) as ErrorLike;
  if (typeof x.code === "string" && typeof x.message === "string" && e instanceof Error && e.name !== "SystemError") {
    const status = typeof x.status === "number" ? x.status : undefined;
    const possiblyBilled = x.possiblyBilled === true;
    const known = /^[a-z_]+$/.test(x.code) && !x.code.startsWith("E");
    if (known) {
      return {
        info: {
          code: x.code,
          message: validationMessage(x) ?? x.message,
          status: status ?? null,
          requestId: typeof x.requestId === "string" ? x.requestId : null,
          possiblyBilled,
        },
        exitCode: exitCodeFor(x.code, status, possiblyBilled),
      };
    }
  }
  const message = e instanceof Error ? e.message : String(e);
  return {
    info: { code: "internal", message, status: null, requestId: null, possiblyBilled: false },
    exitCode: EXIT.failure,
  };
}
