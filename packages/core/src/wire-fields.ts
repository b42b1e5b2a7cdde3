import { type ModelFields, modelRules, wireQuality } from "./models.ts";
import type { ResolvedProvider } from "./providers.ts";
import { resolveSize } from "./sizes.ts";
import type { EditOptions, GenerateOptions } from "./types.ts";

/** camelCase option -> wire name, in the order fields are sent; `outputFormat` is renamed per profile. */
const WIRE_NAMES = {
  n: "n",
  size: "size",
  quality: "quality",
  outputFormat: "output_format",
  outputCompression: "output_compression",
  background: "background",
  moderation: "moderation",
  inputFidelity: "input_fidelity",
  style: "style",
  responseFormat: "response_format",
  stream: "stream",
  partialImages: "partial_images",
  user: "user",
} as const satisfies Partial<Record<keyof EditOptions, string>>;

type WireOption = keyof typeof WIRE_NAMES;

const isRuled = (option: string, fields: ModelFields): option is keyof ModelFields => Object.hasOwn(fields, option);

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
  for (const [option, wire] of Object.entries(WIRE_NAMES) as [WireOption, string][]) {
    let value: unknown = opts[option];
    if (value === undefined) continue;
    if (isRuled(option, fields) && !fields[option]) continue;
    if (option === "size") value = wireSize(value as string, model);
    if (option === "quality") value = wireQuality(model, value as string);
    if (value === undefined) continue;
    out[option === "outputFormat" ? p.fields.outputFormat : wire] = value;
  }
  return out;
}

/** `extraBody` of the provider config, then of the call: later keys win. */
export const mergedExtraBody = (p: ResolvedProvider, opts: GenerateOptions): Record<string, unknown> => ({
  ...p.extraBody,
  ...(opts.extraBody ?? {}),
});
