export {
  ApiError,
  AuthenticationError,
  BadRequestError,
  ContentPolicyError,
  isApiError,
  isContentPolicyError,
  isRateLimitError,
  NotFoundError,
  PermissionDeniedError,
  ProviderError,
  RateLimitError,
} from "./api-error.ts";
export { type ErrorCode, GptImageError, type GptImageErrorInit, isGptImageError } from "./gptimg-error.ts";
export {
  AbortedError,
  BadResponseError,
  ConnectionError,
  isOutcomeUnknownError,
  OutcomeUnknownError,
  TimeoutError,
} from "./transport-errors.ts";
export { formatIssue, issueLines, isValidationError, ValidationError } from "./validation-error.ts";
