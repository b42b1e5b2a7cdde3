import { describe, expect, it } from "vitest";
import { type ModelFields, modelRules } from "./models.ts";
import { IMAGE_OPTION_LIST, imageOption, imageOptionByWire, optionsFor, wireNameFor } from "./options.ts";
import { imageRequestSchema } from "./options-schema.ts";
import { PROFILES } from "./providers.ts";
import { SIZE_ALIASES } from "./sizes.ts";

describe("IMAGE_OPTIONS", () => {
  it("names each key, wire name, CLI flag and chat key once", () => {
    const once = (xs: string[]) => expect(new Set(xs).size).toBe(xs.length);
    once(IMAGE_OPTION_LIST.map((o) => o.key));
    once(IMAGE_OPTION_LIST.map((o) => o.wire));
    const flags = IMAGE_OPTION_LIST.flatMap((o) => (o.cli ? [o.cli.flag, ...(o.cli.aliases ?? [])] : []));
    once(flags);
    once(IMAGE_OPTION_LIST.flatMap((o) => [...(o.chat ?? [])]));
  });

  it("points every per-model rule at a real entry of the model table", () => {
    const rules = modelRules("gpt-image-2");
    for (const o of IMAGE_OPTION_LIST) {
      if (o.modelValues) expect(Array.isArray(rules[o.modelValues]), o.key).toBe(true);
      if (o.modelField) expect(Object.hasOwn(rules.fields, o.modelField as keyof ModelFields), o.key).toBe(true);
      if (o.type === "enum") expect(o.values?.length, o.key).toBeGreaterThan(0);
    }
  });

  it("keeps every family's accepted values inside the option's values", () => {
    for (const model of ["gpt-image-2", "gpt-image-1", "dall-e-3", "dall-e-2", "canvas-20"]) {
      const rules = modelRules(model);
      for (const o of IMAGE_OPTION_LIST) {
        if (!o.modelValues) continue;
        for (const v of rules[o.modelValues]) expect(o.values, `${model} ${o.key} ${v}`).toContain(v);
      }
    }
  });

  it("offers every size alias for completion", () => {
    const size = imageOption("size");
    for (const alias of Object.keys(SIZE_ALIASES)) expect(size?.values).toContain(alias);
    expect(size?.values).toContain("auto");
  });

  it("finds entries by key and wire name, with the profile's wire name", () => {
    const format = imageOptionByWire("output_format");
    expect(format?.key).toBe("outputFormat");
    expect(format && wireNameFor(format, "wellapi")).toBe("format");
    expect(format && wireNameFor(format, "openai")).toBe("output_format");
    expect(PROFILES.wellapi.fields.outputFormat).toBe("format");
    expect(imageOption("nope")).toBeUndefined();
  });

  it("splits options by operation", () => {
    const keys = (op: "generate" | "edit") => optionsFor(op).map((o) => o.key);
    expect(keys("generate")).toContain("style");
    expect(keys("generate")).not.toContain("inputFidelity");
    expect(keys("generate")).not.toContain("images");
    expect(keys("edit")).toEqual(expect.arrayContaining(["images", "mask", "inputFidelity"]));
    expect(keys("edit")).not.toContain("style");
  });
});

describe("imageRequestSchema", () => {
  it("describes a generation body by wire names, with enums and bounds", () => {
    const s = imageRequestSchema("generate");
    expect(s.required).toEqual(["prompt"]);
    expect(s.additionalProperties).toBe(false);
    expect(s.properties.output_format).toMatchObject({ type: "string", enum: ["png", "jpeg", "webp"] });
    expect(s.properties.n).toMatchObject({ type: "integer", minimum: 1, maximum: 10, default: 1 });
    expect(s.properties.style).toMatchObject({ enum: ["vivid", "natural"] });
    expect(s.properties.stream).toMatchObject({ type: "boolean" });
    expect(s.properties.image).toBeUndefined();
    for (const p of Object.values(s.properties)) expect(typeof p.description).toBe("string");
  });

  it("describes the multipart edit form with files and without moderation", () => {
    const s = imageRequestSchema("edit", "multipart");
    expect(s.required).toEqual(["prompt", "image"]);
    expect(s.properties.image).toMatchObject({ type: "array", items: { format: "binary" }, maxItems: 16 });
    expect(s.properties.mask).toMatchObject({ type: "string", format: "binary" });
    expect(s.properties.moderation).toBeUndefined();
    expect(s.properties.input_fidelity).toMatchObject({ enum: ["high", "low"] });
  });

  it("describes the JSON edit form with image references", () => {
    const s = imageRequestSchema("edit", "json");
    expect(s.required).toEqual(["prompt", "images"]);
    expect(s.properties.images).toMatchObject({ type: "array", minItems: 1, maxItems: 16 });
    expect(s.properties.mask).toMatchObject({ type: "object", properties: { image_url: {}, file_id: {} } });
    expect(s.properties.moderation).toMatchObject({ enum: ["low", "auto"] });
  });

  it("is plain JSON data", () => {
    const s = imageRequestSchema("edit", "json");
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
  });
});
