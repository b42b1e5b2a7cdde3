import { HttpError, invalid } from "./errors.ts";

/** Size rule of a model: a fixed preset list, or gpt-image-2's custom-size rule. */
export interface ModelInfo {
  id: string;
  family: "gpt-image-2" | "gpt-image-1" | "dall-e-3" | "dall-e-2";
  /** preset sizes, or undefined for gpt-image-2's custom rule */
  sizes?: readonly string[];
  qualities: readonly string[];
  transparent: boolean;
  maxN: number;
  maxPrompt: number;
}

const GPT_IMAGE_QUALITIES = ["low", "medium", "high", "auto"] as const;

/** Models listed by `GET /v1/models`; unknown names follow gpt-image-2's rules. */
export const MODELS: readonly ModelInfo[] = [
  {
    id: "gpt-image-2",
    family: "gpt-image-2",
    qualities: GPT_IMAGE_QUALITIES,
    transparent: false,
    maxN: 10,
    maxPrompt: 32000,
  },
  {
    id: "gpt-image-1",
    family: "gpt-image-1",
    sizes: ["1024x1024", "1536x1024", "1024x1536"],
    qualities: GPT_IMAGE_QUALITIES,
    transparent: true,
    maxN: 10,
    maxPrompt: 32000,
  },
  {
    id: "gpt-image-1-mini",
    family: "gpt-image-1",
    sizes: ["1024x1024", "1536x1024", "1024x1536"],
    qualities: GPT_IMAGE_QUALITIES,
    transparent: true,
    maxN: 10,
    maxPrompt: 32000,
  },
  {
    id: "dall-e-3",
    family: "dall-e-3",
    sizes: ["1024x1024", "1792x1024", "1024x1792"],
    qualities: ["standard", "hd", "auto"],
    transparent: false,
    maxN: 1,
    maxPrompt: 4000,
  },
  {
    id: "dall-e-2",
    family: "dall-e-2",
    sizes: ["256x256", "512x512", "1024x1024"],
    qualities: ["standard", "auto"],
    transparent: false,
    maxN: 10,
    maxPrompt: 1000,
  },
  // The backup provider's fixed model (seeds: minimax /content/models/canvas-20/...).
  {
    id: "canvas-20",
    family: "gpt-image-2",
    qualities: GPT_IMAGE_QUALITIES,
    transparent: false,
    maxN: 10,
    maxPrompt: 32000,
  },
];

/** Rules for a model name (gpt-image-2 rules under the asked name when unknown). */
export function modelInfo(id: string): ModelInfo {
  return MODELS.find((m) => m.id === id) ?? { ...MODELS[0]!, id };
}

// gpt-image-2 custom-size limits (seeds: WellAPI "Strict size rules").
const MAX_SIDE = 3840;
const MIN_PIXELS = 655_360;
const MAX_PIXELS = 8_294_400;
const MAX_RATIO = 3;

/** Parses and checks `size` for a model; `auto` or absent gives `fallback`. Throws a 400 naming the rule. */
export function resolveSize(model: ModelInfo, size: unknown, fallback: [number, number]): [number, number] {
  if (size === undefined || size === null || size === "auto") return fallback;
  if (typeof size !== "string")
    throw invalid("size", `Invalid type for 'size': expected a string, but got ${typeof size}.`, "invalid_type");
  const m = /^(\d{1,5})x(\d{1,5})$/.exec(size);
  if (model.sizes) {
    if (!m || !model.sizes.includes(size)) {
      throw invalid(
        "size",
        `Invalid value: '${size}'. Supported values for ${model.id} are: ${["auto", ...model.sizes].map((s) => `'${s}'`).join(", ")}.`,
      );
    }
    return [Number(m[1]), Number(m[2])];
  }
  if (!m) throw invalid("size", `Invalid size '${size}': expected 'auto' or WIDTHxHEIGHT, e.g. '1024x1024'.`);
  const w = Number(m[1]);
  const h = Number(m[2]);
  const rule = (why: string) =>
    new HttpError(400, `Invalid size '${size}': ${why}.`, { param: "size", code: "invalid_size" });
  if (w % 16 !== 0 || h % 16 !== 0) throw rule("width and height must both be multiples of 16");
  if (Math.max(w, h) > MAX_SIDE) throw rule(`the longest side must be at most ${MAX_SIDE}px`);
  if (Math.max(w, h) / Math.min(w, h) > MAX_RATIO)
    throw rule(`the ratio of long side to short side must be at most ${MAX_RATIO}:1`);
  if (w * h < MIN_PIXELS || w * h > MAX_PIXELS)
    throw rule(`the total pixel count must be between ${MIN_PIXELS} and ${MAX_PIXELS} (got ${w * h})`);
  return [w, h];
}
