import { type EditFileOptions, ValidationError, type ValidationIssue } from "@gptimg/core";
import {
  finishEditJson,
  type ParsedImageRequest,
  type Read,
  readEditJson,
  toWireIssues,
} from "../../lib/image-request.ts";
import type { RequestDefaults } from "../../lib/model-rules.ts";
import { fetchInputs } from "./fetch-inputs.ts";

/**
 * `POST /v1/images/edits` as `application/json`: the spec's JSON edit form
 * (openai/openai-openapi `EditImageBodyJsonParam`): `images: [{ image_url | file_id }]` (1-16),
 * `mask: { image_url | file_id }`, and the other fields as in a generation. The references are
 * checked first with the other fields' JSON types ({@link jsonEditRefs}, nothing fetched), then
 * fetched ({@link jsonEdit}: https URLs on public hosts, data URLs decoded) and validated as the
 * multipart form is, so both forms meet the same rules and store their inputs alike.
 */

/** The references of a JSON edit body, checked for shape, and its other fields as read. */
export interface JsonEditRefs {
  images: string[];
  mask: string | undefined;
  /** every other field, read once with its JSON type (finished by {@link jsonEdit}, not read again) */
  read: Read;
}

const NO_FILES_API =
  "gptimg's Worker holds no Files API, so it cannot resolve a file_id: send the image as image_url " +
  "(an https URL or a data:image/…;base64 URL) or upload it as multipart/form-data";

function refUrl(ref: unknown, field: string, issues: ValidationIssue[]): string | undefined {
  if (typeof ref !== "object" || ref === null || Array.isArray(ref)) {
    issues.push({ field, value: ref, rule: "must be an object with image_url or file_id" });
    return undefined;
  }
  const r = ref as Record<string, unknown>;
  const unknown = Object.keys(r).filter((k) => k !== "image_url" && k !== "file_id");
  if (unknown.length > 0) {
    issues.push({
      field: `${field}.${unknown[0]}`,
      value: r[unknown[0]!],
      rule: "is not a field of an image reference",
    });
    return undefined;
  }
  if ((r.image_url === undefined) === (r.file_id === undefined)) {
    issues.push({
      field,
      value: r.image_url === undefined ? "neither" : "image_url and file_id",
      rule: "must have exactly one of image_url or file_id",
    });
    return undefined;
  }
  if (r.file_id !== undefined) {
    issues.push({ field: `${field}.file_id`, value: r.file_id, rule: NO_FILES_API });
    return undefined;
  }
  if (typeof r.image_url !== "string" || r.image_url === "" || r.image_url === "auto") {
    issues.push({ field: `${field}.image_url`, value: r.image_url, rule: "must be an https URL or a data URL" });
    return undefined;
  }
  return r.image_url;
}

/**
 * Checks the shape of a JSON edit body without fetching anything. Throws `ValidationError`
 * naming every bad reference (`images[1].image_url`, `mask.file_id`…) and every field of the
 * wrong JSON type or unknown, as `/v1/images/generations` does (`prompt 123: must be a string`).
 * @example
 * jsonEditRefs({ prompt: "add a hat", images: [{ image_url: "https://example.com/dog.png" }] })
 */
export function jsonEditRefs(body: unknown): JsonEditRefs {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new ValidationError([{ field: "body", value: typeof body, rule: "must be a JSON object" }]);
  }
  const { images, mask, ...fields } = body as Record<string, unknown>;
  const issues: ValidationIssue[] = [];
  if ("image" in fields || "image[]" in fields) {
    issues.push({
      field: "image",
      value: "(JSON)",
      rule: "the JSON edit form takes images: [{ image_url }]; files go as multipart/form-data",
    });
  }
  const urls: string[] = [];
  if (!Array.isArray(images) || images.length === 0 || images.length > 16) {
    issues.push({
      field: "images",
      value: Array.isArray(images) ? `${images.length} references` : images,
      rule: "is required: an array of 1 to 16 image references ({ image_url })",
    });
  } else {
    for (const [i, ref] of images.entries()) {
      const url = refUrl(ref, `images[${i}]`, issues);
      if (url !== undefined) urls.push(url);
    }
  }
  const maskUrl = mask === undefined || mask === null ? undefined : refUrl(mask, "mask", issues);
  const { image: _image, "image[]": _images, ...options } = fields;
  const read = readEditJson(options);
  issues.push(...toWireIssues(read.issues));
  if (issues.length > 0) throw new ValidationError(issues);
  return { images: urls, mask: maskUrl, read };
}

/**
 * Fetches the references (https on public hosts only; data URLs decoded; 50 MB in total) and
 * validates the edit with its fields as sent (JSON types, `null` for "not set"), as
 * `parseEditForm` validates a multipart edit.
 */
export async function jsonEdit(
  refs: JsonEditRefs,
  defaults: RequestDefaults,
  signal: AbortSignal,
): Promise<ParsedImageRequest<EditFileOptions>> {
  const inputs = await fetchInputs(refs.images, refs.mask, signal, { suffix: ".image_url" });
  return finishEditJson(refs.read, inputs, defaults);
}
