/**
 * What image models cost, in USD: per million tokens for GPT image models, per image for dall-e.
 * One table for every part of gptimg (the CLI's estimates, the Worker's usage), so a model is
 * never costed $0 for want of a rate: a model without one has cost `null` ("cost unknown").
 * Sources: OpenAI's pricing page for each model (image generation).
 */
export interface ModelRate {
  /** USD per million text input tokens */
  textInput: number;
  /** USD per million image input tokens */
  imageInput: number;
  /** USD per million image output tokens */
  imageOutput: number;
  /** USD per image, for models billed by the image (dall-e: its 1024x1024 standard price) */
  perImage?: number;
}

/** Known rates, keyed by lower-case model name. */
export const MODEL_RATES: Readonly<Record<string, ModelRate>> = {
  "gpt-image-2": { textInput: 5, imageInput: 8, imageOutput: 30 },
  "gpt-image-1.5": { textInput: 5, imageInput: 8, imageOutput: 32 },
  "gpt-image-1": { textInput: 5, imageInput: 10, imageOutput: 40 },
  "gpt-image-1-mini": { textInput: 2, imageInput: 2.5, imageOutput: 8 },
  "dall-e-3": { textInput: 0, imageInput: 0, imageOutput: 0, perImage: 0.04 },
  "dall-e-2": { textInput: 0, imageInput: 0, imageOutput: 0, perImage: 0.02 },
};

/** A dated snapshot (`gpt-image-2-2026-04-21`) is priced as its model. */
const SNAPSHOT = /^(.+)-\d{4}-\d{2}-\d{2}$/;

/**
 * The rate of a model in `table` (default {@link MODEL_RATES}), matching names case-insensitively
 * as OpenAI does, ignoring a routing prefix (`openai/`) and a date suffix. Undefined: no rate known.
 * @example
 * rateFor("GPT-IMAGE-2") // { textInput: 5, imageInput: 8, imageOutput: 30 }
 */
export function rateFor(
  model: string,
  table: Readonly<Record<string, ModelRate>> = MODEL_RATES,
): ModelRate | undefined {
  if (Object.hasOwn(table, model)) return table[model];
  const lower: Record<string, ModelRate> = {};
  for (const [k, v] of Object.entries(table)) lower[k.toLowerCase()] ??= v;
  const name = model.trim().toLowerCase().split("/").pop() ?? "";
  if (Object.hasOwn(lower, name)) return lower[name];
  const base = SNAPSHOT.exec(name)?.[1];
  return base !== undefined && Object.hasOwn(lower, base) ? lower[base] : undefined;
}

/** Token counts as core reports them. */
export interface CostUsage {
  inputTokens: number;
  outputTokens: number;
  inputTokensDetails?: { textTokens?: number; imageTokens?: number };
}

/**
 * Estimated USD cost of one request, or `null` when it cannot be known (no rate for the model,
 * no usage for a token-priced model, no image count for an image-priced one): never a silent $0. Input tokens without a text/image
 * split count as text for a generation and as image for an edit. Rounded to 1e-6 USD.
 * @example
 * estimateCost("gpt-image-2", { inputTokens: 50, outputTokens: 1000 }, "generate") // 0.03025
 */
export function estimateCost(
  model: string,
  usage: CostUsage | undefined,
  kind: "generate" | "edit",
  options: { table?: Readonly<Record<string, ModelRate>>; images?: number } = {},
): number | null {
  const rate = rateFor(model, options.table);
  if (!rate) return null;
  if (rate.perImage !== undefined && options.images === undefined) return null;
  let usd = (rate.perImage ?? 0) * (options.images ?? 0);
  if (rate.perImage === undefined || usage) {
    if (!usage) return null;
    const details = usage.inputTokensDetails;
    let text = details?.textTokens ?? 0;
    let image = details?.imageTokens ?? 0;
    const rest = Math.max(0, usage.inputTokens - text - image);
    if (kind === "edit") image += rest;
    else text += rest;
    usd += (text * rate.textInput + image * rate.imageInput + usage.outputTokens * rate.imageOutput) / 1_000_000;
  }
  return Math.round(usd * 1e6) / 1e6;
}
