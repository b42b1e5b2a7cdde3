import { HttpError, invalid, missing } from "./errors.ts";
import type { UploadedFile } from "./inputs.ts";
import type { FileStore } from "./reply.ts";

/**
 * The spec's JSON edit form (openai/openai-openapi `EditImageBodyJsonParam`): `images` is an array
 * of `ImageRefParam` (`{ image_url }` or `{ file_id }`, exactly one), `mask` one of them. The
 * references become the uploaded files the multipart path checks, so both forms meet the same
 * rules. Nothing is fetched from the internet: data URLs are decoded, http(s) URLs are fetched
 * only from this machine (127.0.0.1, ::1, localhost), file ids are the files this server stored.
 */

/** The spec's `ImageRefParam.image_url.maxLength`. */
const MAX_URL = 20_971_520;
const MAX_FETCH = 50 * 1024 * 1024;
const LOOPBACK = new Set(["127.0.0.1", "[::1]", "localhost"]);

async function fetchLocal(url: URL, param: string): Promise<Buffer> {
  if (!LOOPBACK.has(url.hostname)) {
    throw invalid(
      param,
      `Invalid '${param}': the offline provider fetches nothing from the internet; use a data URL or a URL on 127.0.0.1.`,
      "image_url_not_allowed",
    );
  }
  let res: Response;
  try {
    res = await fetch(url, { redirect: "error", signal: AbortSignal.timeout(10_000) });
  } catch (e) {
    throw invalid(
      param,
      `Invalid '${param}': could not download ${url.href} (${(e as Error).message}).`,
      "image_download_failed",
    );
  }
  const bytes = Buffer.from(await res.arrayBuffer());
  if (!res.ok)
    throw invalid(
      param,
      `Invalid '${param}': downloading ${url.href} answered ${res.status}.`,
      "image_download_failed",
    );
  if (bytes.length > MAX_FETCH) throw invalid(param, `Invalid '${param}': the image is over 50 MB.`, "image_too_large");
  return bytes;
}

async function refBytes(ref: unknown, param: string, store: FileStore): Promise<Buffer> {
  if (typeof ref !== "object" || ref === null || Array.isArray(ref)) {
    throw invalid(param, `Invalid type for '${param}': expected an object with image_url or file_id.`, "invalid_type");
  }
  const r = ref as Record<string, unknown>;
  const extra = Object.keys(r).filter((k) => k !== "image_url" && k !== "file_id");
  if (extra.length > 0)
    throw invalid(`${param}.${extra[0]}`, `Unknown parameter: '${param}.${extra[0]}'.`, "unknown_parameter");
  if ((r.image_url === undefined) === (r.file_id === undefined)) {
    throw invalid(param, `Invalid '${param}': provide exactly one of image_url or file_id.`, "invalid_value");
  }
  if (r.file_id !== undefined) {
    const file = typeof r.file_id === "string" ? store.get(r.file_id) : undefined;
    if (!file) throw invalid(`${param}.file_id`, `No such file: '${String(r.file_id)}'.`, "file_not_found");
    return file.bytes;
  }
  const url = r.image_url;
  const p = `${param}.image_url`;
  if (typeof url !== "string" || url.length > MAX_URL) {
    throw invalid(p, `Invalid '${p}': expected a URL of at most ${MAX_URL} characters.`, "invalid_value");
  }
  const data = /^data:image\/[a-z0-9.+-]+;base64,/i.exec(url);
  if (data) return Buffer.from(url.slice(data[0].length), "base64");
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalid(p, `Invalid '${p}': not a valid URL.`, "invalid_url");
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    throw invalid(p, `Invalid '${p}': expected an http(s) URL or a base64 data URL.`, "invalid_url");
  }
  return fetchLocal(parsed, p);
}

/**
 * Turns a JSON edit body into the fields and files of a multipart one. Throws the 400s OpenAI's
 * API would give for a malformed `images` or `mask`, and for a DALL·E model ("JSON edits support
 * GPT image models only").
 */
export async function jsonEditInputs(
  fields: Record<string, unknown>,
  store: FileStore,
): Promise<{ fields: Record<string, unknown>; files: UploadedFile[] }> {
  const { images, mask, ...rest } = fields;
  if ("image" in rest) {
    throw invalid(
      "image",
      "Unknown parameter: 'image'. The JSON edit form takes 'images': [{ image_url | file_id }].",
      "unknown_parameter",
    );
  }
  if (images === undefined) throw missing("images");
  if (!Array.isArray(images) || images.length === 0 || images.length > 16) {
    throw invalid("images", "Invalid 'images': expected an array of 1 to 16 image references.", "invalid_value");
  }
  if (typeof rest.model === "string" && rest.model.toLowerCase().startsWith("dall-e")) {
    throw new HttpError(400, "JSON edits support GPT image models only; DALL-E edits require multipart.", {
      param: "model",
      code: "invalid_value",
    });
  }
  const files: UploadedFile[] = [];
  for (const [i, ref] of images.entries()) {
    const bytes = await refBytes(ref, `images[${i}]`, store);
    files.push({ field: "image[]", filename: `images-${i}`, type: "", bytes });
  }
  if (mask !== undefined)
    files.push({ field: "mask", filename: "mask", type: "", bytes: await refBytes(mask, "mask", store) });
  return { fields: rest, files };
}
