/**
 * `key=value` options from chat text → typed generate/edit options, checked with core's
 * rules (`resolveSize`, `validateGenerateOptions`) so chat and the HTTP API agree. Which keys a
 * chat message may set, and what each takes, comes from core's option table (`chat` keys).
 */
import {
  type EditOptions,
  IMAGE_OPTION_LIST,
  type ImageOption,
  isValidationError,
  resolveSize,
  rulesFor,
  type ValidationIssue,
  validateGenerateOptions,
} from "@gptimg/core";

/**
 * Options a chat user may set, and `skipModelRules` when the Worker's SKIP_MODEL_RULES is on.
 * `size` is already resolved (e.g. `16:9` → `2048x1152`).
 */
export type ChatOptions = Partial<
  Pick<
    EditOptions,
    | "skipModelRules"
    | "size"
    | "quality"
    | "n"
    | "outputFormat"
    | "outputCompression"
    | "background"
    | "moderation"
    | "inputFidelity"
    | "style"
  >
>;

/** Chat users can ask for at most this many images per message (core allows 10 for the API). */
export const CHAT_MAX_N = 4;

/** Chat key (lower case) → its option, from the table's `chat` spellings. */
const BY_KEY = new Map<string, ImageOption>(
  IMAGE_OPTION_LIST.flatMap((o) => (o.chat ?? []).map((k) => [k, o] as const)),
);

/** Every key a chat message may set, for the command parser's pattern. */
export const CHAT_OPTION_KEYS: readonly string[] = [...BY_KEY.keys()];

/** The name an issue gives a key: the first chat spelling (`format`, `compression`, `fidelity`). */
const shown = (o: ImageOption): string => o.chat?.[0] ?? o.wire;

/** The model whose rules apply (undefined: the default), and whether its table is skipped. */
interface Rules {
  model?: string | undefined;
  skipModelRules?: boolean | undefined;
}

function convert(o: ImageOption, value: string, rules: Rules, issues: ValidationIssue[]): unknown {
  const field = shown(o);
  switch (o.type) {
    case "size":
      try {
        return resolveSize(value, rulesFor(rules.model, rules)).size;
      } catch (e) {
        if (!isValidationError(e)) throw e;
        issues.push(...e.issues);
        return undefined;
      }
    case "integer": {
      const max = o.key === "n" ? CHAT_MAX_N : (o.max ?? Number.MAX_SAFE_INTEGER);
      const min = o.min ?? 0;
      const n = /^\d+$/.test(value) ? Number(value) : Number.NaN;
      if (Number.isInteger(n) && n >= min && n <= max) return n;
      issues.push({ field, value, rule: `must be an integer from ${min} to ${max}` });
      return undefined;
    }
    case "enum": {
      const lower = value.toLowerCase();
      const v = o.valueAliases?.[lower] ?? lower;
      if (o.values?.includes(v)) return v;
      issues.push({ field, value, rule: `must be one of ${(o.values ?? []).join(", ")}` });
      return undefined;
    }
    default:
      return value;
  }
}

/**
 * Converts raw option strings (keys lower-cased) and checks them with the rules of `rules.model`,
 * or, with `rules.skipModelRules` (the Worker's SKIP_MODEL_RULES), without gptimg's model table;
 * the options then carry `skipModelRules` to the job. Returns every problem at once.
 * @example validateChatOptions({ size: "16:9", n: "2" }, "a cat", "generate")
 */
export const validateChatOptions = (
  raw: Record<string, string>,
  prompt: string,
  kind: "generate" | "edit",
  rules: Rules = {},
): { options: ChatOptions; issues: ValidationIssue[] } => {
  const issues: ValidationIssue[] = [];
  const { model } = rules;
  const options: Record<string, unknown> = rules.skipModelRules ? { skipModelRules: true } : {};
  for (const [key, value] of Object.entries(raw)) {
    const o = BY_KEY.get(key);
    if (!o) continue;
    if (!o.operations.includes(kind)) {
      issues.push({
        field: shown(o),
        value,
        rule: `applies to ${o.operations.includes("edit") ? "edits" : "generations"} only`,
      });
      continue;
    }
    const v = convert(o, value, rules, issues);
    if (v !== undefined) options[o.key] = v;
  }
  // Cross-field and model rules (compression with png, style on gpt-image-2, …) live in core.
  if (issues.length === 0 && prompt) {
    const { inputFidelity: _f, ...generate } = options as ChatOptions;
    issues.push(...validateGenerateOptions({ prompt, model, ...generate }, model));
  }
  return { options: options as ChatOptions, issues };
};
