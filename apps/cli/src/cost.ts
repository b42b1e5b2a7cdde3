import type { Rate } from "./config/schema.ts";

/**
 * USD per million tokens, per model: the one place these numbers live. The config file's
 * `rates` overrides or extends it (`gptimg config set rates.gpt-image-2.imageOutput 30`).
 * gpt-image-2: $5/M text input, $8/M image input, $30/M image output.
 */
export const DEFAULT_RATES: Readonly<Record<string, Rate>> = {
  "gpt-image-2": { textInput: 5, imageInput: 8, imageOutput: 30 },
};

/** Token counts as core reports them. */
export interface UsageLike {
  inputTokens: number;
  outputTokens: number;
  inputTokensDetails?: { textTokens?: number; imageTokens?: number };
}

/** Merges config overrides into the default table. */
export function rateTable(overrides: Record<string, Partial<Rate>> | undefined): Record<string, Rate> {
  const table: Record<string, Rate> = { ...DEFAULT_RATES };
  for (const [model, r] of Object.entries(overrides ?? {})) {
    const base = table[model] ?? { textInput: 0, imageInput: 0, imageOutput: 0 };
    table[model] = { ...base, ...r };
  }
  return table;
}

/**
 * Estimated USD cost, or null when the model has no rate or there is no usage. Input tokens
 * without a text/image split count as text for a generation and as image for an edit (an
 * edit's input is mostly its images).
 */
export function estimateCost(
  model: string,
  usage: UsageLike | undefined,
  kind: "generate" | "edit",
  table: Record<string, Rate>,
): number | null {
  const rate = table[model];
  if (!rate || !usage) return null;
  const details = usage.inputTokensDetails;
  let text = details?.textTokens ?? 0;
  let image = details?.imageTokens ?? 0;
  const rest = Math.max(0, usage.inputTokens - text - image);
  if (kind === "edit") image += rest;
  else text += rest;
  const usd = (text * rate.textInput + image * rate.imageInput + usage.outputTokens * rate.imageOutput) / 1_000_000;
  return Math.round(usd * 1e6) / 1e6;
}
