import { describe, expect, it } from "vitest";
import type { ValidationIssue } from "../types.ts";
import { ValidationError } from "./validation-error.ts";

const unknown = (n: number): ValidationIssue[] =>
  Array.from({ length: n }, (_, i) => ({ field: `image[${i}]`, value: i, rule: "is not a known parameter" }));

describe("ValidationError's message", () => {
  it.each([1, 2, 5])("names each of %i issues, one a line", (n) => {
    const e = new ValidationError(unknown(n));
    expect(e.message.split("\n")).toEqual(unknown(n).map((i) => `${i.field} ${i.value}: ${i.rule}`));
  });

  it.each([
    [6, "… and 1 more"],
    [1302, "… and 1,297 more"],
  ])("names the first five of %i issues and counts the rest", (n, tail) => {
    const e = new ValidationError(unknown(n));
    const lines = e.message.split("\n");
    expect(lines.slice(0, 5)).toEqual(unknown(5).map((i) => `${i.field} ${i.value}: ${i.rule}`));
    expect(lines.slice(5)).toEqual([tail]);
    expect(e.param).toBe("image[0]");
    expect(e.issues).toHaveLength(n);
  });
});
