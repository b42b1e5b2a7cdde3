/**
 * `key=value` options from chat text → typed generate/edit options, checked with core's
 * rules (`resolveSize`, `validateGenerateOptions`) so chat and the HTTP API agree.
 */
import {
  type Background,
  type InputFidelity,
  isValidationError,
  type Moderation,
  type OutputFormat,
  type Quality,
  resolveSize,
  type ValidationIssue,
  validateGenerateOptions,
} from "@gptimg/core";

/** Options a chat user may set. `size` is already resolved (e.g. `16:9` → `2048x1152`). */
export interface ChatOptions {
  size?: string;
  quality?: Quality;
  n?: number;
  outputFormat?: OutputFormat;
  outputCompression?: number;
  background?: Background;
  moderation?: Moderation;
  inputFidelity?: InputFidelity;
}

const QUALITIES = ["low", "medium", "high", "auto"] as const;
const FORMATS = ["png", "jpeg", "webp"] as const;
const BACKGROUNDS = ["auto", "opaque", "transparent"] as const;
const MODERATIONS = ["low", "auto"] as const;
const FIDELITIES = ["high", "low"] as const;
/** Chat users can ask for at most this many images per message (core allows 10 for the API). */
export const CHAT_MAX_N = 4;

const oneOf = <T extends string>(
  field: string,
  value: string,
  allowed: readonly T[],
  issues: ValidationIssue[],
): T | undefined => {
  const v = value.toLowerCase();
  if ((allowed as readonly string[]).includes(v)) return v as T;
  issues.push({ field, value, rule: `must be one of ${allowed.join(", ")}` });
  return undefined;
};

const integer = (
  field: string,
  value: string,
  min: number,
  max: number,
  issues: ValidationIssue[],
): number | undefined => {
  const n = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (Number.isInteger(n) && n >= min && n <= max) return n;
  issues.push({ field, value, rule: `must be an integer from ${min} to ${max}` });
  return undefined;
};

/**
 * Converts raw option strings (keys lower-cased) and checks them. Returns every problem at once.
 * @example validateChatOptions({ size: "16:9", n: "2" }, "a cat", "generate")
 */
export const validateChatOptions = (
  raw: Record<string, string>,
  prompt: string,
  kind: "generate" | "edit",
  model?: string,
): { options: ChatOptions; issues: ValidationIssue[] } => {
  const issues: ValidationIssue[] = [];
  const options: ChatOptions = {};
  for (const [key, value] of Object.entries(raw)) {
    switch (key) {
      case "size":
        try {
          options.size = resolveSize(value, model).size;
        } catch (e) {
          if (isValidationError(e)) issues.push(...e.issues);
          else throw e;
        }
        break;
      case "quality":
        options.quality = oneOf("quality", value, QUALITIES, issues);
        break;
      case "n":
        options.n = integer("n", value, 1, CHAT_MAX_N, issues);
        break;
      case "format":
      case "output_format":
        options.outputFormat = oneOf("format", value.toLowerCase() === "jpg" ? "jpeg" : value, FORMATS, issues);
        break;
      case "compression":
      case "output_compression":
        options.outputCompression = integer("compression", value, 0, 100, issues);
        break;
      case "background":
        options.background = oneOf("background", value, BACKGROUNDS, issues);
        break;
      case "moderation":
        options.moderation = oneOf("moderation", value, MODERATIONS, issues);
        break;
      case "fidelity":
      case "input_fidelity":
        if (kind !== "edit") issues.push({ field: "fidelity", value, rule: "applies to edits only" });
        else options.inputFidelity = oneOf("fidelity", value, FIDELITIES, issues);
        break;
    }
  }
  for (const k of Object.keys(options) as (keyof ChatOptions)[]) if (options[k] === undefined) delete options[k];
  // Cross-field and model rules (compression with png, transparent on gpt-image-2, …) live in core.
  if (issues.length === 0 && prompt) {
    const { inputFidelity: _f, ...generate } = options;
    issues.push(...validateGenerateOptions({ prompt, model, ...generate }, model));
  }
  return { options, issues };
};
