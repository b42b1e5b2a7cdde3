import { describe, expect, it } from "vitest";
import { EXIT, exitCodeFor, mostSerious } from "./exit-codes.ts";

describe("exitCodeFor", () => {
  it.each<[string, number | undefined, boolean, number]>([
    ["validation", undefined, false, 2],
    ["usage", undefined, false, 2],
    ["validation", 400, false, 4],
    ["auth", 401, false, 3],
    ["permission", 403, false, 3],
    ["content_policy", 400, false, 4],
    ["not_found", 404, false, 4],
    ["quota_exceeded", 429, false, 4],
    ["rate_limited", 429, false, 5],
    ["insufficient_quota", 429, false, 4],
    ["provider_error", 503, false, 5],
    ["bad_response", 200, false, 5],
    ["bad_response", 200, true, 6],
    ["network", undefined, false, 5],
    ["timeout", undefined, false, 5],
    ["outcome_unknown", undefined, true, 6],
    ["aborted", undefined, true, 130],
    ["something_new", 418, false, 4],
    ["something_new", 502, false, 5],
  ])("%s (status %s, billed %s) → %i", (code, status, billed, exit) => {
    expect(exitCodeFor(code, status, billed)).toBe(exit);
  });
});

describe("mostSerious", () => {
  it.each<[number[], number]>([
    [[], 0],
    [[0, 0], 0],
    [[2, 0], 2],
    [[2, 6], 6],
    [[6, 2], 6],
    [[2, 5], 5],
    [[5, 4], 4],
    [[4, 3], 3],
    [[3, 6, 2], 6],
    [[6, 130], 130],
    [[2, 99], 5],
  ])("%j → %i", (codes, worst) => {
    expect(mostSerious(codes)).toBe(worst);
  });

  it("never answers with the nothing-was-sent code when any result may have been billed", () => {
    for (const other of Object.values(EXIT)) {
      const worst = other === EXIT.interrupted ? EXIT.interrupted : EXIT.unknown;
      expect(mostSerious([other, EXIT.unknown])).toBe(worst);
      expect(mostSerious([EXIT.unknown, other])).toBe(worst);
    }
  });
});
