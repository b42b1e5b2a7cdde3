import { describe, expect, it } from "vitest";
import { costUsd } from "./usage.ts";

describe("costUsd", () => {
  const rates = {
    MODEL_RATES: JSON.stringify({
      m: { input_text_per_mtok: 5, input_image_per_mtok: 8, output_image_per_mtok: 30, per_image: 0.01 },
    }),
  };
  it.each<[string, Parameters<typeof costUsd>[1], number, number]>([
    ["no usage, per image only", undefined, 2, 0.02],
    [
      "details split text and image input",
      {
        inputTokens: 1000,
        outputTokens: 2000,
        totalTokens: 3000,
        inputTokensDetails: { textTokens: 200, imageTokens: 800 },
      },
      1,
      0.01 + (200 * 5 + 800 * 8 + 2000 * 30) / 1e6,
    ],
    [
      "no details: input is text, output is image",
      { inputTokens: 1000, outputTokens: 1000, totalTokens: 2000 },
      0,
      (1000 * 5 + 1000 * 30) / 1e6,
    ],
  ])("%s", (_n, usage, images, expected) => {
    expect(costUsd("m", usage, rates, images)).toBeCloseTo(expected, 9);
  });
  it("is 0 for unknown models and malformed rates", () => {
    expect(costUsd("other", { inputTokens: 1, outputTokens: 1, totalTokens: 2 }, rates)).toBe(0);
    expect(costUsd("m", { inputTokens: 1, outputTokens: 1, totalTokens: 2 }, { MODEL_RATES: "{" })).toBe(0);
  });
});
