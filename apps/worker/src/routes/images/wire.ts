import type { GeneratedImage, ImageStreamEvent, ImageUsage } from "@gptimg/core";

type DoneResult = Extract<ImageStreamEvent, { type: "done" }>["result"];

/** OpenAI's `usage` object of an images response. */
export function wireUsage(u: ImageUsage | undefined): Record<string, unknown> | undefined {
  if (!u) return undefined;
  const out: Record<string, unknown> = {
    input_tokens: u.inputTokens,
    input_tokens_details: {
      text_tokens: u.inputTokensDetails?.textTokens ?? 0,
      image_tokens: u.inputTokensDetails?.imageTokens ?? 0,
    },
    output_tokens: u.outputTokens,
    total_tokens: u.totalTokens,
  };
  if (u.outputTokensDetails) {
    out.output_tokens_details = {
      text_tokens: u.outputTokensDetails.textTokens ?? 0,
      image_tokens: u.outputTokensDetails.imageTokens ?? 0,
    };
  }
  return out;
}

/**
 * A wire `usage` shared among `k` images: every count split evenly, the remainder on the last,
 * so the shares add up to the whole. `k` undefined shares when there is no usage.
 */
export function shareUsage(u: Record<string, unknown> | undefined, k: number): (Record<string, unknown> | undefined)[] {
  const share = (v: unknown, i: number): unknown => {
    if (typeof v === "number") {
      const part = Math.floor(v / k);
      return i === k - 1 ? v - part * (k - 1) : part;
    }
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([key, x]) => [key, share(x, i)]));
    return v;
  };
  return Array.from({ length: k }, (_, i) => (u ? (share(u, i) as Record<string, unknown>) : undefined));
}

/** What the request asked for that OpenAI echoes in a response (`background`, `quality`). */
export interface Echo {
  background?: string;
  quality?: string;
}

const QUALITIES = new Set(["low", "medium", "high"]);
const BACKGROUNDS = new Set(["transparent", "opaque"]);

/**
 * The quality and background an image was made with, as OpenAI's responses state them: what the
 * provider reported, else what the request named (other than `auto`); a JPEG has no transparency,
 * so its background is opaque. Undefined where nothing says: never `auto`, which OpenAI's
 * responses do not use.
 */
export function resolvedSettings(
  reported: { quality?: string; background?: string } | undefined,
  echo: Echo,
  format: string | undefined,
): { quality?: string; background?: string } {
  const pick = (allowed: Set<string>, ...values: (string | undefined)[]) => values.find((v) => v && allowed.has(v));
  const quality = pick(QUALITIES, reported?.quality, echo.quality);
  const background = pick(BACKGROUNDS, reported?.background, echo.background, format === "jpeg" ? "opaque" : undefined);
  return { ...(quality ? { quality } : {}), ...(background ? { background } : {}) };
}

/**
 * The fields after `data` in an OpenAI images response: background, output_format, quality (as
 * resolved, see `resolvedSettings`), size (of the first image, as produced), usage. Undefined
 * fields are left out.
 */
export function responseTail(
  first: Pick<GeneratedImage, "format" | "width" | "height"> | undefined,
  result: DoneResult | undefined,
  echo: Echo,
) {
  const tail: Record<string, unknown> = {};
  const settings = resolvedSettings(result, echo, first?.format);
  if (settings.background) tail.background = settings.background;
  if (first) tail.output_format = first.format;
  if (settings.quality) tail.quality = settings.quality;
  if (first) tail.size = `${first.width}x${first.height}`;
  const usage = wireUsage(result?.usage);
  if (usage) tail.usage = usage;
  return tail;
}
