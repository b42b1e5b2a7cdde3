import { type ModelFields, modelRules, wireQuality } from "./models.ts";
import { IMAGE_OPTION_LIST } from "./options.ts";
import type { ResolvedProvider } from "./providers.ts";
import { resolveSize } from "./sizes.ts";
import type { EditOptions, GenerateOptions } from "./types.ts";

/** Options that travel as wire fields beside `model` and `prompt` (edit inputs go as files or references). */
const FIELD_OPTIONS = IMAGE_OPTION_LIST.filter(
  (o) => o.key !== "prompt" && o.key !== "model" && o.type !== "images" && o.type !== "image",
);

const isRuled = (option: string | undefined, fields: ModelFields): option is keyof ModelFields =>
  option !== undefined && Object.hasOwn(fields, option);

/**
 * The size to send: undefined when not given, "auto" when asked for, else the resolved `WxH`
 * (so "16:9" goes out as "1536x864"). Throws `ValidationError` for an illegal size.
 */
export function wireSize(size: string | undefined, model: string): string | undefined {
  if (size === undefined) return undefined;
  return resolveSize(size, model).size;
}

/**
 * Options as wire fields in a stable order, without `model`/`prompt`, without undefined values
 * and without fields the model family does not take (the model table's `fields` flags: e.g.
 * `input_fidelity` for gpt-image-2, `output_format` for dall-e).
 */
export function wireOptions(
  p: ResolvedProvider,
  model: string,
  opts: GenerateOptions & Partial<EditOptions>,
): Record<string, unknown> {
  const { fields } = modelRules(model);
  const out: Record<string, unknown> = {};
  for (const option of FIELD_OPTIONS) {
    let value: unknown = opts[option.key];
    if (value === undefined) continue;
    if (isRuled(option.modelField, fields) && !fields[option.modelField]) continue;
    if (option.key === "size") value = wireSize(value as string, model);
    if (option.key === "quality") value = wireQuality(model, value as string);
    if (value === undefined) continue;
    out[option.key === "outputFormat" ? p.fields.outputFormat : option.wire] = value;
  }
  return out;
}

/** `extraBody` of the provider config, then of the call: later keys win. */
export const mergedExtraBody = (p: ResolvedProvider, opts: GenerateOptions): Record<string, unknown> => ({
  ...p.extraBody,
  ...(opts.extraBody ?? {}),
});
