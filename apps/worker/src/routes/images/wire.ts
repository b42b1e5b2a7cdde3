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

/** What the request asked for that OpenAI echoes in a response (`background`, `quality`). */
export interface Echo {
  background?: string;
  quality?: string;
}

/**
 * The fields after `data` in an OpenAI images response: background, output_format, quality, size
 * (of the first image, as produced), usage. Undefined fields are left out.
 */
export function responseTail(
  first: Pick<GeneratedImage, "format" | "width" | "height"> | undefined,
  result: DoneResult | undefined,
  echo: Echo,
) {
  const tail: Record<string, unknown> = {};
  if (echo.background) tail.background = echo.background;
  if (first) tail.output_format = first.format;
  if (echo.quality) tail.quality = echo.quality;
  if (first) tail.size = `${first.width}x${first.height}`;
  const usage = wireUsage(result?.usage);
  if (usage) tail.usage = usage;
  return tail;
}
