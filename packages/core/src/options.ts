import { SIZE_ALIASES, SIZE_PRESETS } from "./sizes.ts";
import type { EditOptions, ProfileName } from "./types.ts";

/**
 * Every image option gptimg knows, declared once. The CLI's flags, help, completions and batch
 * keys, the Worker's body parsers, its chat options and `/openapi.json`, core's validation and
 * wire fields, and MCP tool schemas all derive from {@link IMAGE_OPTIONS}. Adding an option is
 * one entry here (plus its field in `GenerateOptions`/`EditOptions` and its tests).
 * Values follow OpenAI's OpenAPI document (openai/openai-openapi `openapi.yaml`:
 * CreateImageRequest, CreateImageEditRequest, EditImageBodyJsonParam).
 */

/** Which request an option belongs to. */
export type ImageOperation = "generate" | "edit";

/**
 * The value's type: `enum` = one of `values`; `size` = what `resolveSize` takes; `images` =
 * one or more input images, `image` = one (edit inputs: files in multipart, `{ image_url | file_id }` in JSON).
 */
export type ImageOptionType = "string" | "integer" | "boolean" | "enum" | "size" | "images" | "image";

/** Model-table lists that hold the values a model family accepts for an option. */
export type ModelValuesKey =
  | "qualities"
  | "backgrounds"
  | "outputFormats"
  | "moderations"
  | "inputFidelities"
  | "responseFormats"
  | "styles";

/** Model-table flags saying whether a family takes a field at all (see `ModelFields`). */
export type ModelFieldKey =
  | "quality"
  | "outputFormat"
  | "outputCompression"
  | "background"
  | "moderation"
  | "partialImages"
  | "stream"
  | "style"
  | "inputFidelity"
  | "responseFormat";

/** How the CLI spells an option. */
export interface CliSpelling {
  /** long flag without dashes, also the batch-file key */
  flag: string;
  short?: string;
  /** further long names accepted for the same flag (e.g. seed spellings such as `output-format`) */
  aliases?: readonly string[];
  /** placeholder in help, e.g. SIZE */
  value?: string;
}

/** One image option. */
export interface ImageOption {
  /** camelCase field of `GenerateOptions` / `EditOptions` */
  key: keyof EditOptions;
  /** field name on OpenAI's wire (JSON body and multipart form) */
  wire: string;
  /** the name in the spec's JSON edit body when it differs (`images` for the multipart `image`) */
  jsonWire?: string;
  /** wire names that differ for a provider profile; a provider config's `fields` may override these */
  profileWire?: Readonly<Partial<Record<ProfileName, string>>>;
  type: ImageOptionType;
  /** every value some model accepts (`enum`), or the values offered for completion (`size`) */
  values?: readonly string[];
  /** spellings taken from people and turned into a value, e.g. `jpg` → `jpeg` */
  valueAliases?: Readonly<Record<string, string>>;
  /** inclusive bounds for `integer` */
  min?: number;
  max?: number;
  /** where the model table lists the values a family accepts */
  modelValues?: ModelValuesKey;
  /** the model-table flag for whether a family takes the field (false: not sent) */
  modelField?: ModelFieldKey;
  /** required in a request */
  required?: boolean;
  /** what a request gets when the option is left out, when gptimg or the spec fixes it */
  default?: string | number | boolean;
  /** one line for help, OpenAPI descriptions and tool schemas */
  help: string;
  operations: readonly ImageOperation[];
  /** false: the spec's multipart edit form has no such field, so it is never sent there */
  multipartEdit?: false;
  /** how the CLI spells it; undefined: not a CLI flag (e.g. the prompt is positional) */
  cli?: CliSpelling;
  /** keys a chat message may use (`size=16:9`), lower case; undefined: not settable from chat */
  chat?: readonly string[];
}

const BOTH = ["generate", "edit"] as const;

/** The size values offered for completion: auto, the presets and every alias. */
const SIZE_VALUES = ["auto", ...SIZE_PRESETS, ...Object.keys(SIZE_ALIASES)];

/**
 * The options in the order they are sent. `satisfies` keeps each entry's literal types, so the
 * CLI can derive its flag names from `cli.flag` at compile time.
 */
export const IMAGE_OPTIONS = [
  {
    key: "prompt",
    wire: "prompt",
    type: "string",
    required: true,
    help: "what to draw, or how to change the input images",
    operations: BOTH,
  },
  {
    key: "model",
    wire: "model",
    type: "string",
    help: "model name (default from the provider, gpt-image-2)",
    operations: BOTH,
    cli: { flag: "model", value: "MODEL" },
  },
  {
    key: "n",
    wire: "n",
    type: "integer",
    min: 1,
    max: 10,
    default: 1,
    help: "number of images, 1-10 (dall-e-3: 1)",
    operations: BOTH,
    cli: { flag: "n", short: "n", value: "N" },
    chat: ["n"],
  },
  {
    key: "size",
    wire: "size",
    type: "size",
    values: SIZE_VALUES,
    help: "auto, a preset (1536x1024), an alias (square, landscape, portrait, 2k, 4k…), a ratio (16:9) or WxH",
    operations: BOTH,
    cli: { flag: "size", short: "s", value: "SIZE" },
    chat: ["size"],
  },
  {
    key: "quality",
    wire: "quality",
    type: "enum",
    values: ["low", "medium", "high", "auto", "standard", "hd"],
    modelValues: "qualities",
    modelField: "quality",
    help: "low, medium, high or auto (dall-e-3 also standard, hd)",
    operations: BOTH,
    cli: { flag: "quality", short: "q", value: "Q" },
    chat: ["quality"],
  },
  {
    key: "outputFormat",
    wire: "output_format",
    profileWire: { wellapi: "format" },
    type: "enum",
    values: ["png", "jpeg", "webp"],
    valueAliases: { jpg: "jpeg" },
    modelValues: "outputFormats",
    modelField: "outputFormat",
    help: "png, jpeg or webp",
    operations: BOTH,
    cli: { flag: "format", short: "f", aliases: ["output-format"], value: "FMT" },
    chat: ["format", "output_format"],
  },
  {
    key: "outputCompression",
    wire: "output_compression",
    type: "integer",
    min: 0,
    max: 100,
    modelField: "outputCompression",
    help: "output compression 0-100 for jpeg/webp",
    operations: BOTH,
    cli: { flag: "compression", aliases: ["output-compression"], value: "0-100" },
    chat: ["compression", "output_compression"],
  },
  {
    key: "background",
    wire: "background",
    type: "enum",
    values: ["auto", "opaque", "transparent"],
    modelValues: "backgrounds",
    modelField: "background",
    help: "auto, opaque or transparent (transparent needs png or webp)",
    operations: BOTH,
    cli: { flag: "background", value: "BG" },
    chat: ["background"],
  },
  {
    key: "moderation",
    wire: "moderation",
    type: "enum",
    values: ["low", "auto"],
    modelValues: "moderations",
    modelField: "moderation",
    help: "content moderation, low or auto (not sent on multipart edits, which have no such field)",
    operations: BOTH,
    multipartEdit: false,
    cli: { flag: "moderation", value: "M" },
    chat: ["moderation"],
  },
  {
    key: "inputFidelity",
    wire: "input_fidelity",
    type: "enum",
    values: ["high", "low"],
    modelValues: "inputFidelities",
    modelField: "inputFidelity",
    help: "how closely an edit keeps the inputs' features, high or low",
    operations: ["edit"],
    cli: { flag: "input-fidelity", value: "F" },
    chat: ["fidelity", "input_fidelity"],
  },
  {
    key: "style",
    wire: "style",
    type: "enum",
    values: ["vivid", "natural"],
    modelValues: "styles",
    modelField: "style",
    help: "vivid or natural (dall-e-3)",
    operations: ["generate"],
    cli: { flag: "style", value: "STYLE" },
    chat: ["style"],
  },
  {
    key: "responseFormat",
    wire: "response_format",
    type: "enum",
    values: ["b64_json", "url"],
    modelValues: "responseFormats",
    modelField: "responseFormat",
    help: "b64_json or url (dall-e models; GPT image models always answer base64)",
    operations: BOTH,
    cli: { flag: "response-format", value: "FMT" },
  },
  {
    key: "stream",
    wire: "stream",
    type: "boolean",
    modelField: "stream",
    help: "stream the response, with partial images as they are drawn",
    operations: BOTH,
    cli: { flag: "stream" },
  },
  {
    key: "partialImages",
    wire: "partial_images",
    type: "integer",
    min: 0,
    max: 3,
    modelField: "partialImages",
    help: "partial images to stream, 0-3 (used with stream)",
    operations: BOTH,
    cli: { flag: "partial-images", value: "0-3" },
  },
  {
    key: "user",
    wire: "user",
    type: "string",
    help: "end-user identifier sent to the provider",
    operations: BOTH,
    cli: { flag: "user", value: "ID" },
  },
  {
    key: "images",
    wire: "image",
    jsonWire: "images",
    type: "images",
    required: true,
    min: 1,
    max: 16,
    help: "input image (repeat for up to 16): a file, or an https or data URL",
    operations: ["edit"],
    cli: { flag: "image", short: "i", aliases: ["input", "edit-image"], value: "IMAGE" },
  },
  {
    key: "mask",
    wire: "mask",
    type: "image",
    help: "PNG mask with alpha, same size as the first image; auto: a fully transparent one (the whole image may change)",
    operations: ["edit"],
    cli: { flag: "mask", value: "MASK.png" },
  },
] as const satisfies readonly ImageOption[];

/** The entries as the general type (for code that walks the table). */
export const IMAGE_OPTION_LIST: readonly ImageOption[] = IMAGE_OPTIONS;

/** CLI flag names the table defines (`size`, `format`, `input-fidelity`…). */
export type ImageFlagName = Extract<(typeof IMAGE_OPTIONS)[number], { cli: CliSpelling }>["cli"]["flag"];

const OPTIONS_FOR: Partial<Record<ImageOperation, readonly ImageOption[]>> = {};

/**
 * The options one operation takes, in wire order (a fresh array each call). The table is walked
 * once per operation: validation asks on every call, and walking it each time is enough calls
 * of one small function for JavaScriptCore to compile it, on a JIT thread, in a short-lived
 * process such as a CLI dry-run.
 */
export const optionsFor = (operation: ImageOperation): readonly ImageOption[] => {
  OPTIONS_FOR[operation] ??= IMAGE_OPTION_LIST.filter((o) => o.operations.includes(operation));
  return OPTIONS_FOR[operation].slice();
};

/** The entry for a camelCase key. */
export const imageOption = (key: string): ImageOption | undefined => IMAGE_OPTION_LIST.find((o) => o.key === key);

/** The entry whose wire name is `wire` (`output_format` → outputFormat). */
export const imageOptionByWire = (wire: string): ImageOption | undefined =>
  IMAGE_OPTION_LIST.find((o) => o.wire === wire);

/** The wire name of an option for a profile (`outputFormat` on wellapi → `format`). */
export const wireNameFor = (option: ImageOption, profile: ProfileName): string =>
  option.profileWire?.[profile] ?? option.wire;
