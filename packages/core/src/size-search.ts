import { GPT_IMAGE_2_PRESETS } from "./models.ts";

// The arithmetic of legal sizes: the gpt-image-2 rules, the nearest legal size, ratio targets.

// gpt-image-2 custom-size rules: sides multiples of 16, at most 3840, ratio at most 3:1, pixels in range.
const STEP = 16;
const MAX_SIDE = 3840;
export const MAX_RATIO = 3;
const MIN_PIXELS = 655_360;
const MAX_PIXELS = 8_294_400;
/** Ratios resolve to at most the area of the 1536x1024 preset, so they cost about what the standard presets cost. */
export const RATIO_TARGET_PIXELS = 1536 * 1024;
export const FALLBACK = "1024x1024";

export const fmt = (w: number, h: number): string => `${w}x${h}`;
export const parseWxH = (s: string): [number, number] => s.split("x").map(Number) as [number, number];
export const isLegalInt = (n: number): boolean => Number.isSafeInteger(n) && n > 0;

/** Which gpt-image-2 rules a size breaks; empty when it is legal. */
export function customRuleBreaks(w: number, h: number): string[] {
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

/** The member of a fixed set closest in aspect ratio, then in area. */
export function nearestMember(sizes: readonly string[], lw: number, lh: number): string {
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

/** gpt-image-2 nearest legal size; see `nearestLegalSize`. Inputs are finite and positive. */
export function nearestCustom(width: number, height: number): string {
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
export function sizeForRatio(a: number, b: number): string {
  const target = Math.log(a / b);
  let best = FALLBACK;
  let bestKey = [Infinity, Infinity, Infinity];
  for (let w = STEP; w <= MAX_SIDE; w += STEP) {
    const exactH = (w * b) / a;
    for (const h of [Math.floor(exactH / STEP) * STEP, Math.ceil(exactH / STEP) * STEP]) {
      if (h <= 0 || w * h > RATIO_TARGET_PIXELS || !isLegalCustom(w, h)) continue;
      const err = w * b === h * a ? 0 : Math.abs(Math.log(w / h) - target);
      const key = [err, (GPT_IMAGE_2_PRESETS as readonly string[]).includes(fmt(w, h)) ? 0 : 1, -w * h];
      if (lessThan(key, bestKey)) {
        best = fmt(w, h);
        bestKey = key;
      }
    }
  }
  return best;
}
