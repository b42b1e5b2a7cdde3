import type { ValidationIssue } from "../types.ts";
import { GptImageError } from "./gptimg-error.ts";

const show = (v: unknown): string => {
  if (typeof v === "string") return v.length > 60 ? `${JSON.stringify(v.slice(0, 60))}…` : v;
  if (v === undefined) return "(missing)";
  try {
    const s = JSON.stringify(v);
    return s.length > 60 ? `${s.slice(0, 60)}…` : s;
  } catch {
    return String(v);
  }
};

/** "size 1920x1080: both sides must be multiples of 16; nearest legal: 1920x1088" */
export const formatIssue = (i: ValidationIssue): string =>
  `${i.field} ${show(i.value)}: ${i.rule}${i.suggestion ? `; nearest legal: ${i.suggestion}` : ""}`;

/** Issues named in full in a message; `issues` keeps them all. */
const LISTED_ISSUES = 5;

/**
 * The first few issues, one a line (each written by `format`), then how many more there are: a
 * body with a thousand bad fields (bytes an SDK sent as one form field each) is a short message,
 * not a page per byte. Every surface that lists issues (errors, chat replies) lists them so.
 * @example issueLines(e.issues, (i) => `• ${formatIssue(i)}`).join("\n")
 */
export function issueLines(
  issues: readonly ValidationIssue[],
  format: (issue: ValidationIssue) => string = formatIssue,
): string[] {
  const lines = issues.slice(0, LISTED_ISSUES).map(format);
  const more = issues.length - lines.length;
  if (more > 0) lines.push(`… and ${more.toLocaleString("en-US")} more`);
  return lines;
}

/**
 * Bad input found before anything was sent. Carries every problem at once (the message names
 * the first few, see `issueLines`).
 * @example
 * throw new ValidationError([{ field: "n", value: 11, rule: "must be an integer from 1 to 10" }])
 */
export class ValidationError extends GptImageError {
  override name = "ValidationError";
  readonly issues: ValidationIssue[];
  constructor(issues: ValidationIssue[]) {
    super("validation", issueLines(issues).join("\n"), { param: issues[0]?.field });
    this.issues = issues;
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), issues: this.issues.map((i) => ({ ...i, value: show(i.value) })) };
  }
}

export const isValidationError = (e: unknown): e is ValidationError => e instanceof ValidationError;
