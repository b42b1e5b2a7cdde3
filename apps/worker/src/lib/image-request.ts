import {
  type EditFileOptions,
  type EditOptions,
  type GenerateOptions,
  IMAGE_OPTION_LIST,
  type ImageOperation,
  optionsFor,
  type ResponseFormat,
  ValidationError,
  type ValidationIssue,
  validateEditOptions,
  validateGenerateOptions,
} from "@gptimg/core";
import type { RequestDefaults } from "./model-rules.ts";

/** An OpenAI images request, parsed and validated. */
export interface ParsedImageRequest<T extends GenerateOptions> {
  options: T;
  /** how images go back: base64 in the body or signed URLs; gateway-side only, never sent upstream */
  responseFormat: ResponseFormat | undefined;
  stream: boolean;
  /** values of the route's own `extra` fields of kind "string", by wire name */
  extra: Record<string, string>;
}

/**
 * Fields a route reads beside OpenAI's image parameters, by wire name: "string" is taken as a
 * text value into `extra`, "ignore" is accepted and dropped (e.g. `stream` on a route that
 * never streams). They take precedence over the image parameters of the same name.
 */
export type ExtraFields = Readonly<Record<string, "string" | "ignore">>;

type Kind = "string" | "int" | "bool";
type Fields = ReadonlyMap<string, [keyof EditOptions, Kind]>;

/**
 * OpenAI wire name → core option name and type, per operation, from core's option table.
 * Unknown fields are refused: they would reach the provider. `response_format` is the
 * gateway's own (how images come back) and edit inputs are files, so neither is here.
 */
const fieldsOf = (operation: ImageOperation): Fields =>
  new Map(
    optionsFor(operation)
      .filter((o) => o.key !== "responseFormat" && o.type !== "images" && o.type !== "image")
      .map((o) => [o.wire, [o.key, o.type === "integer" ? "int" : o.type === "boolean" ? "bool" : "string"]]),
  );
const FIELDS: Readonly<Record<ImageOperation, Fields>> = { generate: fieldsOf("generate"), edit: fieldsOf("edit") };

/** core's camelCase field → wire name, so every error names the field the caller sent. */
const WIRE = new Map<string, string>(IMAGE_OPTION_LIST.map((o) => [o.key, o.wire]));

const isNumeric = (s: string) => /^-?\d+$/.test(s.trim());

function coerce(field: string, value: unknown, kind: Kind, fromForm: boolean, issues: ValidationIssue[]): unknown {
  let v = value;
  if (fromForm && typeof value === "string") {
    if (kind === "int") v = isNumeric(value) ? Number(value) : value;
    if (kind === "bool") v = value === "true" ? true : value === "false" ? false : value;
  }
  const ok =
    (kind === "string" && typeof v === "string") ||
    (kind === "int" && Number.isInteger(v)) ||
    (kind === "bool" && typeof v === "boolean");
  if (!ok)
    issues.push({
      field,
      value,
      rule: `must be ${kind === "int" ? "an integer" : kind === "bool" ? "a boolean" : "a string"}`,
    });
  return v;
}

/** What parsing collects beside the core options. */
interface Out {
  responseFormat?: ResponseFormat;
  extra: Record<string, string>;
}

function assign(
  field: string,
  value: unknown,
  target: Record<string, unknown>,
  out: Out,
  ctx: { fromForm: boolean; extras: ExtraFields; issues: ValidationIssue[]; operation: ImageOperation },
): void {
  const { fromForm, issues } = ctx;
  const extra = Object.hasOwn(ctx.extras, field) ? ctx.extras[field] : undefined;
  if (extra === "ignore") return;
  if (extra === "string") {
    if (typeof value === "string") out.extra[field] = value;
    else issues.push({ field, value, rule: "must be a string" });
    return;
  }
  if (field === "response_format") {
    if (value === "b64_json" || value === "url") out.responseFormat = value;
    else issues.push({ field, value, rule: 'must be "b64_json" or "url"' });
    return;
  }
  const spec = FIELDS[ctx.operation].get(field);
  if (!spec) {
    const known = FIELDS[ctx.operation === "edit" ? "generate" : "edit"].has(field);
    const rule = known
      ? `is not a parameter of an image ${ctx.operation === "edit" ? "edit" : "generation"}`
      : "is not a known parameter of an image request";
    issues.push({ field, value, rule });
    return;
  }
  target[spec[0]] = coerce(field, value, spec[1], fromForm, issues);
}

/** Renames core's camelCase fields in issues back to the wire names. */
export function toWireIssues(issues: ValidationIssue[]): ValidationIssue[] {
  return issues.map((i) => {
    const [head, ...rest] = i.field.split(/(?=[[.])/);
    const wire = WIRE.get(head ?? "") ?? head;
    return { ...i, field: [wire, ...rest].join("") };
  });
}

function finish<T extends GenerateOptions>(opts: T, out: Out, issues: ValidationIssue[]): ParsedImageRequest<T> {
  if (issues.length) throw new ValidationError(toWireIssues(issues));
  return { options: opts, responseFormat: out.responseFormat, stream: opts.stream === true, extra: out.extra };
}

/**
 * The model of `defaults` when the request names none, and `skipModelRules` when its switch is on
 * (then core checks and builds the request as for a model it does not know).
 */
function applyDefaults(opts: Record<string, unknown>, defaults: RequestDefaults): void {
  opts.model ??= defaults.model;
  if (defaults.skipModelRules) opts.skipModelRules = true;
}

/** The fields a request has read so far, and what was wrong with them (core's names in `issues`). */
export interface Read {
  opts: Record<string, unknown>;
  out: Out;
  issues: ValidationIssue[];
}

/**
 * Reads the fields of a JSON body (`null` is "not set", as SDKs send it) with their JSON types:
 * `{"prompt": 123}` is "must be a string", as no form text would be coerced.
 */
function readJsonFields(body: object, operation: ImageOperation, extras: ExtraFields): Read {
  const read: Read = { opts: {}, out: { extra: {} }, issues: [] };
  for (const [field, value] of Object.entries(body)) {
    if (value === null || value === undefined) continue; // SDKs send null for "not set"
    assign(field, value, read.opts, read.out, { fromForm: false, extras, issues: read.issues, operation });
  }
  if (read.opts.prompt === undefined) read.issues.push({ field: "prompt", value: undefined, rule: "is required" });
  return read;
}

/**
 * Reads the fields of the spec's JSON edit form beside its image references once, with their JSON
 * types, before any reference is fetched: `{"prompt": 123}` is an issue as on
 * `/v1/images/generations` ({@link toWireIssues} names it by wire name). {@link finishEditJson}
 * takes the fields on once the references are fetched.
 */
export function readEditJson(fields: Record<string, unknown>, extras: ExtraFields = {}): Read {
  return readJsonFields(fields, "edit", extras);
}

/**
 * Parses a `POST /v1/images/generations` JSON body and validates it with core's rules for the model
 * (`defaults.model` when the body names none; none of the table's with `defaults.skipModelRules`),
 * taking the route's `extras` besides. Throws `ValidationError` naming every bad field.
 */
export function parseGenerateBody(
  body: unknown,
  defaults: RequestDefaults,
  extras: ExtraFields = {},
): ParsedImageRequest<GenerateOptions> {
  if (!body || typeof body !== "object" || Array.isArray(body)) {
    throw new ValidationError([
      { field: "body", value: Array.isArray(body) ? "[…]" : body, rule: "must be a JSON object" },
    ]);
  }
  const { opts, out, issues } = readJsonFields(body, "generate", extras);
  applyDefaults(opts, defaults);
  const options = opts as unknown as GenerateOptions;
  if (!issues.length) issues.push(...validateGenerateOptions(options, options.model));
  return finish(options, out, issues);
}

/** Most input images an edit takes (OpenAI's limit for gpt-image models). */
const MAX_IMAGES = 16;

/**
 * Parses a `POST /v1/images/edits` multipart body: `image` or `image[]` repeated (1-16 files),
 * optional `mask`, and the generation fields as text. Validates with core (formats by magic bytes,
 * 50 MB total, mask rules; `defaults` as in {@link parseGenerateBody}), taking the route's `extras`
 * besides. Throws `ValidationError` naming every bad field.
 */
export async function parseEditForm(
  form: FormData,
  defaults: RequestDefaults,
  extras: ExtraFields = {},
): Promise<ParsedImageRequest<EditFileOptions>> {
  const { opts, out, issues }: Read = { opts: {}, out: { extra: {} }, issues: [] };
  const images: EditFileOptions["images"] = [];
  for (const [field, value] of form.entries()) {
    if (field === "image" || field === "image[]" || field === "mask") {
      if (typeof value === "string") {
        issues.push({ field, value: "(text)", rule: "must be a file part" });
      } else if (field === "mask") {
        if (opts.mask) issues.push({ field, value: value.name, rule: "at most one mask" });
        opts.mask = { data: value, name: value.name };
      } else {
        images.push({ data: value, name: value.name });
      }
      continue;
    }
    if (typeof value !== "string") {
      issues.push({ field, value: "(file)", rule: "must be a text field" });
      continue;
    }
    assign(field, value, opts, out, { fromForm: true, extras, issues, operation: "edit" });
  }
  if (opts.prompt === undefined) issues.push({ field: "prompt", value: undefined, rule: "is required" });
  return finishEdit({ opts, out, issues }, images, defaults);
}

/** The edit's images checked and core's rules applied, for both edit forms. */
async function finishEdit(
  { opts, out, issues }: Read,
  images: EditFileOptions["images"],
  defaults: RequestDefaults,
): Promise<ParsedImageRequest<EditFileOptions>> {
  if (images.length === 0)
    issues.push({ field: "image", value: undefined, rule: "at least one image file is required" });
  if (images.length > MAX_IMAGES)
    issues.push({ field: "image", value: images.length, rule: `at most ${MAX_IMAGES} images` });
  opts.images = images;
  applyDefaults(opts, defaults);
  const options = opts as unknown as EditFileOptions;
  if (!issues.length) issues.push(...(await validateEditOptions(options, options.model)));
  return finish(options, out, issues);
}

/**
 * Parses the spec's JSON edit form once its references are fetched: `fields` with their JSON
 * types (as {@link parseGenerateBody} reads them, so `{"n": "2"}` is refused), `files` the
 * fetched images and mask, in order. Validates as {@link parseEditForm}.
 */
export async function parseEditJson(
  fields: Record<string, unknown>,
  files: { images: Blob[]; mask: Blob | undefined },
  defaults: RequestDefaults,
  extras: ExtraFields = {},
): Promise<ParsedImageRequest<EditFileOptions>> {
  return finishEditJson(readEditJson(fields, extras), files, defaults);
}

/** A JSON edit whose fields {@link readEditJson} read, with its fetched images and mask, validated. */
export async function finishEditJson(
  read: Read,
  files: { images: Blob[]; mask: Blob | undefined },
  defaults: RequestDefaults,
): Promise<ParsedImageRequest<EditFileOptions>> {
  if (files.mask) read.opts.mask = { data: files.mask, name: "mask.png" };
  const images = files.images.map((data, i) => ({ data, name: `image-${i + 1}` }));
  return finishEdit(read, images, defaults);
}
