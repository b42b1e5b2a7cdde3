import { type ModelFields, type ModelRules, rulesFor, wireQuality } from "./models.ts";
import { IMAGE_OPTION_LIST, type ImageOperation } from "./options.ts";
import type { RequestForm } from "./options-schema.ts";
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
export function wireSize(size: string | undefined, model: string | ModelRules): string | undefined {
  if (size === undefined) return undefined;
  return resolveSize(size, model).size;
}

/**
 * Options as wire fields in a stable order, without `model`/`prompt`, without undefined values,
 * without options of the other operation (`style` on an edit), without fields the form lacks
 * (`moderation` in a multipart edit) and without fields the model family does not take (the model table's `fields` flags: e.g.
 * `input_fidelity` for gpt-image-2, `output_format` for dall-e).
 */
export function wireOptions(
  p: ResolvedProvider,
  model: string,
  opts: GenerateOptions & Partial<EditOptions>,
  operation: ImageOperation,
  form: RequestForm = "json",
): Record<string, unknown> {
  const rules = rulesFor(model, opts);
  const { fields } = rules;
  const out: Record<string, unknown> = {};
  for (const option of FIELD_OPTIONS) {
    let value: unknown = opts[option.key];
    if (value === undefined || !option.operations.includes(operation)) continue;
    if (isRuled(option.modelField, fields) && !fields[option.modelField]) continue;
    if (form === "multipart" && option.multipartEdit === false) continue;
    if (option.key === "size") value = wireSize(value as string, rules);
    if (option.key === "quality") value = wireQuality(rules, value as string);
    if (value === undefined) continue;
    out[option.key === "outputFormat" ? p.fields.outputFormat : option.wire] = value;
  }
  return out;
}

/** An option the caller set that a request leaves out, and why. */
export interface UnsentOption {
  /** wire name */
  field: string;
  value: unknown;
  reason: string;
}

/**
 * The options set in `opts` that the request for `model` will not carry, each with the reason
 * (the model table's `unsent`, or the form lacking the field), so a caller can warn instead of
 * dropping them silently. `form` is `multipart` for an edit sent with files.
 * @example
 * unsentOptions("gpt-image-2", { prompt: "x", images, inputFidelity: "high" }, "multipart")
 * // [{ field: "input_fidelity", value: "high", reason: "gpt-image-2 always edits at high fidelity…" }]
 */
export function unsentOptions(
  model: string | undefined,
  opts: GenerateOptions & Partial<EditOptions>,
  form: RequestForm = "json",
): UnsentOption[] {
  const rules = rulesFor(model, opts);
  const out: UnsentOption[] = [];
  for (const option of FIELD_OPTIONS) {
    const value: unknown = opts[option.key];
    if (value === undefined) continue;
    if (isRuled(option.modelField, rules.fields) && !rules.fields[option.modelField]) {
      const reason = rules.unsent[option.modelField] ?? `${rules.family} does not take ${option.wire}`;
      out.push({ field: option.wire, value, reason });
    } else if (form === "multipart" && option.multipartEdit === false) {
      out.push({
        field: option.wire,
        value,
        reason: `the multipart edit form has no ${option.wire} field (OpenAI's JSON edit form, with image URLs, has)`,
      });
    }
  }
  return out;
}

/**
 * `extraBody` of the provider config, then of the call. A provider's extra body is a default:
 * a field the call sets (`sent`: the wire fields built from its options) is not replaced by it,
 * so a provider's `{ "quality": "low" }` never overrides an explicit `quality: "high"`. The
 * call's own `extraBody` is explicit and is merged last.
 */
export function mergedExtraBody(
  p: ResolvedProvider,
  opts: GenerateOptions,
  sent: Record<string, unknown> = {},
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(p.extraBody)) if (!Object.hasOwn(sent, k)) out[k] = v;
  return { ...out, ...(opts.extraBody ?? {}) };
}
