import { extensionFor, mimeTypeFor, sniffFormat } from "./inspect.ts";
import { endpointUrl, modelFor, type ResolvedProvider, resolveProvider } from "./providers.ts";
import { buildChatRequest, dataUrl } from "./request-chat.ts";
import { requestHeaders } from "./request-headers.ts";
import type { EditOptions, GenerateOptions, ImageInput, ProviderConfig } from "./types.ts";
import { assertValid, validateEditOptions, validateGenerateOptions } from "./validate.ts";
import { mergedExtraBody, wireOptions } from "./wire-fields.ts";

export { type DescribedFile, type DescribedRequest, describeRequest } from "./describe-request.ts";

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
 * Builds, validates and returns the edits request; sends nothing. Multipart body: every option
 * as a text field (not those the multipart form lacks, such as `moderation`), each image as its
 * own part under `image` (one file) or `image[]` (several), as OpenAI's SDKs send them, unless the
 * profile or config names the field; the mask, then `extraBody` last (a key there replaces the
 * option of that name).
 * Async because validation sniffs the images' bytes; throws `ValidationError`.
 * @example
 * const req = await buildEditRequest(provider, { prompt: "add a hat", images: [{ data: png, name: "dog.png" }] })
 */
export async function buildEditRequest(
  provider: ProviderConfig | ResolvedProvider,
  opts: EditOptions,
): Promise<Request> {
  const p = resolveProvider(provider);
  const model = modelFor(p, opts.model);
  assertValid(await validateEditOptions(opts, model));
  if (p.protocol === "chat") {
    const urls = await Promise.all(opts.images.map(async (image) => dataUrl((await inputBlob(image)).blob)));
    return buildChatRequest(p, model, opts, urls);
  }
  const form = new FormData();
  const fields: Record<string, unknown> = {
    model,
    prompt: opts.prompt,
    ...wireOptions(p, model, opts, "edit", "multipart"),
  };
  const extra = mergedExtraBody(p, opts, fields);
  for (const [k, v] of Object.entries(fields)) if (!Object.hasOwn(extra, k)) form.append(k, formString(v));
  // As OpenAI's SDKs send it: `image` for one file, `image[]` for several; a profile may fix the name.
  const imageField = p.fields.image ?? (opts.images.length === 1 ? "image" : "image[]");
  for (const [i, image] of opts.images.entries()) {
    const { blob, ext } = await inputBlob(image);
    form.append(imageField, blob, partFilename(image.name, `image-${i}`, ext));
  }
  if (opts.mask) {
    const { blob, ext } = await inputBlob(opts.mask);
    form.append(p.fields.mask, blob, partFilename(opts.mask.name, "mask", ext));
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
