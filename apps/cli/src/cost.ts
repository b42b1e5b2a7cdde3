import { type CostUsage, estimateCost as coreEstimate, MODEL_RATES } from "@gptimg/core";
import type { Rate } from "./config/schema.ts";

/**
 * USD rates per model: core's table (the one the Worker uses too). The config file's `rates`
 * overrides or extends it (`gptimg config set rates.gpt-image-2.imageOutput 30`).
 */
export const DEFAULT_RATES: Readonly<Record<string, Rate>> = MODEL_RATES;

/** Token counts as core reports them. */
export type UsageLike = CostUsage;

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
 * Estimated USD cost, or null ("cost unknown") when the model has no rate or there is no usage;
 * model names match case-insensitively, as the provider's do. `images` prices per-image models.
 */
export function estimateCost(
  model: string,
  usage: UsageLike | undefined,
  kind: "generate" | "edit",
  table: Record<string, Rate>,
  images?: number,
): number | null {
  return coreEstimate(model, usage, kind, { table, ...(images !== undefined ? { images } : {}) });
}
