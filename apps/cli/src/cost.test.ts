import { describe, expect, it } from "vitest";
import { DEFAULT_RATES, estimateCost, rateTable } from "./cost.ts";

describe("estimateCost", () => {
  const table = rateTable(undefined);
  it("prices gpt-image-2 at $5/M text in, $8/M image in, $30/M image out", () => {
    expect(DEFAULT_RATES["gpt-image-2"]).toEqual({ textInput: 5, imageInput: 8, imageOutput: 30 });
    const usage = { inputTokens: 1100, outputTokens: 4000, inputTokensDetails: { textTokens: 100, imageTokens: 1000 } };
    expect(estimateCost("gpt-image-2", usage, "edit", table)).toBeCloseTo((100 * 5 + 1000 * 8 + 4000 * 30) / 1e6, 9);
  });
  it.each([
    ["generate", (50 * 5 + 1000 * 30) / 1e6],
    ["edit", (50 * 8 + 1000 * 30) / 1e6],
  ] as const)("undetailed input counts by kind (%s)", (kind, usd) => {
    expect(estimateCost("gpt-image-2", { inputTokens: 50, outputTokens: 1000 }, kind, table)).toBeCloseTo(usd, 9);
  });
  it("is null for an unknown model or missing usage", () => {
    expect(estimateCost("mystery", { inputTokens: 1, outputTokens: 1 }, "generate", table)).toBeNull();
    expect(estimateCost("gpt-image-2", undefined, "generate", table)).toBeNull();
  });
  it("knows more than gpt-image-2 and matches names case-insensitively: never $0 for want of a rate", () => {
    const usage = { inputTokens: 50, outputTokens: 1000 };
    expect(estimateCost("GPT-IMAGE-2", usage, "generate", table)).toBeCloseTo((50 * 5 + 1000 * 30) / 1e6, 9);
    expect(estimateCost("gpt-image-1", usage, "generate", table)).toBeGreaterThan(0);
    expect(estimateCost("dall-e-3", undefined, "generate", table, 1)).toBe(0.04);
    expect(estimateCost("dall-e-3", undefined, "generate", table)).toBeNull();
  });
  it("config rates override and extend the table", () => {
    const t = rateTable({
      "gpt-image-2": { imageOutput: 40 },
      "canvas-20": { textInput: 1, imageInput: 1, imageOutput: 10 },
    });
    expect(t["gpt-image-2"]).toEqual({ textInput: 5, imageInput: 8, imageOutput: 40 });
    expect(estimateCost("canvas-20", { inputTokens: 0, outputTokens: 1e6 }, "generate", t)).toBe(10);
  });
});
