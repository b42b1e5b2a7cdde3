import {
  type EditOptions,
  type GenerateOptions,
  IMAGE_OPTION_LIST,
  type ImageOperation,
  type ImageOption,
} from "@gptimg/core";
import { usageError } from "../cli/errors.ts";
import type { FlagName, FlagValues } from "../cli/flags.ts";
import { flag, intValue, list, str } from "../cli/parse.ts";

const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);

/** A value as an error shows it: at most 60 characters. */
const shown = (value: string): string => (value.length > 60 ? `${value.slice(0, 57)}...` : value);

/**
 * `--extra key=value` (value parsed as JSON when it parses) and `--extra-json '{…}'`. `jsonFrom`
 * names where the JSON came from when no flag gave it ("OPENAI_IMAGE_EXTRA_JSON (.env)").
 */
export function extraBody(values: FlagValues, jsonFrom = "--extra-json"): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  const json = str(values, "extra-json");
  if (json !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch (e) {
      throw usageError(`${jsonFrom} ${shown(json)}: must be valid JSON (${(e as Error).message})`);
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      throw usageError(`${jsonFrom} ${shown(json)}: must be a JSON object such as {"key": "value"}`);
    }
    for (const [k, v] of Object.entries(parsed)) setKey(out, k, v, jsonFrom);
  }
  for (const item of list(values, "extra")) {
    const eq = item.indexOf("=");
    if (eq <= 0) throw usageError(`--extra ${item}: must be KEY=VALUE`);
    const key = item.slice(0, eq);
    const raw = item.slice(eq + 1);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      // not JSON: keep the string
    }
    setKey(out, key, value, "--extra");
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function setKey(out: Record<string, unknown>, key: string, value: unknown, flagName: string): void {
  if (FORBIDDEN_KEYS.has(key) || !/^[A-Za-z0-9_.[\]-]+$/.test(key))
    throw usageError(`${flagName} ${key}: not an allowed key name`);
  Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Image options the CLI reads from flags: every table entry with a CLI flag but the inputs and the model. */
const FLAG_OPTIONS = IMAGE_OPTION_LIST.filter(
  (o) => o.cli && o.key !== "model" && o.type !== "images" && o.type !== "image",
);

/** One image option's flag value, typed as core wants it (core checks ranges and enums, all at once). */
function optionValue(values: FlagValues, o: ImageOption): unknown {
  const name = o.cli?.flag as FlagName;
  if (o.type === "boolean") return flag(values, name) ? true : undefined;
  if (o.type === "integer") {
    const range = o.min !== undefined && o.max !== undefined ? `from ${o.min} to ${o.max}` : "";
    return intValue(values, name, range);
  }
  const raw = str(values, name);
  if (raw === undefined || o.type !== "enum") return raw;
  const lower = raw.trim().toLowerCase();
  return o.valueAliases?.[lower] ?? lower;
}

/**
 * The options of `operation` from flags, derived from core's option table; core validates the
 * values themselves. `--stream` asks for 2 partial images unless `--partial-images` says otherwise.
 */
export function generateOptions(
  values: FlagValues,
  prompt: string,
  model: string | undefined,
  operation: ImageOperation = "generate",
  /** where flags the user did not type came from (config/defaults.ts `Defaulted.origins`) */
  origins: Readonly<Record<string, string>> = {},
): GenerateOptions {
  const opts: Record<string, unknown> = { prompt };
  if (model !== undefined) opts.model = model;
  for (const o of FLAG_OPTIONS) {
    if (!o.operations.includes(operation)) continue;
    const v = optionValue(values, o);
    if (v !== undefined) opts[o.key] = v;
  }
  const extra = extraBody(values, origins["extra-json"]);
  if (extra) opts.extraBody = extra;
  if (flag(values, "skip-model-rules")) opts.skipModelRules = true;
  if (opts.stream === true) opts.partialImages ??= 2;
  return opts as unknown as GenerateOptions;
}

/** Adds the edit inputs (already read and size-checked) to the edit's options. */
export function editOptions(
  base: GenerateOptions,
  images: EditOptions["images"],
  mask: EditOptions["mask"],
): EditOptions {
  const opts: EditOptions = { ...base, images };
  if (mask) opts.mask = mask;
  return opts;
}
