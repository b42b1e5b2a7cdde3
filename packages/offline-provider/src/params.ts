import { HttpError, invalid, missing } from "./errors.ts";
import { type ModelInfo, modelInfo, resolveSize } from "./models.ts";
import type { OutputFormat } from "./types.ts";

/** A checked generation or edit request. */
export interface ImageParams {
  model: ModelInfo;
  prompt: string;
  n: number;
  width: number;
  height: number;
  quality: string;
  format: OutputFormat;
  background: "auto" | "opaque" | "transparent";
  compression: number | undefined;
  responseFormat: "b64_json" | "url";
  stream: boolean;
  partialImages: number;
}

/** The word that makes the fake safety system refuse a prompt. */
export const FORBIDDEN_WORD = "forbidden-content";

function oneOf<T extends string>(fields: Record<string, unknown>, name: string, allowed: readonly T[], dflt: T): T {
  const v = fields[name];
  if (v === undefined || v === null || v === "") return dflt;
  if (typeof v !== "string" || !allowed.includes(v as T)) {
    throw invalid(
      name,
      `Invalid value: '${String(v)}'. Supported values for '${name}' are: ${allowed.map((a) => `'${a}'`).join(", ")}.`,
    );
  }
  return v as T;
}

/** An integer field that may arrive as a JSON number or a multipart string. */
function intField(fields: Record<string, unknown>, name: string, min: number, max: number): number | undefined {
  const v = fields[name];
  if (v === undefined || v === null || v === "") return undefined;
  const n = typeof v === "string" && /^-?\d+$/.test(v.trim()) ? Number(v) : v;
  if (typeof n !== "number" || !Number.isInteger(n)) {
    throw invalid(
      name,
      `Invalid type for '${name}': expected an integer, but got ${JSON.stringify(v)}.`,
      "invalid_type",
    );
  }
  if (n < min)
    throw invalid(
      name,
      `Invalid '${name}': integer below minimum value. Expected a value >= ${min}, but got ${n} instead.`,
      "integer_below_min_value",
    );
  if (n > max)
    throw invalid(
      name,
      `Invalid '${name}': integer above maximum value. Expected a value <= ${max}, but got ${n} instead.`,
      "integer_above_max_value",
    );
  return n;
}

function boolField(fields: Record<string, unknown>, name: string): boolean {
  const v = fields[name];
  if (v === undefined || v === null || v === "" || v === false || v === "false") return false;
  if (v === true || v === "true") return true;
  throw invalid(name, `Invalid type for '${name}': expected a boolean, but got ${JSON.stringify(v)}.`, "invalid_type");
}

/** Checks the prompt, including the fake safety system. */
export function checkPrompt(prompt: unknown, maxLength: number): string {
  if (prompt === undefined || prompt === null || prompt === "") throw missing("prompt");
  if (typeof prompt !== "string")
    throw invalid("prompt", `Invalid type for 'prompt': expected a string, but got ${typeof prompt}.`, "invalid_type");
  if (prompt.length > maxLength) {
    throw invalid(
      "prompt",
      `Invalid 'prompt': string too long. Expected a string with maximum length ${maxLength}, but got a string with length ${prompt.length} instead.`,
      "string_above_max_length",
    );
  }
  if (prompt.toLowerCase().includes(FORBIDDEN_WORD)) {
    throw new HttpError(
      400,
      "Your request was rejected as a result of our safety system. Your prompt may contain text that is not allowed by our safety system.",
      { type: "image_generation_user_error", code: "moderation_blocked" },
    );
  }
  return prompt;
}

/**
 * Validates the fields shared by generations and edits, as OpenAI does: the first problem
 * found is answered with a 400 naming the parameter. `format` is accepted as an alias of
 * `output_format` (WellAPI).
 */
export function parseImageParams(
  fields: Record<string, unknown>,
  opts: { defaultModel: string; fallbackSize: [number, number] },
): ImageParams {
  const modelName = fields.model ?? opts.defaultModel;
  if (typeof modelName !== "string" || !modelName)
    throw invalid("model", `Invalid value for 'model': ${JSON.stringify(modelName)}.`);
  const model = modelInfo(modelName);
  const prompt = checkPrompt(fields.prompt, model.maxPrompt);
  const n = intField(fields, "n", 1, 10) ?? 1;
  if (n > model.maxN)
    throw invalid(
      "n",
      `Invalid 'n': ${model.id} supports at most n=${model.maxN}, but got ${n}.`,
      "integer_above_max_value",
    );
  const [width, height] = resolveSize(model, fields.size, opts.fallbackSize);
  const quality = oneOf(fields, "quality", model.qualities, "auto");
  if (fields.output_format === undefined && fields.format !== undefined)
    fields = { ...fields, output_format: fields.format };
  const format = oneOf(fields, "output_format", ["png", "jpeg", "webp"] as const, "png");
  const background = oneOf(fields, "background", ["auto", "opaque", "transparent"] as const, "auto");
  if (background === "transparent" && !model.transparent) {
    throw invalid(
      "background",
      `Transparent background is not supported for ${model.id}. Supported values are 'auto' and 'opaque'.`,
      "unsupported_value",
    );
  }
  if (background === "transparent" && format === "jpeg") {
    throw invalid(
      "background",
      "Transparent background requires output_format 'png' or 'webp', but got 'jpeg'.",
      "unsupported_value",
    );
  }
  const compression = intField(fields, "output_compression", 0, 100);
  if (compression !== undefined && format === "png") {
    throw invalid(
      "output_compression",
      `Invalid 'output_compression' ${compression}: compression is only supported for 'jpeg' and 'webp' output formats, not 'png'.`,
      "unsupported_value",
    );
  }
  const responseFormat = oneOf(fields, "response_format", ["b64_json", "url"] as const, "b64_json");
  oneOf(fields, "moderation", ["low", "auto"] as const, "auto");
  oneOf(fields, "input_fidelity", ["low", "high"] as const, "low");
  oneOf(fields, "style", ["vivid", "natural"] as const, "vivid");
  const stream = boolField(fields, "stream");
  const partialImages = intField(fields, "partial_images", 0, 3) ?? 0;
  return {
    model,
    prompt,
    n,
    width,
    height,
    quality,
    format,
    background,
    compression,
    responseFormat,
    stream,
    partialImages,
  };
}
