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
  it("is unknown (null, never 0) for a model without a rate, malformed rates, or token rates without usage", () => {
    const u = { inputTokens: 1, outputTokens: 1, totalTokens: 2 };
    for (const model of ["gpt-image-9", "my-model", "other"]) expect(costUsd(model, u, rates)).toBeNull();
    // models core knows are costed from its table, whatever the var says
    expect(costUsd("GPT-IMAGE-1", u, rates)).toBeGreaterThan(0);
    expect(costUsd("dall-e-3", undefined, rates, 2)).toBeCloseTo(0.08, 9);
    expect(costUsd("m", u, { MODEL_RATES: "{" })).toBeNull();
    expect(costUsd("gpt-image-2", u, { MODEL_RATES: "{" })).toBeGreaterThan(0);
    const tokensOnly = { MODEL_RATES: JSON.stringify({ t: { output_image_per_mtok: 30 } }) };
    expect(costUsd("t", undefined, tokensOnly, 1)).toBeNull();
    expect(costUsd("t", { inputTokens: 0, outputTokens: 1000, totalTokens: 1000 }, tokensOnly, 1)).toBeCloseTo(0.03, 9);
  });
  it("compares model names case-insensitively, as providers take them", () => {
    const u = { inputTokens: 1000, outputTokens: 1000, totalTokens: 2000 };
    const upper = { MODEL_RATES: JSON.stringify({ "GPT-Image-2": { output_image_per_mtok: 30 } }) };
    expect(costUsd("GPT-IMAGE-2", u, upper)).toBeCloseTo(0.03, 9);
    expect(costUsd("gpt-image-2", u, upper)).toBeCloseTo(0.03, 9);
  });
});
