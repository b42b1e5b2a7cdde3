import { ValidationError } from "./errors/index.ts";
import { GPT_IMAGE_2_PRESETS, type ModelRules, modelRules, ownRule } from "./models.ts";
import {
  customRuleBreaks,
  FALLBACK,
  fmt,
  isLegalInt,
  MAX_RATIO,
  nearestCustom,
  nearestMember,
  parseWxH,
  RATIO_TARGET_PIXELS,
  sizeForRatio,
} from "./size-search.ts";
import type { ValidationIssue } from "./types.ts";

/** A size as it will be sent, with where it came from. */
export interface ResolvedSize {
  /** `"1536x1024"` or `"auto"` */
  size: string;
  width?: number;
  height?: number;
  source: "auto" | "preset" | "alias" | "ratio" | "custom";
  /**
   * An alias's own size when the model cannot make it and the closest of its sizes was taken
   * instead (`4k` is 3840x2160; on gpt-image-1 it becomes 1536x1024): what a caller should tell
   * its user, since the image will be smaller than the alias says.
   */
  aliasSize?: string;
}

/** The gpt-image-2 presets, all legal under its custom-size rules. */
export const SIZE_PRESETS: readonly string[] = GPT_IMAGE_2_PRESETS;

/** Named sizes. `2k`/`4k` alone mean the 2K square and the 4K landscape preset. */
export const SIZE_ALIASES: Readonly<Record<string, string>> = {
  square: "1024x1024",
  landscape: "1536x1024",
  portrait: "1024x1536",
  "2k": "2048x2048",
  "2k-square": "2048x2048",
  "2k-landscape": "2048x1152",
  "2k-portrait": "1152x2048",
  "4k": "3840x2160",
  "4k-landscape": "3840x2160",
  "4k-portrait": "2160x3840",
};

/** What a size may be, listing every preset and alias from the tables above. */
const ACCEPTED =
  `must be "auto", a preset (${SIZE_PRESETS.join(", ")}), ` +
  `an alias (${Object.keys(SIZE_ALIASES).join(", ")}), ` +
  "a ratio W:H (e.g. 16:9) or WxH (e.g. 1920x1088)";

/**
 * Problems with a width and height for a model (empty = legal). One issue per broken rule, each
 * with the nearest legal size as `suggestion`. Unknown models only need positive integers.
 * @example
 * checkSize(1920, 1080) // [{ field: "size", value: "1920x1080", rule: "both sides must be multiples of 16", suggestion: "1920x1088" }]
 */
export function checkSize(width: number, height: number, model?: string | ModelRules): ValidationIssue[] {
  const rules = modelRules(model);
  const value = fmt(width, height);
  const issue = (rule: string): ValidationIssue => ({
    field: "size",
    value,
    rule,
    suggestion: nearestLegalSize(width, height, model),
  });
  if (!isLegalInt(width) || !isLegalInt(height)) return [issue("width and height must be positive integers")];
  if (rules.sizeRule === "any") return [];
  if (rules.sizeRule === "fixed") {
    return rules.sizes.includes(value)
      ? []
      : [issue(ownRule(`${rules.family} supports only ${rules.sizes.join(", ")}`))];
  }
  // Multiples of 16, 3:1 and 3840x2160 at most are the spec's; the pixel floor is from OpenAI's guide only.
  return customRuleBreaks(width, height).map((rule) => issue(rule.includes("at least") ? ownRule(rule) : rule));
}

/**
 * The nearest legal size for a model. For gpt-image-2 "nearest" means: first bring the shape
 * into the rules with as little change as possible — an aspect ratio beyond 3:1 is narrowed to
 * 3:1 keeping the area, the area is scaled into 655,360..8,294,400 keeping the aspect, a long side
 * over 3840 is scaled down to 3840 keeping the aspect — then pick, among legal multiples of 16
 * around that shape, the one with the smallest total relative change of its two sides
 * (|ln w'/w| + |ln h'/h|), ties going to the closer aspect ratio, then the larger area. A legal
 * size is its own nearest; 1920x1080 gives 1920x1088. Fixed-set models answer the member closest
 * in aspect ratio, then area; unknown models round to positive integers. Non-positive,
 * non-finite or unsafe-integer input answers 1024x1024.
 */
export function nearestLegalSize(width: number, height: number, model?: string | ModelRules): string {
  const rules = modelRules(model);
  if (!(Number.isFinite(width) && Number.isFinite(height) && width > 0 && height > 0)) return FALLBACK;
  if (rules.sizeRule === "fixed") return nearestMember(rules.sizes, Math.log(width), Math.log(height));
  if (rules.sizeRule === "any") {
    const [w, h] = [Math.max(1, Math.round(width)), Math.max(1, Math.round(height))];
    return isLegalInt(w) && isLegalInt(h) ? fmt(w, h) : FALLBACK;
  }
  return nearestCustom(width, height);
}

type Parsed =
  | { kind: "auto" }
  | { kind: "alias"; w: number; h: number }
  | { kind: "ratio"; a: number; b: number }
  | { kind: "wxh"; w: number; h: number };

function parseSize(input: string): Parsed | undefined {
  const s = input.trim().toLowerCase();
  if (s === "auto") return { kind: "auto" };
  const alias = SIZE_ALIASES[s.replace(/[\s_]+/g, "-")];
  if (alias) {
    const [w, h] = parseWxH(alias);
    return { kind: "alias", w, h };
  }
  const ratio = /^(\d{1,6}(?:\.\d{1,3})?)\s*:\s*(\d{1,6}(?:\.\d{1,3})?)$/.exec(s);
  if (ratio) return { kind: "ratio", a: Number(ratio[1]), b: Number(ratio[2]) };
  const wxh = /^(\d+)\s*[x*×]\s*(\d+)$/.exec(s);
  if (wxh) return { kind: "wxh", w: Number(wxh[1]), h: Number(wxh[2]) };
  return undefined;
}

const fail = (value: unknown, rule: string, suggestion?: string): never => {
  throw new ValidationError([{ field: "size", value, rule, ...(suggestion ? { suggestion } : {}) }]);
};

const resolved = (size: string, source: ResolvedSize["source"]): ResolvedSize => {
  const [width, height] = parseWxH(size);
  return { size, width, height, source };
};

/**
 * Turns what a user typed into the size to send, under the model's rules (default gpt-image-2).
 * Accepts `auto`, presets, aliases ({@link SIZE_ALIASES}), ratios `W:H` and `WxH` (also `W*H`,
 * `W×H`, any case, spaces around the separator). On fixed-set models (gpt-image-1, dall-e-2/3)
 * aliases and ratios map to the closest member; unknown models take any positive `WxH`, and
 * their ratios resolve as for gpt-image-2. Throws `ValidationError` naming the broken rule and
 * the nearest legal size.
 * @example
 * resolveSize("16:9") // { size: "1536x864", width: 1536, height: 864, source: "ratio" }
 * resolveSize("1920x1080") // throws: size 1920x1080: both sides must be multiples of 16; nearest legal: 1920x1088
 */
export function resolveSize(input: string, model?: string | ModelRules): ResolvedSize {
  const rules = modelRules(model);
  if (typeof input !== "string") return fail(input, ACCEPTED);
  const parsed = parseSize(input);
  if (!parsed) return fail(input, ACCEPTED);
  switch (parsed.kind) {
    case "auto":
      if (rules.autoSize) return { size: "auto", source: "auto" };
      // suggest the family's own default, 1024x1024
      return fail(
        input,
        ownRule(`${rules.family} does not take "auto"; use one of ${rules.sizes.join(", ")}`),
        FALLBACK,
      );
    case "alias":
      if (rules.sizeRule === "fixed") {
        const own = fmt(parsed.w, parsed.h);
        const taken = resolved(nearestLegalSize(parsed.w, parsed.h, model), "alias");
        return taken.size === own ? taken : { ...taken, aliasSize: own };
      }
      return resolved(fmt(parsed.w, parsed.h), "alias");
    case "ratio": {
      const { a, b } = parsed;
      if (!(a > 0 && b > 0)) return fail(input, "both terms of a ratio must be positive");
      if (rules.sizeRule === "fixed") {
        // a ratio carries no area: compare areas against the ratio target
        const half = Math.log(a / b) / 2;
        const mid = Math.log(RATIO_TARGET_PIXELS) / 2;
        return resolved(nearestMember(rules.sizes, mid + half, mid - half), "ratio");
      }
      if (Math.max(a, b) > MAX_RATIO * Math.min(a, b)) {
        return fail(input, "the aspect ratio must be at most 3:1", sizeForRatio(a >= b ? 3 : 1, a >= b ? 1 : 3));
      }
      // Up to three decimals: scale to integers so "exact ratio" is an integer comparison.
      return resolved(sizeForRatio(Math.round(a * 1000), Math.round(b * 1000)), "ratio");
    }
    case "wxh": {
      const { w, h } = parsed;
      const issues = checkSize(w, h, model);
      if (issues.length > 0) throw new ValidationError(issues.map((i) => ({ ...i, value: input })));
      const size = fmt(w, h);
      const presets = rules.sizeRule === "fixed" ? rules.sizes : SIZE_PRESETS;
      return resolved(size, presets.includes(size) ? "preset" : "custom");
    }
  }
}

/**
 * The size `input` resolves to for `model` (`WxH` or `auto`), or undefined when none was given or
 * it does not resolve (validation reports that one). For a caller that resolves once and carries
 * the result on, where `resolveSize` would throw.
 * @example
 * sizeFor("16:9", "gpt-image-2") // "1536x864"
 * sizeFor("16:9", "gpt-image-1") // "1536x1024"
 */
export function sizeFor(input: string | undefined, model: string | ModelRules | undefined): string | undefined {
  return resolvedOrNone(input, model)?.size;
}

/**
 * A size alias `model` cannot make as it says (`4k` on gpt-image-1), with the alias's own size and
 * the closest size it is sent as; undefined for anything else (no alias, an alias made as it
 * says, a size that does not resolve). For the note that says an image will be smaller.
 * @example
 * shrunkAlias("4k", "gpt-image-1") // { aliasSize: "3840x2160", size: "1536x1024" }
 */
export function shrunkAlias(
  input: string | undefined,
  model: string | ModelRules | undefined,
): { aliasSize: string; size: string } | undefined {
  const r = resolvedOrNone(input, model);
  return r?.aliasSize === undefined ? undefined : { aliasSize: r.aliasSize, size: r.size };
}

/** `resolveSize`, or undefined when there is no input or it does not resolve. */
function resolvedOrNone(input: string | undefined, model: string | ModelRules | undefined): ResolvedSize | undefined {
  if (input === undefined) return undefined;
  try {
    return resolveSize(input, model);
  } catch (e) {
    if (e instanceof ValidationError) return undefined;
    throw e;
  }
}
