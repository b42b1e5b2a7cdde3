import { encodeBase64 } from "./base64.ts";
import { ValidationError } from "./errors/index.ts";
import { endpointUrl, type ResolvedProvider } from "./providers.ts";
import { requestHeaders } from "./request-headers.ts";
import type { GenerateOptions, ImageInput } from "./types.ts";
import { mergedExtraBody } from "./wire-fields.ts";

/** A Blob as a `data:` URL, the form chat endpoints take for inline images. */
export async function dataUrl(blob: Blob): Promise<string> {
  const bytes = new Uint8Array(await blob.arrayBuffer());
  return `data:${blob.type || "application/octet-stream"};base64,${encodeBase64(bytes)}`;
}

/**
 * A chat/completions request for endpoints without /images: the prompt as a text part and each
 * input image as an `image_url` part. Image options (size, quality, format…) have no standard
 * chat field, so they are not sent; a provider that reads them gets them through `extraBody`.
 * The response is always requested whole (no SSE): chat streams carry no partial images.
 */
export function buildChatRequest(
  p: ResolvedProvider,
  model: string,
  opts: GenerateOptions & { mask?: ImageInput | undefined },
  imageUrls: string[],
): Request {
  if (opts.mask) {
    throw new ValidationError([
      {
        field: "mask",
        value: opts.mask.name ?? "(mask)",
        rule: `provider ${p.name} speaks the chat protocol, which has no mask; use an images provider`,
      },
    ]);
  }
  const content =
    imageUrls.length === 0
      ? opts.prompt
      : [{ type: "text", text: opts.prompt }, ...imageUrls.map((url) => ({ type: "image_url", image_url: { url } }))];
  const body: Record<string, unknown> = { model, messages: [{ role: "user", content }] };
  if (opts.n !== undefined && opts.n !== 1) body.n = opts.n;
  if (opts.user !== undefined) body.user = opts.user;
  Object.assign(body, mergedExtraBody(p, opts, body));
  return new Request(endpointUrl(p, "chat"), {
    method: "POST",
    headers: requestHeaders(p, "application/json", "application/json"),
    body: JSON.stringify(body),
  });
}
