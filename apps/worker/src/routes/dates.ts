import { ValidationError, type ValidationIssue } from "@gptimg/core";
import { nowSeconds } from "../lib/clock.ts";
import { utcDay } from "../lib/quota.ts";

const DAY = /^\d{4}-\d{2}-\d{2}$/;
/** Longest usage report: a year and a day, so a leap year fits. */
const MAX_DAYS = 366;

function isRealDay(s: string): boolean {
  const t = Date.parse(`${s}T00:00:00Z`);
  // Date.parse accepts 2026-02-31 on some engines: the round trip rejects it
  return DAY.test(s) && Number.isFinite(t) && new Date(t).toISOString().slice(0, 10) === s;
}

const DAY_RULE = "must be a date YYYY-MM-DD";

/**
 * What is wrong with a range of UTC days: each bound given must be a real day (2026-02-31 is
 * not), and `from` must not be after `to`. One issue each, naming the parameter, value and rule;
 * an undefined bound is not checked. Empty when the range is fine.
 * @example
 * dayRangeIssues("2026-05-02", "2026-05-01") // [{ field: "from", …, rule: "must not be after to (2026-05-01)" }]
 */
export function dayRangeIssues(from: string | undefined, to: string | undefined): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  if (from !== undefined && !isRealDay(from)) issues.push({ field: "from", value: from, rule: DAY_RULE });
  if (to !== undefined && !isRealDay(to)) issues.push({ field: "to", value: to, rule: DAY_RULE });
  if (!issues.length && from !== undefined && to !== undefined && from > to)
    issues.push({ field: "from", value: from, rule: `must not be after to (${to})` });
  return issues;
}

/**
 * `from`/`to` query parameters (UTC days, inclusive). Defaults: `to` today, `from` 29 days earlier.
 * Throws `ValidationError` naming the parameter for malformed or reversed dates.
 */
export function parseDayRange(
  fromParam: string | undefined,
  toParam: string | undefined,
): { from: string; to: string } {
  const now = nowSeconds();
  const to = toParam ?? utcDay(now);
  const from =
    fromParam ?? utcDay(Math.floor(Date.parse(`${isRealDay(to) ? to : utcDay(now)}T00:00:00Z`) / 1000) - 29 * 86400);
  const issues = dayRangeIssues(from, to);
  if (!issues.length && (Date.parse(to) - Date.parse(from)) / 86_400_000 >= MAX_DAYS)
    issues.push({ field: "from", value: from, rule: `the range may span at most ${MAX_DAYS} days` });
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
