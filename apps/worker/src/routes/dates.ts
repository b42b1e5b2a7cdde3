import { ValidationError, type ValidationIssue } from "@gptimg/core";
import { utcDay } from "../lib/quota.ts";

const DAY = /^\d{4}-\d{2}-\d{2}$/;
/** Longest usage report: a year and a day, so a leap year fits. */
const MAX_DAYS = 366;

function isRealDay(s: string): boolean {
  const t = Date.parse(`${s}T00:00:00Z`);
  // Date.parse accepts 2026-02-31 on some engines: the round trip rejects it
  return DAY.test(s) && Number.isFinite(t) && new Date(t).toISOString().slice(0, 10) === s;
}

/**
 * `from`/`to` query parameters (UTC days, inclusive). Defaults: `to` today, `from` 29 days earlier.
 * Throws `ValidationError` naming the parameter for malformed or reversed dates.
 */
export function parseDayRange(
  fromParam: string | undefined,
  toParam: string | undefined,
): { from: string; to: string } {
  const issues: ValidationIssue[] = [];
  const now = Math.floor(Date.now() / 1000);
  const to = toParam ?? utcDay(now);
  if (toParam !== undefined && !isRealDay(toParam))
    issues.push({ field: "to", value: toParam, rule: "must be a date YYYY-MM-DD" });
  const from =
    fromParam ?? utcDay(Math.floor(Date.parse(`${isRealDay(to) ? to : utcDay(now)}T00:00:00Z`) / 1000) - 29 * 86400);
  if (fromParam !== undefined && !isRealDay(fromParam))
    issues.push({ field: "from", value: fromParam, rule: "must be a date YYYY-MM-DD" });
  if (!issues.length) {
    const days = (Date.parse(to) - Date.parse(from)) / 86_400_000;
    if (days < 0) issues.push({ field: "from", value: from, rule: `must not be after to (${to})` });
    else if (days >= MAX_DAYS)
      issues.push({ field: "from", value: from, rule: `the range may span at most ${MAX_DAYS} days` });
  }
  if (issues.length) throw new ValidationError(issues);
  return { from, to };
}

/**
 * The `group_by` query parameter of the usage reports: absent (per member and model) or `day`
 * (per day, member and model).
 */
export function parseGroupBy(value: string | undefined): boolean {
  if (value === undefined || value === "") return false;
  if (value === "day") return true;
  throw new ValidationError([{ field: "group_by", value, rule: 'must be "day" or absent' }]);
}
