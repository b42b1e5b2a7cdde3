import { describe, expect, it } from "vitest";
import { type ModelFamily, modelFamily, modelRules, wireQuality } from "./models.ts";
import { checkSize, resolveSize } from "./sizes.ts";

describe("modelFamily", () => {
  it.each<[string | undefined, ModelFamily]>([
    [undefined, "gpt-image-2"],
    ["gpt-image-2", "gpt-image-2"],
    ["GPT-Image-2-all", "gpt-image-2"],
    ["openai/gpt-image-2", "gpt-image-2"],
    ["gpt-image-1", "gpt-image-1"],
    ["gpt-image-1.5", "gpt-image-1"],
    ["gpt-image-1-mini", "gpt-image-1-mini"],
    ["gpt-image-1-mini-2025-10-06", "gpt-image-1-mini"],
    ["gpt-image-1-all", "gpt-image-1"],
    ["chatgpt-image-latest", "gpt-image-1"],
    ["dall-e-3", "dall-e-3"],
    ["dall-e-2", "dall-e-2"],
    ["canvas-20", "unknown"],
    ["flux-kontext-pro", "unknown"],
    ["", "unknown"],
  ])("%s → %s", (model, family) => {
    expect(modelFamily(model)).toBe(family);
    expect(modelRules(model).family).toBe(family);
  });
});

describe("modelRules", () => {
  it("gpt-image-2 takes transparent (in preview per OpenAI's spec), custom sizes, and never sends input_fidelity", () => {
    const r = modelRules("gpt-image-2");
    expect(r.backgrounds).toEqual(["auto", "opaque", "transparent"]);
    expect(r.unsent.inputFidelity).toMatch(/high fidelity/);
    expect(r.sizeRule).toBe("custom");
    expect(r.fields.inputFidelity).toBe(false);
    expect(r.inputFidelities).toEqual(["high", "low"]);
    expect(r.fields.style).toBe(false);
  });

  it("gpt-image-1 takes transparent and sends input_fidelity", () => {
    const r = modelRules("gpt-image-1");
    expect(r.backgrounds).toContain("transparent");
    expect(r.fields.inputFidelity).toBe(true);
    expect(r.sizes).toEqual(["1024x1024", "1536x1024", "1024x1536"]);
  });

  it.each<[string, number | undefined, number, boolean, number]>([
    ["gpt-image-2", 32000, 10, true, 16],
    ["gpt-image-1", 32000, 10, true, 16],
    ["dall-e-3", 4000, 1, false, 0],
    ["dall-e-2", 1000, 10, true, 1],
    ["canvas-20", undefined, 10, true, 16],
  ])("%s: prompt ≤ %s, n ≤ %s, edits %s, ≤ %s inputs", (model, prompt, n, edits, inputs) => {
    const r = modelRules(model);
    expect([r.maxPromptLength, r.maxN, r.edits, r.maxInputImages]).toEqual([prompt, n, edits, inputs]);
  });

  it("style belongs to dall-e-3 (and unknown models, which get everything)", () => {
    expect(modelRules("dall-e-3").styles).toEqual(["vivid", "natural"]);
    expect(modelRules("dall-e-3").fields.style).toBe(true);
    for (const m of ["gpt-image-2", "gpt-image-1", "dall-e-2"]) expect(modelRules(m).styles).toEqual([]);
  });

  it("dall-e families have no streaming, moderation or output formats beyond png", () => {
    for (const m of ["dall-e-2", "dall-e-3"]) {
      const r = modelRules(m);
      expect(r.maxPartialImages).toBe(0);
      expect(r.moderations).toEqual([]);
      expect(r.outputFormats).toEqual(["png"]);
      expect(r.fields.stream || r.fields.outputFormat || r.fields.background).toBe(false);
    }
  });

  it.each(["gpt-image-2", "gpt-image-1", "dall-e-3", "dall-e-2"])("every listed size of %s is accepted", (m) => {
    for (const size of modelRules(m).sizes) {
      expect(resolveSize(size, m).size).toBe(size);
      const [w, h] = size.split("x").map(Number) as [number, number];
      expect(checkSize(w, h, m)).toEqual([]);
    }
  });
});

describe("wireQuality", () => {
  it.each<[string | undefined, string | undefined, string | undefined]>([
    ["gpt-image-2", "high", "high"],
    ["gpt-image-2", undefined, undefined],
    ["dall-e-3", "high", "hd"],
    ["dall-e-3", "hd", "hd"],
    ["dall-e-3", "medium", "standard"],
    ["dall-e-3", "low", "standard"],
    ["dall-e-3", "auto", "standard"],
    ["dall-e-2", "high", undefined],
    ["canvas-20", "medium", "medium"],
  ])("%s %s → %s", (model, q, wire) => {
    expect(wireQuality(model, q)).toBe(wire);
  });
});
