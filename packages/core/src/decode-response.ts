import { type ChatImageSource, readChatSources } from "./chat.ts";
import { decodeDataUrl } from "./data-url.ts";
import { isContentPolicy, readBounded, statusLine } from "./error-from-response.ts";
import { BadResponseError, ContentPolicyError, GptImageError } from "./errors/index.ts";
import { inspectImage } from "./inspect.ts";
import type { ResolvedProvider } from "./providers.ts";
import { type Base64Tap, readImagesResponse } from "./read-images.ts";
import { redact } from "./redact.ts";
import { parseImageEvents } from "./sse.ts";
import type { GeneratedImage, ImageUsage } from "./types.ts";

/** What a 2xx body yields, in order: partial images, final images, then metadata once. */
export type DecodedPart =
  | ({ type: "partial"; index: number; partialIndex: number; image: GeneratedImage } & ProviderSettings)
  | ({ type: "image"; image: GeneratedImage; usage?: ImageUsage } & ProviderSettings)
  | { type: "meta"; created?: number; usage?: ImageUsage; settings?: ProviderSettings };

/** The quality and background a provider reports it used (OpenAI resolves `auto` to one of its values). */
export interface ProviderSettings {
  quality?: string;
  background?: string;
}

/** Two usages added, details included where either has them. */
export function addUsage(a: ImageUsage | undefined, b: ImageUsage): ImageUsage {
  if (!a) return b;
  const details = (x?: ImageUsage["inputTokensDetails"], y?: ImageUsage["inputTokensDetails"]) =>
    x || y
      ? {
          textTokens: (x?.textTokens ?? 0) + (y?.textTokens ?? 0),
          imageTokens: (x?.imageTokens ?? 0) + (y?.imageTokens ?? 0),
        }
      : undefined;
  const sum: ImageUsage = {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    totalTokens: a.totalTokens + b.totalTokens,
  };
  const input = details(a.inputTokensDetails, b.inputTokensDetails);
  const output = details(a.outputTokensDetails, b.outputTokensDetails);
  if (input) sum.inputTokensDetails = input;
  if (output) sum.outputTokensDetails = output;
  return sum;
}

/** The settings of a body or event, only those it names. */
const settingsOf = (s: { quality?: string; background?: string }): ProviderSettings | undefined => {
  const out: ProviderSettings = {};
  if (s.quality !== undefined) out.quality = s.quality;
  if (s.background !== undefined) out.background = s.background;
  return out.quality === undefined && out.background === undefined ? undefined : out;
};

export interface DecodeContext {
  provider: ResolvedProvider;
  fetch: typeof fetch;
  signal: AbortSignal;
  secrets: (string | undefined)[];
  status: number;
  requestId: string | undefined;
  /** false for reads that bill nothing (the model list) */
  possiblyBilled?: boolean;
  /** receives a JSON answer's base64 text as it arrives (see `ClientOptions.onImageBase64`) */
  onBase64?: Base64Tap;
}

/** Every failure after a 2xx: the provider has answered, so it may have billed. */
export function badResponse(message: string, ctx: DecodeContext, cause?: unknown): BadResponseError {
  return new BadResponseError(redact(message, ctx.secrets), {
    status: ctx.status,
    requestId: ctx.requestId,
    provider: ctx.provider.name,
    possiblyBilled: ctx.possiblyBilled ?? true,
    cause,
  });
}

/** Sniffs the bytes: the real format and dimensions, whatever the provider claimed. */
export function toImage(bytes: Uint8Array, index: number, ctx: DecodeContext, revisedPrompt?: string): GeneratedImage {
  const info = inspectImage(bytes);
  if (!info.ok)
    throw badResponse(`image ${index} from ${ctx.provider.name} is not a usable image: ${info.reason}`, ctx);
  return {
    bytes,
    format: info.format,
    width: info.width,
    height: info.height,
    index,
    ...(revisedPrompt ? { revisedPrompt } : {}),
  };
}

/**
 * Fetches an image a provider answered with as a URL. The key is sent only back to the
 * provider's own origin; a CDN or storage host never sees it.
 */
export async function downloadImage(url: string, index: number, ctx: DecodeContext): Promise<Uint8Array> {
  if (url.startsWith("data:")) {
    const bytes = decodeDataUrl(url, `image ${index}`);
    if (!bytes) throw badResponse(`image ${index}: a data URL that is not an image`, ctx);
    return bytes;
  }
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    throw badResponse(`image ${index}: the provider returned an invalid URL`, ctx);
  }
  if (target.protocol !== "https:" && target.protocol !== "http:") {
    throw badResponse(`image ${index}: refusing to download a ${target.protocol} URL`, ctx);
  }
  const headers = new Headers({ Accept: "image/*" });
  const key = ctx.provider.apiKey;
  if (key && target.origin === new URL(ctx.provider.baseUrl).origin) headers.set("Authorization", `Bearer ${key}`);
  const res = await ctx.fetch(target.href, { headers, signal: ctx.signal, redirect: "follow" });
  if (!res.ok) {
    await readBounded(res.body, 1024);
    throw badResponse(
      `image ${index}: downloading it from ${target.host} failed with ${statusLine(res.status, res.statusText)}`,
      ctx,
    );
  }
  return new Uint8Array(await res.arrayBuffer());
}

/** An `error` inside a 2xx body (some relays answer 200 with one, SSE streams send one mid-way). */
function errorInBody(e: { message: string; type?: string; code?: string }, ctx: DecodeContext): GptImageError {
  const message = redact(e.message, ctx.secrets);
  if (isContentPolicy(e)) {
    return new ContentPolicyError("content_policy", message, {
      status: ctx.status,
      requestId: ctx.requestId,
      provider: ctx.provider.name,
      possiblyBilled: true,
      providerCode: e.code,
      providerType: e.type,
    });
  }
  return badResponse(`${ctx.provider.name} reported an error inside a ${ctx.status} response: ${e.message}`, ctx);
}

async function* decodeImagesJson(body: ReadableStream<Uint8Array>, ctx: DecodeContext): AsyncGenerator<DecodedPart> {
  for await (const part of readImagesResponse(body, ctx.onBase64 ? { onBase64: ctx.onBase64 } : {})) {
    if (part.kind === "image") yield { type: "image", image: toImage(part.bytes, part.index, ctx, part.revisedPrompt) };
    else if (part.kind === "url") {
      const bytes = await downloadImage(part.url, part.index, ctx);
      yield { type: "image", image: toImage(bytes, part.index, ctx, part.revisedPrompt) };
    } else {
      if (part.error) throw errorInBody(part.error, ctx);
      yield { type: "meta", created: part.created, usage: part.usage, settings: settingsOf(part) };
    }
  }
}

async function* decodeSse(body: ReadableStream<Uint8Array>, ctx: DecodeContext): AsyncGenerator<DecodedPart> {
  let usage: ImageUsage | undefined;
  let settings: ProviderSettings | undefined;
  for await (const ev of parseImageEvents(body)) {
    if (ev.type === "error") throw errorInBody(ev, ctx);
    if (ev.type === "partial") {
      yield {
        type: "partial",
        index: ev.index,
        partialIndex: ev.partialIndex,
        image: toImage(ev.bytes, ev.index, ctx),
        ...settingsOf(ev),
      };
    } else {
      // each completed event carries the usage of its own image: the request's is their sum
      usage = ev.usage ? addUsage(usage, ev.usage) : usage;
      settings = settingsOf(ev) ?? settings;
      const image = toImage(ev.bytes, ev.index, ctx, ev.revisedPrompt);
      yield { type: "image", image, ...(ev.usage ? { usage: ev.usage } : {}), ...settingsOf(ev) };
    }
  }
  yield { type: "meta", usage, settings };
}

/**
 * Chat replies often carry one image twice (a markdown data URL in the text and again in
 * `message.images[]`); the same encoded image or URL counts once. Compared before decoding, and
 * each kept image is decoded only when its turn comes, so one decoded image is held at a time.
 */
function distinct(refs: ChatImageSource[]): ChatImageSource[] {
  const seen = new Set<string>();
  return refs.filter((ref) => {
    const key = "url" in ref ? `url:${ref.url}` : `data:${ref.key}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

async function* decodeChat(body: ReadableStream<Uint8Array>, ctx: DecodeContext): AsyncGenerator<DecodedPart> {
  const refs = distinct(await readChatSources(body));
  for (const [index, ref] of refs.entries()) {
    const bytes = "url" in ref ? await downloadImage(ref.url, index, ctx) : ref.decode();
    yield { type: "image", image: toImage(bytes, index, ctx) };
  }
  yield { type: "meta" };
}

/**
 * Decodes a 2xx response into images as they arrive. Any failure (cut body, invalid JSON or
 * base64, not an image, no image at all) becomes `BadResponseError` with `possiblyBilled`.
 */
export async function* decodeResponse(res: Response, ctx: DecodeContext): AsyncGenerator<DecodedPart> {
  const type = res.headers.get("content-type") ?? "";
  let images = 0;
  try {
    if (!res.body) throw badResponse(`${ctx.provider.name} answered ${res.status} with no body`, ctx);
    const parts =
      ctx.provider.protocol === "chat"
        ? decodeChat(res.body, ctx)
        : type.includes("text/event-stream")
          ? decodeSse(res.body, ctx)
          : decodeImagesJson(res.body, ctx);
    for await (const part of parts) {
      if (part.type === "image") images++;
      yield part;
    }
  } catch (e) {
    if (ctx.signal.aborted || (e instanceof GptImageError && e.possiblyBilled)) throw e;
    throw badResponse(
      `could not read the response of ${ctx.provider.name}: ${e instanceof Error ? e.message : String(e)}`,
      ctx,
      e,
    );
  }
  if (images === 0) throw badResponse(`${ctx.provider.name} answered ${res.status} without any image`, ctx);
}
