import { GPT_IMAGE_2_PRESETS, type ModelFamily, modelRules, SIZE_ALIASES } from "@gptimg/core";

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

const FAMILIES: ModelFamily[] = ["gpt-image-2", "gpt-image-1", "dall-e-3", "dall-e-2"];

/** Every value any known model family takes for a field, in the table's order. */
function union<K extends "qualities" | "outputFormats" | "backgrounds" | "moderations" | "inputFidelities" | "styles">(
  key: K,
): string[] {
  const out: string[] = [];
  for (const f of FAMILIES) for (const v of modelRules(f)[key]) if (!out.includes(v)) out.push(v);
  return out;
}

/** Values per family, for descriptions ("gpt-image-2: auto, opaque"). */
function perFamily(key: "qualities" | "backgrounds" | "styles" | "outputFormats"): string {
  return FAMILIES.map((f) => [f, modelRules(f)[key].join(", ") || "not supported"] as const)
    .map(([f, v]) => `${f}: ${v}`)
    .join("; ");
}

const gpt2 = modelRules("gpt-image-2");
const aliases = Object.entries(SIZE_ALIASES)
  .map(([k, v]) => `${k}=${v}`)
  .join(", ");

/**
 * The request options every image tool takes, with the values the core model table allows
 * (wire names, as OpenAI's API reference spells them, so an agent that knows the API knows these).
 */
export function imageOptionSchemas(kind: "generate" | "edit"): Record<string, JsonSchema> {
  const options: Record<string, JsonSchema> = {
    prompt: {
      type: "string",
      minLength: 1,
      maxLength: gpt2.maxPromptLength ?? 32000,
      description:
        kind === "edit" ? "what to change or make from the input images" : "what the image should show, in any language",
    },
    model: {
      type: "string",
      minLength: 1,
      description: "model name; default: the provider's (gpt-image-2). Other values follow that model's rules",
    },
    n: { type: "integer", minimum: 1, maximum: gpt2.maxN, description: `number of images, 1-${gpt2.maxN} (default 1)` },
    size: {
      type: "string",
      description:
        `"auto", a preset (${GPT_IMAGE_2_PRESETS.join(", ")}), an alias (${aliases}), a ratio W:H (16:9 becomes ` +
        "1536x864) or WxH. gpt-image-2 custom sizes: both sides multiples of 16, long side <= 3840, long/short <= 3, " +
        "655,360 to 8,294,400 pixels; an illegal size is refused with the nearest legal one. resolve_size tells in advance",
    },
    quality: { type: "string", enum: union("qualities"), description: `per model: ${perFamily("qualities")}` },
    output_format: {
      type: "string",
      enum: union("outputFormats"),
      description: `file format; per model: ${perFamily("outputFormats")}`,
    },
    output_compression: {
      type: "integer",
      minimum: 0,
      maximum: 100,
      description: "0-100, jpeg and webp only",
    },
    background: {
      type: "string",
      enum: union("backgrounds"),
      description: `per model: ${perFamily("backgrounds")}`,
    },
    moderation: { type: "string", enum: union("moderations"), description: "gpt-image models only" },
    style: { type: "string", enum: union("styles"), description: "dall-e-3 only" },
    stream: {
      type: "boolean",
      description: "stream the answer; with partial_images, partial images arrive as progress notifications",
    },
    partial_images: {
      type: "integer",
      minimum: 0,
      maximum: gpt2.maxPartialImages,
      description: `0-${gpt2.maxPartialImages} partial images while streaming (needs stream: true)`,
    },
    user: { type: "string", maxLength: 256, description: "end-user id passed to the provider" },
    extra_body: {
      type: "object",
      description: "extra request fields, merged last (for provider-specific options)",
    },
  };
  if (kind === "edit") {
    options.input_fidelity = {
      type: "string",
      enum: union("inputFidelities"),
      description: "how closely to keep the inputs' features (gpt-image-1; gpt-image-2 always keeps them high)",
    };
  }
  return options;
}

/** Inputs of an edit: where the images come from depends on where the tool runs. */
function editInputSchemas(surface: Surface): Record<string, JsonSchema> {
  const from =
    surface === "local"
      ? "a file path (relative to the server's directory) or an https URL"
      : "an https URL (this server cannot read your files)";
  return {
    images: {
      type: "array",
      minItems: 1,
      maxItems: gpt2.maxInputImages,
      items: { type: "string", minLength: 1 },
      description: `1-${gpt2.maxInputImages} input images (png, jpeg or webp, 50 MB in total), each ${from}`,
    },
    mask: {
      type: "string",
      minLength: 1,
      description: `PNG with alpha, same size as the first image: ${from}, or "auto" for a fully transparent mask (edit anywhere)`,
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
          "output file or directory, relative to the server's output directory; default: that directory, named from the prompt",
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
  properties: { ...imageOptionSchemas("generate"), ...deliverySchemas(surface) },
  required: ["prompt"],
  additionalProperties: false,
});

export const editInputSchema = (surface: Surface): JsonSchema => ({
  type: "object",
  properties: { ...imageOptionSchemas("edit"), ...editInputSchemas(surface), ...deliverySchemas(surface) },
  required: ["prompt", "images"],
  additionalProperties: false,
});

export const resolveSizeInputSchema: JsonSchema = {
  type: "object",
  properties: {
    size: { ...imageOptionSchemas("generate").size, minLength: 1 } as JsonSchema,
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
    uri: { type: "string", description: "the resource_link's URI: file:// or the signed URL" },
    width: { type: "integer" },
    height: { type: "integer" },
    format: { type: "string" },
    mime_type: { type: "string" },
    bytes: { type: "integer" },
  },
  required: ["uri", "width", "height", "format", "mime_type", "bytes"],
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
