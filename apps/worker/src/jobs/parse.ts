import { ValidationError, type ValidationIssue } from "@gptimg/core";
import type { JobKind, JobRequest } from "./types.ts";

/** A `POST /v1/jobs` body turned into core options, edit inputs and the callback URL. */
export interface ParsedJobBody {
  kind: JobKind;
  request: JobRequest;
  inputs: Blob[];
  mask: Blob | undefined;
  callbackUrl: string | undefined;
}

type Kind = "string" | "int" | "number" | "bool";
/** OpenAI wire name -> core option and type. Anything else is rejected: it could smuggle fields upstream. */
const FIELDS: Record<string, [keyof JobRequest, Kind]> = {
  prompt: ["prompt", "string"],
  model: ["model", "string"],
  n: ["n", "int"],
  size: ["size", "string"],
  quality: ["quality", "string"],
  output_format: ["outputFormat", "string"],
  output_compression: ["outputCompression", "int"],
  background: ["background", "string"],
  moderation: ["moderation", "string"],
  user: ["user", "string"],
  style: ["style", "string"],
  input_fidelity: ["inputFidelity", "string"],
};
/** Accepted for SDK compatibility and ignored: a job stores images and answers with URLs, never streams. */
const IGNORED = new Set(["response_format", "stream", "partial_images"]);
const FILE_FIELDS = new Set(["image", "image[]", "mask"]);

function coerce(field: string, value: unknown, kind: Kind, issues: ValidationIssue[]): unknown {
  const fromForm = typeof value === "string" && kind !== "string";
  const v = fromForm ? (kind === "bool" ? value === "true" : Number(value)) : value;
  const ok =
    (kind === "string" && typeof v === "string") ||
    (kind === "int" && Number.isInteger(v)) ||
    (kind === "number" && typeof v === "number" && Number.isFinite(v)) ||
    (kind === "bool" && typeof v === "boolean");
  if (!ok) issues.push({ field, value, rule: `must be ${kind === "int" ? "an integer" : `a ${kind}`}` });
  return v;
}

function assign(field: string, value: unknown, request: JobRequest, issues: ValidationIssue[]): string | undefined {
  if (field === "callback_url") {
    if (typeof value !== "string") issues.push({ field, value, rule: "must be a string" });
    return typeof value === "string" ? value : undefined;
  }
  if (IGNORED.has(field)) return undefined;
  const spec = FIELDS[field];
  if (!spec) {
    issues.push({ field, value, rule: "is not a known field of an image request" });
    return undefined;
  }
  (request as unknown as Record<string, unknown>)[spec[0]] = coerce(field, value, spec[1], issues);
  return undefined;
}

/** Parses a generations-shaped JSON body. Throws `ValidationError` naming every bad field. */
export function parseJsonJob(body: unknown): ParsedJobBody {
  if (!body || typeof body !== "object" || Array.isArray(body)) {
    throw new ValidationError([{ field: "body", value: body, rule: "must be a JSON object" }]);
  }
  const issues: ValidationIssue[] = [];
  const request = {} as JobRequest;
  let callbackUrl: string | undefined;
  for (const [field, value] of Object.entries(body)) {
    if (value === null || value === undefined) continue;
    callbackUrl = assign(field, value, request, issues) ?? callbackUrl;
  }
  if (request.prompt === undefined) issues.push({ field: "prompt", value: undefined, rule: "is required" });
  if (issues.length) throw new ValidationError(issues);
  return { kind: "generate", request, inputs: [], mask: undefined, callbackUrl };
}

/** Parses an edits-shaped multipart body (`image`/`image[]` repeated, optional `mask`). */
export function parseFormJob(form: FormData): ParsedJobBody {
  const issues: ValidationIssue[] = [];
  const request = {} as JobRequest;
  const inputs: Blob[] = [];
  let mask: Blob | undefined;
  let callbackUrl: string | undefined;
  for (const [field, value] of form.entries()) {
    if (FILE_FIELDS.has(field)) {
      if (typeof value === "string") issues.push({ field, value, rule: "must be a file" });
      else if (field === "mask") mask = value;
      else inputs.push(value);
      continue;
    }
    if (typeof value !== "string") {
      issues.push({ field, value: "(file)", rule: "must be a text field" });
      continue;
    }
    callbackUrl = assign(field, value, request, issues) ?? callbackUrl;
  }
  if (request.prompt === undefined) issues.push({ field: "prompt", value: undefined, rule: "is required" });
  if (inputs.length === 0)
    issues.push({ field: "image", value: undefined, rule: "at least one image file is required" });
  if (issues.length) throw new ValidationError(issues);
  return { kind: "edit", request, inputs, mask, callbackUrl };
}
