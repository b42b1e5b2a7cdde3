import {
  GPT_IMAGE_2_PRESETS,
  type ImageOperation,
  type ImageOption,
  imageOption,
  type ModelFamily,
  type ModelValuesKey,
  modelRules,
  optionsFor,
  SIZE_ALIASES,
} from "@gptimg/core";

/** The JSON Schema subset the tools use (and `checkArgs` enforces). */
export interface JsonSchema {
  type?: "object" | "string" | "integer" | "number" | "boolean" | "array";
  description?: string;
  enum?: readonly (string | number)[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  default?: unknown;
  anyOf?: JsonSchema[];
}

/** Where the tools run: `local` = `gptimg mcp` (files on this machine), `remote` = the Worker's `/mcp`. */
export type Surface = "local" | "remote";

const FAMILIES: ModelFamily[] = ["gpt-image-2", "gpt-image-1", "gpt-image-1-mini", "dall-e-3", "dall-e-2"];

/**
 * "gpt-image-2: auto, opaque; dall-e-3: auto…" for an option whose values differ per model; a
 * family that accepts the values but leaves the field out of its requests says "not sent".
 */
function perFamily(key: ModelValuesKey, field: ImageOption["modelField"]): string {
  return FAMILIES.map((f) => {
    const r = modelRules(f);
    const values = r[key].join(", ") || "not supported";
    return `${f}: ${field && r[key].length > 0 && !r.fields[field] ? "not sent" : values}`;
  }).join("; ");
}

const gpt2 = modelRules("gpt-image-2");

/** What the tools add to an option's one-line help: the rules an agent needs before calling. */
const MORE: Partial<Record<string, string>> = {
  size:
    `; gpt-image-2 presets ${GPT_IMAGE_2_PRESETS.join(", ")}; aliases ${Object.entries(SIZE_ALIASES)
      .map(([k, v]) => `${k}=${v}`)
      .join(", ")}; a ratio such as 16:9 becomes 1536x864; custom WxH: both sides multiples of 16, ` +
    "long side <= 3840, long/short <= 3, 655,360 to 8,294,400 pixels. An illegal size is refused with the " +
    "nearest legal one; resolve_size tells in advance",
  stream: "; partial images arrive as progress notifications",
  partial_images: " (asking for partial images turns stream on)",
};

/** Options the tools leave out: results always come back as files or signed URLs. */
const NOT_TOOL_OPTIONS = new Set(["responseFormat", "images", "mask"]);

function optionSchema(o: ImageOption): JsonSchema {
  const more = MORE[o.wire] ?? "";
  const values = o.modelValues ? `; per model: ${perFamily(o.modelValues, o.modelField)}` : "";
  const description = `${o.help}${more}${values}`;
  switch (o.type) {
    case "integer":
      return { type: "integer", minimum: o.min, maximum: o.max, description };
    case "boolean":
      return { type: "boolean", description };
    case "enum":
      return { type: "string", enum: [...(o.values ?? [])], description };
    default:
      return {
        type: "string",
        minLength: o.required || o.key === "model" || o.key === "size" ? 1 : undefined,
        maxLength: o.key === "prompt" ? (gpt2.maxPromptLength ?? 32000) : undefined,
        description,
      };
  }
}

/**
 * The request options an image tool takes, derived from core's option table (`IMAGE_OPTIONS`):
 * OpenAI's wire names, so an agent that knows the API knows these, with every allowed value,
 * bound and per-model rule. `extra_body` carries anything provider-specific.
 */
export function imageOptionSchemas(kind: ImageOperation, surface: Surface): Record<string, JsonSchema> {
  const options: Record<string, JsonSchema> = {};
  for (const o of optionsFor(kind)) {
    if (NOT_TOOL_OPTIONS.has(o.key)) continue;
    options[o.wire] = JSON.parse(JSON.stringify(optionSchema(o))) as JsonSchema;
  }
  options.skip_model_rules = {
    type: "boolean",
    description:
      "true: send what gptimg's model table would refuse (a size, value or limit it says is not the model's) and " +
      "let the provider decide; false: the table applies" +
      (surface === "remote" ? " (default: the Worker's SKIP_MODEL_RULES, else false)" : " (default false)"),
  };
  // a team gateway forwards only the options it knows
  if (surface === "local") {
    options.extra_body = {
      type: "object",
      description: "extra request fields merged last (provider-specific options)",
    };
  }
  return options;
}

/** Inputs of an edit: where the images come from depends on where the tool runs. */
function editInputSchemas(surface: Surface): Record<string, JsonSchema> {
  const from =
    surface === "local"
      ? "a file path (relative to the server's directory), an https URL or a data:image/… URL"
      : "an https URL or a data:image/…;base64 URL (this server cannot read your files)";
  const images = imageOption("images");
  const mask = imageOption("mask");
  const [min, max] = [images?.min ?? 1, images?.max ?? gpt2.maxInputImages];
  return {
    images: {
      type: "array",
      minItems: min,
      maxItems: max,
      items: { type: "string", minLength: 1 },
      description: `${min}-${max} input images (png, jpeg or webp, 50 MB in total), each ${from}`,
    },
    mask: {
      type: "string",
      minLength: 1,
      description: `${mask?.help ?? "PNG mask with alpha"}: ${from}, or "auto" for a fully transparent mask (edit anywhere)`,
    },
  };
}

/** Where results go (local) or how long to wait (remote). */
function deliverySchemas(surface: Surface): Record<string, JsonSchema> {
  if (surface === "local") {
    return {
      out: {
        type: "string",
        description:
          "output file or directory, relative to the server's output directory and inside it; default: that directory, named from the prompt",
      },
      overwrite: { type: "boolean", description: "replace an existing file at out (default false)" },
    };
  }
  return { wait_seconds: waitSeconds };
}

const waitSeconds: JsonSchema = {
  type: "integer",
  minimum: 0,
  maximum: 300,
  description:
    "how long this call waits for the images (default 45); a job still running then is returned by id: call get_job",
};

export const generateInputSchema = (surface: Surface): JsonSchema => ({
  type: "object",
  properties: { ...imageOptionSchemas("generate", surface), ...deliverySchemas(surface) },
  required: ["prompt"],
  additionalProperties: false,
});

export const editInputSchema = (surface: Surface): JsonSchema => ({
  type: "object",
  properties: { ...imageOptionSchemas("edit", surface), ...editInputSchemas(surface), ...deliverySchemas(surface) },
  required: ["prompt", "images"],
  additionalProperties: false,
});

export const resolveSizeInputSchema: JsonSchema = {
  type: "object",
  properties: {
    size: { ...imageOptionSchemas("generate", "remote").size, minLength: 1 } as JsonSchema,
    model: { type: "string", minLength: 1, description: "whose rules apply (default gpt-image-2)" },
  },
  required: ["size"],
  additionalProperties: false,
};

export const getJobInputSchema = (surface: Surface): JsonSchema => ({
  type: "object",
  properties: {
    id: { type: "string", minLength: 1, maxLength: 128, description: "the job id a generate or edit call returned" },
    ...(surface === "local" ? deliverySchemas("local") : {}),
    wait_seconds: waitSeconds,
  },
  required: ["id"],
  additionalProperties: false,
});

const imageItem: JsonSchema = {
  type: "object",
  properties: {
    path: { type: "string", description: "absolute path of the saved file (gptimg mcp)" },
    url: { type: "string", description: "signed, expiring URL (through a Worker)" },
    uri: {
      type: "string",
      description: "the resource_link's URI: file:// or the signed URL (absent for an image saved nowhere)",
    },
    unsaved: {
      type: "boolean",
      description: "the image could be saved nowhere: its only copy is its image content in this result",
    },
    width: { type: "integer" },
    height: { type: "integer" },
    format: { type: "string" },
    mime_type: { type: "string" },
    bytes: { type: "integer" },
  },
  required: ["width", "height", "format", "mime_type", "bytes"],
};

/** `structuredContent` of generate_image, edit_image and get_job. */
export const imageResultSchema: JsonSchema = {
  type: "object",
  properties: {
    status: { type: "string", enum: ["succeeded", "queued", "running"] },
    job_id: { type: "string", description: "the Worker job (get_job finishes one still running)" },
    provider: { type: "string" },
    model: { type: "string" },
    request_id: { type: "string", description: "the provider's request id" },
    images: { type: "array", items: imageItem },
    usage: {
      type: "object",
      properties: {
        input_tokens: { type: "integer" },
        output_tokens: { type: "integer" },
        total_tokens: { type: "integer" },
      },
    },
    cost_usd: { type: "number", description: "estimated from the configured per-model rates" },
    size_mismatch: { type: "boolean", description: "the provider answered another size than asked" },
    notes: {
      type: "array",
      items: { type: "string" },
      description: "what the run said beside its images, e.g. an image saved under another name because out was taken",
    },
    previews: { type: "integer", description: "how many images are also inline as image content" },
  },
  required: ["status", "images", "previews"],
};

/** `structuredContent` of resolve_size. */
export const resolveSizeResultSchema: JsonSchema = {
  type: "object",
  properties: {
    input: { type: "string" },
    model: { type: "string" },
    legal: { type: "boolean" },
    size: { type: "string", description: "what is sent: WxH or auto" },
    width: { type: "integer" },
    height: { type: "integer" },
    source: { type: "string", enum: ["auto", "preset", "alias", "ratio", "custom"] },
    problems: { type: "array", items: { type: "string" } },
    nearest: { type: "string", description: "the nearest legal size when this one is refused" },
  },
  required: ["input", "model", "legal"],
};
