/**
 * @gptimg/core: image generation and editing with gpt-image-2 and any OpenAI-compatible image
 * API, on web-platform APIs only. Every public name is listed here by hand.
 */

// Decoding responses
export { type Base64DecoderOptions, Base64StreamDecoder, decodeBase64, encodeBase64 } from "./base64.ts";
export { type ChatImageRef, extractChatImages, type ReadChatOptions, readChatImages } from "./chat.ts";
export { createImageClient, type ImageClient } from "./client.ts";
export { decodeDataUrl } from "./data-url.ts";
export { ERROR_BODY_LIMIT, type ErrorContext, errorFromResponse } from "./error-from-response.ts";
// Errors
export {
  AbortedError,
  ApiError,
  AuthenticationError,
  BadRequestError,
  BadResponseError,
  ConnectionError,
  ContentPolicyError,
  type ErrorCode,
  formatIssue,
  GptImageError,
  type GptImageErrorInit,
  isApiError,
  isContentPolicyError,
  isGptImageError,
  isOutcomeUnknownError,
  isRateLimitError,
  issueLines,
  isValidationError,
  NotFoundError,
  OutcomeUnknownError,
  PermissionDeniedError,
  ProviderError,
  RateLimitError,
  TimeoutError,
  ValidationError,
} from "./errors/index.ts";
export { checkRef, isDataUrl, isImageRef, MAX_IMAGE_URL_LENGTH } from "./image-refs.ts";
export type { ImageSink, ImageSinkFactory } from "./image-sink.ts";
export {
  extensionFor,
  type ImageInfo,
  INSPECT_HEAD_BYTES,
  inspectImage,
  inspectImageData,
  mimeTypeFor,
  type NotAnImage,
  sniffFormat,
} from "./inspect.ts";
export { autoMaskFor, transparentMask } from "./mask.ts";
export {
  DEFAULT_MODEL,
  GPT_IMAGE_2_PRESETS,
  MODEL_RULE_OVERRIDE,
  type ModelFamily,
  type ModelFields,
  type ModelRules,
  modelFamily,
  modelRules,
  rulesFor,
  type SizeRule,
  wireQuality,
} from "./models.ts";
// The option table and what derives from it
export {
  type CliSpelling,
  IMAGE_OPTION_LIST,
  IMAGE_OPTIONS,
  type ImageFlagName,
  type ImageOperation,
  type ImageOption,
  type ImageOptionType,
  imageOption,
  imageOptionByWire,
  type ModelFieldKey,
  type ModelValuesKey,
  optionsFor,
  wireNameFor,
} from "./options.ts";
export {
  formCarries,
  formWireName,
  IMAGE_REF_SCHEMA,
  imageRequestSchema,
  type JsonSchema,
  type RequestForm,
} from "./options-schema.ts";
// Providers, requests, retries, the client
export {
  isResolvedProvider,
  PROFILE_NAMES,
  PROFILES,
  type ProfileDefaults,
  type ProviderProtocol,
  type ResolvedProvider,
  resolveProvider,
  resolveProviders,
} from "./providers.ts";
export { type CostUsage, estimateCost, MODEL_RATES, type ModelRate, rateFor } from "./rates.ts";
export { readAtMost } from "./read-at-most.ts";
export {
  type ReadImagesOptions,
  type ResponsePart,
  readImagesResponse,
  type SinkResponsePart,
} from "./read-images.ts";
export { REDACTED, redact } from "./redact.ts";
export {
  buildEditRequest,
  buildGenerateRequest,
  type DescribedFile,
  type DescribedRequest,
  describeRequest,
  editRequestForm,
  type NotFetchedFile,
  type NotFetchedInputs,
  notFetchedText,
} from "./request.ts";
export { isRetryableStatus, RETRY_DEFAULTS, retryDelayMs, shouldRetryHeader } from "./retry.ts";
export { shownUrl, shownUrls } from "./shown-url.ts";
// Domain: sizes, model rules, validation, image inspection, redaction
export {
  checkSize,
  nearestLegalSize,
  type ResolvedSize,
  resolveSize,
  SIZE_ALIASES,
  SIZE_PRESETS,
  shrunkAlias,
  sizeFor,
} from "./sizes.ts";
export { parseImageEvents, type SseImageEvent } from "./sse.ts";
export { networkErrorDetail, withoutPlatformHint } from "./transport.ts";
// Options and results
export type {
  Background,
  ClientOptions,
  EditFileOptions,
  EditOptions,
  GeneratedImage,
  GenerateOptions,
  ImageFormat,
  ImageInput,
  ImageRef,
  ImageResult,
  ImageStreamEvent,
  ImageUsage,
  InputFidelity,
  InputLabel,
  Moderation,
  OutputFormat,
  ProfileName,
  ProviderConfig,
  Quality,
  ResponseFormat,
  RetryOptions,
  Style,
  ValidationIssue,
} from "./types.ts";
export { assertValid, validateEditOptions, validateGenerateOptions } from "./validate.ts";
export { checkWholeImage, checkWholeImageData, type NotWholeImage, type WholeImage } from "./whole-image.ts";
export { type UnsentOption, unsentOptions } from "./wire-fields.ts";
