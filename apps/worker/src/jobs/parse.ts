import { type EditOptions, type GenerateOptions, ValidationError, type ValidationIssue } from "@gptimg/core";
import type { HonoRequest } from "hono";
import { type ExtraFields, parseEditForm, parseGenerateBody } from "../lib/image-request.ts";
import { isMultipart, readFormBody, readJsonBody } from "../lib/json-body.ts";
import type { RequestDefaults } from "../lib/model-rules.ts";
import type { JobKind, JobRequest } from "./types.ts";

/** A `POST /v1/jobs` body turned into core options, edit inputs and the callback URL. */
export interface ParsedJobBody {
  kind: JobKind;
  request: JobRequest;
  inputs: (Blob | Uint8Array)[];
  mask: Blob | Uint8Array | undefined;
  callbackUrl: string | undefined;
}

/**
 * A job takes what `/v1/images/*` takes, plus `callback_url`. `response_format`, `stream` and
 * `partial_images` are accepted for SDK compatibility and dropped: a job stores its images and
 * answers with URLs, and never streams.
 */
const JOB_FIELDS: ExtraFields = {
  callback_url: "string",
  response_format: "ignore",
  stream: "ignore",
  partial_images: "ignore",
};

/** Core options as a job row records them (`request_json`): no bytes, no signal, no streaming. */
export function jobRequest(options: GenerateOptions | EditOptions): JobRequest {
  const { images: _i, mask: _m, signal: _s, stream: _st, partialImages: _p, ...request } = options as EditOptions;
  return request;
}

/**
 * The spec's JSON edit form (`images: [{ image_url }]`, `mask: { image_url }`) is taken by
 * `/v1/images/edits` only: a job's edit inputs are multipart files, which the job stores before
 * it answers. Says so, naming the field, rather than calling it an unknown parameter.
 */
function refuseJsonEdit(body: unknown): void {
  if (!body || typeof body !== "object" || Array.isArray(body)) return;
  const issues: ValidationIssue[] = [];
  for (const field of ["images", "mask"]) {
    const value = (body as Record<string, unknown>)[field];
    if (value === undefined || value === null) continue;
    issues.push({
      field,
      value: Array.isArray(value) ? `${value.length} references` : value,
      rule:
        "POST /v1/jobs takes an edit's images as multipart/form-data files (image[] and mask), not " +
        "the JSON edit form; send the files as multipart, or the references to POST /v1/images/edits",
    });
  }
  if (issues.length > 0) throw new ValidationError(issues);
}

/**
 * Parses a `POST /v1/jobs` body with the images routes' parser: JSON shaped like
 * `/v1/images/generations`, or multipart shaped like `/v1/images/edits` (then an edit).
 * `defaults` as the images routes take them (the model when the body names none, the table switch).
 * Throws `ValidationError` naming every bad field.
 * @example
 * const { kind, request, inputs, callbackUrl } = await parseJobBody(c.req, requestDefaults(c));
 */
export async function parseJobBody(req: HonoRequest, defaults: RequestDefaults): Promise<ParsedJobBody> {
  const type = req.header("content-type") ?? "";
  if (isMultipart(type)) {
    const form = await readFormBody(req);
    const { options, extra } = await parseEditForm(form, defaults, JOB_FIELDS);
    return {
      kind: "edit",
      request: jobRequest(options),
      inputs: options.images.map((i) => i.data),
      mask: options.mask?.data,
      callbackUrl: extra.callback_url,
    };
  }
  if (/^application\/json/i.test(type) || type === "") {
    const body = await readJsonBody(req);
    refuseJsonEdit(body);
    const { options, extra } = parseGenerateBody(body, defaults, JOB_FIELDS);
    return {
      kind: "generate",
      request: jobRequest(options),
      inputs: [],
      mask: undefined,
      callbackUrl: extra.callback_url,
    };
  }
  throw new ValidationError([
    { field: "content-type", value: type, rule: "must be application/json (generate) or multipart/form-data (edit)" },
  ]);
}
