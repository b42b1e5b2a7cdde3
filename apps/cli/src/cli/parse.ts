import { parseArgs } from "node:util";
import { usageError } from "./errors.ts";
import { FLAGS, type FlagName, type FlagValues } from "./flags.ts";
import type { CommandSpec } from "./specs.ts";

export interface Parsed {
  values: FlagValues;
  positionals: string[];
}

type ParseOption = { type: "string" | "boolean"; short?: string; multiple?: boolean };

/**
 * Parses `args` against the flags `spec` accepts (and their aliases, folded into the flag's own
 * name). Unknown flags (with the nearest known one), missing values and values for boolean flags
 * become usage errors (exit 2) naming the flag.
 */
export function parseCommandArgs(spec: CommandSpec, args: string[]): Parsed {
  const names: FlagName[] = ["help", ...spec.flags];
  const options: Record<string, ParseOption> = {};
  const aliasOf = new Map<string, FlagName>();
  for (const name of names) {
    const def = FLAGS[name];
    const base = { type: def.type, ...(def.multiple ? { multiple: true } : {}) };
    options[name] = { ...base, ...(def.short ? { short: def.short } : {}) };
    for (const alias of def.aliases ?? []) {
      options[alias] = base;
      aliasOf.set(alias, name);
    }
  }
  let parsed: {
    values: Record<string, unknown>;
    positionals: string[];
    tokens?: { kind: string; name?: string; value?: string | undefined }[];
  };
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true, tokens: true });
  } catch (e) {
    throw usageError(`${spec.name}: ${explainParseError(e, Object.keys(options))}`);
  }
  const values = { ...parsed.values };
  for (const [alias, name] of aliasOf) {
    if (!Object.hasOwn(values, alias)) continue;
    if (FLAGS[name].multiple) {
      // a repeatable flag spelled several ways (`-i a --input b --edit-image c`): every value, in command-line order
      values[name] = (parsed.tokens ?? []).flatMap((t) =>
        t.kind === "option" && (t.name === name || aliasOf.get(t.name ?? "") === name) && t.value !== undefined
          ? [t.value]
          : [],
      );
    } else if (Object.hasOwn(values, name))
      throw usageError(`${spec.name}: --${alias} and --${name} are the same flag: give one`);
    else values[name] = values[alias];
    delete values[alias];
  }
  return { values: values as FlagValues, positionals: parsed.positionals };
}

/** Edit distance, for "did you mean". */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(
        (prev[j] ?? 0) + 1,
        (row[j - 1] ?? 0) + 1,
        (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    prev = row;
  }
  return prev[b.length] ?? 0;
}

/** The known long flag nearest to `flag` (`--sise` → `--size`), if one is near enough to be meant. */
export function nearestFlag(flag: string, known: readonly string[]): string | undefined {
  const typed = flag.replace(/^-+/, "").split("=")[0]?.toLowerCase() ?? "";
  if (typed.length < 2) return undefined;
  let best: { name: string; d: number } | undefined;
  for (const name of known) {
    const d = name.startsWith(typed) ? 0.5 : distance(typed, name);
    if (!best || d < best.d) best = { name, d };
  }
  const limit = typed.length <= 4 ? 1 : 2;
  return best && best.d <= limit ? `--${best.name}` : undefined;
}

function explainParseError(e: unknown, known: readonly string[]): string {
  const err = e as { code?: string; message?: string };
  const message = err.message ?? String(e);
  // Node quotes the flag as '--size', '-s' or '-s, --size <value>': name the long form.
  const quoted = /'([^']+)'/.exec(message)?.[1] ?? "";
  const flag = /--[A-Za-z0-9-]+/.exec(quoted)?.[0] ?? quoted.split(/[\s,]/)[0];
  switch (err.code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION": {
      const near = flag?.startsWith("--") ? nearestFlag(flag, known) : undefined;
      return `unknown flag ${flag ?? message}${near ? `; did you mean ${near}?` : ""} (see gptimg help)`;
    }
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
      if (/does not take an argument/.test(message)) return `flag ${flag} does not take a value`;
      if (/argument missing|ambiguous/.test(message)) {
        return `flag ${flag} needs a value (to pass one starting with -, write ${flag}=VALUE)`;
      }
      return message.split("\n")[0] ?? message;
    default:
      return message.split("\n")[0] ?? message;
  }
}

/** The single string value of a flag (the last one when repeated). */
export function str(values: FlagValues, name: FlagName): string | undefined {
  const v = values[name];
  if (Array.isArray(v)) return v[v.length - 1];
  return typeof v === "string" ? v : undefined;
}

/** Every value of a repeatable flag. */
export function list(values: FlagValues, name: FlagName): string[] {
  const v = values[name];
  if (Array.isArray(v)) return v;
  return typeof v === "string" ? [v] : [];
}

/** A boolean flag. */
export const flag = (values: FlagValues, name: FlagName): boolean => values[name] === true;

/** An integer flag within bounds, or undefined when absent. */
export function intFlag(values: FlagValues, name: FlagName, min: number, max: number): number | undefined {
  const raw = str(values, name);
  if (raw === undefined) return undefined;
  if (!/^-?\d+$/.test(raw.trim())) throw usageError(`--${name} ${raw}: must be an integer from ${min} to ${max}`);
  const n = Number(raw);
  if (n < min || n > max) throw usageError(`--${name} ${raw}: must be an integer from ${min} to ${max}`);
  return n;
}

/**
 * An integer flag whose range core checks (`-n`, `--compression`, `--partial-images`): only the
 * syntax is checked here, so a range problem is reported together with every other bad option.
 */
export function intValue(values: FlagValues, name: FlagName, rangeHint: string): number | undefined {
  const raw = str(values, name);
  if (raw === undefined) return undefined;
  if (!/^-?\d+$/.test(raw.trim())) throw usageError(`--${name} ${raw}: must be an integer ${rangeHint}`);
  return Number(raw);
}

/** `300`, `90s`, `5m`, `1500ms` → milliseconds. */
export function parseDuration(raw: string, field = "--timeout"): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(raw);
  if (!m) throw usageError(`${field} ${raw}: must be a number of seconds, or end in ms, s, m or h`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? "s") as "ms" | "s" | "m" | "h"];
  const ms = Math.round(Number(m[1]) * unit);
  if (ms < 1 || ms > 24 * 3_600_000) throw usageError(`${field} ${raw}: must be between 1 ms and 24 h`);
  return ms;
}
