/** OpenAI's error body: https://platform.openai.com/docs/guides/error-codes */
export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** A request the server refuses; thrown by validators, turned into a JSON response by the server. */
export class HttpError extends Error {
  override name = "HttpError";
  readonly status: number;
  readonly type: string;
  readonly param: string | null;
  readonly code: string | null;
  readonly headers: Record<string, string>;
  constructor(
    status: number,
    message: string,
    init: { type?: string; param?: string | null; code?: string | null; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.status = status;
    this.type = init.type ?? (status >= 500 ? "server_error" : "invalid_request_error");
    this.param = init.param ?? null;
    this.code = init.code ?? null;
    this.headers = init.headers ?? {};
  }

  body(): OpenAIErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

/** 400 invalid_request_error naming the parameter. */
export const invalid = (param: string, message: string, code = "invalid_value"): HttpError =>
  new HttpError(400, message, { param, code });

/** 400 for a missing required parameter, worded like OpenAI. */
export const missing = (param: string): HttpError =>
  new HttpError(400, `Missing required parameter: '${param}'.`, { param, code: "missing_required_parameter" });
