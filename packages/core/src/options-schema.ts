import { type ImageOperation, type ImageOption, optionsFor } from "./options.ts";

/** A JSON Schema (2020-12 / OpenAPI 3.1) object, as plain data. */
export type JsonSchema = { [key: string]: unknown };

/**
 * How the request travels: `json` (generations, and the spec's JSON edit form with
 * `images: [{ image_url | file_id }]`) or `multipart` (edits with files).
 */
export type RequestForm = "json" | "multipart";

/** The spec's `ImageRefParam`: exactly one of `image_url` (https or data URL) or `file_id`. */
export const IMAGE_REF_SCHEMA: JsonSchema = {
  type: "object",
  description: "An input image by URL (https or data URL) or by uploaded file id; exactly one of the two.",
  properties: {
    image_url: { type: "string", format: "uri", description: "https URL or base64 data URL" },
    file_id: { type: "string", description: "File API id of an uploaded image" },
  },
  oneOf: [{ required: ["image_url"] }, { required: ["file_id"] }],
  additionalProperties: false,
};

const BINARY: JsonSchema = { type: "string", format: "binary" };

function valueSchema(o: ImageOption, form: RequestForm): JsonSchema {
  switch (o.type) {
    case "string":
      return { type: "string" };
    case "integer":
      return {
        type: "integer",
        ...(o.min !== undefined ? { minimum: o.min } : {}),
        ...(o.max !== undefined ? { maximum: o.max } : {}),
      };
    case "boolean":
      return { type: "boolean" };
    case "enum":
      return { type: "string", enum: [...(o.values ?? [])] };
    case "size":
      return { type: "string", ...(o.values ? { examples: [...o.values] } : {}) };
    case "images": {
      const item = form === "json" ? IMAGE_REF_SCHEMA : BINARY;
      return {
        type: "array",
        items: item,
        ...(o.min !== undefined ? { minItems: o.min } : {}),
        ...(o.max !== undefined ? { maxItems: o.max } : {}),
      };
    }
    case "image":
      return form === "json" ? IMAGE_REF_SCHEMA : BINARY;
  }
}

/** The wire name an option has in a request form. */
export const formWireName = (o: ImageOption, form: RequestForm): string =>
  form === "json" ? (o.jsonWire ?? o.wire) : o.wire;

/** Whether a form carries an option at all (the multipart edit form has no `moderation`). */
export const formCarries = (o: ImageOption, operation: ImageOperation, form: RequestForm): boolean =>
  !(operation === "edit" && form === "multipart" && o.multipartEdit === false);

/**
 * The JSON Schema of one request body, keyed by OpenAI's wire names, derived from
 * `IMAGE_OPTIONS`: descriptions from the help text, enums, bounds and defaults from the entries.
 * No model-specific narrowing (a schema cannot know the model); validation applies those rules.
 * @example
 * imageRequestSchema("edit", "json").properties.images // { type: "array", items: { image_url | file_id } … }
 */
export function imageRequestSchema(
  operation: ImageOperation,
  form: RequestForm = "json",
): JsonSchema & { properties: Record<string, JsonSchema>; required: string[] } {
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  for (const o of optionsFor(operation)) {
    if (!formCarries(o, operation, form)) continue;
    const name = formWireName(o, form);
    properties[name] = {
      ...valueSchema(o, form),
      description: o.help,
      ...(o.default !== undefined ? { default: o.default } : {}),
    };
    if (o.required) required.push(name);
  }
  return { type: "object", required, properties, additionalProperties: false };
}
