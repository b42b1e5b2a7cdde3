/** Public option and result types shared by every part of gptimg. */

export type Quality = "low" | "medium" | "high" | "auto";
export type OutputFormat = "png" | "jpeg" | "webp";
export type Background = "auto" | "opaque" | "transparent";
export type Moderation = "low" | "auto";
export type InputFidelity = "high" | "low";
export type Style = "vivid" | "natural";
export type ResponseFormat = "b64_json" | "url";
/** A format sniffed from real bytes. */
export type ImageFormat = "png" | "jpeg" | "webp" | "gif";

/** Options for a text-to-image request. Field names are camelCase; profiles map them to the wire. */
export interface GenerateOptions {
  prompt: string;
  model?: string;
  /** 1-10 */
  n?: number;
  /** preset, alias, ratio, `WxH` or `auto`; resolved by `resolveSize` before sending */
  size?: string;
  quality?: Quality;
  outputFormat?: OutputFormat;
  /** 0-100, jpeg/webp only */
  outputCompression?: number;
  background?: Background;
  moderation?: Moderation;
  /** 0-3, only with stream */
  partialImages?: number;
  stream?: boolean;
  user?: string;
  /** dall-e-3 only */
  style?: Style;
  /** dall-e-2/3 and providers that honour it */
  responseFormat?: ResponseFormat;
  /** merged last into the body (JSON) or form (multipart) */
  extraBody?: Record<string, unknown>;
  /**
   * Check and build the request as for a model gptimg does not know: any `WxH`, no prompt cap,
   * every field sent as set. The provider decides what gptimg's model table would refuse (the
   * refusals that name "gptimg's model table"); the spec's own limits still apply.
   */
  skipModelRules?: boolean;
  signal?: AbortSignal;
}

/** One input file for an edit. `name` becomes the multipart file name only. */
export interface ImageInput {
  data: Blob | Uint8Array;
  name?: string;
  /** how issues name this input, as the caller's surface took it; default `image[<index>]` and `name` */
  label?: InputLabel;
}

/**
 * How an input is named in issues: the field its surface took it by (`-i`, `--image`,
 * `images[0]`) and the value given there (the path as typed).
 * @example
 * { data: bytes, name: "dog.png", label: { field: "-i", value: "pics/dog.png" } }
 */
export interface InputLabel {
  field: string;
  value: string;
}

/**
 * An input image by reference, as the spec's JSON edit form sends it (`ImageRefParam`): exactly
 * one of `imageUrl` (an https URL the provider fetches, or a `data:image/…;base64,` URL) and
 * `fileId` (an id of the provider's Files API).
 */
export interface ImageRef {
  imageUrl?: string;
  fileId?: string;
}

export interface EditOptions extends GenerateOptions {
  /**
   * 1-16 images, png/jpeg/webp by magic bytes, 50 MB in total. References (https URLs, file
   * ids) make the request the spec's JSON edit form, for providers that take it; data URLs go
   * either way.
   */
  images: (ImageInput | ImageRef)[];
  /** PNG with alpha, < 4 MB, same width and height as the first image; or a reference */
  mask?: ImageInput | ImageRef;
  inputFidelity?: InputFidelity;
}

/** Edit options whose inputs are all bytes: what a gateway stores and sends as files. */
export type EditFileOptions = Omit<EditOptions, "images" | "mask"> & { images: ImageInput[]; mask?: ImageInput };

export interface ImageUsage {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  inputTokensDetails?: { textTokens?: number; imageTokens?: number };
  outputTokensDetails?: { textTokens?: number; imageTokens?: number };
}

/** An image as decoded from a response, with its real format and dimensions. */
export interface GeneratedImage {
  bytes: Uint8Array;
  format: ImageFormat;
  width: number;
  height: number;
  /** position in the response's `data` array */
  index: number;
  revisedPrompt?: string;
}

export interface ImageResult {
  images: GeneratedImage[];
  usage?: ImageUsage;
  created: number;
  revisedPrompts: (string | undefined)[];
  requestId?: string;
  /** name of the provider that answered (after fallback) */
  provider: string;
  model: string;
  /** the size sent, after resolution (undefined when `auto` or not sent) */
  requestedSize?: string;
  /** true when any image's real dimensions differ from `requestedSize` */
  sizeMismatch: boolean;
  /** the quality the provider reports it used (OpenAI resolves `auto`); undefined when it says none */
  quality?: string;
  /** the background the provider reports it used (`opaque` or `transparent` from OpenAI) */
  background?: string;
  /** number of HTTP attempts made across all providers */
  attempts: number;
}

/** Events from the streaming variants of the client. */
export type ImageStreamEvent =
  | {
      type: "partial";
      index: number;
      partialIndex: number;
      image: GeneratedImage;
      /** as the provider's partial event reports them, when it does */
      quality?: string;
      background?: string;
    }
  /** `usage`, `quality`, `background`: what the provider's streamed event reported for this image alone */
  | { type: "image"; image: GeneratedImage; usage?: ImageUsage; quality?: string; background?: string }
  | { type: "retry"; attempt: number; provider: string; delayMs: number; reason: string }
  | { type: "fallback"; from: string; to: string; reason: string }
  | { type: "done"; result: Omit<ImageResult, "images"> & { images: Omit<GeneratedImage, "bytes">[] } };

export type ProfileName = "openai" | "wellapi" | "openai-compatible" | "chat" | "custom";

/** A configured provider. Profiles fill in whatever is left out. */
export interface ProviderConfig {
  /** a name for logs, errors and results, e.g. "primary", "minimax" */
  name: string;
  profile: ProfileName;
  /** API root, e.g. https://api.openai.com/v1 */
  baseUrl?: string;
  apiKey?: string;
  /** default model; with `fixedModel` it replaces whatever the caller asked for */
  model?: string;
  fixedModel?: boolean;
  paths?: { generations?: string; edits?: string; chat?: string; models?: string };
  /** wire field names that differ between providers */
  fields?: { outputFormat?: string; image?: string; mask?: string };
  /**
   * Whether the edits endpoint takes the spec's JSON edit form (`images: [{ image_url | file_id }]`);
   * default from the profile (`PROFILES[profile].jsonEdits`).
   */
  jsonEdits?: boolean;
  headers?: Record<string, string>;
  extraBody?: Record<string, unknown>;
}

export interface RetryOptions {
  /** retries after the first attempt, per provider; default 2 */
  maxRetries?: number;
  /** first backoff in ms; default 500 */
  baseDelayMs?: number;
  /** backoff cap in ms; default 8000 */
  maxDelayMs?: number;
  /** cap for a server-provided retry-after in ms; default 60000 */
  maxRetryAfterMs?: number;
  /** replay a request whose outcome is unknown (timeout or reset after send); default false */
  retryUnknownOutcome?: boolean;
}

export interface ClientOptions {
  /** primary first, then fallbacks in order */
  providers: ProviderConfig[];
  fetch?: typeof fetch;
  /** per attempt, whole response read included; default 600000 */
  timeoutMs?: number;
  retry?: RetryOptions;
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
  /** observer for progress lines; never receives secrets */
  onEvent?: (event: Extract<ImageStreamEvent, { type: "retry" | "fallback" }>) => void;
  /**
   * Receives each image's base64 text of a JSON answer as it arrives, before it is decoded
   * (`index` is the image's place in `data`; `text` is ASCII base64, a view the receiver may
   * keep). Awaited in body order, before the image's own `image` event and before the next
   * image's text: a gateway forwards an answer without holding or encoding it again. Not called
   * for SSE, chat or URL answers, which arrive in other shapes.
   */
  onImageBase64?: (index: number, text: Uint8Array) => void | Promise<void>;
}

/** One problem found by validation. */
export interface ValidationIssue {
  field: string;
  value: unknown;
  rule: string;
  /** e.g. the nearest legal size */
  suggestion?: string;
}
