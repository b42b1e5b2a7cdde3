import { ValidationError } from "./errors/index.ts";
import { GPT_IMAGE_2_PRESETS, modelRules } from "./models.ts";
import type { ValidationIssue } from "./types.ts";

/** A size as it will be sent, with where it came from. */
export interface ResolvedSize {
  /** `"1536x1024"` or `"auto"` */
  size: string;
  width?: number;
  height?: number;
  source: "auto" | "preset" | "alias" | "ratio" | "custom";
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

// gpt-image-2 custom-size rules (seeds/001 "Strict size rules").
const STEP = 16;
const MAX_SIDE = 3840;
const MAX_RATIO = 3;
const MIN_PIXELS = 655_360;
const MAX_PIXELS = 8_294_400;
/** Ratios resolve to at most the area of the 1536x1024 preset, so they cost about what the standard presets cost. */
const RATIO_TARGET_PIXELS = 1536 * 1024;
const FALLBACK = "1024x1024";

const ACCEPTED =
  'must be "auto", a preset (1024x1024, 1536x1024, 1024x1536, 2048x2048, 2048x1152, 3840x2160, 2160x3840), ' +
  "an alias (square, landscape, portrait, 2k, 2k-landscape, 2k-portrait, 4k, 4k-portrait), " +
  "a ratio W:H (e.g. 16:9) or WxH (e.g. 1920x1088)";

const fmt = (w: number, h: number): string => `${w}x${h}`;
const parseWxH = (s: string): [number, number] => s.split("x").map(Number) as [number, number];
const isLegalInt = (n: number): boolean => Number.isSafeInteger(n) && n > 0;

/** Which gpt-image-2 rules a size breaks; empty when it is legal. */
function customRuleBreaks(w: number, h: number): string[] {
  const out: string[] = [];
  if (w % STEP !== 0 || h % STEP !== 0) out.push("both sides must be multiples of 16");
  if (Math.max(w, h) > MAX_SIDE) out.push("the long side must be at most 3840");
  if (Math.max(w, h) > MAX_RATIO * Math.min(w, h)) out.push("the aspect ratio must be at most 3:1");
  if (w * h < MIN_PIXELS) out.push("must have at least 655,360 pixels (w*h)");
  if (w * h > MAX_PIXELS) out.push("must have at most 8,294,400 pixels (w*h)");
  return out;
}

const isLegalCustom = (w: number, h: number): boolean =>
  isLegalInt(w) && isLegalInt(h) && customRuleBreaks(w, h).length === 0;

/**
 * Problems with a width and height for a model (empty = legal). One issue per broken rule, each
 * with the nearest legal size as `suggestion`. Unknown models only need positive integers.
 * @example
 * checkSize(1920, 1080) // [{ field: "size", value: "1920x1080", rule: "both sides must be multiples of 16", suggestion: "1920x1088" }]
 */
export function checkSize(width: number, height: number, model?: string): ValidationIssue[] {
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
    return rules.sizes.includes(value) ? [] : [issue(`${rules.family} supports only ${rules.sizes.join(", ")}`)];
  }
  return customRuleBreaks(width, height).map(issue);
}

/** The member of a fixed set closest in aspect ratio, then in area. */
function nearestMember(sizes: readonly string[], lw: number, lh: number): string {
  let best = sizes[0] ?? FALLBACK;
  let bestKey = [Infinity, Infinity];
  for (const s of sizes) {
    const [w, h] = parseWxH(s);
    const key = [Math.abs(Math.log(w / h) - (lw - lh)), Math.abs(Math.log(w * h) - (lw + lh))];
    if (key[0]! < bestKey[0]! - 1e-12 || (Math.abs(key[0]! - bestKey[0]!) <= 1e-12 && key[1]! < bestKey[1]!)) {
      best = s;
      bestKey = key;
    }
  }
  return best;
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
export function nearestLegalSize(width: number, height: number, model?: string): string {
  const rules = modelRules(model);
  if (!(Number.isFinite(width) && Number.isFinite(height) && width > 0 && height > 0)) return FALLBACK;
  if (rules.sizeRule === "fixed") return nearestMember(rules.sizes, Math.log(width), Math.log(height));
  if (rules.sizeRule === "any") {
    const [w, h] = [Math.max(1, Math.round(width)), Math.max(1, Math.round(height))];
    return isLegalInt(w) && isLegalInt(h) ? fmt(w, h) : FALLBACK;
  }
  // Work in logs so huge inputs cannot overflow.
  let lw = Math.log(width);
  let lh = Math.log(height);
  const lr = Math.log(MAX_RATIO);
  if (Math.abs(lw - lh) > lr) {
    const mid = (lw + lh) / 2;
    const sign = lw > lh ? 1 : -1;
    lw = mid + (sign * lr) / 2;
    lh = mid - (sign * lr) / 2;
  }
  const area = lw + lh;
  const clamped = Math.min(Math.max(area, Math.log(MIN_PIXELS)), Math.log(MAX_PIXELS));
  lw += (clamped - area) / 2;
  lh += (clamped - area) / 2;
  const over = Math.max(lw, lh) - Math.log(MAX_SIDE);
  if (over > 0) {
    lw -= over;
    lh -= over;
  }
  const aspect = Math.log(width) - Math.log(height);
  for (const reach of [3, 12, 240]) {
    const found = searchGrid(lw, lh, aspect, reach);
    if (found) return found;
  }
  return FALLBACK;
}

/** Best legal multiple-of-16 size within `reach` steps of the target (logs). */
function searchGrid(lw: number, lh: number, aspect: number, reach: number): string | undefined {
  const cw = Math.round(Math.exp(lw) / STEP);
  const ch = Math.round(Math.exp(lh) / STEP);
  let best: string | undefined;
  let bestKey: [number, number, number] = [Infinity, Infinity, Infinity];
  for (let i = Math.max(1, cw - reach); i <= cw + reach; i++) {
    for (let j = Math.max(1, ch - reach); j <= ch + reach; j++) {
      const w = i * STEP;
      const h = j * STEP;
      if (!isLegalCustom(w, h)) continue;
      const key: [number, number, number] = [
        Math.abs(Math.log(w) - lw) + Math.abs(Math.log(h) - lh),
        Math.abs(Math.log(w / h) - aspect),
        -w * h,
      ];
      if (lessThan(key, bestKey)) {
        best = fmt(w, h);
        bestKey = key;
      }
    }
  }
  return best;
}

const EPS = 1e-12;
function lessThan(a: readonly number[], b: readonly number[]): boolean {
  for (let k = 0; k < a.length; k++) {
    if (a[k]! < b[k]! - EPS) return true;
    if (a[k]! > b[k]! + EPS) return false;
  }
  return false;
}

/**
 * The legal gpt-image-2 size for a ratio a:b: among legal sizes no larger in area than 1536x1024,
 * the one closest in aspect (exact when multiples of 16 allow it), preferring a preset, then the
 * largest. 16:9 → 1536x864, 3:2 → 1536x1024, 1:1 → 1024x1024, 4:3 → 1408x1056, 21:9 → 1904x816.
 */
function sizeForRatio(a: number, b: number): string {
  const target = Math.log(a / b);
  let best = FALLBACK;
  let bestKey = [Infinity, Infinity, Infinity];
  for (let w = STEP; w <= MAX_SIDE; w += STEP) {
    const exactH = (w * b) / a;
    for (const h of [Math.floor(exactH / STEP) * STEP, Math.ceil(exactH / STEP) * STEP]) {
      if (h <= 0 || w * h > RATIO_TARGET_PIXELS || !isLegalCustom(w, h)) continue;
      const err = w * b === h * a ? 0 : Math.abs(Math.log(w / h) - target);
      const key = [err, SIZE_PRESETS.includes(fmt(w, h)) ? 0 : 1, -w * h];
      if (lessThan(key, bestKey)) {
        best = fmt(w, h);
        bestKey = key;
      }
    }
  }
  return best;
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
export function resolveSize(input: string, model?: string): ResolvedSize {
  const rules = modelRules(model);
  if (typeof input !== "string") return fail(input, ACCEPTED);
  const parsed = parseSize(input);
  if (!parsed) return fail(input, ACCEPTED);
  switch (parsed.kind) {
    case "auto":
      if (rules.autoSize) return { size: "auto", source: "auto" };
      // suggest the family's own default, 1024x1024
      return fail(input, `${rules.family} does not take "auto"; use one of ${rules.sizes.join(", ")}`, FALLBACK);
    case "alias":
      if (rules.sizeRule === "fixed") return resolved(nearestLegalSize(parsed.w, parsed.h, model), "alias");
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
