import { createHash } from "node:crypto";
import { resolve } from "node:path";
import { usageError } from "../cli/errors.ts";
import { FLAGS, type FlagName, type FlagValues, GROUPS } from "../cli/flags.ts";
import { resolveInside } from "../files/inside.ts";

/**
 * Keys a line may carry: `prompt`, the image flags (from core's option table, with their
 * aliases) and a few output/route flags. Credentials and routes stay out of job files.
 */
const LINE_KEYS = new Set<string>([
  "prompt",
  ...[...GROUPS.image, ...GROUPS.generate, ...GROUPS.edit].filter((f) => f !== "prompt-file"),
  "out",
  "force",
  "provider",
  "timeout",
]);

const LINE_KEY_LIST = [...LINE_KEYS].join(", ");

/** A line's key as its flag's own name (`output-format` → `format`). */
const CANONICAL = new Map<string, FlagName>(
  (Object.keys(FLAGS) as FlagName[]).flatMap((name) => (FLAGS[name].aliases ?? []).map((a) => [a, name] as const)),
);

const FORBIDDEN = new Set(["api-key", "token", "endpoint", "base-url", "config", "admin-token"]);

/** One parsed line of a batch file. */
export interface BatchLine {
  /** 1-based line number */
  line: number;
  /** sha256 of the line's text: the key of the state file */
  hash: string;
  kind: "generate" | "edit";
  prompt: string;
  values: FlagValues;
}

/** Hash of a line's text, ignoring surrounding whitespace. */
export const lineHash = (text: string): string => createHash("sha256").update(text.trim()).digest("hex").slice(0, 32);

/**
 * Turns one JSONL line into flag values merged over the batch's own flags. `out` is resolved
 * inside `outDir` and must stay there (symlinks included). Throws a usage error naming the key.
 */
export function parseLine(text: string, line: number, defaults: FlagValues, outDir: string): BatchLine {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (e) {
    throw usageError(`line ${line}: not valid JSON (${(e as Error).message})`);
  }
  if (typeof obj !== "object" || obj === null || Array.isArray(obj))
    throw usageError(`line ${line}: must be a JSON object`);
  const values: FlagValues = { ...defaults };
  let prompt: string | undefined;
  for (const [key, raw] of Object.entries(obj)) {
    if (FORBIDDEN.has(key)) throw usageError(`line ${line}: ${key} is not allowed in a batch file (pass it as a flag)`);
    const name = CANONICAL.get(key) ?? (key as FlagName);
    if (!LINE_KEYS.has(name)) {
      // a flag of another use (prompt-file, dry-run…) is named as such, not called unknown
      const what = Object.hasOwn(FLAGS, name) ? `${key} is not taken in a batch line` : `unknown key ${key}`;
      throw usageError(`line ${line}: ${what} (a line takes ${LINE_KEY_LIST})`);
    }
    if (key === "prompt") {
      if (typeof raw !== "string") throw usageError(`line ${line}: prompt must be a string`);
      prompt = raw.trim();
      continue;
    }
    const def = FLAGS[name];
    if (name === "extra-json" || (name === "extra" && typeof raw === "object" && raw !== null && !Array.isArray(raw))) {
      values["extra-json"] = typeof raw === "string" ? raw : JSON.stringify(raw);
      if (name === "extra") delete values.extra;
      continue;
    }
    if (def.type === "boolean") {
      if (typeof raw !== "boolean") throw usageError(`line ${line}: ${key} must be true or false`);
      values[name] = raw;
    } else if (def.multiple) {
      const arr = Array.isArray(raw) ? raw : [raw];
      if (!arr.every((v) => typeof v === "string" || typeof v === "number")) {
        throw usageError(`line ${line}: ${key} must be a string or a list of strings`);
      }
      values[name] = arr.map(String);
    } else {
      if (typeof raw !== "string" && typeof raw !== "number")
        throw usageError(`line ${line}: ${key} must be a string or number`);
      values[name] = String(raw);
    }
  }
  if (!prompt) throw usageError(`line ${line}: prompt is missing or empty`);
  const out = values.out;
  if (typeof out === "string" && out !== defaults.out) {
    const target = resolveInside(outDir, out);
    if (target === undefined || target === resolve(outDir)) {
      throw usageError(`line ${line}: out ${out}: must name a file inside the output directory ${outDir}`);
    }
    values.out = out.endsWith("/") ? `${target}/` : target;
  } else values.out = `${outDir}/`;
  const kind = Array.isArray(values.image) && values.image.length > 0 ? "edit" : "generate";
  return { line, hash: lineHash(text), kind, prompt, values };
}
