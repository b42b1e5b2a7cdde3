import { attemptLoop, type LoopContext } from "./client-loop.ts";
import { badResponse, decodeResponse, type ProviderSettings } from "./decode-response.ts";
import { requestIdOf } from "./error-from-response.ts";
import { BadResponseError, ValidationError } from "./errors/index.ts";
import { rulesFor } from "./models.ts";
import { endpointUrl, modelFor, type ResolvedProvider, resolveProviders } from "./providers.ts";
import { buildEditRequest, buildGenerateRequest } from "./request.ts";
import { isSecretHeader, requestHeaders } from "./request-headers.ts";
import { MAX_TIMER_MS, resolveRetryOptions } from "./retry.ts";
import { sizeFor } from "./sizes.ts";
import type {
  ClientOptions,
  EditOptions,
  GeneratedImage,
  GenerateOptions,
  ImageResult,
  ImageStreamEvent,
  ImageUsage,
  ValidationIssue,
} from "./types.ts";

/** What `createImageClient` returns. */
export interface ImageClient {
  /** Generates images; resolves when every image is decoded. */
  generate(opts: GenerateOptions): Promise<ImageResult>;
  /** Edits images; resolves when every image is decoded. */
  edit(opts: EditOptions): Promise<ImageResult>;
  /** Yields partial images, each final image as soon as it is decoded, retries, fallbacks, then `done`. */
  generateStream(opts: GenerateOptions): AsyncGenerator<ImageStreamEvent>;
  editStream(opts: EditOptions): AsyncGenerator<ImageStreamEvent>;
  /** Model ids the primary provider (or, on retryable failure, a fallback) lists. */
  listModels(opts?: { signal?: AbortSignal }): Promise<string[]>;
}

/** Ten minutes: gpt-image-2 often takes 60-180 s, and a 4K n=10 request much longer. */
const DEFAULT_TIMEOUT_MS = 600_000;

/** A sleep that an abort cuts short (with a rejection). */
export function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

type DoneResult = Extract<ImageStreamEvent, { type: "done" }>["result"];

/**
 * A client over an ordered list of providers (primary first). Everything that touches the world
 * can be passed in: `fetch`, `now`, `sleep`, `random`. Attempt deadlines use the platform timer.
 * @example
 * const client = createImageClient({ providers: [{ name: "primary", profile: "openai", apiKey }] })
 * const { images } = await client.generate({ prompt: "a lighthouse at dusk", size: "16:9" })
 */
export function createImageClient(options: ClientOptions): ImageClient {
  const providers = resolveProviders(options.providers);
  const issues: ValidationIssue[] = [];
  const retry = resolveRetryOptions(options.retry, issues);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  // a timer past MAX_TIMER_MS fires at once: the request would be sent, then abandoned
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > MAX_TIMER_MS) {
    issues.push({
      field: "timeoutMs",
      value: timeoutMs,
      rule: `must be a whole number of ms from 1 to ${MAX_TIMER_MS}`,
    });
  }
  if (issues.length) throw new ValidationError(issues);
  const secrets = providers.flatMap((p) => [
    p.apiKey,
    ...Object.entries(p.headers)
      .filter(([name]) => isSecretHeader(name))
      .map(([, v]) => v),
  ]);
  const ctx: LoopContext = {
    providers,
    fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    timeoutMs,
    retry,
    now: options.now ?? Date.now,
    sleep: options.sleep ?? defaultSleep,
    random: options.random ?? Math.random,
    onEvent: options.onEvent,
    secrets,
  };

  async function* run(
    kind: "generate" | "edit",
    opts: GenerateOptions | EditOptions,
  ): AsyncGenerator<ImageStreamEvent> {
    // The size is resolved once per provider (providers may serve different models, each with
    // its own size rules); its request and its result's requestedSize carry that one result.
    const sized = new Map<ResolvedProvider, { opts: GenerateOptions | EditOptions; size: string | undefined }>();
    const sizedFor = (p: ResolvedProvider) => {
      let known = sized.get(p);
      if (!known) {
        const size = sizeFor(opts.size, rulesFor(modelFor(p, opts.model), opts));
        known = { opts: size === undefined ? opts : { ...opts, size }, size };
        sized.set(p, known);
      }
      return known;
    };
    yield* attemptLoop<ImageStreamEvent>(ctx, {
      signal: opts.signal,
      idempotent: false,
      build: (p) => {
        const o = sizedFor(p).opts;
        return kind === "edit" ? buildEditRequest(p, o as EditOptions) : buildGenerateRequest(p, o);
      },
      async *consume(res, p, att, attempts) {
        const model = modelFor(p, opts.model);
        // the chat protocol sends no size; "auto" leaves the provider to choose
        const size = p.protocol === "chat" ? undefined : sizedFor(p).size;
        const requestedSize = size === "auto" ? undefined : size;
        const requestId = requestIdOf(res.headers);
        const images: Omit<GeneratedImage, "bytes">[] = [];
        let usage: ImageUsage | undefined;
        let created: number | undefined;
        let settings: ProviderSettings | undefined;
        const decodeCtx = {
          provider: p,
          fetch: ctx.fetch,
          signal: att.signal,
          secrets,
          status: res.status,
          requestId,
          ...(options.onImageBase64 ? { onBase64: options.onImageBase64 } : {}),
        };
        for await (const part of decodeResponse(res, decodeCtx)) {
          if (part.type === "partial") yield part;
          else if (part.type === "image") {
            const { bytes: _bytes, ...meta } = part.image;
            images.push(meta);
            yield part;
          } else {
            usage = part.usage ?? usage;
            created = part.created ?? created;
            settings = part.settings ?? settings;
          }
        }
        images.sort((a, b) => a.index - b.index);
        const result: DoneResult = {
          images,
          ...(usage ? { usage } : {}),
          created: created ?? Math.floor(ctx.now() / 1000),
          revisedPrompts: images.map((i) => i.revisedPrompt),
          ...(requestId ? { requestId } : {}),
          provider: p.name,
          model,
          ...(requestedSize ? { requestedSize } : {}),
          ...(settings?.quality !== undefined ? { quality: settings.quality } : {}),
          ...(settings?.background !== undefined ? { background: settings.background } : {}),
          sizeMismatch: requestedSize !== undefined && images.some((i) => `${i.width}x${i.height}` !== requestedSize),
          attempts,
        };
        yield { type: "done", result };
      },
    });
  }

  async function collect(events: AsyncGenerator<ImageStreamEvent>): Promise<ImageResult> {
    const images: GeneratedImage[] = [];
    for await (const ev of events) {
      if (ev.type === "image") images.push(ev.image);
      else if (ev.type === "done") {
        images.sort((a, b) => a.index - b.index);
        return { ...ev.result, images };
      }
    }
    // The stream always ends in `done` or throws; this is a guard against a consumer bug.
    throw new BadResponseError("the image stream ended without a result", { possiblyBilled: true });
  }

  async function listModels(opts: { signal?: AbortSignal } = {}): Promise<string[]> {
    for await (const ev of attemptLoop<string[]>(ctx, {
      signal: opts.signal,
      idempotent: true,
      build: (p) =>
        new Request(endpointUrl(p, "models"), { method: "GET", headers: requestHeaders(p, "application/json") }),
      async *consume(res, p) {
        const decodeCtx = {
          provider: p,
          fetch: ctx.fetch,
          signal: new AbortController().signal,
          secrets,
          status: res.status,
          requestId: requestIdOf(res.headers),
          possiblyBilled: false,
        };
        let json: unknown;
        try {
          json = await res.json();
        } catch (e) {
          throw badResponse(`the model list of ${p.name} is not JSON`, decodeCtx, e);
        }
        const data = (json as { data?: unknown })?.data;
        if (!Array.isArray(data)) throw badResponse(`the model list of ${p.name} has no data array`, decodeCtx);
        yield data.map((m) => (m as { id?: unknown })?.id).filter((id): id is string => typeof id === "string");
      },
    })) {
      if (Array.isArray(ev)) return ev;
    }
    return [];
  }

  return {
    generate: (opts) => collect(run("generate", opts)),
    edit: (opts) => collect(run("edit", opts)),
    generateStream: (opts) => run("generate", opts),
    editStream: (opts) => run("edit", opts),
    listModels,
  };
}
