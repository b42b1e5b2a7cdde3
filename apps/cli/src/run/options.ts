import type {
  Background,
  EditOptions,
  GenerateOptions,
  InputFidelity,
  Moderation,
  OutputFormat,
  Quality,
} from "@gptimg/core";
import { usageError } from "../cli/errors.ts";
import type { FlagValues } from "../cli/flags.ts";
import { flag, intValue, list, str } from "../cli/parse.ts";

const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);

/** `--extra key=value` (value parsed as JSON when it parses) and `--extra-json '{…}'`. */
export function extraBody(values: FlagValues): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  const json = str(values, "extra-json");
  if (json !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch (e) {
      throw usageError(`--extra-json: not valid JSON (${(e as Error).message})`);
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      throw usageError("--extra-json: must be a JSON object");
    }
    for (const [k, v] of Object.entries(parsed)) setKey(out, k, v, "--extra-json");
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

/** The options shared by generate and edit, from flags. Core validates the values themselves. */
export function generateOptions(values: FlagValues, prompt: string, model: string | undefined): GenerateOptions {
  const stream = flag(values, "stream");
  const partial = intValue(values, "partial-images", "from 0 to 3");
  if (partial !== undefined && !stream) throw usageError("--partial-images: only with --stream");
  const compression = intValue(values, "compression", "from 0 to 100");
  const opts: GenerateOptions = { prompt };
  const n = intValue(values, "n", "from 1 to 10");
  if (n !== undefined) opts.n = n;
  const set = <K extends keyof GenerateOptions>(k: K, v: GenerateOptions[K] | undefined): void => {
    if (v !== undefined) opts[k] = v;
  };
  set("model", model);
  set("size", str(values, "size"));
  set("quality", str(values, "quality") as Quality | undefined);
  set("outputFormat", str(values, "format") as OutputFormat | undefined);
  set("outputCompression", compression);
  set("background", str(values, "background") as Background | undefined);
  set("moderation", str(values, "moderation") as Moderation | undefined);
  set("user", str(values, "user"));
  set("extraBody", extraBody(values));
  if (stream) {
    opts.stream = true;
    opts.partialImages = partial ?? 2;
  }
  return opts;
}

/** Adds the edit inputs (already read and size-checked) to the shared options. */
export function editOptions(
  base: GenerateOptions,
  values: FlagValues,
  images: EditOptions["images"],
  mask: EditOptions["mask"],
): EditOptions {
  const opts: EditOptions = { ...base, images };
  if (mask) opts.mask = mask;
  const fidelity = str(values, "input-fidelity");
  if (fidelity !== undefined) opts.inputFidelity = fidelity as InputFidelity;
  return opts;
}
