/** Token usage in the shape of the Images API. */
export interface ImageUsage {
  input_tokens: number;
  input_tokens_details: { text_tokens: number; image_tokens: number };
  output_tokens: number;
  total_tokens: number;
}

// Output tokens of one 1024x1024 image by quality, as published for gpt-image-1
// (https://platform.openai.com/docs/guides/image-generation#cost-and-latency); scaled by pixel count.
const OUTPUT_TOKENS_1024: Record<string, number> = { low: 272, medium: 1056, high: 4160, auto: 1056 };

/** Rough text token count: one per word, one per CJK character. */
export function textTokens(prompt: string): number {
  const cjk = prompt.match(/[\u3000-\u9fff\uac00-\ud7af\uff00-\uffef]/g)?.length ?? 0;
  const words = prompt
    .replace(/[\u3000-\u9fff\uac00-\ud7af\uff00-\uffef]/g, " ")
    .split(/\s+/)
    .filter(Boolean).length;
  return Math.max(1, words + cjk);
}

/** Input tokens for one input image: 65 base + 129 per 512px tile (the vision tiling rule). */
export function imageTokens(width: number, height: number): number {
  return 65 + 129 * Math.ceil(width / 512) * Math.ceil(height / 512);
}

/** Output tokens for one image of this quality and size. */
export function outputTokens(quality: string, width: number, height: number): number {
  const base = OUTPUT_TOKENS_1024[quality] ?? OUTPUT_TOKENS_1024.medium!;
  return Math.max(1, Math.round((base * width * height) / (1024 * 1024)));
}

/** Usage for `n` images. */
export function usageFor(opts: {
  prompt: string;
  quality: string;
  width: number;
  height: number;
  n: number;
  inputImages?: Array<{ width: number; height: number }>;
}): ImageUsage {
  const text = textTokens(opts.prompt);
  const image = (opts.inputImages ?? []).reduce((s, i) => s + imageTokens(i.width, i.height), 0);
  const output = outputTokens(opts.quality, opts.width, opts.height) * opts.n;
  return {
    input_tokens: text + image,
    input_tokens_details: { text_tokens: text, image_tokens: image },
    output_tokens: output,
    total_tokens: text + image + output,
  };
}
