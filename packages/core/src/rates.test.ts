import { describe, expect, it } from "vitest";
import { estimateCost, MODEL_RATES, rateFor } from "./rates.ts";

describe("rateFor", () => {
  it.each([
    ["gpt-image-2", 30],
    ["GPT-IMAGE-2", 30],
    ["openai/gpt-image-2", 30],
    ["gpt-image-2-2026-04-21", 30],
    ["gpt-image-1", 40],
    ["gpt-image-1-mini", 8],
    ["Gpt-Image-1.5", 32],
  ])("%s is priced (image output $%s/M)", (model, out) => {
    expect(rateFor(model)?.imageOutput).toBe(out);
  });

  it.each(["canvas-20", "gpt-image-2-all", "gpt-image-20", ""])("%j has no rate", (model) => {
    expect(rateFor(model)).toBeUndefined();
  });

  it("prefers an exact key of a given table", () => {
    expect(rateFor("Canvas", { Canvas: { textInput: 1, imageInput: 1, imageOutput: 1 } })?.textInput).toBe(1);
  });
});

describe("estimateCost", () => {
  it("prices tokens for GPT image models", () => {
    const usage = { inputTokens: 1100, outputTokens: 4000, inputTokensDetails: { textTokens: 100, imageTokens: 1000 } };
    expect(estimateCost("gpt-image-2", usage, "edit")).toBeCloseTo((100 * 5 + 1000 * 8 + 4000 * 30) / 1e6, 9);
    expect(estimateCost("gpt-image-1", { inputTokens: 50, outputTokens: 1000 }, "generate")).toBeCloseTo(
      (50 * 5 + 1000 * 40) / 1e6,
      9,
    );
  });

  it("prices dall-e by the image, with no usage", () => {
    expect(estimateCost("dall-e-3", undefined, "generate", { images: 1 })).toBe(0.04);
    expect(estimateCost("DALL-E-2", undefined, "edit", { images: 3 })).toBe(0.06);
  });

  it("is null, never $0, for a model without a rate or a token model without usage", () => {
    expect(estimateCost("canvas-20", { inputTokens: 1, outputTokens: 1 }, "generate")).toBeNull();
    expect(estimateCost("gpt-image-2", undefined, "generate", { images: 1 })).toBeNull();
    expect(estimateCost("dall-e-3", undefined, "generate")).toBeNull();
  });

  it("has a positive rate for every known model", () => {
    for (const [model, r] of Object.entries(MODEL_RATES)) {
      expect(model).toBe(model.toLowerCase());
      expect((r.perImage ?? 0) + r.imageOutput, model).toBeGreaterThan(0);
    }
  });
});
