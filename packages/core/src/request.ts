import { type EditInput, editInputs, isRemote } from "./image-refs.ts";
import { extensionFor, mimeTypeFor, sniffFormat } from "./inspect.ts";
import { rulesFor } from "./models.ts";
import type { RequestForm } from "./options-schema.ts";
import { endpointUrl, modelFor, type ResolvedProvider, resolveProvider } from "./providers.ts";
import { buildChatRequest, dataUrl } from "./request-chat.ts";
import { requestHeaders } from "./request-headers.ts";
import type { EditOptions, GenerateOptions, ImageInput, ProviderConfig, ValidationIssue } from "./types.ts";
import { assertValid, validateEditOptions, validateGenerateOptions } from "./validate.ts";
import { mergedExtraBody, wireOptions } from "./wire-fields.ts";

export {
  type DescribedFile,
  type DescribedRequest,
  describeRequest,
  type NotFetchedFile,
  type NotFetchedInputs,
  notFetchedText,
} from "./describe-request.ts";

const acceptFor = (opts: GenerateOptions): string =>
  opts.stream ? "text/event-stream, application/json" : "application/json";

/**
 * Builds, validates and returns the generations request; sends nothing. JSON body with
 * snake_case wire fields, the profile's field names, and `extraBody` merged last (a provider's
 * extra body only where no option set the field).
 * Throws `ValidationError` with every problem of `opts`.
 * @example
 * const req = buildGenerateRequest({ name: "p", profile: "openai", apiKey }, { prompt: "a fox", size: "16:9" })
 */
export function buildGenerateRequest(provider: ProviderConfig | ResolvedProvider, opts: GenerateOptions): Request {
  const p = resolveProvider(provider);
  const model = modelFor(p, opts.model);
  assertValid(validateGenerateOptions(opts, model));
  if (p.protocol === "chat") return buildChatRequest(p, model, opts, []);
  const fields = { model, prompt: opts.prompt, ...wireOptions(p, model, opts, "generate") };
  const body = { ...fields, ...mergedExtraBody(p, opts, fields) };
  return new Request(endpointUrl(p, "generations"), {
    method: "POST",
    headers: requestHeaders(p, acceptFor(opts), "application/json"),
    body: JSON.stringify(body),
  });
}

/** Bytes of an input as a Blob, typed by its real format. */
export async function inputBlob(input: ImageInput): Promise<{ blob: Blob; ext: string }> {
  const head =
    input.data instanceof Blob
      ? new Uint8Array(await input.data.slice(0, 64).arrayBuffer())
      : input.data.subarray(0, 64);
  const format = sniffFormat(head);
  const type = format ? mimeTypeFor(format) : "application/octet-stream";
  const blob = new Blob([input.data as Uint8Array<ArrayBuffer> | Blob], { type });
  return { blob, ext: format ? extensionFor(format) : "bin" };
}

/**
 * The multipart file name: the basename of `name` only (a local directory never leaves the
 * machine), else `<fallback>.<ext>` from the sniffed format.
 */
export function partFilename(name: string | undefined, fallback: string, ext: string): string {
  const base = (name ?? "").split(/[\\/]/).pop() ?? "";
  // Quotes, control characters and semicolons break Content-Disposition on some servers.
  const clean = [...base]
    .filter((c) => c.charCodeAt(0) >= 0x20 && c.charCodeAt(0) !== 0x7f && !`"';`.includes(c))
    .join("")
    .trim();
  return clean && clean !== "." && clean !== ".." ? clean : `${fallback}.${ext}`;
}

/** A form value as multipart text: objects JSON-encoded, everything else as its string. */
const formString = (v: unknown): string => (typeof v === "object" && v !== null ? JSON.stringify(v) : String(v));

/**
 * Which form an edit travels in for a provider: `json` (the spec's JSON edit form, or a chat
 * message) when an input or the mask is an https URL or a file id, else `multipart` (data URLs
 * are decoded and sent as files). What `unsentOptions` and a dry-run need to know.
 * @example
 * editRequestForm(openai, { prompt, images: [{ imageUrl: "https://example.com/a.png" }] }) // "json"
 */
export function editRequestForm(provider: ProviderConfig | ResolvedProvider, opts: EditOptions): RequestForm {
  const p = resolveProvider(provider);
  const all = editInputs([...(opts.images ?? []), ...(opts.mask ? [opts.mask] : [])]);
  return p.protocol === "chat" || all.some(isRemote) ? "json" : "multipart";
}

/** Why references cannot go to this provider, if they cannot. */
function referenceIssues(
  p: ResolvedProvider,
  model: string,
  opts: EditOptions,
  inputs: EditInput[],
): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const refs = inputs.flatMap((x, i) => (isRemote(x) ? [[x, i] as const] : []));
  if (refs.length === 0) return issues;
  const place = (i: number) => (i < opts.images.length ? `images[${i}]` : "mask");
  if (p.protocol === "chat") {
    for (const [x, i] of refs) {
      if (x.kind === "file" || i >= opts.images.length) {
        issues.push({
          field: place(i),
          value: x.kind === "file" ? x.fileId : x.url,
          rule: `provider ${p.name} speaks the chat protocol, which takes image URLs but no ${x.kind === "file" ? "file ids" : "mask"}`,
        });
      }
    }
    return issues;
  }
  const [x, i] = refs[0]!;
  const value = x.kind === "file" ? x.fileId : x.url;
  const field = `${place(i)}.${x.kind === "file" ? "file_id" : "image_url"}`;
  if (!p.jsonEdits) {
    issues.push({
      field,
      value,
      rule:
        `provider ${p.name} (profile ${p.profile}) does not take the JSON edit form: send the image as a file or a data URL ` +
        "(gptimg's CLI downloads URLs itself), or set jsonEdits: true in its config if its API takes image_url",
    });
  } else if (!rulesFor(model, opts).family.startsWith("gpt-image") && rulesFor(model, opts).family !== "unknown") {
    // the spec: "JSON edits support GPT image models only; DALL-E edits require multipart"
    issues.push({ field, value, rule: `the JSON edit form takes GPT image models only; send ${model} files` });
  }
  return issues;
}

/** An input as the JSON form's `ImageRefParam`: bytes become a data URL. */
async function refParam(x: EditInput): Promise<{ image_url: string } | { file_id: string }> {
  if (isRemote(x)) return x.kind === "file" ? { file_id: x.fileId } : { image_url: x.url };
  return { image_url: await dataUrl((await inputBlob(x)).blob) };
}

/**
 * Builds, validates and returns the edits request; sends nothing. Files (and data URLs) go as
 * a multipart body: every option as a text field (not those the multipart form lacks, such as
 * `moderation`), each image as its own part under `image` (one file) or `image[]` (several), as
 * OpenAI's SDKs send them, unless the profile or config names the field; the mask, then
 * `extraBody` last (a key there replaces the option of that name). When an input or the mask is
 * an https URL or a file id, and the provider takes it (`jsonEdits`), the body is the spec's JSON
 * edit form instead: `images: [{ image_url | file_id }]`, `mask: { … }`, files as data URLs.
 * Async because validation sniffs the images' bytes; throws `ValidationError`.
 * @example
 * const req = await buildEditRequest(provider, { prompt: "add a hat", images: [{ data: png, name: "dog.png" }] })
 * const byUrl = await buildEditRequest(openai, { prompt: "add a hat", images: [{ imageUrl: "https://example.com/dog.png" }] })
 */
export async function buildEditRequest(
  provider: ProviderConfig | ResolvedProvider,
  opts: EditOptions,
): Promise<Request> {
  const p = resolveProvider(provider);
  const model = modelFor(p, opts.model);
  assertValid(await validateEditOptions(opts, model));
  const images = editInputs(opts.images);
  const mask = opts.mask ? editInputs([opts.mask])[0] : undefined;
  assertValid(referenceIssues(p, model, opts, mask ? [...images, mask] : images));
  if (p.protocol === "chat") {
    const urls = await Promise.all(
      images.map(async (x) => (isRemote(x) ? (x.kind === "https" ? x.url : "") : dataUrl((await inputBlob(x)).blob))),
    );
    return buildChatRequest(p, model, { ...opts, mask: mask && !isRemote(mask) ? mask : undefined }, urls);
  }
  if ([...images, ...(mask ? [mask] : [])].some(isRemote)) return buildJsonEdit(p, model, opts, images, mask);
  return buildMultipartEdit(p, model, opts, images as ImageInput[], mask as ImageInput | undefined);
}

async function buildJsonEdit(
  p: ResolvedProvider,
  model: string,
  opts: EditOptions,
  images: EditInput[],
  mask: EditInput | undefined,
): Promise<Request> {
  const fields: Record<string, unknown> = {
    model,
    prompt: opts.prompt,
    images: await Promise.all(images.map(refParam)),
    ...(mask ? { mask: await refParam(mask) } : {}),
    ...wireOptions(p, model, opts, "edit", "json"),
  };
  const body = { ...fields, ...mergedExtraBody(p, opts, fields) };
  return new Request(endpointUrl(p, "edits"), {
    method: "POST",
    headers: requestHeaders(p, acceptFor(opts), "application/json"),
    body: JSON.stringify(body),
  });
}

async function buildMultipartEdit(
  p: ResolvedProvider,
  model: string,
  opts: EditOptions,
  images: ImageInput[],
  mask: ImageInput | undefined,
): Promise<Request> {
  const form = new FormData();
  const fields: Record<string, unknown> = {
    model,
    prompt: opts.prompt,
    ...wireOptions(p, model, opts, "edit", "multipart"),
  };
  const extra = mergedExtraBody(p, opts, fields);
  for (const [k, v] of Object.entries(fields)) if (!Object.hasOwn(extra, k)) form.append(k, formString(v));
  // As OpenAI's SDKs send it: `image` for one file, `image[]` for several; a profile may fix the name.
  const imageField = p.fields.image ?? (images.length === 1 ? "image" : "image[]");
  for (const [i, image] of images.entries()) {
    const { blob, ext } = await inputBlob(image);
    form.append(imageField, blob, partFilename(image.name, `image-${i}`, ext));
  }
  if (mask) {
    const { blob, ext } = await inputBlob(mask);
    form.append(p.fields.mask, blob, partFilename(mask.name, "mask", ext));
  }
  for (const [k, v] of Object.entries(extra)) {
    if (v !== undefined) form.append(k, formString(v));
  }
  return new Request(endpointUrl(p, "edits"), {
    method: "POST",
    headers: requestHeaders(p, acceptFor(opts)),
    body: form,
  });
}
