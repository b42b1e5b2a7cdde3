import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ValidationError } from "./errors/index.ts";
import { modelRules, ownRule } from "./models.ts";
import { checkSize, nearestLegalSize, resolveSize, SIZE_ALIASES, SIZE_PRESETS, shrunkAlias, sizeFor } from "./sizes.ts";

/** The gpt-image-2 rules, written out again independently of the code under test. */
const legal = (w: number, h: number): boolean =>
  Number.isInteger(w) &&
  Number.isInteger(h) &&
  w % 16 === 0 &&
  h % 16 === 0 &&
  w > 0 &&
  h > 0 &&
  Math.max(w, h) <= 3840 &&
  Math.max(w, h) / Math.min(w, h) <= 3 &&
  w * h >= 655_360 &&
  w * h <= 8_294_400;

const dims = (s: string): [number, number] => {
  const m = /^(\d+)x(\d+)$/.exec(s);
  if (!m) throw new Error(`not WxH: ${s}`);
  return [Number(m[1]), Number(m[2])];
};
const legalString = (s: string): boolean => legal(...dims(s));

function rejection(input: string, model?: string): ValidationError {
  try {
    resolveSize(input, model);
  } catch (e) {
    if (e instanceof ValidationError) return e;
    throw e;
  }
  throw new Error(`${input} was accepted`);
}

describe("resolveSize for gpt-image-2", () => {
  it.each(SIZE_PRESETS)("accepts preset %s", (preset) => {
    const [width, height] = dims(preset);
    expect(resolveSize(preset)).toEqual({ size: preset, width, height, source: "preset" });
    expect(legal(width, height)).toBe(true);
  });

  it("accepts auto", () => {
    expect(resolveSize("auto")).toEqual({ size: "auto", source: "auto" });
    expect(resolveSize(" AUTO ")).toEqual({ size: "auto", source: "auto" });
  });

  it.each([
    ["square", "1024x1024"],
    ["landscape", "1536x1024"],
    ["portrait", "1024x1536"],
    ["2k", "2048x2048"],
    ["2K-Landscape", "2048x1152"],
    ["2k portrait", "1152x2048"],
    ["4k", "3840x2160"],
    ["4k_portrait", "2160x3840"],
  ])("alias %s → %s", (alias, size) => {
    expect(resolveSize(alias)).toMatchObject({ size, source: "alias" });
  });

  it.each(Object.values(SIZE_ALIASES))("every alias target is legal: %s", (size) => {
    expect(legalString(size)).toBe(true);
  });

  it.each([
    ["16:9", "1536x864"],
    ["9:16", "864x1536"],
    ["3:2", "1536x1024"],
    ["2:3", "1024x1536"],
    ["1:1", "1024x1024"],
    ["4:3", "1408x1056"],
    ["3:4", "1056x1408"],
    ["21:9", "1904x816"],
    ["5:4", "1360x1088"],
    ["3:1", "2160x720"],
    ["1:3", "720x2160"],
    [" 16 : 9 ", "1536x864"],
    ["32:18", "1536x864"],
    ["1.5:1", "1536x1024"],
  ])("ratio %s → %s", (ratio, size) => {
    expect(resolveSize(ratio)).toMatchObject({ size, source: "ratio" });
  });

  it.each(["1920x1088", "1920*1088", "1920×1088", "1920X1088", " 1920 x 1088 ", "1920 * 1088"])(
    "accepts custom spelling %j",
    (input) => {
      expect(resolveSize(input)).toEqual({ size: "1920x1088", width: 1920, height: 1088, source: "custom" });
    },
  );

  it.each([
    ["1920x1080", ["both sides must be multiples of 16"], "1920x1088"],
    ["1080x1920", ["both sides must be multiples of 16"], "1088x1920"],
    ["1000x1000", ["both sides must be multiples of 16"], "1008x1008"],
    ["4096x2048", ["the long side must be at most 3840", "must have at most 8,294,400 pixels (w*h)"], "3840x1920"],
    ["3840x1024", ["the aspect ratio must be at most 3:1"], "3440x1152"],
    ["512x512", [ownRule("must have at least 655,360 pixels (w*h)")], "816x816"],
    ["3840x3840", ["must have at most 8,294,400 pixels (w*h)"], "2880x2880"],
    ["0x1024", ["width and height must be positive integers"], "1024x1024"],
    [
      "1024x100",
      [
        "both sides must be multiples of 16",
        "the aspect ratio must be at most 3:1",
        ownRule("must have at least 655,360 pixels (w*h)"),
      ],
      "1408x480",
    ],
  ])("rejects %s naming each broken rule and the nearest legal size", (input, rules, suggestion) => {
    const e = rejection(input);
    expect(e.code).toBe("validation");
    expect(e.issues.map((i) => i.rule)).toEqual(rules);
    for (const issue of e.issues) expect(issue).toEqual({ field: "size", value: input, rule: issue.rule, suggestion });
  });

  it("words the message as field, value, rule and nearest legal size", () => {
    expect(rejection("1920x1080").message).toBe(
      "size 1920x1080: both sides must be multiples of 16; nearest legal: 1920x1088",
    );
  });

  it.each(["4:1", "1:3.5", "10:1"])("rejects ratio %s beyond 3:1 with a legal 3:1 suggestion", (input) => {
    const e = rejection(input);
    expect(e.issues).toHaveLength(1);
    expect(e.issues[0]!.rule).toBe("the aspect ratio must be at most 3:1");
    expect(["2160x720", "720x2160"]).toContain(e.issues[0]!.suggestion);
  });

  it.each(["0:1", "16:0"])("rejects ratio %s with a zero term", (input) => {
    expect(rejection(input).issues[0]!.rule).toBe("both terms of a ratio must be positive");
  });

  it.each(["banana", "", "  ", "16:", "x1024", "-1024x1024", "1024x1024x3", "1024", "1e3x1024", "huge"])(
    "rejects unparseable %j listing the accepted forms, without a suggestion",
    (input) => {
      const e = rejection(input);
      expect(e.issues).toHaveLength(1);
      expect(e.issues[0]!.rule).toMatch(/^must be "auto", a preset \(1024x1024.*an alias \(square.*ratio W:H.*WxH/);
      expect(e.issues[0]!.suggestion).toBeUndefined();
    },
  );

  it("rejects a non-string", () => {
    expect(() => resolveSize(1024 as unknown as string)).toThrow(ValidationError);
  });
});

describe("resolveSize for other families", () => {
  it.each([
    ["gpt-image-1", "auto", "auto", "auto"],
    ["gpt-image-1", "1536x1024", "1536x1024", "preset"],
    ["gpt-image-1.5", "16:9", "1536x1024", "ratio"],
    ["gpt-image-1-mini", "9:16", "1024x1536", "ratio"],
    ["gpt-image-1", "4k", "1536x1024", "alias"],
    ["gpt-image-1", "4k-portrait", "1024x1536", "alias"],
    ["gpt-image-1", "1:1", "1024x1024", "ratio"],
    ["dall-e-3", "1792x1024", "1792x1024", "preset"],
    ["dall-e-3", "16:9", "1792x1024", "ratio"],
    ["dall-e-3", "portrait", "1024x1792", "alias"],
    ["dall-e-3", "square", "1024x1024", "alias"],
    ["dall-e-2", "512x512", "512x512", "preset"],
    ["dall-e-2", "4k", "1024x1024", "alias"],
    ["dall-e-2", "16:9", "1024x1024", "ratio"],
    ["canvas-20", "1000x333", "1000x333", "custom"],
    ["canvas-20", "7x5", "7x5", "custom"],
    ["canvas-20", "auto", "auto", "auto"],
    ["canvas-20", "16:9", "1536x864", "ratio"],
    ["flux-kontext-pro", "2048x2048", "2048x2048", "preset"],
  ])("%s: %s → %s (%s)", (model, input, size, source) => {
    expect(resolveSize(input, model)).toMatchObject({ size, source });
  });

  it("says an alias's own size when a fixed-set model takes its closest size instead", () => {
    expect(resolveSize("4k-portrait", "gpt-image-1")).toEqual({
      size: "1024x1536",
      width: 1024,
      height: 1536,
      source: "alias",
      aliasSize: "2160x3840",
    });
    expect(resolveSize("2k", "dall-e-2").aliasSize).toBe("2048x2048");
    // an alias the model can make as it says is not flagged
    expect(resolveSize("portrait", "gpt-image-1").aliasSize).toBeUndefined();
    expect(resolveSize("4k", "gpt-image-2").aliasSize).toBeUndefined();
  });

  it("shrunkAlias names only an alias the model makes smaller, and never throws", () => {
    expect(shrunkAlias("4k", "gpt-image-1")).toEqual({ aliasSize: "3840x2160", size: "1536x1024" });
    expect(shrunkAlias("landscape", "gpt-image-1")).toBeUndefined();
    expect(shrunkAlias("2048x2048", "gpt-image-1")).toBeUndefined();
    expect(shrunkAlias(undefined, "gpt-image-1")).toBeUndefined();
  });

  it.each([
    ["gpt-image-1", "2048x2048", "gpt-image-1 supports only 1024x1024, 1536x1024, 1024x1536", "1024x1024"],
    ["gpt-image-1", "1920x1088", "gpt-image-1 supports only 1024x1024, 1536x1024, 1024x1536", "1536x1024"],
    ["dall-e-3", "1536x1024", "dall-e-3 supports only 1024x1024, 1792x1024, 1024x1792", "1792x1024"],
    ["dall-e-3", "auto", 'dall-e-3 does not take "auto"; use one of 1024x1024, 1792x1024, 1024x1792', "1024x1024"],
    ["dall-e-2", "600x600", "dall-e-2 supports only 256x256, 512x512, 1024x1024", "512x512"],
    ["dall-e-2", "auto", 'dall-e-2 does not take "auto"; use one of 256x256, 512x512, 1024x1024', "1024x1024"],
    ["canvas-20", "0x5", "width and height must be positive integers", "1024x1024"],
    ["canvas-20", `${"9".repeat(30)}x5`, "width and height must be positive integers", "1024x1024"],
  ])("%s rejects %s", (model, input, rule, suggestion) => {
    // a model-table rule says whose it is; a malformed size is no one's choice
    const shown = model === "canvas-20" ? rule : ownRule(rule);
    expect(rejection(input, model).issues).toEqual([{ field: "size", value: input, rule: shown, suggestion }]);
  });
});

describe("checkSize and nearestLegalSize", () => {
  it("checkSize is empty for legal sizes and names rules otherwise", () => {
    expect(checkSize(1536, 864)).toEqual([]);
    expect(checkSize(1920, 1080)).toEqual([
      { field: "size", value: "1920x1080", rule: "both sides must be multiples of 16", suggestion: "1920x1088" },
    ]);
    expect(checkSize(1.5, 1024)[0]!.rule).toBe("width and height must be positive integers");
    expect(checkSize(1792, 1024, "dall-e-3")).toEqual([]);
    expect(checkSize(123, 45, "my-model")).toEqual([]);
    expect(nearestLegalSize(122.6, 0.2, "my-model")).toBe("123x1");
  });

  it.each([
    [Number.NaN, 1024],
    [-5, 10],
    [Number.POSITIVE_INFINITY, 2],
    [0, 0],
  ])("answers 1024x1024 for unusable input %s x %s", (w, h) => {
    expect(nearestLegalSize(w, h)).toBe("1024x1024");
  });

  it.each([
    [1e300, 1, "3840x1280"],
    [1, 1, "816x816"],
    [5000, 5000, "2880x2880"],
    [3840, 2160, "3840x2160"],
  ])("%s x %s → %s", (w, h, size) => {
    expect(nearestLegalSize(w, h)).toBe(size);
  });
});

describe("size properties", () => {
  const side = fc.integer({ min: 1, max: 12000 });

  it("a WxH is either accepted and legal, or rejected with a legal suggestion", () => {
    fc.assert(
      fc.property(side, side, (w, h) => {
        const input = `${w}x${h}`;
        let accepted: ReturnType<typeof resolveSize> | undefined;
        try {
          accepted = resolveSize(input);
        } catch (e) {
          if (!(e instanceof ValidationError)) throw e;
          expect(legal(w, h)).toBe(false);
          expect(e.issues.length).toBeGreaterThan(0);
          for (const i of e.issues) {
            expect(i.field).toBe("size");
            expect(legalString(i.suggestion!)).toBe(true);
          }
          return;
        }
        expect(legal(w, h)).toBe(true);
        expect(accepted.size).toBe(input);
      }),
      { numRuns: 3000 },
    );
  });

  it("sizes near the legal limits are judged like the rules say", () => {
    const near = fc.integer({ min: 20, max: 240 }).map((k) => k * 16);
    fc.assert(
      fc.property(near, near, (w, h) => {
        expect(checkSize(w, h).length === 0).toBe(legal(w, h));
      }),
      { numRuns: 3000 },
    );
  });

  it("nearestLegalSize is always legal, and a legal size is its own nearest", () => {
    const any = fc.double({ min: 1e-3, max: 1e12, noNaN: true });
    fc.assert(
      fc.property(any, any, (w, h) => {
        const s = nearestLegalSize(w, h);
        expect(legalString(s)).toBe(true);
        expect(nearestLegalSize(...dims(s))).toBe(s);
      }),
      { numRuns: 2000 },
    );
  });

  it("a legal suggestion keeps the aspect ratio close when the ratio was legal", () => {
    fc.assert(
      fc.property(side, side, (w, h) => {
        fc.pre(Math.max(w, h) / Math.min(w, h) <= 3);
        const [sw, sh] = dims(nearestLegalSize(w, h));
        expect(Math.abs(Math.log(sw / sh) - Math.log(w / h))).toBeLessThan(0.1);
      }),
      { numRuns: 2000 },
    );
  });

  it("every ratio up to 3:1 resolves to a legal size of nearly that ratio", () => {
    const term = fc.integer({ min: 1, max: 100 });
    fc.assert(
      fc.property(term, term, (a, b) => {
        fc.pre(Math.max(a, b) <= 3 * Math.min(a, b));
        const r = resolveSize(`${a}:${b}`);
        expect(r.source).toBe("ratio");
        expect(legal(r.width!, r.height!)).toBe(true);
        expect(r.width! * r.height!).toBeLessThanOrEqual(1536 * 1024);
        expect(Math.abs(Math.log(r.width! / r.height!) - Math.log(a / b))).toBeLessThan(0.02);
      }),
      { numRuns: 1000 },
    );
  });

  it("fixed-set families only ever answer members of their set", () => {
    const input = fc.oneof(
      fc.constantFrom(...Object.keys(SIZE_ALIASES), ...SIZE_PRESETS, "auto"),
      fc.tuple(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: 50 })).map(([a, b]) => `${a}:${b}`),
      fc.tuple(side, side).map(([a, b]) => `${a}x${b}`),
    );
    fc.assert(
      fc.property(input, fc.constantFrom("gpt-image-1", "dall-e-3", "dall-e-2"), (size, model) => {
        const members = [...modelRules(model).sizes, ...(modelRules(model).autoSize ? ["auto"] : [])];
        try {
          expect(members).toContain(resolveSize(size, model).size);
        } catch (e) {
          if (!(e instanceof ValidationError)) throw e;
          expect(members).toContain(e.issues[0]!.suggestion);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe("the size error's list", () => {
  it("names every preset and every alias, 2k-square and 4k-landscape included", () => {
    let rule = "";
    try {
      resolveSize("huge");
    } catch (e) {
      rule = (e as ValidationError).issues[0]?.rule ?? "";
    }
    for (const name of [...SIZE_PRESETS, ...Object.keys(SIZE_ALIASES)]) expect(rule).toContain(name);
    expect(rule).toMatch(/2k-square/);
    expect(rule).toMatch(/4k-landscape/);
  });
});

describe("sizeFor", () => {
  it("resolves for the model, and is undefined for no size or one that does not resolve", () => {
    expect(sizeFor("16:9", "gpt-image-2")).toBe("1536x864");
    expect(sizeFor("16:9", "gpt-image-1")).toBe("1536x1024");
    expect(sizeFor("auto", undefined)).toBe("auto");
    expect(sizeFor(undefined, "gpt-image-2")).toBeUndefined();
    expect(sizeFor("1920x1080", "gpt-image-2")).toBeUndefined();
  });
});
