import type { Background, InputFidelity, Moderation, OutputFormat, Quality, ResponseFormat } from "./types.ts";

/** Model families that differ in what they accept. Anything else is `unknown`. */
export type ModelFamily = "gpt-image-2" | "gpt-image-1" | "gpt-image-1-mini" | "dall-e-3" | "dall-e-2" | "unknown";

/**
 * How a family decides which sizes are legal:
 * `custom` = any `WxH` under the gpt-image-2 rules (multiples of 16, long side <= 3840,
 * ratio <= 3:1, 655,360..8,294,400 pixels); `fixed` = only the members of `sizes`;
 * `any` = any positive integers (unknown models: the provider decides).
 */
export type SizeRule = "custom" | "fixed" | "any";

/** Which optional request fields a family takes. A request builder drops a field whose flag is false. */
export interface ModelFields {
  quality: boolean;
  outputFormat: boolean;
  outputCompression: boolean;
  background: boolean;
  moderation: boolean;
  partialImages: boolean;
  stream: boolean;
  style: boolean;
  inputFidelity: boolean;
  responseFormat: boolean;
}

/** Everything gptimg knows about one model family, in one table. */
export interface ModelRules {
  family: ModelFamily;
  sizeRule: SizeRule;
  /** the fixed set for `fixed`; the presets for `custom`; empty for `any` */
  sizes: readonly string[];
  /** whether `size: "auto"` may be sent */
  autoSize: boolean;
  /** accepted `quality` values; dall-e-3 also takes its own `standard` and `hd` (see {@link wireQuality}) */
  qualities: readonly string[];
  backgrounds: readonly Background[];
  outputFormats: readonly OutputFormat[];
  moderations: readonly Moderation[];
  inputFidelities: readonly InputFidelity[];
  responseFormats: readonly ResponseFormat[];
  /** what OpenAI answers when a request names no `response_format` */
  defaultResponseFormat: ResponseFormat;
  styles: readonly string[];
  /** highest `partial_images` value; 0 when streaming partial images is not offered */
  maxPartialImages: number;
  /** in Unicode code points; undefined = no limit known */
  maxPromptLength: number | undefined;
  maxN: number;
  /** whether /images/edits takes this model */
  edits: boolean;
  maxInputImages: number;
  /** formats an edit input may have, sniffed from bytes */
  editFormats: readonly OutputFormat[];
  /** per-image byte limit for edit inputs, when the family has one beyond the 50 MB total */
  maxInputImageBytes: number | undefined;
  /** dall-e-2 edits take square images only */
  squareInputs: boolean;
  fields: ModelFields;
  /**
   * Why a field the family accepts is not sent (its `fields` flag is false while its values are
   * accepted): reported by `unsentOptions`, so nothing is dropped silently.
   */
  unsent: Readonly<Partial<Record<keyof ModelFields, string>>>;
}

const QUALITIES: readonly Quality[] = ["low", "medium", "high", "auto"];
const FORMATS: readonly OutputFormat[] = ["png", "jpeg", "webp"];
const RESPONSE_FORMATS: readonly ResponseFormat[] = ["b64_json", "url"];

/** The sizes of the gpt-image-2 presets (every one obeys the custom rules). */
export const GPT_IMAGE_2_PRESETS = [
  "1024x1024",
  "1536x1024",
  "1024x1536",
  "2048x2048",
  "2048x1152",
  "3840x2160",
  "2160x3840",
] as const;

const GPT_IMAGE_FIELDS: ModelFields = {
  quality: true,
  outputFormat: true,
  outputCompression: true,
  background: true,
  moderation: true,
  partialImages: true,
  stream: true,
  style: false,
  inputFidelity: true,
  // OpenAI rejects response_format for gpt-image models: they always answer base64.
  responseFormat: false,
};

const DALL_E_FIELDS: ModelFields = {
  quality: true,
  outputFormat: false,
  outputCompression: false,
  background: false,
  moderation: false,
  partialImages: false,
  stream: false,
  style: false,
  inputFidelity: false,
  responseFormat: true,
};

/** Why dall-e requests leave out fields whose only value the family accepts anyway. */
const DALL_E_UNSENT = {
  outputFormat: "dall-e models always answer png and take no output_format",
  background: "dall-e models take no background",
};

const MB = 1024 * 1024;

const GPT_IMAGE_1: ModelRules = {
  family: "gpt-image-1",
  sizeRule: "fixed",
  sizes: ["1024x1024", "1536x1024", "1024x1536"],
  autoSize: true,
  qualities: QUALITIES,
  backgrounds: ["auto", "opaque", "transparent"],
  outputFormats: FORMATS,
  moderations: ["low", "auto"],
  inputFidelities: ["high", "low"],
  // accepted so callers may ask; builders drop it because the model always answers base64
  responseFormats: RESPONSE_FORMATS,
  defaultResponseFormat: "b64_json",
  styles: [],
  maxPartialImages: 3,
  maxPromptLength: 32000,
  maxN: 10,
  edits: true,
  maxInputImages: 16,
  editFormats: FORMATS,
  maxInputImageBytes: undefined,
  squareInputs: false,
  fields: GPT_IMAGE_FIELDS,
  unsent: { responseFormat: "GPT image models always answer base64 (b64_json)" },
};

const TABLE: Record<ModelFamily, ModelRules> = {
  "gpt-image-2": {
    ...GPT_IMAGE_1,
    family: "gpt-image-2",
    sizeRule: "custom",
    sizes: GPT_IMAGE_2_PRESETS,
    // background=transparent on gpt-image-2 is "supported in preview" in OpenAI's spec: sent, and
    // the provider decides (it may answer 400 until the preview reaches the account).
    // gpt-image-2 always works at high fidelity and rejects input_fidelity: accepted, not sent, reported.
    fields: { ...GPT_IMAGE_FIELDS, inputFidelity: false },
    unsent: {
      ...GPT_IMAGE_1.unsent,
      inputFidelity: "gpt-image-2 always edits at high fidelity (OpenAI: omit input_fidelity for gpt-image-2)",
    },
  },
  "gpt-image-1": GPT_IMAGE_1,
  // The spec's InputFidelity: "only supported for gpt-image-1 and gpt-image-1.5 and later models,
  // unsupported for gpt-image-1-mini". Accepted (a default may carry it), not sent, reported.
  "gpt-image-1-mini": {
    ...GPT_IMAGE_1,
    family: "gpt-image-1-mini",
    fields: { ...GPT_IMAGE_FIELDS, inputFidelity: false },
    unsent: {
      ...GPT_IMAGE_1.unsent,
      inputFidelity: "OpenAI's API reference: input_fidelity is unsupported for gpt-image-1-mini",
    },
  },
  "dall-e-3": {
    ...GPT_IMAGE_1,
    family: "dall-e-3",
    // OpenAI's spec (CreateImageRequest, CreateImageEditRequest): response_format defaults to `url`
    defaultResponseFormat: "url",
    sizes: ["1024x1024", "1792x1024", "1024x1792"],
    autoSize: false,
    qualities: [...QUALITIES, "standard", "hd"],
    backgrounds: ["auto"],
    outputFormats: ["png"],
    moderations: [],
    inputFidelities: [],
    styles: ["vivid", "natural"],
    maxPartialImages: 0,
    maxPromptLength: 4000,
    maxN: 1,
    edits: false,
    maxInputImages: 0,
    editFormats: [],
    fields: { ...DALL_E_FIELDS, style: true },
    unsent: DALL_E_UNSENT,
  },
  "dall-e-2": {
    ...GPT_IMAGE_1,
    family: "dall-e-2",
    defaultResponseFormat: "url",
    sizes: ["256x256", "512x512", "1024x1024"],
    autoSize: false,
    // OpenAI's spec: "`standard` is the only option for `dall-e-2`" (DALL·E clients send it)
    qualities: [...QUALITIES, "standard"],
    backgrounds: ["auto"],
    outputFormats: ["png"],
    moderations: [],
    inputFidelities: [],
    maxPartialImages: 0,
    maxPromptLength: 1000,
    maxN: 10,
    edits: true,
    maxInputImages: 1,
    editFormats: ["png"],
    maxInputImageBytes: 4 * MB,
    squareInputs: true,
    // dall-e-2 has a single quality; sending one is pointless
    fields: { ...DALL_E_FIELDS, quality: false },
    unsent: { ...DALL_E_UNSENT, quality: "dall-e-2 has a single quality" },
  },
  unknown: {
    ...GPT_IMAGE_1,
    family: "unknown",
    sizeRule: "any",
    sizes: [],
    styles: ["vivid", "natural"],
    maxPromptLength: undefined,
    // unknown providers get every field the caller sets
    fields: { ...GPT_IMAGE_FIELDS, style: true, responseFormat: true },
    unsent: {},
  },
};

/** The model gptimg assumes when none is given. */
export const DEFAULT_MODEL = "gpt-image-2";

/**
 * Family of a model name. Case-insensitive; a routing prefix such as `openai/` is ignored.
 * `gpt-image-2*` (e.g. `gpt-image-2-all`) is gpt-image-2; `gpt-image-1-mini*` is gpt-image-1-mini
 * (the one GPT image model without `input_fidelity`); other `gpt-image-1*` (1, 1.5, 1-all) and
 * `chatgpt-image*` are gpt-image-1.
 */
export function modelFamily(model: string = DEFAULT_MODEL): ModelFamily {
  const name = model.trim().toLowerCase().split("/").pop() ?? "";
  if (name.startsWith("gpt-image-2")) return "gpt-image-2";
  if (name.startsWith("gpt-image-1-mini")) return "gpt-image-1-mini";
  if (name.startsWith("gpt-image-1") || name.startsWith("chatgpt-image")) return "gpt-image-1";
  if (name.startsWith("dall-e-3")) return "dall-e-3";
  if (name.startsWith("dall-e-2")) return "dall-e-2";
  return "unknown";
}

/**
 * The rules for a model; no model means {@link DEFAULT_MODEL}.
 * @example
 * modelRules("gpt-image-2").backgrounds // ["auto", "opaque", "transparent"]
 * modelRules("dall-e-3").maxN // 1
 */
export function modelRules(model?: string | ModelRules): ModelRules {
  if (typeof model === "object") return model;
  return TABLE[modelFamily(model)];
}

/**
 * The rules a request is checked and built by: the model's, or with `skipModelRules` those of a
 * model gptimg does not know (any `WxH`, no prompt cap, every field sent as set), so the
 * provider decides what gptimg's table would refuse.
 * @example
 * rulesFor("gpt-image-1", { skipModelRules: true }).sizeRule // "any"
 */
export function rulesFor(model: string | undefined, opts?: { skipModelRules?: boolean }): ModelRules {
  return opts?.skipModelRules === true ? TABLE.unknown : modelRules(model);
}

/**
 * Said after every refusal that comes from gptimg's model table rather than the shape of
 * OpenAI's request schema: whose rule it is and how to send the request anyway.
 */
export const MODEL_RULE_OVERRIDE = "gptimg's model table; skipModelRules lets the provider decide";

/** A refusal by the model table, saying whose rule it is and how to override it. */
export const ownRule = (rule: string): string => `${rule} (${MODEL_RULE_OVERRIDE})`;

/**
 * The `quality` value to send, or undefined to send none. dall-e-3 knows only `standard` and
 * `hd`: `high` becomes `hd`, `low`/`medium`/`auto` become `standard` (its cheapest, default tier).
 * @example
 * wireQuality("dall-e-3", "high") // "hd"
 */
export function wireQuality(model: string | ModelRules | undefined, quality: string | undefined): string | undefined {
  if (quality === undefined) return undefined;
  const rules = modelRules(model);
  if (!rules.fields.quality) return undefined;
  if (rules.family === "dall-e-3") return quality === "high" || quality === "hd" ? "hd" : "standard";
  return quality;
}
