import { ValidationError } from "./errors/index.ts";
import { DEFAULT_MODEL, type ModelRules, modelRules, ownRule, rulesFor } from "./models.ts";
import { type ImageOperation, type ImageOption, optionsFor } from "./options.ts";
import { resolveSize } from "./sizes.ts";
import type { EditOptions, GenerateOptions, ValidationIssue } from "./types.ts";
import { validateImages } from "./validate-images.ts";

// Issues name fields by their wire names (output_format, partial_images…), the names OpenAI's
// API reference and error `param`s use, so one message reads the same from CLI, SDK and Worker.

/** extra_body keys that would silently replace a dedicated option (and make dry-runs and results lie). */
const RESERVED_EXTRA_KEYS = ["prompt", "model", "image", "image[]", "images", "mask"];

type Loose = Record<string, unknown>;
type Push = (field: string, value: unknown, rule: string, suggestion?: string) => void;

const list = (xs: readonly string[]): string => xs.join(", ");
const isInt = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v);
const isPlainObject = (v: unknown): v is Loose => {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
};

/** Code points, counted only when the UTF-16 length could exceed the limit. */
function codePoints(s: string, limit: number): number {
  if (s.length <= limit) return s.length;
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** Families that accept some value of an option: named when another family refuses it. */
const KNOWN_FAMILIES = ["gpt-image-2", "gpt-image-1", "gpt-image-1-mini", "dall-e-3", "dall-e-2"] as const;

function checkEnum(push: Push, option: ImageOption, value: unknown, rules: ModelRules): void {
  if (value === undefined || !option.modelValues) return;
  const allowed: readonly string[] = rules[option.modelValues];
  const field = option.wire;
  const fam = rules.family;
  if (allowed.length === 0) {
    const key = option.modelValues;
    const takers = KNOWN_FAMILIES.filter((f) => {
      const r = modelRules(f);
      return r[key].length > 0 && (option.modelField === undefined || r.fields[option.modelField]);
    });
    push(
      field,
      value,
      ownRule(`is not supported by ${fam} (${takers.join(", ")} ${takers.length === 1 ? "takes" : "take"} it)`),
    );
  } else if (typeof value !== "string" || !allowed.includes(value)) {
    const rule = `must be one of ${list(allowed)}${fam === "unknown" ? "" : ` for ${fam}`}`;
    // a value of the spec's enum that this family's row refuses is gptimg's rule, not the schema's
    push(field, value, typeof value === "string" && option.values?.includes(value) ? ownRule(rule) : rule);
  }
}

/** Longest model name taken: no provider's is near it, and gateways record it with every image. */
export const MAX_MODEL_LENGTH = 128;

function checkOption(option: ImageOption, o: Loose, rules: ModelRules, push: Push): void {
  const fam = rules.family;
  const format = typeof o.outputFormat === "string" ? o.outputFormat : "png";
  switch (option.key) {
    case "model":
      if (o.model !== undefined && (typeof o.model !== "string" || o.model.trim() === "")) {
        push("model", o.model, "must be a non-empty string");
      } else if (typeof o.model === "string" && o.model.length > MAX_MODEL_LENGTH) {
        push(
          "model",
          `${o.model.slice(0, 32)}… (${o.model.length} characters)`,
          `must be at most ${MAX_MODEL_LENGTH} characters (gptimg's limit, not OpenAI's: gateways store the name with every image, and no provider's model name comes near it)`,
        );
      }
      return;
    case "prompt":
      if (typeof o.prompt !== "string" || o.prompt.trim() === "") {
        push("prompt", o.prompt, "is required and must be non-empty text");
      } else if (rules.maxPromptLength !== undefined) {
        const len = codePoints(o.prompt, rules.maxPromptLength);
        if (len > rules.maxPromptLength) {
          push(
            "prompt",
            o.prompt,
            ownRule(`must be at most ${rules.maxPromptLength} characters for ${fam} (got ${len})`),
          );
        }
      }
      return;
    case "n":
      if (o.n !== undefined && (!isInt(o.n) || o.n < 1 || o.n > 10)) push("n", o.n, "must be an integer from 1 to 10");
      else if (o.n !== undefined && o.n > rules.maxN)
        push("n", o.n, ownRule(`must be at most ${rules.maxN} for ${fam}`));
      return;
    case "size":
      if (o.size === undefined) return;
      try {
        resolveSize(o.size as string, rules);
      } catch (e) {
        if (!(e instanceof ValidationError)) throw e;
        for (const i of e.issues) push(i.field, i.value, i.rule, i.suggestion);
      }
      return;
    case "outputCompression":
      if (o.outputCompression === undefined) return;
      if (!rules.fields.outputCompression)
        push("output_compression", o.outputCompression, ownRule(`is not supported by ${fam}`));
      else if (!isInt(o.outputCompression) || o.outputCompression < 0 || o.outputCompression > 100) {
        push("output_compression", o.outputCompression, "must be an integer from 0 to 100");
      } else if (format !== "jpeg" && format !== "webp") {
        push("output_compression", o.outputCompression, `applies only to output_format jpeg or webp (not ${format})`);
      }
      return;
    case "background":
      checkEnum(push, option, o.background, rules);
      // OpenAI's spec: "When using transparent, set the output format to png or webp."
      if (o.background === "transparent" && format === "jpeg") {
        push("background", o.background, "transparent needs output_format png or webp (jpeg has no alpha)");
      }
      return;
    case "stream":
      if (o.stream === undefined) return;
      if (typeof o.stream !== "boolean") push("stream", o.stream, "must be true or false");
      else if (o.stream && !rules.fields.stream) push("stream", o.stream, ownRule(`is not supported by ${fam}`));
      return;
    case "partialImages":
      // Without stream the spec simply has no partial images to send: not an error.
      if (o.partialImages === undefined) return;
      if (rules.maxPartialImages === 0) push("partial_images", o.partialImages, ownRule(`is not supported by ${fam}`));
      else if (!isInt(o.partialImages) || o.partialImages < 0 || o.partialImages > rules.maxPartialImages) {
        push("partial_images", o.partialImages, `must be an integer from 0 to ${rules.maxPartialImages}`);
      }
      return;
    case "user":
      if (o.user !== undefined && typeof o.user !== "string") push("user", o.user, "must be a string");
      return;
    default:
      // the enums (quality, output_format, moderation, input_fidelity, style, response_format);
      // edit inputs are checked by validateImages
      if (option.type === "enum") checkEnum(push, option, o[option.key], rules);
  }
}

function checkCommon(o: Loose, rules: ModelRules, push: Push, operation: ImageOperation): void {
  for (const option of optionsFor(operation)) checkOption(option, o, rules, push);
  if (o.extraBody !== undefined) {
    if (!isPlainObject(o.extraBody)) push("extra_body", o.extraBody, "must be a plain object");
    else {
      for (const key of RESERVED_EXTRA_KEYS) {
        if (Object.hasOwn(o.extraBody, key)) {
          push(`extra_body.${key}`, o.extraBody[key], `must not override ${key}: set it through its own option`);
        }
      }
    }
  }
}

function collector(): { issues: ValidationIssue[]; push: Push } {
  const issues: ValidationIssue[] = [];
  const push: Push = (field, value, rule, suggestion) =>
    issues.push(suggestion === undefined ? { field, value, rule } : { field, value, rule, suggestion });
  return { issues, push };
}

const asLoose = (opts: unknown): Loose | undefined =>
  typeof opts === "object" && opts !== null ? (opts as Loose) : undefined;

/**
 * Every problem with generate options at once, for `model` (else `opts.model`, else gpt-image-2).
 * Fields are named as on the wire: `output_format`, `partial_images`, `extra_body.prompt`….
 * @example
 * validateGenerateOptions({ prompt: "", n: 11 }) // two issues: prompt and n
 */
export function validateGenerateOptions(opts: GenerateOptions, model?: string): ValidationIssue[] {
  const { issues, push } = collector();
  const o = asLoose(opts);
  if (!o) return [{ field: "options", value: opts, rule: "must be an object" }];
  checkCommon(
    { ...o, model: model ?? o.model },
    rulesFor(model ?? (o.model as string | undefined), opts),
    push,
    "generate",
  );
  return issues;
}

/**
 * Everything {@link validateGenerateOptions} checks, plus the edit inputs: 1-16 images (per model),
 * each PNG, JPEG or WebP by its bytes, 50 MB in total; a mask that is a PNG with alpha, under
 * 4 MB, the size of the first image; `input_fidelity`. Images are named `image[0]`, `image[1]`…
 * unless an input's `label` names it as its surface took it (`-i dog.png`, `images[0]`).
 * Reads only the first 64 KB of each input unless a JPEG keeps its frame header further in.
 * @example
 * await validateEditOptions({ prompt: "add a hat", images: [{ data: gifBytes }] }) // image[0]: must be PNG, JPEG or WebP
 */
export async function validateEditOptions(opts: EditOptions, model?: string): Promise<ValidationIssue[]> {
  const { issues, push } = collector();
  const o = asLoose(opts);
  if (!o) return [{ field: "options", value: opts, rule: "must be an object" }];
  const name = model ?? (o.model as string | undefined);
  const rules = rulesFor(name, opts);
  checkCommon({ ...o, model: name }, rules, push, "edit");
  // A model without edits gets that one issue rather than a limit of zero images.
  if (!rules.edits) push("model", name ?? DEFAULT_MODEL, ownRule(`${rules.family} does not support edits`));
  else await validateImages(o.images, o.mask, rules, push);
  return issues;
}

/**
 * Throws a `ValidationError` carrying every issue when there is any.
 * @example
 * assertValid(validateGenerateOptions(opts))
 */
export function assertValid(issues: readonly ValidationIssue[]): void {
  if (issues.length > 0) throw new ValidationError([...issues]);
}
